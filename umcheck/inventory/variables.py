"""Variable precedence for one host, layer by layer as ansible-core computes it.

Lowest first: ``all`` group vars from inventory files; other groups' inventory vars sorted by
(depth, ansible_group_priority, name); ``group_vars/all`` files of each source; other groups'
``group_vars`` files (per source, groups in the same order); host vars from inventory files;
``host_vars`` files of each source; finally extra vars. Values are replaced whole, never
deep-merged. Note the consequence users trip over: any group_vars *file* beats any group var
written inside the inventory file, whatever the depth.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from umcheck.inventory.model import Group, HostEntry, InventoryData, VarLayer
from umcheck.inventory.vars_files import VarsFileCache

if TYPE_CHECKING:
    from umcheck.inventory.vault import VaultSecrets


class VariableResolver:
    """Computes the merged (unrendered) variables of hosts; reuses depth and file caches."""

    def __init__(
        self,
        data: InventoryData,
        base_dirs: Iterable[Path],
        extra_vars: VarLayer | None = None,
        vault: VaultSecrets | None = None,
    ):
        self.data = data
        self.base_dirs = list(base_dirs)  # not deduplicated: order of -i sources matters
        self.extra_vars = extra_vars or VarLayer()
        self.files = VarsFileCache(vault)
        self._depths = data.depths()
        self._group_layers: dict[tuple[str, ...], VarLayer] = {}
        self._memberships: dict[tuple[str, ...], tuple[tuple[str, ...], list[Group]]] = {}

    def _membership(self, host: HostEntry) -> tuple[tuple[str, ...], list[Group]]:
        """All group names of ``host`` and its sorted groups, computed once per set of direct groups
        (thousands of hosts share theirs)."""
        key = tuple(g.name for g in host.groups)
        found = self._memberships.get(key)
        if found is None:
            names = self.data.host_group_names(host)
            groups = sorted(
                (self.data.groups[n] for n in names - {"all"}),
                key=lambda g: (self._depths[g.name], g.priority, g.name),
            )
            found = self._memberships[key] = (tuple(sorted(names - {"all"})), groups)
        return found

    def sorted_groups(self, host: HostEntry) -> list[Group]:
        """The host's groups except ``all``, lowest precedence first."""
        return list(self._membership(host)[1])

    def group_names(self, host: HostEntry) -> tuple[str, ...]:
        """Every group of ``host`` (directly or through child groups) except ``all``, sorted by name."""
        return self._membership(host)[0]

    def group_layer(self, groups: list[Group]) -> VarLayer:
        """Layers 1-6 (everything that comes from groups); shared by hosts with the same groups."""
        key = tuple(g.name for g in groups)
        cached = self._group_layers.get(key)
        if cached is not None:
            return cached
        merged = VarLayer()
        merged.update(self.data.groups["all"].vars)
        for g in groups:
            merged.update(g.vars)
        for base in self.base_dirs:
            layer = self.files.layer_for(base, "group_vars", "all")
            if layer:
                merged.update(layer)
        for base in self.base_dirs:
            for g in groups:
                layer = self.files.layer_for(base, "group_vars", g.name)
                if layer:
                    merged.update(layer)
        self._group_layers[key] = merged
        return merged

    def host_vars(self, host: HostEntry) -> VarLayer:
        merged = VarLayer()
        merged.update(self.group_layer(self.sorted_groups(host)))
        merged.update(host.vars)
        for base in self.base_dirs:
            layer = self.files.layer_for(base, "host_vars", host.name)
            if layer:
                merged.update(layer)
        merged.update(self.extra_vars)
        return merged

    def all_vars_layers(self) -> list[VarLayer]:
        """Every layer that exists, for whole-inventory checks such as variable-name typos."""
        layers = [g.vars for g in self.data.groups.values()] + [h.vars for h in self.data.hosts.values()]
        for base in self.base_dirs:
            for g in self.data.groups:
                layer = self.files.layer_for(base, "group_vars", g)
                if layer:
                    layers.append(layer)
            for h in self.data.hosts:
                layer = self.files.layer_for(base, "host_vars", h)
                if layer:
                    layers.append(layer)
        layers.append(self.extra_vars)
        return layers
