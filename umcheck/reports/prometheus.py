"""``umcheck.prom``: metrics for node_exporter's textfile collector.

Written atomically (temp file + rename, see ``atomic.py``) because node_exporter may read the
directory at any moment. Label values are escaped per the text exposition format; rule ids
and statuses come from journals, which a tampered file could fill with anything.

The counts are of the merged state (a partial run's hosts graded on their results from this run
plus those carried forward from earlier runs); ``umcheck_run_partial`` and the carried-outcome
gauges say how much of it this run actually evaluated.
"""

from __future__ import annotations

from pathlib import Path

from umcheck.reports.atomic import write_atomic
from umcheck.reports.escape import prom_label
from umcheck.reports.migration import summarize_migration
from umcheck.reports.summary import parse_time, summarize
from umcheck.results import FleetResult

FILE_NAME = "umcheck.prom"


def _metric(lines: list[str], name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
    lines.append(f"# HELP {name} {help_text}")
    lines.append(f"# TYPE {name} {kind}")
    for labels, value in samples:
        num = int(value) if float(value).is_integer() else value
        lines.append(f"{name}{labels} {num}")


def _label(key: str, value: object) -> str:
    return f'{{{key}="{prom_label(value)}"}}'


def render_prometheus(
    fleet: FleetResult,
    *,
    previous: FleetResult | None = None,
    state: FleetResult | None = None,
    last_full: FleetResult | None = None,
) -> str:
    """Fleet gauges from ``state`` (the merged fleet state after this run, when history has it:
    a 2-host re-check must not make the fleet look 2 hosts big), run gauges from ``fleet``.
    ``last_full`` is the newest complete full run, for the staleness alert."""
    s = summarize(state if state is not None else fleet)
    run = summarize(fleet)
    lines: list[str] = []
    _metric(
        lines,
        "umcheck_hosts",
        "gauge",
        "Hosts of the fleet by Update Management readiness after the last run, graded on merged state "
        "(each host's latest result; carried-forward results count).",
        [(_label("readiness", k), v) for k, v in s.readiness.items()],
    )
    _metric(
        lines,
        "umcheck_hosts_migration",
        "gauge",
        "Hosts of the fleet by migration readiness (Update Manager, Arc, extension worker) after the last run.",
        [(_label("migration", k), v) for k, v in summarize_migration(state if state is not None else fleet).counts.items()],
    )
    _metric(
        lines,
        "umcheck_host_status",
        "gauge",
        "Hosts of the fleet by the scan status of their latest result.",
        [(_label("status", k), v) for k, v in s.status.items()],
    )
    _metric(
        lines,
        "umcheck_rule_failures",
        "gauge",
        "Hosts of the fleet on which each rule is failing, in merged state (carried-forward failures count).",
        [(_label("rule_id", g.rule_id), len(g.hosts)) for g in s.failing_rules],
    )
    if run.duration_s is not None:
        _metric(
            lines,
            "umcheck_scan_duration_seconds",
            "gauge",
            "Wall time of the last run.",
            [("", run.duration_s)],
        )
    _metric(
        lines,
        "umcheck_run_interrupted",
        "gauge",
        "1 if the last run was interrupted.",
        [("", 1 if fleet.interrupted else 0)],
    )
    _metric(
        lines,
        "umcheck_run_partial",
        "gauge",
        "1 if the last run checked only some rules or hosts (its hosts are graded on merged state).",
        [("", 1 if run.partial_run else 0)],
    )
    _metric(
        lines,
        "umcheck_carried_outcomes",
        "gauge",
        "Rule results in the fleet's merged state that were carried forward into a later run, not evaluated by it.",
        [("", s.carried_outcomes)],
    )
    if s.oldest_carried_age_seconds is not None:
        _metric(
            lines,
            "umcheck_carried_oldest_age_seconds",
            "gauge",
            "Age of the oldest carried-forward result in the fleet's merged state (at the run that carried it).",
            [("", s.oldest_carried_age_seconds)],
        )
    _metric(
        lines,
        "umcheck_hosts_partial",
        "gauge",
        "Hosts in the fleet's merged state with rules that have no result at all (graded Unknown).",
        [("", len(s.partial_hosts))],
    )
    success = (
        fleet if not fleet.interrupted else (previous if previous and not previous.interrupted else None)
    )
    finished = parse_time(success.finished) if success else None
    if finished is not None and finished.tzinfo is not None:
        _metric(
            lines,
            "umcheck_last_success_timestamp_seconds",
            "gauge",
            "Unix time the last complete (not interrupted) run finished.",
            [("", finished.timestamp())],
        )
    full_end = parse_time(last_full.finished) if last_full is not None else None
    if full_end is not None and full_end.tzinfo is not None:
        _metric(
            lines,
            "umcheck_last_full_success_timestamp_seconds",
            "gauge",
            "Unix time the last complete full run (every rule, every host) finished: alert on this being old.",
            [("", full_end.timestamp())],
        )
    return "\n".join(lines) + "\n"


def write_prometheus(fleet: FleetResult, path: Path, *, previous: FleetResult | None = None) -> Path:
    """Write the textfile atomically; ``path`` may be a directory (then ``umcheck.prom`` in it)."""
    path = Path(path)
    if path.is_dir():
        path = path / FILE_NAME
    return write_atomic(path, render_prometheus(fleet, previous=previous))
