"""``group_vars/`` and ``host_vars/`` beside an inventory source.

Lookup follows Ansible exactly because the shadowing rules are surprising and users rely on
them: for a name N the first existing of ``N`` (file or directory), ``N.yml``, ``N.yaml``,
``N.json`` wins and the rest are ignored; a directory is read recursively in sorted order.
Files are parsed once and cached, since one ``group_vars/all.yml`` applies to every host.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from umcheck.errors import InputError
from umcheck.inventory.model import Origin, VarLayer
from umcheck.inventory.yaml_loader import MarkedDict, load_yaml_file

if TYPE_CHECKING:
    from umcheck.inventory.vault import VaultSecrets

_EXTENSIONS = ("", ".yml", ".yaml", ".json")


def vars_base_dir(source: str) -> Path:
    """The directory whose group_vars/host_vars apply to ``source``."""
    path = Path(source)
    return path if path.is_dir() else path.parent


def _dir_files(directory: Path) -> list[Path]:
    found: list[Path] = []
    for entry in sorted(os.listdir(directory)):
        if entry.startswith(".") or entry.endswith("~"):
            continue
        full = directory / entry
        ext = os.path.splitext(entry)[1]
        if full.is_dir():
            if not ext:
                found.extend(_dir_files(full))
        elif full.is_file() and ext in _EXTENSIONS:
            found.append(full)
    return found


def find_vars_files(vars_dir: Path, name: str) -> list[Path]:
    """Files holding vars for entity ``name`` inside one group_vars/ or host_vars/ directory."""
    if name.startswith(("/", ".")) or "/" in name or "\\" in name:
        return []  # never let a host or group name walk out of the directory
    for ext in _EXTENSIONS:
        candidate = vars_dir / f"{name}{ext}"
        if candidate.is_dir():
            return _dir_files(candidate)
        if candidate.exists():
            return [candidate]
    return []


class VarsFileCache:
    """Parses each vars file at most once and returns it as a ``VarLayer``."""

    def __init__(self, vault: VaultSecrets | None = None) -> None:
        self._layers: dict[Path, VarLayer] = {}
        self._entries: dict[tuple[Path, str], frozenset[str] | None] = {}
        self.vault = vault  # decrypts vault-encrypted files and !vault values

    def _listing(self, base_dir: Path, kind: str) -> frozenset[str] | None:
        """Names in ``base_dir/kind`` (None: no such directory), listed once: a stat per host and
        group would dominate loading a large inventory."""
        key = (base_dir, kind)
        if key not in self._entries:
            try:
                self._entries[key] = frozenset(os.listdir(base_dir / kind))
            except OSError:
                self._entries[key] = None
        return self._entries[key]

    def layer_for(self, base_dir: Path, kind: str, name: str) -> VarLayer | None:
        entries = self._listing(base_dir, kind)
        if not entries or not any(f"{name}{ext}" in entries for ext in _EXTENSIONS):
            return None
        vars_dir = base_dir / kind
        if not vars_dir.is_dir():
            return None
        files = find_vars_files(vars_dir, name)
        if not files:
            return None
        merged = VarLayer()
        for f in files:
            merged.update(self._load(f))
        return merged

    def _load(self, path: Path) -> VarLayer:
        cached = self._layers.get(path)
        if cached is not None:
            return cached
        data = load_yaml_file(path, self.vault)
        layer = VarLayer()
        if data is not None:
            if not isinstance(data, dict):
                raise InputError(
                    f"a vars file must hold a mapping of variables, not {type(data).__name__}",
                    path=str(path),
                    line=1,
                )
            for key, value in data.items():
                line = data.line_of(key) if isinstance(data, MarkedDict) else None
                if not isinstance(key, str):
                    raise InputError(f"variable name {key!r} must be a string", path=str(path), line=line)
                layer.set(key, value, Origin(str(path), line))
        self._layers[path] = layer
        return layer
