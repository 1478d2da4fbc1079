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

from umcheck.errors import InputError
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
    """Append-only writer. One instance per run; only the runner's event loop writes to it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the run
        self._synced = time.monotonic()
        if self._fh.tell() > 0:  # resuming after a kill: never glue a new line onto a torn one
            with open(self.path, "rb") as existing:
                existing.seek(-1, os.SEEK_END)
                if existing.read(1) != b"\n":
                    self._fh.write("\n")

    def _write(self, record: dict[str, Any], *, sync: bool = False) -> None:
        # flush() puts every line in the OS at once, which is what survives kill -9; fsync (which
        # also survives a power cut) is batched, since it blocks the event loop for milliseconds.
        self._fh.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
        self._fh.flush()
        now = time.monotonic()
        if sync or now - self._synced >= FSYNC_INTERVAL:
            os.fsync(self._fh.fileno())
            self._synced = now

    def start(self, header: dict[str, Any]) -> None:
        self._write({"type": "run", **header}, sync=True)

    def host(self, result: HostResult) -> None:
        self._write({"type": "host", **result.to_dict()})

    def end(self, finished: str, interrupted: bool) -> None:
        self._write({"type": "end", "finished": finished, "interrupted": interrupted}, sync=True)

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()


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
