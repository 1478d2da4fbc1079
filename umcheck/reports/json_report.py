"""``report.json``: the FleetResult plus summary counts, under a versioned report schema.

The top level *is* ``FleetResult.to_dict()`` with two extra keys (``report_version``,
``summary``), so ``FleetResult.from_dict(json.load(f))`` reads a report back. Field names are
stable; docs/report-schema.md documents them and what a version bump means. Version 2: hosts are
graded on merged state, so outcomes may be ``carried`` from earlier runs, hosts list their
``missing_rules``, the run has a ``scope``, and ``diff.mode`` says what the diff compared.
"""

from __future__ import annotations

import json
from typing import Any

from umcheck.reports.diff import FleetDiff
from umcheck.reports.migration import summarize_migration
from umcheck.reports.summary import summarize
from umcheck.results import FleetResult

REPORT_VERSION = 2


def report_dict(fleet: FleetResult, diff: FleetDiff | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"report_version": REPORT_VERSION}
    data.update(fleet.to_dict())
    data["summary"] = summarize(fleet).to_dict()
    data["summary"]["migration"] = summarize_migration(fleet).to_dict()
    data["diff"] = diff.to_dict() if diff is not None else None
    return data


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))


def render_json(fleet: FleetResult, *, diff: FleetDiff | None = None) -> str:
    """One key per line and one host per line: readable and diffable, and written with the C
    encoder (``indent`` would switch json to its pure-Python encoder, seconds for 1000 hosts)."""
    data = report_dict(fleet, diff)
    lines = []
    for key, value in data.items():
        if key == "hosts" and value:
            body = ",\n".join("    " + _compact(h) for h in value)
            lines.append(f'  "hosts": [\n{body}\n  ]')
        else:
            lines.append(f"  {_compact(key)}: {_compact(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"
