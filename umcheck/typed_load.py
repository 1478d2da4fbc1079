"""Build frozen dataclasses from untrusted JSON, field by field.

Collector output comes from hosts we do not control. Instead of trusting it we walk the
target dataclass's type hints and check every value: wrong types raise ``ShapeError`` with
the JSON path, oversized strings and lists are cut to a cap (a hostile host cannot make the
controller hold gigabytes per host), and unknown keys are ignored (a newer collector may
report more than this controller knows).

The type walk is done once per type: ``_converter`` compiles a type into a small function and
caches it, since a 1000-host scan converts the same few dozen types tens of thousands of times.
Each compiled function also holds the converters of its parts (looking them up per value hashed
typing objects per value, which cost more than the conversion). ``dump`` is compiled per class in the same way.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")

MAX_STR = 4096
MAX_LIST = 512
MAX_DICT = 256

Converter = Callable[[Any, str], Any]


class ShapeError(ValueError):
    """A value does not have the type the contract names; ``path`` says where."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path


def describe(value: Any) -> str:
    """The type of a JSON value, for "expected X, got Y" messages."""
    return "null" if value is None else type(value).__name__


_describe = describe


def _key(key: Any) -> str:
    """An object key as part of a path: host-chosen, so kept short and printable (repr if not)."""
    text = str(key)
    return text if len(text) <= 64 and text.isprintable() and "." not in text else repr(text)[:64]


def load(tp: Any, value: Any, path: str = "$", *, capped: bool = True) -> Any:
    """Convert ``value`` to type ``tp`` or raise ShapeError naming ``path``.

    ``capped`` cuts strings, lists and objects to the MAX_* sizes: right for what a host sends,
    wrong for umcheck's own records (a 1000-host run must read back with 1000 hosts).
    """
    return _converter(tp, capped)(value, path)


def load_dataclass(cls: type[T], value: Any, path: str = "$", *, capped: bool = True) -> T:
    """Build dataclass ``cls`` from a JSON object; missing fields take their defaults."""
    return _converter(cls, capped)(value, path)


# -- compiling a type into a converter ---------------------------------------------------------


_BUILDING: set[tuple[Any, bool]] = set()  # types whose converter is being compiled right now


@cache
def _converter(tp: Any, capped: bool = True) -> Converter:
    _BUILDING.add((tp, capped))
    try:
        return _compile(tp, capped)
    finally:
        _BUILDING.discard((tp, capped))


def _compile(tp: Any, capped: bool) -> Converter:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _union(typing.get_args(tp), capped)
    if origin is typing.Literal:
        return _literal(typing.get_args(tp))
    if origin is list:
        return _list(typing.get_args(tp)[0], capped)
    if origin is dict:
        return _dict(typing.get_args(tp)[1], capped)
    if dataclasses.is_dataclass(tp):
        return _dataclass(tp, capped)
    if tp is str and not capped:
        return _str_uncapped
    simple = _SIMPLE.get(tp)
    if simple is None:
        raise TypeError(f"unsupported contract type {tp!r}")  # a bug in our model, not in the input
    return simple


def _part(tp: Any, capped: bool) -> Converter:
    """The converter of a part of a type, resolved now; lazily (on first use) only for a type
    that contains itself, whose converter is not finished yet."""
    if (tp, capped) not in _BUILDING:
        return _converter(tp, capped)
    resolved: Converter | None = None

    def convert(value: Any, path: str) -> Any:
        nonlocal resolved
        if resolved is None:
            resolved = _converter(tp, capped)
        return resolved(value, path)

    return convert


def _union(args: tuple[Any, ...], capped: bool) -> Converter:
    nullable = type(None) in args
    options = [_part(a, capped) for a in args if a is not type(None)]

    def convert(value: Any, path: str) -> Any:
        if value is None and nullable:
            return None
        first: ShapeError | None = None
        for option in options:
            try:
                return option(value, path)
            except ShapeError as exc:
                first = first or exc
        raise first or ShapeError(path, "no matching type")

    return convert


