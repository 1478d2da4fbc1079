"""``report.json``: the FleetResult plus summary counts, under a versioned report schema.

The top level *is* ``FleetResult.to_dict()`` with two extra keys (``report_version``,
``summary``), so ``FleetResult.from_dict(json.load(f))`` reads a report back. Field names are
stable; docs/report-schema.md documents them and what a version bump means. Version 2: hosts are
graded on merged state, so outcomes may be ``carried`` from earlier runs, hosts list their
``missing_rules``, the run has a ``scope``, and ``diff.mode`` says what the diff compared.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from umcheck.reports.diff import FleetDiff
from umcheck.reports.migration import summarize_migration
from umcheck.reports.summary import summarize
from umcheck.results import FleetResult

REPORT_VERSION = 2


def report_dict(fleet: FleetResult, diff: FleetDiff | None = None, *, hosts: bool = True) -> dict[str, Any]:
    """The report as one dict; ``hosts=False`` leaves the host list empty (``iter_json`` streams it)."""
    data: dict[str, Any] = {"report_version": REPORT_VERSION}
    data.update(fleet.to_dict() if hosts else _without_hosts(fleet))
    data["summary"] = summarize(fleet).to_dict()
    data["summary"]["migration"] = summarize_migration(fleet).to_dict()
    data["diff"] = diff.to_dict() if diff is not None else None
    return data


def _without_hosts(fleet: FleetResult) -> dict[str, Any]:
    return replace(fleet, hosts=[]).to_dict()


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))


def render_json(fleet: FleetResult, *, diff: FleetDiff | None = None) -> str:
    return "".join(iter_json(fleet, diff=diff))


def iter_json(fleet: FleetResult, *, diff: FleetDiff | None = None) -> Iterator[str]:
    """``iter_json_bytes`` as text."""
    for chunk in iter_json_bytes(fleet, diff=diff):
        yield chunk.decode("utf-8")


def iter_json_bytes(fleet: FleetResult, *,
                    diff: FleetDiff | Callable[[], FleetDiff | None] | None = None) -> Iterator[bytes]:  # fmt: skip
    """One key per line and one host per line: readable and diffable, and written with the C
    encoder (``indent`` would switch json to its pure-Python encoder, seconds for 1000 hosts).
    Produced host by host, so the file is written without the whole text in memory; as bytes,
    because each host is already encoded (for the journal) and is written as it is kept.
    ``diff`` may be a function: called when the last key is reached (the run being recorded meanwhile)."""
    data = report_dict(fleet, None, hosts=False)
    yield b"{\n"
    for n, (key, value) in enumerate(data.items()):
        sep = ",\n" if n else ""
        if key == "diff":
            found = diff() if callable(diff) else diff
            value = found.to_dict() if found is not None else None
        if key == "hosts" and fleet.hosts:
            yield f'{sep}  "hosts": [\n'.encode()
            for i, h in enumerate(fleet.hosts):
                yield (b",\n    " if i else b"    ") + h.json_bytes()  # encoded once, for the journal
            yield b"\n  ]"
        else:
            yield f"{sep}  {_compact(key)}: {_compact([] if key == 'hosts' else value)}".encode()
    yield b"\n}\n"
