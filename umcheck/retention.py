"""Retention: keep the newest N run folders under ``reports/``; older ones are deleted.

Only folders named like run ids (``20261126-041500-ab12``) are candidates, so nothing else in
``reports/`` — the history database, a ``latest`` symlink, hand-made folders — is ever touched.
Symlinks are never followed. Run ids sort by time, so name order is age order.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from umcheck.errors import UsageError

RUN_DIR = re.compile(r"^\d{8}-\d{6}(?:-[A-Za-z0-9]+)?$")


def run_folders(reports_dir: Path) -> list[Path]:
    """Run folders under ``reports_dir``, oldest first."""
    reports_dir = Path(reports_dir)
    if not reports_dir.is_dir():
        return []
    return sorted(
        (p for p in reports_dir.iterdir() if RUN_DIR.match(p.name) and p.is_dir() and not p.is_symlink()),
        key=lambda p: p.name,
    )


def prune_runs(reports_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` run folders; returns the folders removed."""
    if not isinstance(keep, int) or isinstance(keep, bool) or keep < 1:
        raise UsageError(f"retention must keep at least 1 run folder, got {keep!r}")
    folders = run_folders(reports_dir)
    doomed = folders[:-keep] if len(folders) > keep else []
    for folder in doomed:
        shutil.rmtree(folder)
    return doomed
