"""YAML inventory files (Ansible's ``yaml`` inventory format).

Every top-level key is a group; inside a group only ``hosts``, ``children`` and ``vars`` mean
something, each a mapping, null, or a single string. Where Ansible merely warns and goes on
(a list where a mapping belongs, a non-string host key) umcheck stops with file:line, because a
half-read inventory would silently scan the wrong hosts.
"""

from __future__ import annotations

import logging
from typing import Any

from umcheck.errors import InputError
from umcheck.inventory.model import CycleError, InventoryData, Origin
from umcheck.inventory.ranges import RangeError, expand_host_pattern
from umcheck.inventory.yaml_loader import MarkedDict

log = logging.getLogger("umcheck.inventory")

_SECTIONS = ("hosts", "children", "vars")


def _line(container: Any, key: Any) -> int | None:
    return container.line_of(key) if isinstance(container, MarkedDict) else None


def is_plugin_config(data: Any) -> bool:
    return isinstance(data, dict) and bool(data.get("plugin"))


class YamlInventoryReader:
    """Adds one parsed YAML document to an ``InventoryData``."""

    def __init__(self, data: InventoryData, path: str) -> None:
        self.data = data
        self.path = path

    def error(self, message: str, line: int | None) -> InputError:
        return InputError(message, path=self.path, line=line)

    def read(self, doc: Any) -> None:
        if doc is None:
            raise self.error("empty YAML inventory", 1)
        if not isinstance(doc, dict):
            raise self.error(f"a YAML inventory must be a mapping of groups, not {type(doc).__name__}", 1)
        if is_plugin_config(doc):
            raise self.error("dynamic inventory plugin configs are not supported; save the output of "
                             "'ansible-inventory -i THIS --list -y' to a file and use that", _line(doc, "plugin"))
        for name, body in doc.items():
            self._group(name, body, _line(doc, name))

    def _group(self, name: Any, body: Any, line: int | None) -> str:
        if not isinstance(name, str) or not name:
            raise self.error(f"group name {name!r} must be a non-empty string", line)
        if body is not None and not isinstance(body, dict):
            raise self.error(f"group '{name}' must be a mapping with hosts/children/vars, "
                             f"not {type(body).__name__}", line)
        self.data.add_group(name, Origin(self.path, line))
        if not body:
            return name
        for key, value in body.items():
            key_line = _line(body, key)
            if key not in _SECTIONS:
                log.warning("%s:%s: ignoring key '%s' in group '%s' (only hosts, children and vars are "
                            "used)", self.path, key_line, key, name)
                continue
            if isinstance(value, str):
                value = {value: None}
            if value is None:
                continue
            if not isinstance(value, dict):
                raise self.error(f"'{key}' of group '{name}' must be a mapping, not {type(value).__name__}",
                                 key_line)
            if key == "vars":
                for var, val in value.items():
                    self._set_group_var(name, var, val, _line(value, var))
            elif key == "children":
                for child, child_body in value.items():
                    child_line = _line(value, child)
                    child_name = self._group(child, child_body, child_line)
                    try:
                        self.data.add_child(name, child_name)
                    except CycleError as exc:
                        raise self.error(str(exc), child_line) from None
            else:
                for pattern, host_vars in value.items():
                    self._hosts(name, pattern, host_vars, _line(value, pattern))
        return name

    def _set_group_var(self, group: str, var: Any, value: Any, line: int | None) -> None:
        if not isinstance(var, str):
            raise self.error(f"variable name {var!r} in group '{group}' must be a string", line)
        try:
            self.data.set_group_var(group, var, value, Origin(self.path, line))
        except ValueError as exc:
            raise self.error(str(exc), line) from None

    def _hosts(self, group: str, pattern: Any, host_vars: Any, line: int | None) -> None:
        if not isinstance(pattern, str):
            raise self.error(f"host name {pattern!r} in group '{group}' must be a string "
                             "(quote numbers such as IP fragments)", line)
        if host_vars is not None and not isinstance(host_vars, dict):
            raise self.error(f"host '{pattern}' must map to variables (a mapping) or nothing, "
                             f"not {type(host_vars).__name__}", line)
        try:
            names, port = expand_host_pattern(pattern)
        except RangeError as exc:
            raise self.error(str(exc), line) from None
        for host_name in names:
            host = self.data.add_host(host_name, group, Origin(self.path, line), port)
            for var, value in (host_vars or {}).items():
                var_line = _line(host_vars, var)
                if not isinstance(var, str):
                    raise self.error(f"variable name {var!r} of host '{host_name}' must be a string", var_line)
                host.vars.set(var, value, Origin(self.path, var_line))
