"""``ansible-inventory``-shaped output: the ``--list`` JSON and the ``--graph`` tree.

Same shape and values as Ansible's, so existing tooling and habits carry over: variables are
shown as written (templates unrendered, null as null, like ``ansible-inventory``), except that
secrets are masked by default. What umcheck will use is shown by ``inventory --connection``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from umcheck.inventory.model import Group, InventoryData
from umcheck.inventory.vault.plaintext import conceal
from umcheck.inventory.yaml_loader import UnsafeStr

if TYPE_CHECKING:
    from umcheck.inventory.inventory import Host

MASK = "********"
SECRET_WORDS = ("password", "pass", "secret", "token", "key_passphrase")


def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def mask_secrets(values: Any) -> Any:
    """Replace the value of every secret-looking key (at any depth) by ``********``."""
    if isinstance(values, dict):
        return {k: (MASK if isinstance(k, str) and is_secret_name(k) else mask_secrets(v)) for k, v in values.items()}
    if isinstance(values, list):
        return [mask_secrets(v) for v in values]
    return values


def mark_unsafe(value: Any) -> Any:
    """``!unsafe`` text as ``ansible-inventory --list`` shows it (``--host`` shows it plain)."""
    if isinstance(value, UnsafeStr):
        return {"__ansible_unsafe": str(value)}
    if isinstance(value, dict):
        return {k: mark_unsafe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mark_unsafe(v) for v in value]
    return value


def host_vars(host: Host, mask: bool, tag_unsafe: bool = True) -> dict[str, Any]:
    values = conceal(dict(host.vars))  # vaulted values never show, not even with mask=False
    values = mark_unsafe(values) if tag_unsafe else values
    return mask_secrets(values) if mask else values


def list_json(data: InventoryData, hosts: Iterable[Host], mask: bool) -> dict[str, Any]:
    """The ``ansible-inventory --list`` document for ``hosts`` (serialize with sort_keys=True)."""
    hosts = list(hosts)
    available = {h.name for h in hosts}
    seen: set[str] = set()
    result: dict[str, Any] = {}

    def add(group: Group) -> None:
        entry: dict[str, Any] = {}
        if group.name != "all":
            members = [h.name for h in group.hosts if h.name in available]
            if members:
                entry["hosts"] = members
        if group.children:
            entry["children"] = [c.name for c in group.children]
        for child in group.children:
            if child.name not in seen:
                seen.add(child.name)
                add(child)
        if entry:
            result[group.name] = entry

    add(data.groups["all"])
    result["_meta"] = {"hostvars": {h.name: host_vars(h, mask) for h in hosts if h.vars}}
    return result


def graph(data: InventoryData, group: str, only: set[str] | None) -> str:
    """The ``ansible-inventory --graph`` tree: child groups first, then the group's own hosts."""
    lines: list[str] = []

    def name(text: str, depth: int) -> str:
        return "  |" * depth + "--" + text if depth else text

    def walk(g: Group, depth: int) -> None:
        lines.append(name(f"@{g.name}:", depth))
        for child in g.children:
            walk(child, depth + 1)
        if g.name != "all":
            for h in g.hosts:
                if only is None or h.name in only:
                    lines.append(name(h.name, depth + 1))

    walk(data.groups[group], 0)
    return "\n".join(lines)
