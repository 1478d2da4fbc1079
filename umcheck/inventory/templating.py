"""Rendering Jinja2 templates in inventory variables, lazily, per host, as Ansible does.

A variable is rendered when umcheck reads it for one host (``HostVars[name]``), never up front:
``ansible_python_interpreter: "{{ ansible_playbook_python }}"`` or a password defined only at run
time costs nothing until something needs it. umcheck reads only a host's connection and
``umcheck_*`` variables, so an undefined reference elsewhere never matters, and one there is that
host's problem (``RenderError``, one line naming the variable, where it was written and how to
supply it), not the inventory's. Templates run in one sandboxed environment per inventory;
references to other variables are rendered on demand, whatever the layer they come from.

The sandbox is also bounded (``LimitedSandbox``): a Jinja "billion laughs" (``b: "{{ a * 1000 }}"``
...), ``{{ 'A' * 10**9 }}`` or a loop nest must cost one error line for that host, not the
machine's memory or minutes of CPU. Every value a template makes (operators, ``~``, filters,
method calls, the output) is checked against ``MAX_VALUE_CHARS`` *before* it is built where its
size can be known in advance; operators, calls and loop turns count against ``MAX_WORK`` and a
wall-clock ``MAX_RENDER_SECONDS``; variables may refer through at most ``MAX_INDIRECTION`` others.
One bad template in a group's variables must not cost its budget once per host: costly results
and limit failures are remembered by their inputs, and a template that went over a limit for
``MAX_STRIKES`` hosts is refused for the rest without being tried.
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.compiler import CodeGenerator, Frame
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
    text = repr(value)
    raise ValueError(f"{text if len(text) <= 60 else text[:57] + '...'} is not a boolean (use true/false)")


class MissingEnvError(Exception):
    """``lookup('env', NAME)`` of a variable that is not set and has no default."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


# Limits of one rendered value (docs/inventory.md).
MAX_VALUE_CHARS = 1 << 20  # characters of any text, list or mapping a template makes (1 MiB)
MAX_TEMPLATE_CHARS = 1 << 20  # length of a template's source
MAX_WORK = 100_000  # operators, calls, filters and loop turns per rendered value
MAX_RENDER_SECONDS = 2.0  # wall clock per rendered value (checked as work is counted)
MAX_INDIRECTION = 50  # variables one value may refer through (a -> b -> c ...)
MAX_STRIKES = 3  # a template over a limit for this many hosts is refused for the others without trying
_MAX_INT_BITS = 1 << 16  # integers a template computes (~20,000 digits)
_LOOP_FILTER = "umcheck_counted_loop"
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*([0-9]*)(?:\.([0-9]*))?")  # width, precision
_PERCENT_STAR = re.compile(r"%(?:\([^)]*\))?[#0\- +]*[0-9*]*(?:\.[0-9*]*)?")
_BRACE_SPEC = re.compile(r"\{[^{}]*?:([^{}]*)\}")  # the part after ':' in {name:spec}
_FORMAT_NUMBER = re.compile(r"[0-9]+")


class LimitError(Exception):
    """A template would go over one of the limits above; the message says which."""


