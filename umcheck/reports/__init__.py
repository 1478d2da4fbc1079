"""Fleet reports: one module per format, written together at the end of a run.

``write_reports(fleet, run_dir, formats, store=..., previous=...)`` is what the runner calls.
With a store it first records the run (so the trend chart includes it), compares the run with
the merged fleet state just before it ("changes since": each host against its latest earlier
result, so a nightly run after a 20-host re-check is not "480 new"), and puts that diff into the
HTML, Markdown, JSON and text outputs. The trend plots the merged fleet state after each run. Every file is written atomically. ``failed.txt`` (hosts not Ready, one
per line, for ``--limit @failed.txt``) is always written too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

from umcheck.background import BackgroundCall
from umcheck.errors import UsageError
from umcheck.reports.atomic import PRIVATE, Modes, file_mode, make_folder, write_atomic
from umcheck.reports.diff import FleetDiff, FleetLines, diff_fleets
from umcheck.reports.trend import TrendPoint, trend_points
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
    trend: list[TrendPoint] | None = None,
    state: FleetResult | None = None,
    last_full: FleetResult | None = None,
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
        "prometheus": lambda: prometheus.render_prometheus(
            fleet, previous=previous, state=state, last_full=last_full
        ),
    }
    if fmt not in renderers:
        raise UsageError(f"unknown report format '{fmt}' (choose from {', '.join(FORMATS)})")
    return renderers[fmt]()


def stream(
    fmt: str,
    fleet: FleetResult,
    *,
    diff: FleetDiff | Callable[[], FleetDiff | None] | None = None,
    trend: list[TrendPoint] | None = None,
    **history: FleetResult | None,
) -> Iterable[str] | Iterable[bytes]:
    """``render`` in chunks: the formats that grow with the fleet are written host by host (JSON
    as UTF-8 bytes: its hosts are kept encoded)."""
    from umcheck.reports import csv_report, html, json_report, junit

    if fmt == "junit":
        return junit.iter_junit(fleet)
    if fmt == "html":
        return html.iter_html(fleet, diff=diff, trend=trend or [])
    if fmt == "json":
        return json_report.iter_json_bytes(fleet, diff=diff)
    if fmt == "csv":
        return csv_report.iter_csv(fleet)
    return [render(fmt, fleet, diff=diff, trend=trend, **history)]


@dataclass(frozen=True)
class HistoryInputs:
    """What the history adds to a run's reports (all empty without a history database)."""

    diff: FleetDiff | None = None  # against the merged fleet state just before the run
    previous: FleetResult | None = None  # the run recorded just before (its header: no hosts)
    trend: list[TrendPoint] = field(default_factory=list)
    state: FleetResult | None = None  # the merged fleet state after the run
    last_full: FleetResult | None = None  # the newest complete full run up to this one (its header)

    def kwargs(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def from_history(store: Store, fleet: FleetResult, formats: Iterable[str] | None = None, *,
                 baseline: tuple[str | None, FleetLines | None] | None = None) -> HistoryInputs:  # fmt: skip
    """The comparison, trend and fleet state for a run already recorded in ``store``.

    The comparison is read per host and rule from the store's columns (``Store.state_lines``), not
    by loading the whole earlier state. Only the Prometheus gauges need more: the merged state
    (the run itself, in memory, when it covered every host) and when the previous and the last
    full run finished (their headers only, never their hosts). With ``formats`` given and no
    ``prometheus`` among them, none of that is read. ``baseline`` is (previous run id, its merged
    state) read during the scan (``reports/baseline.py``): used if that is still the previous run.
    """
    prev_id = store.previous_of(fleet.run_id)
    if baseline is not None and baseline[0] == prev_id:
        before = baseline[1]
    else:
        before = store.state_lines(prev_id) if prev_id else None
    gauges = formats is None or "prometheus" in parse_formats(list(formats))
    full_id = store.last_full_run(fleet.run_id) if gauges else None
    return HistoryInputs(
        diff=diff_fleets(before, fleet, state=True) if before is not None else None,
        previous=store.load_run(prev_id, hosts=[]) if prev_id and gauges else None,
        trend=trend_points(store, fleet.run_id),
        state=store.fleet_state(fleet.run_id, run=fleet) if gauges else None,
        last_full=store.load_run(full_id, hosts=[]) if full_id else None,
    )


# Formats that read nothing from the history but the comparison, and that only at their end (JSON:
# the ``diff`` key follows the hosts): written while the run is being recorded.
_EARLY = ("csv", "junit", "json")


def write_reports(
    fleet: FleetResult,
    run_dir: Path,
    formats: Iterable[str] | None = FORMATS,
    *,
    store: Store | None = None,
    previous: FleetResult | None = None,
    record: bool = True,
    inputs: HistoryInputs | BackgroundCall[HistoryInputs] | None = None,
    modes: Modes = PRIVATE,
) -> dict[str, Path]:
    """Write the requested formats into ``run_dir``; returns {format: path} plus ``"failed"``.

    ``record=False`` regenerates reports for a run already in the store without saving it again;
    ``inputs`` (already read from the history by the caller) replaces ``store`` and ``previous``.
    ``inputs`` may still be being read (a BackgroundCall recording the run): the formats that need
    nothing else are written meanwhile (``_EARLY``), JSON waiting for it only for its last key.
    Files are owner-only unless ``modes`` says otherwise (``*.prom`` is 0644: reports/atomic.py).
    """
    import os

    from umcheck.retry import write_retry_file

    run_dir = Path(run_dir)
    wanted = parse_formats(list(formats) if formats is not None else None)
    if inputs is None and store is not None:
        if record:
            store.save_run(fleet)
        inputs = from_history(store, fleet)
    elif inputs is None:
        inputs = HistoryInputs(
            diff=diff_fleets(previous, fleet) if previous is not None else None, previous=previous
        )
    make_folder(run_dir, modes)
    paths: dict[str, Path] = {}
    pending = inputs if isinstance(inputs, BackgroundCall) else None
    if pending is not None:
        late_diff = lambda: pending.result().diff  # noqa: E731 - read when JSON reaches its "diff" key
        for fmt in (f for f in wanted if f in _EARLY):
            paths[fmt] = write_atomic(run_dir / FILE_NAMES[fmt], stream(fmt, fleet, diff=late_diff), modes=modes)
        inputs = pending.result()
    for fmt in (f for f in wanted if f not in paths):
        paths[fmt] = write_atomic(
            run_dir / FILE_NAMES[fmt], stream(fmt, fleet, **inputs.kwargs()), modes=modes
        )
    write_retry_file(fleet, run_dir / RETRY_FILE)
    os.chmod(run_dir / RETRY_FILE, file_mode(run_dir / RETRY_FILE, modes))  # written with the private default
    paths["failed"] = run_dir / RETRY_FILE
    return paths