def _literal(allowed: tuple[Any, ...]) -> Converter:
    def convert(value: Any, path: str) -> Any:
        if value in allowed:
            return value
        raise ShapeError(path, f"expected one of {list(allowed)}, got {value!r:.60}")

    return convert


def _list(item_tp: Any, capped: bool) -> Converter:
    limit = MAX_LIST if capped else None
    item = _part(item_tp, capped)

    def convert(value: Any, path: str) -> Any:
        if not isinstance(value, list):
            raise ShapeError(path, f"expected a list, got {_describe(value)}")
        return [item(v, f"{path}[{i}]") for i, v in enumerate(value[:limit])]

    return convert


def _dict(item_tp: Any, capped: bool) -> Converter:
    item = _part(item_tp, capped)

    def convert(value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise ShapeError(path, f"expected an object, got {_describe(value)}")
        out = {}
        for i, (k, v) in enumerate(value.items()):
            if capped and i >= MAX_DICT:
                break
            out[str(k)[:MAX_STR] if capped else str(k)] = item(v, f"{path}.{_key(k)}")
        return out

    return convert


def _dataclass(cls: type, capped: bool) -> Converter:
    hints = typing.get_type_hints(cls)
    spec = [
        (f.name, _part(hints[f.name], capped),
         f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
        for f in dataclasses.fields(cls)
    ]  # fmt: skip

    def convert(value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise ShapeError(path, f"expected an object, got {_describe(value)}")
        kwargs = {}
        for name, field_convert, required in spec:
            if name in value:
                kwargs[name] = field_convert(value[name], f"{path}.{name}")
            elif required:
                raise ShapeError(f"{path}.{name}", "missing")
        return cls(**kwargs)

    return convert


def _bool(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ShapeError(path, f"expected true/false, got {_describe(value)}")


def _int(value: Any, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ShapeError(path, f"expected an integer, got {_describe(value)}")


def _float(value: Any, path: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise ShapeError(path, f"expected a number, got {_describe(value)}")


def _str(value: Any, path: str) -> str:
    if isinstance(value, str):
        return value if len(value) <= MAX_STR else value[:MAX_STR] + "…[truncated]"
    raise ShapeError(path, f"expected a string, got {_describe(value)}")


def _str_uncapped(value: Any, path: str) -> str:
    if isinstance(value, str):
        return value
    raise ShapeError(path, f"expected a string, got {_describe(value)}")


_SIMPLE: dict[Any, Converter] = {bool: _bool, int: _int, float: _float, str: _str, Any: lambda v, _p: v}


# -- the other direction -----------------------------------------------------------------------


_PLAIN = frozenset({str, int, float, bool, type(None)})
_Dumper = Callable[[Any], Any]
_DUMPERS: dict[type, _Dumper] = {}


def dump(obj: Any) -> Any:
    """The JSON form of a contract value (inverse of ``load``)."""
    cls = type(obj)
    if cls in _PLAIN:
        return obj
    dumper = _DUMPERS.get(cls)
    if dumper is None:
        dumper = _DUMPERS.setdefault(cls, _dumper_for(cls))
    return dumper(obj)


def _dumper_for(cls: type) -> _Dumper:
    """How to dump one class: dataclasses field by field, lists/tuples and dicts item by item,
    anything else (enums, plain values' subclasses) as it is. Plain values are kept inline,
    without a call per value: a host result holds hundreds of them."""
    plain = _PLAIN
    if dataclasses.is_dataclass(cls):
        names = tuple(f.name for f in dataclasses.fields(cls))

        def dump_dataclass(obj: Any) -> dict[str, Any]:
            out = {}
            for name in names:
                v = getattr(obj, name)
                out[name] = v if type(v) in plain else dump(v)
            return out

        return dump_dataclass
    if issubclass(cls, list | tuple):
        return lambda obj: [v if type(v) in plain else dump(v) for v in obj]
    if issubclass(cls, dict):
        return lambda obj: {k: v if type(v) in plain else dump(v) for k, v in obj.items()}
    return lambda obj: obj
