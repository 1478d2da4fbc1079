"""``umcheck.prom``: metrics for node_exporter's textfile collector.

Written atomically (temp file + rename, see ``atomic.py``) because node_exporter may read the
directory at any moment. Label values are escaped per the text exposition format; rule ids
and statuses come from journals, which a tampered file could fill with anything.
"""

from __future__ import annotations

from pathlib import Path

from umcheck.reports.atomic import write_atomic
from umcheck.reports.escape import prom_label
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


def render_prometheus(fleet: FleetResult, *, previous: FleetResult | None = None) -> str:
    s = summarize(fleet)
    lines: list[str] = []
    _metric(
        lines,
        "umcheck_hosts",
        "gauge",
        "Hosts by Update Management readiness in the last run.",
        [(_label("readiness", k), v) for k, v in s.readiness.items()],
    )
    _metric(
        lines,
        "umcheck_host_status",
        "gauge",
        "Hosts by scan status in the last run.",
        [(_label("status", k), v) for k, v in s.status.items()],
    )
    _metric(
        lines,
        "umcheck_rule_failures",
        "gauge",
        "Hosts on which each rule failed in the last run.",
        [(_label("rule_id", g.rule_id), len(g.hosts)) for g in s.failing_rules],
    )
    if s.duration_s is not None:
        _metric(
            lines,
            "umcheck_scan_duration_seconds",
            "gauge",
            "Wall time of the last run.",
            [("", s.duration_s)],
        )
    _metric(
        lines,
        "umcheck_run_interrupted",
        "gauge",
        "1 if the last run was interrupted.",
        [("", 1 if fleet.interrupted else 0)],
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
    return "\n".join(lines) + "\n"


def write_prometheus(fleet: FleetResult, path: Path, *, previous: FleetResult | None = None) -> Path:
    """Write the textfile atomically; ``path`` may be a directory (then ``umcheck.prom`` in it)."""
    path = Path(path)
    if path.is_dir():
        path = path / FILE_NAME
    return write_atomic(path, render_prometheus(fleet, previous=previous))
