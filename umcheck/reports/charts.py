"""Chart geometry for the HTML report, computed here so the template only places numbers.

Charts are inline SVG (no script, no external library): a donut of readiness states and a
stacked-bar trend of readiness over the last runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC

from umcheck.reports.summary import READINESS_ORDER, parse_time
from umcheck.reports.trend import TrendPoint

# One colour per readiness state; the CSS uses the same class names (state-ready, ...).
STATE_CLASS = {
    "Ready": "ready",
    "Disconnected": "disconnected",
    "Not configured": "notconfigured",
    "Unknown": "unknown",
}


def state_class(state: str) -> str:
    return STATE_CLASS.get(state, "unknown")


@dataclass(frozen=True)
class DonutSlice:
    state: str
    css: str
    count: int
    percent: float
    dash: str  # stroke-dasharray on a circle whose circumference is 100
    offset: float  # stroke-dashoffset


def donut(counts: Mapping[str, int]) -> list[DonutSlice]:
    total = sum(counts.values())
    slices, start = [], 0.0
    for state in READINESS_ORDER:
        n = counts.get(state, 0)
        if not n or not total:
            continue
        pct = 100.0 * n / total
        slices.append(
            DonutSlice(
                state,
                state_class(state),
                n,
                round(pct, 1),
                f"{pct:.3f} {100 - pct:.3f}",
                round(25 - start, 3),
            )
        )
        start += pct
    return slices


@dataclass(frozen=True)
class Bar:
    state: str
    css: str
    count: int
    y: float
    height: float


@dataclass(frozen=True)
class TrendColumn:
    run_id: str
    label: str  # date (MM-DD) for the axis
    time: str  # time of day (HH:MM, UTC) under the date
    x: float
    width: float
    total: int
    ready_percent: float
    bars: tuple[Bar, ...]
    current: bool
    scope: str = "full"
    partial: bool = False


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    max_hosts: int
    columns: tuple[TrendColumn, ...]
    ticks: tuple[tuple[float, int], ...]  # (y, host count)


def _when(started: str, run_id: str) -> tuple[str, str]:
    """(``MM-DD``, ``HH:MM``) in UTC: several runs a day must not share one label."""
    t = parse_time(started)
    if t is None:
        return (run_id[4:8], run_id[9:13]) if len(run_id) >= 13 else (run_id[:5], "")
    if t.tzinfo is not None:
        t = t.astimezone(UTC)
    return t.strftime("%m-%d"), t.strftime("%H:%M")


def trend_chart(
    points: Sequence[TrendPoint],
    current: str | None = None,
    width: int = 720,
    height: int = 236,
) -> TrendChart:
    """``points`` are the merged fleet state after each run, oldest first."""
    top, bottom, left, right = 12, height - 46, 44, 10
    plot_h = bottom - top
    max_hosts = max([sum(p.counts.values()) for p in points] + [1])
    n = max(len(points), 1)
    slot = (width - left - right) / n
    bar_w = min(48.0, slot * 0.7)
    columns = []
    for i, point in enumerate(points):
        run_id, counts = point.run_id, point.counts
        total = sum(counts.values())
        y = float(bottom)
        bars = []
        for state in READINESS_ORDER:
            c = counts.get(state, 0)
            if not c:
                continue
            h = plot_h * c / max_hosts
            y -= h
            bars.append(Bar(state, state_class(state), c, round(y, 2), round(h, 2)))
        x = left + slot * i + (slot - bar_w) / 2
        ready = counts.get("Ready", 0)
        day, clock = _when(point.started, run_id)
        columns.append(
            TrendColumn(
                run_id,
                day,
                clock,
                round(x, 2),
                round(bar_w, 2),
                total,
                round(100.0 * ready / total, 1) if total else 0.0,
                tuple(bars),
                run_id == current,
                point.scope,
                point.partial,
            )
        )
    step = max(1, -(-max_hosts // 4))
    ticks = tuple((round(bottom - plot_h * v / max_hosts, 2), v) for v in range(0, max_hosts + 1, step))
    return TrendChart(width, height, top, bottom, max_hosts, tuple(columns), ticks)
