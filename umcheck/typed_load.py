"""Build frozen dataclasses from untrusted JSON, field by field.

Collector output comes from hosts we do not control. Instead of trusting it we walk the
target dataclass's type hints and check every value: wrong types raise ``ShapeError`` with
the JSON path, oversized strings and lists are cut to a cap (a hostile host cannot make the
controller hold gigabytes per host), and unknown keys are ignored (a newer collector may
report more than this controller knows).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")

MAX_STR = 4096
MAX_LIST = 512
MAX_DICT = 256


class ShapeError(ValueError):
    """A value does not have the type the contract names; ``path`` says where."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _describe(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def load(tp: Any, value: Any, path: str = "$") -> Any:
    """Convert ``value`` to type ``tp`` or raise ShapeError naming ``path``."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return load(arg, value, path)
            except ShapeError as exc:
                errors.append(exc)
        raise errors[0] if errors else ShapeError(path, "no matching type")
    if origin is typing.Literal:
        if value in typing.get_args(tp):
            return value
        raise ShapeError(path, f"expected one of {list(typing.get_args(tp))}, got {value!r:.60}")
    if origin is list:
        if not isinstance(value, list):
            raise ShapeError(path, f"expected a list, got {_describe(value)}")
        (item,) = typing.get_args(tp)
        return [load(item, v, f"{path}[{i}]") for i, v in enumerate(value[:MAX_LIST])]
    if origin is dict:
        if not isinstance(value, dict):
            raise ShapeError(path, f"expected an object, got {_describe(value)}")
        _key, item = typing.get_args(tp)
        out = {}
        for i, (k, v) in enumerate(value.items()):
            if i >= MAX_DICT:
                break
            out[str(k)[:MAX_STR]] = load(item, v, f"{path}.{k}")
        return out
    if dataclasses.is_dataclass(tp):
        return load_dataclass(tp, value, path)
    if tp is Any:
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ShapeError(path, f"expected true/false, got {_describe(value)}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ShapeError(path, f"expected an integer, got {_describe(value)}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ShapeError(path, f"expected a number, got {_describe(value)}")
    if tp is str:
        if isinstance(value, str):
            return value if len(value) <= MAX_STR else value[:MAX_STR] + "…[truncated]"
        raise ShapeError(path, f"expected a string, got {_describe(value)}")
    raise TypeError(f"unsupported contract type {tp!r} at {path}")  # a bug in our model


def load_dataclass(cls: type[T], value: Any, path: str = "$") -> T:
    """Build dataclass ``cls`` from a JSON object; missing fields take their defaults."""
    if not isinstance(value, dict):
        raise ShapeError(path, f"expected an object, got {_describe(value)}")
    hints = _hints(cls)
    kwargs = {}
    for field in dataclasses.fields(cls):
        if field.name in value:
            kwargs[field.name] = load(hints[field.name], value[field.name], f"{path}.{field.name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ShapeError(f"{path}.{field.name}", "missing")
    return cls(**kwargs)


def dump(obj: Any) -> Any:
    """The JSON form of a contract value (inverse of ``load``)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: dump(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [dump(v) for v in obj]
    if isinstance(obj, dict):
        return {k: dump(v) for k, v in obj.items()}
    return obj
