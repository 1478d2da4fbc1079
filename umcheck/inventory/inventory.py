"""The public inventory objects: ``load_inventory`` -> ``Inventory`` of frozen ``Host`` values.

Loading parses every source, merges variables with Ansible's precedence and builds each host's
typed ``ConnectionSettings`` up front, so that malformed input surfaces before the first
connection. Templates are rendered lazily, only for the variables a host's connection reads (as
Ansible renders a value when it is used); ``Host.vars`` keeps them as written, like
``ansible-inventory``. Problems that matter solely for hosts actually used (an undefined variable or
unset environment variable in a connection setting, a connection type umcheck cannot speak, a
connection or ``umcheck_*`` value of the wrong type or form, a template over its limits) are kept
on the host (``Host.problem``, one line with the file and line) and raised when it is selected: a
scan skips that host and goes on with the others.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from umcheck.errors import InputError, UsageError
from umcheck.inventory.connection import (
    ConnectionDefaults,
    ConnectionSettings,
    DeferredProblem,
    SettingsCache,
    warn_umcheck_names,
)
from umcheck.inventory.model import HostEntry, InventoryData, Origin, VarLayer
from umcheck.inventory.patterns import LOCALHOST_NAMES, PatternIndex, PatternMatcher
from umcheck.inventory.sources import load_source
from umcheck.inventory.templating import TemplateRenderer
from umcheck.inventory.variables import VariableResolver
from umcheck.inventory.vars_files import vars_base_dir
from umcheck.inventory.vault import VaultSecrets


@dataclass(frozen=True, eq=False)
class Host:
    """One inventory host: merged variables as written (templates unrendered), groups and connection settings."""

    name: str
    vars: dict[str, Any]
    groups: tuple[str, ...]  # every group it belongs to (directly or via child groups), except 'all'
    settings: ConnectionSettings | None = field(default=None, repr=False)
    problem: str | None = None  # why this host cannot be used (unset env var, unsupported connection)
    implicit: bool = False  # the implicit localhost, not part of the inventory
    # set when ``problem`` is a value written wrongly (type, range), not one merely unresolved
    error: InputError | None = field(default=None, repr=False)

    @property
    def invalid(self) -> bool:
        """The problem is a wrong value (type, range, form), not a value merely unresolved."""
        return self.error is not None

    @property
    def connection(self) -> ConnectionSettings:
        if self.error is not None:  # still an InputError (exit 2) carrying the file and line
            error = InputError(f"host {self.name}: {self.problem}")
            error.path, error.line = self.error.path, self.error.line
            raise error
        if self.settings is None:
            raise UsageError(f"host {self.name}: {self.problem}")
        return self.settings


class Inventory:
    """A loaded inventory. Hosts are in Ansible's ``all`` order."""

    def __init__(
        self,
        data: InventoryData,
        hosts: dict[str, Host],
        sources: Sequence[str],
        localhost_factory: Any = None,
    ) -> None:
        self._data = data
        self._hosts = hosts
        self.sources = tuple(sources)
        self._localhost_factory = localhost_factory
        self._group_cache: dict[str, list[str]] = {}
        self._matcher = PatternMatcher(
            PatternIndex(
                host_names=list(data.hosts),
                group_names=list(data.groups),
                group_hosts=self.group_host_names,
                implicit_hosts=[n for n in LOCALHOST_NAMES if n not in data.hosts],
            )
        )

    @property
    def hosts(self) -> list[Host]:
        return [self._hosts[n] for n in self.group_host_names("all")]

    @property
    def group_names(self) -> list[str]:
        return list(self._data.groups)

    def group_host_names(self, group: str) -> list[str]:
        cached = self._group_cache.get(group)
        if cached is None:
            cached = self._group_cache[group] = [h.name for h in self._data.groups[group].all_hosts()]
        return cached

    def get(self, name: str) -> Host:
        if name in self._hosts:
            return self._hosts[name]
        if name in LOCALHOST_NAMES and self._localhost_factory is not None:
            return self._localhost_factory(name)
        raise UsageError(f"host '{name}' is not in the inventory")

    def select(
        self, pattern: str | Sequence[str] = "all", limit: str | None = None, check_usable: bool = True
    ) -> list[Host]:
        """Hosts matching ``pattern`` (and ``limit``). Raises UsageError if nothing matches or, with
        ``check_usable``, if a selected host cannot be connected to."""
        hosts = [self.get(n) for n in self._matcher.select(pattern, limit)]
        if check_usable:
            for h in hosts:
                h.connection  # noqa: B018 - raises UsageError with the host's problem
        return hosts

    def check_values(self, hosts: Iterable[Host] | None = None) -> None:
        """Raise UsageError (one line: host, file:line, variable) for the first host with a wrong value.

        ``inventory --list`` is where inventories get checked, so a wrong value fails it (exit 2);
        a scan instead skips just that host.
        """
        for host in self.hosts if hosts is None else hosts:
            if host.invalid:
                host.connection  # noqa: B018 - raises the host's InputError

    def to_list_json(self, mask: bool = True, hosts: Iterable[Host] | None = None) -> dict[str, Any]:
        from umcheck.inventory.listing import list_json

        return list_json(self._data, self.hosts if hosts is None else list(hosts), mask)

    def graph(self, group: str = "all", hosts: Iterable[Host] | None = None) -> str:
        from umcheck.inventory.listing import graph

        if group not in self._data.groups:
            raise UsageError(f"'{group}' is not a group name")
        return graph(self._data, group, None if hosts is None else {h.name for h in hosts})


