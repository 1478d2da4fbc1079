"""Fleet reports: one module per format, written together at the end of a run.

``write_reports(fleet, run_dir, formats, store=..., previous=...)`` is what the runner calls.
With a store it first records the run (so the trend chart includes it), takes the previous
run from history when ``previous`` is not given, and puts the diff into the HTML, Markdown,
JSON and text outputs. Every file is written atomically. ``failed.txt`` (hosts not Ready, one
per line, for ``--limit @failed.txt``) is always written too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from umcheck.errors import UsageError
from umcheck.reports.atomic import write_atomic
from umcheck.reports.diff import FleetDiff, diff_fleets
from umcheck.results import FleetResult

if TYPE_CHECKING:
    from umcheck.store import Store

FORMATS: tuple[str, ...] = ("text", "html", "json", "csv", "junit", "markdown", "prometheus")

FILE_NAMES: dict[str, str] = {
    "text": "summary.txt",
    "html": "report.html",
    "json": "report.json",
    "csv": "report.csv",
    "junit": "report.junit.xml",
    "markdown": "report.md",
    "prometheus": "umcheck.prom",
}
RETRY_FILE = "failed.txt"
TREND_RUNS = 14


def parse_formats(values: Iterable[str] | str | None) -> list[str]:
    """``["html,json", "csv"]`` or ``"all"`` → ordered, de-duplicated format names; UsageError on typos."""
    if values is None:
        return list(FORMATS)
    if isinstance(values, str):
        values = [values]
    wanted: list[str] = []
    for item in values:
        for name in (p.strip().lower() for p in item.split(",")):
            if not name:
                continue
            if name == "all":
                wanted.extend(FORMATS)
            elif name in ("md",):
                wanted.append("markdown")
            elif name in ("prom",):
                wanted.append("prometheus")
            elif name in FORMATS:
                wanted.append(name)
            else:
                raise UsageError(f"unknown report format '{name}' (choose from {', '.join(FORMATS)}, all)")
    return list(dict.fromkeys(wanted))


def render(
    fmt: str,
    fleet: FleetResult,
    *,
    diff: FleetDiff | None = None,
    previous: FleetResult | None = None,
    trend: list[tuple[str, str, dict[str, int]]] | None = None,
) -> str:
    """One format as text (CSV includes its BOM); the caller decides where it goes."""
    from umcheck.reports import csv_report, html, json_report, junit, markdown, prometheus, text

    renderers: dict[str, Callable[[], str]] = {
        "text": lambda: text.render_summary(fleet, diff=diff),
        "html": lambda: html.render_html(fleet, diff=diff, trend=trend or []),
        "json": lambda: json_report.render_json(fleet, diff=diff),
        "csv": lambda: csv_report.render_csv(fleet),
        "junit": lambda: junit.render_junit(fleet),
        "markdown": lambda: markdown.render_markdown(fleet, diff=diff),
        "prometheus": lambda: prometheus.render_prometheus(fleet, previous=previous),
    }
    if fmt not in renderers:
        raise UsageError(f"unknown report format '{fmt}' (choose from {', '.join(FORMATS)})")
    return renderers[fmt]()


def write_reports(
    fleet: FleetResult,
    run_dir: Path,
    formats: Iterable[str] | None = FORMATS,
    *,
    store: Store | None = None,
    previous: FleetResult | None = None,
    record: bool = True,
) -> dict[str, Path]:
    """Write the requested formats into ``run_dir``; returns {format: path} plus ``"failed"``.

    ``record=False`` regenerates reports for a run already in the store without saving it again.
    """
    from umcheck.retry import write_retry_file

    run_dir = Path(run_dir)
    wanted = parse_formats(list(formats) if formats is not None else None)
    trend: list[tuple[str, str, dict[str, int]]] = []
    if store is not None:
        if record:
            store.save_run(fleet)
        if previous is None:
            prev_id = store.previous_of(fleet.run_id)
            previous = store.load_run(prev_id) if prev_id else None
        trend = [(p.run_id, p.started, p.readiness) for p in store.trend(TREND_RUNS, until=fleet.run_id)]
    diff = diff_fleets(previous, fleet) if previous is not None else None
    paths: dict[str, Path] = {}
    for fmt in wanted:
        paths[fmt] = write_atomic(
            run_dir / FILE_NAMES[fmt], render(fmt, fleet, diff=diff, previous=previous, trend=trend)
        )
    write_retry_file(fleet, run_dir / RETRY_FILE)
    paths["failed"] = run_dir / RETRY_FILE
    return paths
