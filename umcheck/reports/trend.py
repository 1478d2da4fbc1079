"""Trend points: the merged fleet state after each run, for the HTML trend chart.

Merged state, not each run's own hosts: a 20-host re-check between two nightly runs would
otherwise plot as a 20-host fleet. Partial runs are marked so the chart can say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from umcheck.store import Store

TREND_RUNS = 14


@dataclass(frozen=True)
class TrendPoint:
    """One bar of the trend: the merged fleet state's readiness counts after a run."""

    run_id: str
    started: str
    counts: dict[str, int]
    scope: str = "full"  # the run's scope label
    partial: bool = False


def trend_points(store: Store, until: str, n: int = TREND_RUNS) -> list[TrendPoint]:
    return [
        TrendPoint(p.run_id, p.started, p.state or p.readiness, p.scope_label, bool(p.scope and p.scope.kind != "full"))
        for p in store.trend(n, until=until)
    ]