def _size(value: Any, limit: int = MAX_VALUE_CHARS) -> int:
    """About how many characters ``value`` takes as text; the walk stops once past ``limit``.

    Iterative and counting shared references each time, as ``str()`` would print them: a list
    holding one megabyte string a thousand times is a gigabyte of output.
    """
    total = 0
    todo = [value]
    while todo and total <= limit:
        item = todo.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + 2 * len(item)
            todo.extend(item)
        elif isinstance(item, range):
            total += 8 * len(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 3 + 1
        else:
            total += 8
    return total


def _check_size(value: Any, what: str) -> Any:
    if _size(value) > MAX_VALUE_CHARS:
        raise LimitError(f"{what} would be longer than {MAX_VALUE_CHARS:,} characters")
    return value


def _check_format(fmt: str, what: str, braces: bool = False) -> None:
    """Refuse ``%`` (or, with ``braces``, ``str.format``) specs whose width or precision alone
    exceeds the size limit; other digits in the text do not matter."""
    specs = _BRACE_SPEC.findall(fmt) if braces else ["".join(m) for m in _PERCENT_SPEC.findall(fmt)]
    if not braces and "*" in "".join(_PERCENT_STAR.findall(fmt)):
        raise LimitError(f"{what}: '*' widths are not allowed in templates")
    if any(len(n) > 7 or int(n) > MAX_VALUE_CHARS for spec in specs for n in _FORMAT_NUMBER.findall(spec)):
        raise LimitError(f"{what}: a width in the format is larger than {MAX_VALUE_CHARS:,}")


class _CountingCodeGenerator(CodeGenerator):
    """Joins ``~`` through the environment, so the joined size is checked before it is built."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.limited_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class LimitedSandbox(SandboxedEnvironment):
    """``SandboxedEnvironment`` whose operators, calls, filters, loops and output are bounded."""

    code_generator_class = _CountingCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%", "//", "/"})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(finalize=self._finalize, **kwargs)
        self.globals.pop("lipsum", None)  # lipsum(n=10**9): text out of nothing
        self.filters = {name: self._limited(name, f) for name, f in self.filters.items()}
        self.filters[_LOOP_FILTER] = self._counted
        self.work = 0
        self.deadline = float("inf")

    def start(self) -> None:
        """A new value is rendered: its work budget starts from zero."""
        self.work = 0
        self.deadline = time.monotonic() + MAX_RENDER_SECONDS

    def tick(self, amount: int = 1) -> None:
        self.work += amount
        if self.work > MAX_WORK:
            raise LimitError(f"the template does more than {MAX_WORK:,} operations (loops, calls, operators)")
        if self.work & 1023 == 0 and time.monotonic() > self.deadline:
            raise LimitError(f"the template takes longer than {MAX_RENDER_SECONDS:g} s to render")

    def _finalize(self, value: Any) -> Any:
        return _check_size(value, "the output")

    def limited_concat(self, parts: tuple[Any, ...]) -> str:
        self.tick()
        if sum(_size(p) for p in parts) > MAX_VALUE_CHARS:
            raise LimitError(f"'~' would make text longer than {MAX_VALUE_CHARS:,} characters")
        return "".join(str(p) for p in parts)

    def _counted(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """Wraps every ``{% for %}``: each turn counts as work."""
        for item in iterable:
            self.tick()
            yield item

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        self.tick()
        ints = isinstance(left, int) and isinstance(right, int)
        if operator == "*":
            if ints:
                if left.bit_length() + right.bit_length() > _MAX_INT_BITS:
                    raise LimitError(f"'*' would make a number of more than {_MAX_INT_BITS:,} bits")
            elif isinstance(right, int) and _size(left) * max(right, 0) > MAX_VALUE_CHARS:
                raise LimitError(f"'*' would repeat a value past {MAX_VALUE_CHARS:,} characters")
            elif isinstance(left, int) and _size(right) * max(left, 0) > MAX_VALUE_CHARS:
                raise LimitError(f"'*' would repeat a value past {MAX_VALUE_CHARS:,} characters")
        elif operator == "**" and ints and right > 0 and max(left.bit_length(), 1) * right > _MAX_INT_BITS:
            raise LimitError(f"'**' would make a number of more than {_MAX_INT_BITS:,} bits")
        elif operator == "+" and not ints and _size(left) + _size(right) > MAX_VALUE_CHARS:
            raise LimitError(f"'+' would make a value longer than {MAX_VALUE_CHARS:,} characters")
        elif operator == "%" and isinstance(left, str):
            _check_format(left, "'%'")
        return _check_size(super().call_binop(context, operator, left, right), f"'{operator}'")

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        __self.tick()
        _precheck_method(__obj, args, kwargs)
        return _check_size(super().call(__context, __obj, *args, **kwargs), "a call")

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.tick()
        return super().getitem(obj, argument)

    def _limited(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        # a context, eval context or environment comes before the filter's own arguments
        skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0

        @functools.wraps(func)
        def limited(*args: Any, **kwargs: Any) -> Any:
            self.tick()
            data = args[skip:]
            _precheck_filter(name, data, kwargs)
            if name == "join" and data:  # size depends on the items: materialize (counted), then check
                items = list(self._counted(data[0]))
                sep = data[1] if len(data) > 1 else kwargs.get("d", "")
                if _size(items) + _size(sep) * len(items) > MAX_VALUE_CHARS:
                    raise LimitError(
                        f"filter 'join' would make text longer than {MAX_VALUE_CHARS:,} characters"
                    )
                args = (*args[:skip], items, *data[1:])
            return _check_size(func(*args, **kwargs), f"filter '{name}'")

        return limited


def _ints(args: Iterable[Any]) -> Iterator[int]:
    return (a for a in args if isinstance(a, int) and not isinstance(a, bool))


def _precheck_filter(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse filter calls whose result would be too large, before they run."""
    values = (*args, *kwargs.values())
    if any(abs(n) > MAX_VALUE_CHARS for n in _ints(values)):
        raise LimitError(f"filter '{name}': a number argument is larger than {MAX_VALUE_CHARS:,}")
    if not args:
        return
    text = args[0]
    if name == "replace" and len(args) >= 3 and isinstance(text, str):
        _check_replace(text, args[1], args[2], "filter 'replace'")
    elif name == "indent" and isinstance(text, str):
        width = args[1] if len(args) > 1 else kwargs.get("width", 4)
        width = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        if len(text) + (text.count("\n") + 1) * width > MAX_VALUE_CHARS:
            raise LimitError(f"filter 'indent' would make text longer than {MAX_VALUE_CHARS:,} characters")
    elif name == "format" and isinstance(text, str):
        _check_format(text, "filter 'format'")


def _check_replace(text: str, old: Any, new: Any, what: str) -> None:
    if isinstance(old, str) and isinstance(new, str):
        count = len(text) + 1 if not old else text.count(old)
        if len(text) + count * len(new) > MAX_VALUE_CHARS:
            raise LimitError(f"{what} would make text longer than {MAX_VALUE_CHARS:,} characters")


def _precheck_method(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Methods of text that can build large results from small arguments, checked before they run."""
    owner = getattr(obj, "__self__", None)
    if not isinstance(
        owner, str
    ):  # the sandbox wraps str.format; the wrapper keeps the method in __wrapped__
        owner = getattr(getattr(obj, "__wrapped__", None), "__self__", None)
    if not isinstance(owner, str):
        return
    name = getattr(obj, "__name__", "")
    if any(abs(n) > MAX_VALUE_CHARS for n in _ints((*args, *kwargs.values()))):
        raise LimitError(f"'{name}': a number argument is larger than {MAX_VALUE_CHARS:,}")
    if name == "replace" and len(args) >= 2:
        _check_replace(owner, args[0], args[1], "'replace'")
    elif name == "expandtabs":
        size = args[0] if args and isinstance(args[0], int) else 8
        if len(owner) + owner.count("\t") * size > MAX_VALUE_CHARS:
            raise LimitError(f"'expandtabs' would make text longer than {MAX_VALUE_CHARS:,} characters")
    elif name == "join" and args:
        if _size(args[0]) + len(owner) * _size(args[0]) > MAX_VALUE_CHARS:
            raise LimitError(f"'join' would make text longer than {MAX_VALUE_CHARS:,} characters")
    elif name in ("format", "format_map"):
        _check_format(owner, f"'{name}'", braces=True)


def is_template(value: Any) -> bool:
    return (
        isinstance(value, str)
        and not isinstance(value, UnsafeStr)
        and ("{{" in value or "{%" in value or "{#" in value)
    )


class RenderError(Exception):
    """One variable of one host cannot be rendered; only a problem where umcheck uses the value."""

    def __init__(
        self,
        var: str,
        origin: Origin | None,
        *,
        undefined: str | None = None,
        env: str | None = None,
        detail: str = "",
        via: tuple[str, ...] = (),
    ) -> None:
        self.var, self.origin, self.via = var, origin, via
        self.undefined, self.env, self.detail = undefined, env, detail
        super().__init__(self.describe())

    @property
    def unresolved(self) -> bool:
        """A value is merely missing (not wrong), so a password given on the command line may stand in."""
        return self.undefined is not None or self.env is not None

    def rebased(self, var: str) -> RenderError:
        """The same failure as seen from ``var``, whose template uses the variable that failed."""
        return RenderError(
            var,
            self.origin,
            undefined=self.undefined,
            env=self.env,
            detail=self.detail,
            via=(self.var, *self.via),
        )

    def describe(self, password: bool = False) -> str:
        """One line: what failed, where it was written and what to do (``password``: mention -k/--password-env)."""
        where = str(self.origin) if self.origin is not None else ""
        if self.via:
            # a long chain is shortened: the message stays one short line
            via = self.via if len(self.via) <= 5 else (*self.via[:2], "...", *self.via[-2:])
            where = " -> ".join(via) + (f" at {where}" if where else "")
            where = f"via {where}"
        where = f" ({where})" if where else ""
        alternative = " or give the password with --password-env NAME / -k" if password else ""
        if self.undefined is not None:
            return (
                f"{self.var} refers to undefined variable '{self.undefined}'{where}; pass -e {self.undefined}=..."
                f"{',' if password else ' or'} define it in the inventory (a vault-encrypted vars file for "
                f"secrets){alternative}"
            )
        if self.env is not None:
            fix = f"; set it{alternative}" if password else ""
            return f"{self.var} needs environment variable {self.env}, which is not set{where}{fix}"
        return f"{self.var} cannot be rendered{where}: {self.detail}"


class TemplateRenderer:
    """One bounded sandboxed Jinja2 environment and a cache of compiled templates."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ
        self.env = LimitedSandbox(
            undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
        )
        self.env.globals["lookup"] = self._lookup
        self.env.filters["bool"] = to_bool
        self._compile = lru_cache(maxsize=4096)(self._compile_uncached)
        self.memo: dict[tuple[Any, ...], Any] = {}  # costly renderings (and limit failures) by their inputs
        self.struck: dict[str, tuple[int, str]] = {}  # template -> (hosts it went over a limit for, why)

    def remember(self, key: tuple[Any, ...], outcome: Any) -> None:
        if len(self.memo) >= _MEMO_SIZE:
            self.memo.clear()
        self.memo[key] = outcome

    def _lookup(self, plugin: str, *terms: str, default: str | None = None, **_: Any) -> str:
        if plugin not in ("env", "ansible.builtin.env"):
            raise jinja2.TemplateError(
                f"lookup('{plugin}', ...) is not supported; only lookup('env', 'NAME')"
            )
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
        if len(source) > MAX_TEMPLATE_CHARS:
            raise LimitError(f"the template is longer than {MAX_TEMPLATE_CHARS:,} characters")
        ast = self.env.parse(source)
        for loop in ast.find_all(nodes.For):  # every loop turn counts as work
            loop.iter = nodes.Filter(loop.iter, _LOOP_FILTER, [], [], None, None, lineno=loop.lineno)
        return self.env.from_string(ast), frozenset(meta.find_undeclared_variables(ast))

    def compile(self, source: str) -> tuple[jinja2.Template, frozenset[str]]:
        """The compiled template and the names it refers to (cached: hosts share their templates)."""
        return self._compile(source)

    def render(self, template: jinja2.Template, context: dict[str, Any]) -> str:
        """Render with a fresh work budget, stopping as soon as the output passes the size limit."""
        self.env.start()
        out: list[str] = []
        size = 0
        for piece in template.root_render_func(template.new_context(context)):
            size += len(piece)
            if size > MAX_VALUE_CHARS:
                raise LimitError(f"the result would be longer than {MAX_VALUE_CHARS:,} characters")
            out.append(piece)
        return "".join(out)

    def host_vars(
        self, raw: Mapping[str, Any], origins: Mapping[str, Origin], magic: Mapping[str, Any]
    ) -> HostVars:
        return HostVars(self, raw, origins, magic)


_MEMO_WORK = 1000  # a rendering costlier than this is remembered for hosts with the same inputs
_MEMO_SIZE = 4096
_MISSING = object()
_MEMO_TYPES = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class _Costly:
    """A remembered limit failure (its one-line detail)."""

    detail: str


def _memo_key(source: str, context: Mapping[str, Any], refs: frozenset[str]) -> tuple[Any, ...] | None:
    """The template and the values it reads, when all are plain (else None: not remembered).

    Without it a template bomb in a group variable would cost its whole work budget once per host:
    bounded, but a thousand hosts times a second is a stalled inventory.
    """
    key: list[Any] = [source]
    for ref in sorted(refs):
        if ref in context:
            value = context[ref]
            if isinstance(value, jinja2.Undefined):
                key.append((ref, None, "undefined"))
            elif type(value) in _MEMO_TYPES:
                key.append((ref, type(value), value))
            else:
                return None
    return tuple(key)


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


_UNDEFINED_NAME = re.compile(r"'(.+)' is undefined")


class HostVars(Mapping[str, Any]):
    """One host's variables; each is rendered the first time it is read and then remembered.

    Reading raises ``RenderError`` when the value cannot be rendered for this host. Magic
    variables (``inventory_hostname`` ...) can be referred to but are not items.
    """

    def __init__(
        self,
        renderer: TemplateRenderer,
        raw: Mapping[str, Any],
        origins: Mapping[str, Origin],
        magic: Mapping[str, Any],
    ) -> None:
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
            cycle = " -> ".join([*self._active[self._active.index(name) :], name])
            raise self._error(name, detail=f"variables refer to each other in a loop: {cycle}")
        if len(self._active) >= MAX_INDIRECTION:
            raise self._error(
                name,
                detail=f"it is reached through more than {MAX_INDIRECTION} variables referring "
                "to each other; refer to the values more directly",
            )
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

    @property
    def names(self) -> Mapping[str, Any]:
        """The unrendered values: membership tests without a Python call per name."""
        return self._raw

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
        except LimitError as exc:
            raise self._error(name, detail=f"{exc}; simplify the template") from None
        except (RecursionError, MemoryError, SyntaxError, ValueError, TypeError, OverflowError):
            raise self._error(
                name, detail="the template is nested too deeply or too large to compile"
            ) from None
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
        struck = self._renderer.struck.get(value)
        if struck is not None and struck[0] >= MAX_STRIKES:
            raise self._error(name, detail=f"{struck[1]} (refused without trying after {MAX_STRIKES} hosts)")
        key = _memo_key(value, context, refs)
        remembered = self._renderer.memo.get(key, _MISSING) if key is not None else _MISSING
        if isinstance(remembered, _Costly):
            raise self._error(name, detail=remembered.detail)
        if remembered is not _MISSING:
            return remembered
        try:
            result = self._renderer.render(template, context)
        except LimitError as exc:
            raise self._costly(name, value, key, f"{exc}; simplify the template") from None
        except (RecursionError, MemoryError):
            raise self._costly(
                name, value, key, "the template recurses too deeply or needs too much memory; simplify it"
            ) from None
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
            raise self._error(name, detail=_one_line(str(exc))) from None
        except Exception as exc:  # noqa: BLE001 - whatever a template does wrong is this host's problem
            raise self._error(name, detail=_one_line(f"{type(exc).__name__}: {exc}")) from None
        if key is not None and self._renderer.env.work > _MEMO_WORK:
            self._renderer.remember(key, result)
        return result

    def _costly(self, name: str, source: str, key: tuple[Any, ...] | None, detail: str) -> RenderError:
        """A template that hit a limit: remembered, so the next host with the same inputs fails at once,
        and after ``MAX_STRIKES`` hosts (inputs differing, e.g. by ``inventory_hostname``) every host does."""
        if key is not None:
            self._renderer.remember(key, _Costly(detail))
        count = self._renderer.struck.get(source, (0, ""))[0]
        self._renderer.struck[source] = (count + 1, detail)
        return self._error(name, detail=detail)
