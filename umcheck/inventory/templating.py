"""Rendering Jinja2 templates in inventory variables, lazily, per host, as Ansible does.

A variable is rendered when umcheck reads it for one host (``HostVars[name]``), never up front:
``ansible_python_interpreter: "{{ ansible_playbook_python }}"`` or a password defined only at run
time costs nothing until something needs it. umcheck reads only a host's connection and
``umcheck_*`` variables, so an undefined reference elsewhere never matters, and one there is that
host's problem (``RenderError``, one line naming the variable, where it was written and how to
supply it), not the inventory's. Templates run in one sandboxed environment per inventory;
references to other variables are rendered on demand, whatever the layer they come from.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

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


class RenderError(Exception):
    """One variable of one host cannot be rendered; only a problem where umcheck uses the value."""

    def __init__(self, var: str, origin: Origin | None, *, undefined: str | None = None, env: str | None = None,
                 detail: str = "", via: tuple[str, ...] = ()) -> None:
        self.var, self.origin, self.via = var, origin, via
        self.undefined, self.env, self.detail = undefined, env, detail
        super().__init__(self.describe())

    @property
    def unresolved(self) -> bool:
        """A value is merely missing (not wrong), so a password given on the command line may stand in."""
        return self.undefined is not None or self.env is not None

    def rebased(self, var: str) -> RenderError:
        """The same failure as seen from ``var``, whose template uses the variable that failed."""
        return RenderError(var, self.origin, undefined=self.undefined, env=self.env, detail=self.detail,
                           via=(self.var, *self.via))

    def describe(self, password: bool = False) -> str:
        """One line: what failed, where it was written and what to do (``password``: mention -k/--password-env)."""
        where = str(self.origin) if self.origin is not None else ""
        if self.via:
            where = " -> ".join(self.via) + (f" at {where}" if where else "")
            where = f"via {where}"
        where = f" ({where})" if where else ""
        alternative = " or give the password with --password-env NAME / -k" if password else ""
        if self.undefined is not None:
            return (f"{self.var} refers to undefined variable '{self.undefined}'{where}; pass -e {self.undefined}=..."
                    f"{',' if password else ' or'} define it in the inventory (a vault-encrypted vars file for "
                    f"secrets){alternative}")
        if self.env is not None:
            fix = f"; set it{alternative}" if password else ""
            return f"{self.var} needs environment variable {self.env}, which is not set{where}{fix}"
        return f"{self.var} cannot be rendered{where}: {self.detail}"


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

    def compile(self, source: str) -> tuple[jinja2.Template, frozenset[str]]:
        """The compiled template and the names it refers to (cached: hosts share their templates)."""
        return self._compile(source)

    def host_vars(self, raw: Mapping[str, Any], origins: Mapping[str, Origin], magic: Mapping[str, Any]) -> HostVars:
        return HostVars(self, raw, origins, magic)


_UNDEFINED_NAME = re.compile(r"'(.+)' is undefined")


class HostVars(Mapping[str, Any]):
    """One host's variables; each is rendered the first time it is read and then remembered.

    Reading raises ``RenderError`` when the value cannot be rendered for this host. Magic
    variables (``inventory_hostname`` ...) can be referred to but are not items.
    """

    def __init__(self, renderer: TemplateRenderer, raw: Mapping[str, Any], origins: Mapping[str, Origin],
                 magic: Mapping[str, Any]) -> None:
        self._renderer, self._raw, self._origins, self._magic = renderer, raw, origins, magic
        self._done: dict[str, Any] = {}
        self._failed: dict[str, RenderError] = {}
        self._active: list[str] = []

    def __getitem__(self, name: str) -> Any:
        if name in self._done:
            return self._done[name]
        if name in self._failed:
            raise self._failed[name]
        value = self._raw[name]  # KeyError for an unknown name, as a Mapping should
        if name in self._active:
            cycle = " -> ".join([*self._active[self._active.index(name):], name])
            raise self._error(name, detail=f"variables refer to each other in a loop: {cycle}")
        self._active.append(name)
        try:
            self._done[name] = self._render(name, value)
        except RenderError as exc:
            self._failed[name] = exc
            raise
        finally:
            self._active.pop()
        return self._done[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def _error(self, name: str, **kw: Any) -> RenderError:
        return RenderError(name, self._origins.get(name), **kw)

    def _render(self, name: str, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self._render(name, v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._render(name, v) for v in value]
        if not is_template(value):
            return value
        try:
            template, refs = self._renderer.compile(value)
        except jinja2.TemplateSyntaxError as exc:
            raise self._error(name, detail=f"template error: {exc.message}") from None
        context: dict[str, Any] = dict(self._magic)
        why: dict[str, RenderError] = {}  # undefined name -> the failure of the variable that needed it
        for ref in refs:
            if ref not in self._raw:
                continue  # magic, a Jinja global or undefined: Jinja decides (``| default`` works)
            try:
                context[ref] = self[ref]
            except RenderError as exc:
                if exc.undefined is None:
                    raise exc.rebased(name) from None
                context[ref] = self._renderer.env.undefined(name=exc.undefined)
                why[exc.undefined] = exc
        try:
            return template.render(context)
        except MissingEnvError as exc:
            raise self._error(name, env=exc.name) from None
        except jinja2.UndefinedError as exc:
            match = _UNDEFINED_NAME.fullmatch(exc.message or "")
            if match and match.group(1) in why:
                raise why[match.group(1)].rebased(name) from None
            if match:
                raise self._error(name, undefined=match.group(1)) from None
            raise self._error(name, detail=str(exc.message or exc)) from None
        except jinja2.TemplateError as exc:
            raise self._error(name, detail=str(exc.message or exc)) from None
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise self._error(name, detail=str(exc)) from None
