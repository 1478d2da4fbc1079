"""Turning ``-i`` arguments into inventory data: files, directories and inline host lists.

Format detection follows Ansible's plugin order where it matters (``.yml``/``.yaml``/``.json``
are YAML, other files INI, extension-less files YAML first then INI), but umcheck fails loudly
where Ansible would skip a source with a warning: a silently dropped source means scanning the
wrong fleet. Executable scripts and ``plugin:`` configs are refused rather than run.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from umcheck.errors import InputError
from umcheck.inventory.ini_source import IniInventoryReader
from umcheck.inventory.model import InventoryData, Origin
from umcheck.inventory.ranges import RangeError, expand_host_pattern
from umcheck.inventory.yaml_loader import VAULT_HEADER, load_yaml_text, read_text
from umcheck.inventory.yaml_source import YamlInventoryReader

YAML_EXTENSIONS = (".yml", ".yaml", ".json")
# Entries of an inventory directory that Ansible never reads as inventory.
_SKIP_NAMES = ("group_vars", "host_vars", "vars_plugins")
_SKIP_SUFFIXES = (".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg",
                  ".retry")


def load_source(data: InventoryData, source: str) -> None:
    """Add one ``-i`` argument to ``data``."""
    path = Path(source)
    if not path.exists():
        if "," in source:
            _load_host_list(data, source)
            return
        raise InputError("inventory source not found", path=source)
    if path.is_dir():
        _load_directory(data, path)
    else:
        load_file(data, path)


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


def _load_directory(data: InventoryData, directory: Path) -> None:
    try:
        entries = sorted(os.listdir(directory))
    except OSError as exc:
        raise InputError(f"cannot list directory: {exc.strerror}", path=str(directory)) from None
    for entry in entries:
        if _skipped(entry):
            continue
        full = directory / entry
        if full.is_dir():
            _load_directory(data, full)
        elif full.is_file():
            load_file(data, full)


def load_file(data: InventoryData, path: Path) -> None:
    """Parse one inventory file into ``data`` (YAML or INI, by extension and content)."""
    name = str(path)
    text = read_text(path)
    if text.lstrip().startswith(VAULT_HEADER):
        load_yaml_text(text, name)  # raises the "vault not supported" error with file and line
    if path.suffix == ".toml":
        raise InputError("TOML inventories are not supported; convert with 'ansible-inventory -i FILE --list -y'",
                         path=name)
    if text.startswith("#!") and os.stat(path).st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH):
        raise InputError("executable inventory scripts are not run by umcheck; save their output with "
                         "'ansible-inventory -i SCRIPT --list -y > inventory.yml' and use that", path=name, line=1)
    if path.suffix in YAML_EXTENSIONS:
        YamlInventoryReader(data, name).read(load_yaml_text(text, name))
        return
    if path.suffix == "":
        doc = _try_yaml(text, name)
        if isinstance(doc, dict):
            YamlInventoryReader(data, name).read(doc)
            return
    IniInventoryReader(data, name).read(text)


def _try_yaml(text: str, name: str) -> object:
    """Parse an extension-less file as YAML; None when it is not (then it is read as INI)."""
    stripped = text.lstrip()
    if stripped.startswith("[") or not stripped:
        return None  # an INI section header, or nothing; not worth a YAML attempt
    try:
        return load_yaml_text(text, name)
    except InputError as exc:
        if "vault" in str(exc):
            raise
        return None
