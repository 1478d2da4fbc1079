"""The run journal: one JSON line per finished host, appended as hosts complete.

A journal survives ``kill -9``: each line is flushed to the OS the moment its host finishes,
every complete line is a finished host, and a torn last line is ignored. It is fsync'd at
least once a second and at the end, so even a power cut loses at most the last second. ``--resume`` reads it to scan only the hosts it lacks; ``umcheck report`` can
rebuild every report format from it. Credentials never reach it (HostResult holds none).

Line types: ``run`` (first line: run id, start time, plan), ``host`` (a HostResult), ``end``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from umcheck.errors import EnvironmentProblem, InputError, environment_error
from umcheck.reports.atomic import PRIVATE, Modes, make_folder
from umcheck.results import FleetResult, HostResult, RunScope
from umcheck.typed_load import ShapeError

JOURNAL_NAME = "journal.jsonl"
FSYNC_INTERVAL = 1.0  # seconds between fsyncs while hosts finish


@dataclass
class JournalContents:
    header: dict[str, Any]
    hosts: dict[str, HostResult] = field(default_factory=dict)  # last line per host wins
    end: dict[str, Any] | None = None
    torn_lines: list[int] = field(default_factory=list)

    def to_fleet(self) -> FleetResult:
        h = self.header
        plan = h.get("plan_hosts") or list(self.hosts)
        ordered = [self.hosts[n] for n in plan if n in self.hosts]
        ordered += [r for n, r in self.hosts.items() if n not in set(plan)]
        end = self.end or {}
        return FleetResult(
            run_id=h.get("run_id", "unknown"),
            started=h.get("started", ""),
            finished=end.get("finished"),
            hosts=ordered,
            rules=h.get("rules") or [],
            inventory=h.get("inventory") or [],
            limit=h.get("limit"),
            interrupted=bool(end.get("interrupted", self.end is None)),
            umcheck_version=h.get("umcheck_version", ""),
            scope=RunScope.from_header(h),
        )


class Journal:
    """Append-only writer. One instance per run; only the runner's event loop writes to it.

    Created owner-only (``modes``; the run folder too). A write that fails once the run is going
    (disk full) does not stop the scan: the results are in memory and the reports may still fit.
    The first such failure is kept in ``error`` and the journal stops writing; the caller reports
    it once the reports are written.
    """

    def __init__(self, path: Path, modes: Modes = PRIVATE):
        self.path = Path(path)
        self.error: EnvironmentProblem | None = None
        make_folder(self.path.parent, modes)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, modes.file)
            self._fh = open(fd, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the run
            if self._fh.tell() == 0:
                os.fchmod(fd, modes.file)  # a new journal: exactly this, whatever the umask
            elif not self._ends_with_newline():  # resuming after a kill: never glue onto a torn line
                self._fh.write("\n")
        except OSError as exc:
            raise environment_error(exc, "write the journal", self.path) from None
        self._synced = time.monotonic()

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as existing:
            existing.seek(-1, os.SEEK_END)
            return existing.read(1) == b"\n"

    def _write(self, record: dict[str, Any] | str, *, sync: bool = False, strict: bool = False) -> None:
        # flush() puts every line in the OS at once, which is what survives kill -9; fsync (which
        # also survives a power cut) is batched, since it blocks the event loop for milliseconds.
        if self.error is not None:
            return
        try:
            text = record if isinstance(record, str) else json.dumps(record, separators=(",", ":"), default=str)
            self._append(text + "\n")
            now = time.monotonic()
            if sync or now - self._synced >= FSYNC_INTERVAL:
                os.fsync(self._fh.fileno())
                self._synced = now
        except OSError as exc:
            self.error = environment_error(exc, "write the journal", self.path)
            if strict:
                raise self.error from None

    def _append(self, line: str) -> None:
        """The write itself (apart so tests can make the disk full)."""
        self._fh.write(line)
        self._fh.flush()

    def start(self, header: dict[str, Any]) -> None:
        """The first line; failing here stops the run before any host is contacted."""
        self._write({"type": "run", **header}, sync=True, strict=True)

    def host(self, result: HostResult) -> None:
        self._write('{"type":"host",' + result.json_text()[1:])  # the host's text, encoded once

    def end(self, finished: str, interrupted: bool) -> None:
        self._write({"type": "end", "finished": finished, "interrupted": interrupted}, sync=True)

    def close(self) -> None:
        if self._fh.closed:
            return
        try:
            if self.error is None:
                self._fh.flush()
                os.fsync(self._fh.fileno())
        except OSError as exc:
            self.error = environment_error(exc, "write the journal", self.path)
        finally:
            try:
                self._fh.close()
            except OSError:  # the buffered tail could not be written either: already reported
                pass


def read_journal(path: Path) -> JournalContents:
    """Read a journal, tolerating a torn last line; InputError if it is not a journal at all."""
    path = Path(path)
    if path.is_dir():
        path = path / JOURNAL_NAME
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read journal: {exc.strerror}", path=str(path)) from None
    contents: JournalContents | None = None
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            contents and contents.torn_lines.append(lineno)  # a write torn by a killed run
            continue
        kind = record.pop("type", None)
        if kind == "run":
            contents = contents or JournalContents(header=record)
        elif contents is None:
            raise InputError("journal does not start with a 'run' line", path=str(path), line=lineno)
        elif kind == "host":
            try:
                result = HostResult.from_dict(record)
            except ShapeError as exc:
                raise InputError(f"bad host record: {exc}", path=str(path), line=lineno) from None
            contents.hosts[result.name] = result
        elif kind == "end":
            contents.end = record
    if contents is None:
        raise InputError("empty journal", path=str(path))
    return contents
