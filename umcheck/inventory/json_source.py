"""``ansible-inventory --list`` JSON: saved files, and what dynamic inventories print.

The shape is Ansible's inventory-script protocol: every top-level key except ``_meta`` is a group
with ``hosts`` and ``children`` (lists of names) and ``vars``; ``_meta.hostvars`` maps hosts to
their variables. Values are kept as Ansible printed them (templates unrendered), except that its
wrapper for text it does not trust, ``{"__ansible_unsafe": "..."}``, becomes ``UnsafeStr`` so
umcheck does not render it either, and vault ciphertext (``{"__ansible_vault": "..."}``) is
decrypted like a ``!vault`` value. A variable already holding the same value keeps its origin:
a ``constructed`` run repeats the sources read before it, and errors should still point there.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from umcheck.errors import InputError
from umcheck.inventory.model import CycleError, InventoryData, Origin, VarLayer
from umcheck.inventory.yaml_loader import MAX_YAML_DEPTH, UnsafeStr

if TYPE_CHECKING:
    from umcheck.inventory.vault import VaultSecrets

log = logging.getLogger("umcheck.inventory")

MAX_HOSTS = 200_000
_SECTIONS = ("hosts", "children", "vars")
_UNSAFE, _VAULT = "__ansible_unsafe", "__ansible_vault"


def looks_like_list_json(doc: Any) -> bool:
    """True for ``ansible-inventory --list`` output (lists of hosts), not a YAML-format inventory."""
    if not isinstance(doc, dict):
        return False
    if "_meta" in doc:
        return True
    return any(
        isinstance(body, dict)
        and (isinstance(body.get("hosts"), list) or isinstance(body.get("children"), list))
        for body in doc.values()
    )


class _Decoder:
    """Undo Ansible's JSON wrappers (at any depth) for values read from ``path``."""

    def __init__(self, path: str, vault: VaultSecrets | None) -> None:
        self.path = path
        self.vault = vault

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1 and isinstance(value.get(_UNSAFE), str):
                return UnsafeStr(value[_UNSAFE])
            if len(value) == 1 and isinstance(value.get(_VAULT), str):
                from umcheck.inventory.vault.decrypt import decrypt_value  # only when there is vault data

                return decrypt_value(value[_VAULT], self.vault, self.path, None)
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        return value


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", type(None): "null"}.get(
        type(value), type(value).__name__
    )


class ListJsonReader:
    """Adds one ``--list`` document to an ``InventoryData``; ``path`` is the source it came from."""

    def __init__(self, data: InventoryData, path: str, vault: VaultSecrets | None = None) -> None:
        self.data = data
        self.path = path
        self.origin = Origin(path)
        self.decode = _Decoder(path, vault)

    def error(self, message: str) -> InputError:
        return InputError(message, path=self.path)

    def read(self, doc: Any) -> None:
        if not isinstance(doc, dict):
            raise self.error(f"ansible-inventory JSON must be an object of groups, not {_kind(doc)}")
        if _depth_exceeds(doc, MAX_YAML_DEPTH):  # values are walked recursively later (masking, rendering)
            raise self.error(f"JSON nested more than {MAX_YAML_DEPTH} levels deep; flatten it")
        meta = doc.get("_meta", {})
        if not isinstance(meta, dict):
            raise self.error(f"'_meta' must be an object, not {_kind(meta)}")
        hostvars = meta.get("hostvars")
        hostvars = {} if hostvars is None else hostvars
        if not isinstance(hostvars, dict):
            raise self.error(f"'_meta.hostvars' must be an object, not {_kind(hostvars)}")
        groups = {name: body for name, body in doc.items() if name != "_meta"}
        for name, body in groups.items():
            self._check_group(name, body)
        hosts = {h for body in groups.values() if body for h in body.get("hosts") or ()}
        if len(hosts) > MAX_HOSTS:
            raise self.error(
                f"{len(hosts)} hosts is more than umcheck reads from one source ({MAX_HOSTS}); "
                "split the inventory"
            )
        for name in self._tree_order(groups):
            self._group(name, groups[name] or {})
        for host, values in hostvars.items():
            self._host_vars(host, values)

    def _check_group(self, name: Any, body: Any) -> None:
        if not isinstance(name, str) or not name:
            raise self.error(f"group name {name!r} must be a non-empty string")
        if body is None:
            return
        if not isinstance(body, dict):
            raise self.error(f"group '{name}' must be an object with hosts/children/vars, not {_kind(body)}")
        for key in body:
            if key not in _SECTIONS:
                log.warning(
                    "%s: ignoring key '%s' in group '%s' (only hosts, children and vars are used)",
                    self.path,
                    key,
                    name,
                )
        for key in ("hosts", "children"):
            names = body.get(key)
            if names is None:
                continue
            if not isinstance(names, list):
                raise self.error(f"'{key}' of group '{name}' must be a list of names, not {_kind(names)}")
            for item in names:
                if not isinstance(item, str) or not item:
                    raise self.error(
                        f"'{key}' of group '{name}' holds {item!r}; names must be non-empty strings"
                    )
        if not isinstance(body.get("vars") or {}, dict):
            raise self.error(f"'vars' of group '{name}' must be an object, not {_kind(body['vars'])}")

    @staticmethod
    def _tree_order(groups: dict[str, Any]) -> list[str]:
        """Groups as Ansible lists them from ``all`` down (the JSON keys are sorted), then the rest.

        Depth-first pre-order on an explicit stack: a deep ``children`` chain costs no Python stack.
        """
        order: dict[str, None] = {}
        for start in ("all", *groups):
            stack = [start]
            while stack:
                name = stack.pop()
                if name in order or name not in groups:
                    continue
                order[name] = None
                stack.extend(reversed((groups[name] or {}).get("children") or ()))
        return list(order)

    def _group(self, name: str, body: dict[str, Any]) -> None:
        self.data.add_group(name, self.origin)
        for host in body.get("hosts") or ():
            self.data.add_host(host, name, self.origin)
        for var, value in (body.get("vars") or {}).items():
            value = self.decode(value)
            if var == "ansible_group_priority" or not _same(self.data.groups[name].vars, var, value):
                try:
                    self.data.set_group_var(name, var, value, self.origin)
                except ValueError as exc:
                    raise self.error(f"group '{name}': {exc}") from None
        for child in body.get("children") or ():
            self.data.add_group(child, self.origin)
            try:
                self.data.add_child(name, child)
            except CycleError as exc:
                raise self.error(str(exc)) from None

    def _host_vars(self, host: str, values: Any) -> None:
        if values is None:
            return
        if not isinstance(values, dict):
            raise self.error(f"'_meta.hostvars' of host '{host}' must be an object, not {_kind(values)}")
        entry = self.data.hosts.get(host)
        if entry is None:  # Ansible ignores them too: a host exists only through a group
            log.warning("%s: ignoring variables of host '%s', which is in no group", self.path, host)
            return
        for var, value in values.items():
            value = self.decode(value)
            if not _same(entry.vars, var, value):
                entry.vars.set(var, value, self.origin)


def _depth_exceeds(doc: Any, limit: int) -> bool:
    todo = [(doc, 1)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, (dict, list)):
            if depth > limit:
                return True
            todo.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return False


def _same(layer: VarLayer, key: str, value: Any) -> bool:
    if key not in layer.values:
        return False
    old = layer.values[key]
    return old == value and isinstance(old, UnsafeStr) == isinstance(value, UnsafeStr)
