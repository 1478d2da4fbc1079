"""Helpers for inventory tests: write a small tree of files and load it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


@pytest.fixture
def write(tmp_path: Path):
    """write({"hosts.yml": "...", "group_vars/web.yml": "..."}) -> tmp_path; text is dedented."""

    def _write(files: dict[str, str]) -> Path:
        for rel, text in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"))
        return tmp_path

    return _write
