"""``ansible-inventory``-shaped output: the ``--list`` JSON and the ``--graph`` tree.

Same shape and values as Ansible's, so existing tooling and habits carry over: variables are
shown as written (templates unrendered, null as null, like ``ansible-inventory``), except that
secrets are masked by default. A value is a secret when its name says so (``SECRET_WORDS``, or a
``pw``/``pwd`` word as in ``ansible_become_pw``), when it contains a lookup (its result is never
known here, and an environment lookup is where passwords come from), or when a secret's template
refers to it, directly or through other variables (``ansible_password: "{{ admin_pw }}"``).
What umcheck will use is shown by ``inventory --connection``. Group graphs are walked iteratively.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from umcheck.errors import UsageError
from umcheck.inventory.model import Group, InventoryData
from umcheck.inventory.vault.plaintext import conceal
from umcheck.inventory.yaml_loader import UnsafeStr

if TYPE_CHECKING:
    from umcheck.inventory.inventory import Host

MASK = "********"
SECRET_WORDS = ("password", "pass", "secret", "token", "key_passphrase", "credential")
_SECRET_PARTS = {"pw", "pwd", "pin", "psk"}  # whole words of a name (``ansible_become_pw``), not substrings
_NAME_PARTS = re.compile(r"[^a-z0-9]+")
_TEMPLATE_CODE = re.compile(r"\{\{.*?(?:\}\}|$)|\{%.*?(?:%\}|$)", re.DOTALL)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LOOKUP = re.compile(r"\b(?:lookup|query|q)\s*\(")
# --graph repeats shared subtrees: a lattice of groups could print 2**depth lines
MAX_GRAPH_LINES = 1_000_000
MAX_GRAPH_CHARS = 64 << 20


@functools.lru_cache(maxsize=65536)  # the same few names recur on every host
def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS) or not _SECRET_PARTS.isdisjoint(
        _NAME_PARTS.split(lowered)
    )


def mask_secrets(values: Any) -> Any:
    """Replace the value of every secret-looking key (at any depth) by ``********``."""
    if isinstance(values, dict):
        return {
            k: (MASK if isinstance(k, str) and is_secret_name(k) else mask_secrets(v))
            for k, v in values.items()
        }
    if isinstance(values, list):
        return [mask_secrets(v) for v in values]
    return values


def _template_code(value: Any) -> list[str]:
    """The ``{{ }}``/``{% %}`` parts of every template string inside ``value`` (walked iteratively)."""
    code: list[str] = []
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
        elif isinstance(item, str) and not isinstance(item, UnsafeStr) and ("{{" in item or "{%" in item):
            code.extend(_TEMPLATE_CODE.findall(item))
    return code


def secret_names(values: dict[str, Any]) -> set[str]:
    """Top-level names to mask: secret by name, holding a lookup, or feeding a secret's template.

    References are read from the template text (every identifier inside ``{{ }}``/``{% %}``), so a
    template with a syntax error still masks what it names; masking a little too much is the safe side.
    """
    code = {name: _template_code(value) for name, value in values.items()}
    secret = {n for n in values if is_secret_name(n) or any(_LOOKUP.search(c) for c in code[n])}
    todo = list(secret)
    while todo:
        for part in code[todo.pop()]:
            for ref in _IDENTIFIER.findall(part):
                if ref in values and ref not in secret:
                    secret.add(ref)
                    todo.append(ref)
    return secret


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
    hidden = secret_names(values) if mask else set()
    values = mark_unsafe(values) if tag_unsafe else values
    if not mask:
        return values
    return {k: MASK if k in hidden else mask_secrets(v) for k, v in values.items()}


def list_json(data: InventoryData, hosts: Iterable[Host], mask: bool) -> dict[str, Any]:
    """The ``ansible-inventory --list`` document for ``hosts`` (serialize with sort_keys=True)."""
    hosts = list(hosts)
    available = {h.name for h in hosts}
    seen: set[str] = set()
    result: dict[str, Any] = {}

    todo = [data.groups["all"]]
    while todo:  # iterative: the depth of the group graph costs no Python stack
        group = todo.pop()
        entry: dict[str, Any] = {}
        if group.name != "all":
            members = [h.name for h in group.hosts if h.name in available]
            if members:
                entry["hosts"] = members
        if group.children:
            entry["children"] = [c.name for c in group.children]
        for child in reversed(group.children):
            if child.name not in seen:
                seen.add(child.name)
                todo.append(child)
        if entry:
            result[group.name] = entry
    result["_meta"] = {"hostvars": {h.name: host_vars(h, mask) for h in hosts if h.vars}}
    return result


def graph(data: InventoryData, group: str, only: set[str] | None) -> str:
    """The ``ansible-inventory --graph`` tree: child groups first, then the group's own hosts."""
    lines: list[str] = []

    size = 0

    def emit(text: str, depth: int) -> None:
        nonlocal size
        line = "  |" * depth + "--" + text if depth else text
        size += len(line) + 1
        if len(lines) >= MAX_GRAPH_LINES or size > MAX_GRAPH_CHARS:
            raise UsageError(
                f"the graph of '{group}' is longer than {MAX_GRAPH_LINES:,} lines or {MAX_GRAPH_CHARS >> 20} MiB "
                "(groups shared by many parents repeat); use --list or graph a smaller group"
            )
        lines.append(line)

    # A group's line, its child groups (depth-first), then its own hosts - on an explicit stack.
    root = data.groups[group]
    emit(f"@{root.name}:", 0)
    stack: list[tuple[Group, int, Iterator[Group]]] = [(root, 0, iter(root.children))]
    while stack:
        g, depth, children = stack[-1]
        child = next(children, None)
        if child is not None:
            emit(f"@{child.name}:", depth + 1)
            stack.append((child, depth + 1, iter(child.children)))
            continue
        stack.pop()
        if g.name != "all":
            for h in g.hosts:
                if only is None or h.name in only:
                    emit(h.name, depth + 1)
    return "\n".join(lines)