def _extra_layer(extra_vars: Mapping[str, Any] | None) -> VarLayer:
    layer = VarLayer()
    for key, value in (extra_vars or {}).items():
        layer.set(str(key), value, Origin(None))
    return layer


def _check_name_clashes(data: InventoryData) -> None:
    for name in data.hosts.keys() & data.groups.keys():
        origin = data.hosts[name].origin
        raise InputError(
            f"'{name}' is both a host and a group; rename one (Ansible mixes their variables up)",
            path=origin.path,
            line=origin.line,
        )


def load_inventory(
    sources: str | PathLike[str] | Sequence[str | PathLike[str]],
    extra_vars: Mapping[str, Any] | None = None,
    password: str | None = None,
    environ: Mapping[str, str] | None = None,
    vault: VaultSecrets | None = None,
    defaults: ConnectionDefaults | None = None,
) -> Inventory:
    """Load and merge inventory sources (files, directories, ``h1,h2`` lists) in the order given.

    ``extra_vars`` win over everything (like ``-e``); ``password`` is used for hosts whose
    inventory sets none; ``environ`` replaces ``os.environ`` for ``lookup('env', ...)``;
    ``vault`` decrypts vault-encrypted files and ``!vault`` values (see ``load_vault_secrets``);
    ``defaults`` (``-u``, ``--private-key``, ansible.cfg) apply where no host variable says otherwise.
    Raises InputError (with file and line) for anything malformed.
    """
    collecting = gc.isenabled()
    gc.disable()  # loading makes millions of long-lived objects: the cyclic GC would rescan them again and again
    try:
        return _load(sources, extra_vars, password, environ, vault, defaults)
    finally:
        if collecting:
            gc.enable()


def _load(
    sources: str | PathLike[str] | Sequence[str | PathLike[str]],
    extra_vars: Mapping[str, Any] | None,
    password: str | None,
    environ: Mapping[str, str] | None,
    vault: VaultSecrets | None,
    defaults: ConnectionDefaults | None,
) -> Inventory:
    if isinstance(sources, (str, PathLike)):
        sources = [sources]
    source_list = [str(s) for s in sources]
    if not source_list:
        raise UsageError("no inventory source given (use -i FILE)")
    data = InventoryData()
    for source in source_list:
        load_source(data, source, vault)
    data.reconcile()
    _check_name_clashes(data)
    base_dirs = [vars_base_dir(s) for s in source_list if Path(s).exists()]
    resolver = VariableResolver(data, base_dirs, _extra_layer(extra_vars), vault)
    warn_umcheck_names((layer.values, layer.origins) for layer in resolver.all_vars_layers())
    renderer = TemplateRenderer(environ)
    cache = SettingsCache(password, defaults)
    hosts = {name: _build_host(entry, resolver, renderer, data, cache) for name, entry in data.hosts.items()}

    def implicit_localhost(name: str) -> Host:
        entry = HostEntry(name, Origin(None))
        entry.vars.set("ansible_connection", "local", Origin(None))
        return _build_host(entry, resolver, renderer, data, cache, implicit=True)

    return Inventory(data, hosts, source_list, implicit_localhost)


def _build_host(
    entry: HostEntry,
    resolver: VariableResolver,
    renderer: TemplateRenderer,
    data: InventoryData,
    cache: SettingsCache,
    implicit: bool = False,
) -> Host:
    merged = resolver.host_vars(entry)
    if implicit:  # Ansible gives the implicit localhost only the 'all' group's variables
        merged = VarLayer()
        merged.update(data.groups["all"].vars)
        merged.update(entry.vars)
        merged.update(resolver.extra_vars)
        groups: tuple[str, ...] = ()
    else:
        groups = resolver.group_names(entry)
    magic = {
        "inventory_hostname": entry.name,
        "inventory_hostname_short": entry.name.split(".")[0],
        "group_names": list(groups),
    }
    hostvars = renderer.host_vars(merged.values, merged.origins, magic)  # renders only what is read
    settings, problem, error = None, None, None
    try:
        settings = cache.build(entry.name, hostvars, merged.values, merged.origins)
    except DeferredProblem as exc:
        problem = str(exc)
    except InputError as exc:  # a wrong value: this host's problem, never the whole inventory's
        problem, error = str(exc), exc
    return Host(entry.name, merged.values, groups, settings, problem, implicit, error)
