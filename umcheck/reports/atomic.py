"""Atomic, private file writes: a reader never sees half a report, and nobody else reads it at all.

Reports name every host, its address and what is wrong with it, so a run's files are owner-only
(folders 0700, files 0600) whatever the umask; ``--group-readable`` opens them to the group (0750,
0640) for a team that shares a jump host. The Prometheus textfile is the one exception: it holds
only counts and node_exporter runs as another user, so it is always 0644 (``PUBLIC_FILE``).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from umcheck.errors import environment_error

PUBLIC_FILE = 0o644  # the .prom textfile: node_exporter must read it


@dataclass(frozen=True)
class Modes:
    """Permissions of what a run creates (folders and files that already exist are left alone)."""

    folder: int = 0o700
    file: int = 0o600

    @classmethod
    def for_group(cls, group_readable: bool) -> Modes:
        return GROUP_READABLE if group_readable else PRIVATE


PRIVATE = Modes()
GROUP_READABLE = Modes(folder=0o750, file=0o640)

# Temp files of interrupted writes: ``.report.html.k3j2x9.tmp`` (write_atomic below).
_TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]+\.tmp$")


def make_folder(path: Path, modes: Modes = PRIVATE) -> Path:
    """Create ``path`` and any missing parents with ``modes.folder`` (chmod: the umask may be 0)."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    try:
        for folder in reversed(missing):
            with contextlib.suppress(FileExistsError):  # another process made it meanwhile
                folder.mkdir(mode=modes.folder)
                os.chmod(folder, modes.folder)
        if not path.is_dir():
            raise NotADirectoryError(20, "Not a directory", str(path))
    except OSError as exc:
        raise environment_error(exc, "create folder", path) from None
    return path


def file_mode(path: Path, modes: Modes = PRIVATE) -> int:
    """``modes.file``, except a Prometheus textfile (``*.prom``), which node_exporter must read."""
    return PUBLIC_FILE if Path(path).suffix == ".prom" else modes.file


def write_atomic(
    path: Path, data: bytes | str | Iterable[str] | Iterable[bytes], *, mode: int | None = None, modes: Modes = PRIVATE
) -> Path:
    """Write to a temp file in the same directory, fsync, then rename over ``path``.

    ``data`` may be chunks of text or bytes (a report of 10,000 hosts is written as it is produced,
    never held whole in memory); a failure while producing them leaves ``path`` as it was.

    ``mode`` (default ``file_mode``) is the file's permissions, ``modes.folder`` those of folders
    created on the way. An OSError (disk full, no permission) becomes one line naming the file.
    """
    path = Path(path)
    mode = file_mode(path, modes) if mode is None else mode
    make_folder(path.parent, modes)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise environment_error(exc, "write", path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_all(fh, payload)
        os.chmod(tmp, mode)  # exactly this, whatever the umask
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise environment_error(exc, "write", path) from None
        raise
    return path


def _write_all(fh: BinaryIO, payload: bytes | Iterable[str] | Iterable[bytes]) -> None:
    """The write itself (apart so tests can make the disk full). Text chunks are UTF-8."""
    if isinstance(payload, bytes):
        fh.write(payload)
    else:
        for chunk in payload:
            fh.write(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8"))
    fh.flush()
    os.fsync(fh.fileno())


def leftover_temp_files(folder: Path) -> list[Path]:
    """Temp files a killed write_atomic left in ``folder`` (never a finished report)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _TEMP.match(p.name) and p.is_file() and not p.is_symlink())


def remove_leftovers(folder: Path) -> list[Path]:
    """Delete what ``leftover_temp_files`` finds; returns what was removed."""
    removed = []
    for p in leftover_temp_files(folder):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
            removed.append(p)
    return removed


def check_writable(folder: Path, what: str = "write reports to") -> None:
    """Before a scan: fail in one line now rather than after an hour of scanning.

    Checks the folder, or for one that does not exist yet its nearest existing parent.
    """
    folder = Path(folder)
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        raise environment_error(NotADirectoryError(20, "not a folder"), what, probe)
    if not os.access(probe, os.W_OK | os.X_OK):
        raise environment_error(PermissionError(13, "Permission denied"), what, folder)
