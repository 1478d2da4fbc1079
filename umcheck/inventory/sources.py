"""Turning ``-i`` arguments into inventory data: files, directories and inline host lists.

Format detection follows Ansible's plugin order where it matters (``.yml``/``.yaml``/``.json``
are YAML, other files INI, extension-less files YAML first then INI), but umcheck fails loudly
where Ansible would skip a source with a warning: a silently dropped source means scanning the
wrong fleet. Executable scripts and ``plugin:`` configs are run through ``ansible-inventory``
(``dynamic.py``); a saved ``ansible-inventory --list`` JSON is read directly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from umcheck.errors import InputError
from umcheck.inventory.dynamic import is_inventory_script, load_ansible_format, load_dynamic, note_source
from umcheck.inventory.ini_source import IniInventoryReader
from umcheck.inventory.model import InventoryData, Origin
from umcheck.inventory.ranges import RangeError, expand_host_pattern
from umcheck.inventory.yaml_loader import load_yaml_text, read_maybe_vaulted
from umcheck.inventory.yaml_source import YamlInventoryReader

if TYPE_CHECKING:
    from umcheck.inventory.vault import VaultSecrets

YAML_EXTENSIONS = (".yml", ".yaml", ".json")
# Entries of an inventory directory that Ansible never reads as inventory.
_SKIP_NAMES = ("group_vars", "host_vars", "vars_plugins")
_SKIP_SUFFIXES = (".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg",
                  ".retry")


def load_source(data: InventoryData, source: str, vault: VaultSecrets | None = None) -> None:
    """Add one ``-i`` argument to ``data``; ``vault`` decrypts vault-encrypted files and values."""
    path = Path(source)
    if not path.exists():
        if "," in source:
            note_source(data, source)
            _load_host_list(data, source)
            return
        raise InputError("inventory source not found", path=source)
    if path.is_dir():
        _load_directory(data, path, vault)
    else:
        load_file(data, path, vault)


def _load_host_list(data: InventoryData, text: str) -> None:
    """``-i 'web01,web02:5986,'``: hosts go to ungrouped, ``:port`` becomes ansible_port."""
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            names, port = expand_host_pattern(item)
        except RangeError as exc:
            raise InputError(f"inline host list: {exc}") from None
        for name in names:
            data.add_host(name, "ungrouped", Origin(None), port)


def _skipped(entry: str) -> bool:
    return entry.startswith(".") or entry in _SKIP_NAMES or entry.endswith(_SKIP_SUFFIXES)


def _load_directory(data: InventoryData, directory: Path, vault: VaultSecrets | None) -> None:
    try:
        entries = sorted(os.listdir(directory))
    except OSError as exc:
        raise InputError(f"cannot list directory: {exc.strerror}", path=str(directory)) from None
    for entry in entries:
        if _skipped(entry):
            continue
        full = directory / entry
        if full.is_dir():
            _load_directory(data, full, vault)
        elif full.is_file():
            load_file(data, full, vault)


def load_file(data: InventoryData, path: Path, vault: VaultSecrets | None = None) -> None:
    """Parse one inventory file into ``data`` (YAML or INI, by extension and content)."""
    name = str(path)
    note_source(data, name)
    if is_inventory_script(path):
        load_dynamic(data, path, vault=vault)
        return
    text = read_maybe_vaulted(path, vault)
    if path.suffix == ".toml":
        raise InputError("TOML inventories are not supported; convert with 'ansible-inventory -i FILE --list -y'",
                         path=name)
    if load_ansible_format(data, path, text, vault):  # a plugin config, or saved ansible-inventory JSON
        return
    if path.suffix in YAML_EXTENSIONS:
        YamlInventoryReader(data, name).read(load_yaml_text(text, name, vault))
        return
    if path.suffix == "":
        doc = _try_yaml(text, name, vault)
        if isinstance(doc, dict):
            YamlInventoryReader(data, name).read(doc)
            return
    IniInventoryReader(data, name).read(text)


def _try_yaml(text: str, name: str, vault: VaultSecrets | None) -> object:
    """Parse an extension-less file as YAML; None when it is not (then it is read as INI)."""
    stripped = text.lstrip()
    if stripped.startswith("[") or not stripped:
        return None  # an INI section header, or nothing; not worth a YAML attempt
    try:
        return load_yaml_text(text, name, vault)
    except InputError as exc:
        if "vault" in str(exc):
            raise
        return None
