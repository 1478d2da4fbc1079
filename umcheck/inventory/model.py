"""The mutable inventory being built while sources are read.

Mirrors Ansible's data model: ``all`` and ``ungrouped`` always exist, a host is one object per
name whatever the number of mentions, groups form a DAG (a cycle is an error), and after all
sources are read ``reconcile`` hangs parent-less groups under ``all`` and group-less hosts under
``ungrouped``. Every variable remembers where it was written (``Origin``) so later validation
errors can point at the right file and line. The frozen public objects are built from this in
``inventory.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from umcheck.errors import InputError

# Limits that keep hostile or mistaken inventories from exhausting the machine (docs/inventory.md).
MAX_GROUP_DEPTH = 1000  # levels of child groups below 'all'
MAX_HOST_MENTIONS = 1_000_000  # host entries read from all sources, range expansions included


@dataclass(frozen=True)
class Origin:
    """Where a value was written: used in every error message."""

    path: str | None
    line: int | None = None

    def __str__(self) -> str:
        if self.path is None:
            return "<command line>"
        return f"{self.path}:{self.line}" if self.line is not None else self.path


class CycleError(ValueError):
    """Adding a child group would make the group graph cyclic."""


def group_error(group: Group, message: str) -> InputError:
    """One line naming the file and line where ``group`` was first written."""
    return InputError(message, path=group.origin.path, line=group.origin.line)


@dataclass
class VarLayer:
    """Variables plus the origin of each one (whole values; later sets replace earlier ones)."""

    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)

    def set(self, key: str, value: Any, origin: Origin) -> None:
        self.values[key] = value
        self.origins[key] = origin

    def update(self, other: VarLayer) -> None:
        self.values.update(other.values)
        self.origins.update(other.origins)


@dataclass(eq=False)
class Group:
    name: str
    origin: Origin
    vars: VarLayer = field(default_factory=VarLayer)
    children: list[Group] = field(default_factory=list)
    parents: list[Group] = field(default_factory=list)
    hosts: list[HostEntry] = field(default_factory=list)
    priority: int = 1
    # membership sets beside the ordered lists: checks stay O(1), so loading stays linear
    child_names: set[str] = field(default_factory=set, repr=False)
    host_names: set[str] = field(default_factory=set, repr=False)

    def ancestors(self) -> set[str]:
        seen: set[str] = set()
        todo = list(self.parents)
        while todo:
            g = todo.pop()
            if g.name not in seen:
                seen.add(g.name)
                todo.extend(g.parents)
        return seen

    def descendants_ordered(self) -> list[Group]:
        """Self, direct children, then deeper levels breadth-first (Ansible's host order)."""
        ordered: list[Group] = [self]
        seen = {self.name}
        level = [self]
        while level:
            nxt: list[Group] = []
            for g in level:
                for child in g.children:
                    if child.name not in seen:
                        seen.add(child.name)
                        ordered.append(child)
                        nxt.append(child)
            level = nxt
        return ordered

    def all_hosts(self) -> list[HostEntry]:
        """Own hosts first, then those of descendant groups, without duplicates."""
        result: list[HostEntry] = []
        seen: set[str] = set()
        for g in self.descendants_ordered():
            for h in g.hosts:
                if h.name not in seen:
                    seen.add(h.name)
                    result.append(h)
        return result


@dataclass(eq=False)
class HostEntry:
    name: str
    origin: Origin
    vars: VarLayer = field(default_factory=VarLayer)
    groups: list[Group] = field(default_factory=list)  # direct memberships


class InventoryData:
    """Groups and hosts in creation order, plus the relations between them."""

    def __init__(self) -> None:
        self.groups: dict[str, Group] = {}
        self.hosts: dict[str, HostEntry] = {}
        self.mentions = 0  # add_host calls, bounded by MAX_HOST_MENTIONS
        self.add_group("all", Origin(None))
        self.add_group("ungrouped", Origin(None))
        self.add_child("all", "ungrouped")

    def add_group(self, name: str, origin: Origin) -> Group:
        group = self.groups.get(name)
        if group is None:
            group = self.groups[name] = Group(name, origin)
        return group

    def add_host(self, name: str, group: str, origin: Origin, port: int | None = None) -> HostEntry:
        self.mentions += 1
        if self.mentions > MAX_HOST_MENTIONS:
            raise InputError(
                f"more than {MAX_HOST_MENTIONS:,} host entries (ranges expanded); split the inventory "
                "or use smaller ranges",
                path=origin.path,
                line=origin.line,
            )
        host = self.hosts.get(name)
        if host is None:
            host = self.hosts[name] = HostEntry(name, origin)
            if port is not None:  # like Ansible, only the first mention's port counts
                host.vars.set("ansible_port", port, origin)
        g = self.groups[group]
        if name not in g.host_names:
            g.host_names.add(name)
            g.hosts.append(host)
            host.groups.append(g)
        return host

    def add_child(self, parent: str, child: str) -> None:
        p, c = self.groups[parent], self.groups[child]
        if child in p.child_names:
            return
        if p is c or (c.children and child in p.ancestors()):  # a group without children closes no cycle
            raise CycleError(f"making group '{child}' a child of '{parent}' creates a cycle")
        p.child_names.add(child)
        p.children.append(c)
        c.parents.append(p)

    def set_group_var(self, group: str, key: str, value: Any, origin: Origin) -> None:
        g = self.groups[group]
        if key == "ansible_group_priority":  # a group property, not a variable (as in Ansible)
            try:
                g.priority = int(value)
            except (TypeError, ValueError):
                raise ValueError(f"ansible_group_priority must be an integer, got {value!r}") from None
            return
        g.vars.set(key, value, origin)

    def reconcile(self) -> None:
        """Apply Ansible's post-load rules for ``all`` and ``ungrouped``."""
        all_group, ungrouped = self.groups["all"], self.groups["ungrouped"]
        for g in list(self.groups.values()):
            if g is not all_group and not g.parents:
                self.add_child("all", g.name)
        dropped: set[str] = set()
        for h in self.hosts.values():
            real = [g for g in h.groups if g is not all_group and g is not ungrouped]
            if h.name in ungrouped.host_names and real:
                dropped.add(h.name)
                h.groups.remove(ungrouped)
            elif not real and h.name not in ungrouped.host_names:
                ungrouped.host_names.add(h.name)
                ungrouped.hosts.append(h)
                h.groups.append(ungrouped)
        if dropped:  # one pass, not a list.remove per host
            ungrouped.host_names -= dropped
            ungrouped.hosts = [h for h in ungrouped.hosts if h.name not in dropped]

    def depths(self) -> dict[str, int]:
        """Longest path from ``all`` for every group (used to order group variables).

        Iterative (Kahn's order), so any depth costs no Python stack; a group deeper than
        ``MAX_GROUP_DEPTH`` or a cycle left by a source is an ``InputError`` naming the group.
        """
        pending = {name: len(g.parents) for name, g in self.groups.items()}
        memo: dict[str, int] = {}
        ready = [g for g in self.groups.values() if not g.parents]
        for g in ready:
            memo[g.name] = 0
        while ready:
            g = ready.pop()
            depth = memo[g.name]
            if depth > MAX_GROUP_DEPTH:
                raise group_error(
                    g,
                    f"group '{g.name}' is nested more than {MAX_GROUP_DEPTH} levels deep below "
                    "'all'; flatten the :children chain",
                )
            for child in g.children:
                memo[child.name] = max(memo.get(child.name, 0), depth + 1)
                pending[child.name] -= 1
                if pending[child.name] == 0:
                    ready.append(child)
        stuck = [self.groups[n] for n, left in pending.items() if left > 0]
        if stuck:
            raise group_error(
                stuck[0],
                f"group '{stuck[0].name}' is part of a cycle of :children groups; remove one of the links",
            )
        return memo

    def host_group_names(self, host: HostEntry) -> set[str]:
        """Every group the host belongs to, directly or through a child group (``all`` included)."""
        names: set[str] = set()
        todo = list(host.groups)
        while todo:  # one walk over the union of ancestors, each group visited once
            g = todo.pop()
            if g.name not in names:
                names.add(g.name)
                todo.extend(g.parents)
        return names
