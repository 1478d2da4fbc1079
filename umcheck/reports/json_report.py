"""``report.json``: the FleetResult plus summary counts, under a versioned report schema.

The top level *is* ``FleetResult.to_dict()`` with two extra keys (``report_version``,
``summary``), so ``FleetResult.from_dict(json.load(f))`` reads a report back. Field names are
stable; docs/report-schema.md documents them and what a version bump means.
"""

from __future__ import annotations

import json
from typing import Any

from umcheck.reports.diff import FleetDiff
from umcheck.reports.summary import summarize
from umcheck.results import FleetResult

REPORT_VERSION = 1


def report_dict(fleet: FleetResult, diff: FleetDiff | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"report_version": REPORT_VERSION}
    data.update(fleet.to_dict())
    data["summary"] = summarize(fleet).to_dict()
    data["diff"] = diff.to_dict() if diff is not None else None
    return data


def render_json(fleet: FleetResult, *, diff: FleetDiff | None = None) -> str:
    return json.dumps(report_dict(fleet, diff), indent=2, ensure_ascii=False, default=str) + "\n"
