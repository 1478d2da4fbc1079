"""Rendering Jinja2 templates in inventory variables: ``lookup('env', ...)`` and variable references.

Secrets stay out of inventory files by writing ``"{{ lookup('env', 'UMCHECK_WIN_PASSWORD') }}"``.
Templates run in a sandboxed environment built once per inventory; variables are rendered
in dependency order so ``"{{ base_domain }}"`` works whatever the layer it comes from. A lookup
of an unset environment variable does not fail the whole inventory: the affected variables are
reported back as *missing* and only the hosts that get selected have to have them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from umcheck.errors import InputError
from umcheck.inventory.model import Origin
from umcheck.inventory.yaml_loader import UnsafeStr

_TRUE = {"yes", "on", "1", "true", "y", "t"}
_FALSE = {"no", "off", "0", "false", "n", "f", ""}


def to_bool(value: Any) -> bool:
    """Ansible's notion of a boolean (``yes``/``on``/``1``/``true`` ...), strict about anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"{value!r} is not a boolean (use true/false)")


class MissingEnvError(Exception):
    """``lookup('env', NAME)`` of a variable that is not set and has no default."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def is_template(value: Any) -> bool:
    return isinstance(value, str) and not isinstance(value, UnsafeStr) and (
        "{{" in value or "{%" in value or "{#" in value)


@dataclass
class Rendered:
    """Result of rendering one host's variables."""

    values: dict[str, Any]
    missing: dict[str, str] = field(default_factory=dict)  # var -> unset environment variable name


class TemplateRenderer:
    """One sandboxed Jinja2 environment and a cache of compiled templates."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ
        self.env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False,
                                        keep_trailing_newline=True)
        self.env.globals["lookup"] = self._lookup
        self.env.filters["bool"] = to_bool
        self._compile = lru_cache(maxsize=4096)(self._compile_uncached)

    def _lookup(self, plugin: str, *terms: str, default: str | None = None, **_: Any) -> str:
        if plugin not in ("env", "ansible.builtin.env"):
            raise jinja2.TemplateError(f"lookup('{plugin}', ...) is not supported; only lookup('env', 'NAME')")
        values = []
        for term in terms:
            value = self.environ.get(str(term))
            if value is None:
                if default is None:
                    raise MissingEnvError(str(term))
                value = default
            values.append(value)
        return ",".join(values)

    def _compile_uncached(self, source: str) -> tuple[jinja2.Template, frozenset[str]]:
        ast = self.env.parse(source)
        return self.env.from_string(ast), frozenset(meta.find_undeclared_variables(ast))

    def render_vars(self, raw: Mapping[str, Any], origins: Mapping[str, Origin],
                    magic: Mapping[str, Any]) -> Rendered:
        """Render every template in ``raw``; errors name the origin of the offending variable."""
        done: dict[str, Any] = {}
        missing: dict[str, str] = {}
        active: list[str] = []

        def resolve(name: str) -> None:
            if name in done or name in missing or name not in raw:
                return
            if name in active:
                cycle = " -> ".join([*active[active.index(name):], name])
                raise InputError(f"variables refer to each other in a loop: {cycle}",
                                 path=_path(origins, name), line=_line(origins, name))
            active.append(name)
            try:
                done[name] = self._render_value(name, raw[name], resolve, done, missing, origins, magic)
            except MissingEnvError as exc:
                missing[name] = exc.name
                done.pop(name, None)
            finally:
                active.pop()

        for key in raw:
            resolve(key)
        values = {k: (done[k] if k in done else raw[k]) for k in raw}
        return Rendered(values, missing)

    def _render_value(self, name: str, value: Any, resolve: Any, done: dict[str, Any],
                      missing: dict[str, str], origins: Mapping[str, Origin], magic: Mapping[str, Any]) -> Any:
        if isinstance(value, dict):
            return {k: self._render_value(name, v, resolve, done, missing, origins, magic) for k, v in value.items()}
        if isinstance(value, list):
            return [self._render_value(name, v, resolve, done, missing, origins, magic) for v in value]
        if not is_template(value):
            return value
        try:
            template, names = self._compile(value)
        except jinja2.TemplateSyntaxError as exc:
            raise InputError(f"template error in '{name}': {exc.message}", path=_path(origins, name),
                             line=_line(origins, name)) from None
        context: dict[str, Any] = dict(magic)
        for ref in names:
            resolve(ref)
            if ref in missing:
                raise MissingEnvError(missing[ref])
            if ref in done:
                context[ref] = done[ref]
        try:
            return template.render(context)
        except MissingEnvError:
            raise
        except jinja2.TemplateError as exc:
            raise InputError(f"cannot render '{name}': {exc.message or exc}", path=_path(origins, name),
                             line=_line(origins, name)) from None
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise InputError(f"cannot render '{name}': {exc}", path=_path(origins, name),
                             line=_line(origins, name)) from None


def _path(origins: Mapping[str, Origin], name: str) -> str | None:
    origin = origins.get(name)
    return origin.path if origin else None


def _line(origins: Mapping[str, Origin], name: str) -> int | None:
    origin = origins.get(name)
    return origin.line if origin else None
