"""Self-contained HTML report: overview charts, "fix these first", host table, per-host detail.

One file with inline CSS, JS and SVG: it can be mailed, attached to a ticket or opened from a
share without network access. Host data is untrusted, so the jinja2 Environment autoescapes,
the template never marks host data safe, links come only from remediation entries and only
when they are http(s), and a Content-Security-Policy allows only our own script and style
(by hash), so even a missed escape could not run injected script.

The report shows the merged state: the header names the run's scope, every outcome carried
forward from an earlier run is marked with that run and its age, a partial host lists the rules
that have no result at all, and the changes section says what its diff compared.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Sequence
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from umcheck.crosscheck.report import checked as cross_checked
from umcheck.crosscheck.report import totals as cross_totals
from umcheck.reports.carried import diff_basis, state_sentence
from umcheck.reports.charts import donut, state_class, trend_chart
from umcheck.reports.diff import FleetDiff
from umcheck.reports.escape import printable, safe_url
from umcheck.reports.html_data import evidence_value, host_details, host_rows
from umcheck.reports.migration import STEPS, summarize_migration
from umcheck.reports.summary import readiness_rank, summarize
from umcheck.reports.trend import TrendPoint
from umcheck.results import CheckResult, FleetResult
from umcheck.rules.readiness import format_age

TEMPLATE = "report.html.j2"
_RESULT_CLASS = {
    CheckResult.FAILED: "failed",
    CheckResult.WARNING: "warning",
    CheckResult.NOT_EVALUATED: "noteval",
    CheckResult.PASSED: "passed",
    CheckResult.NOT_APPLICABLE: "noteval",
}
CHIPS_PER_RULE = 60  # host chips under a rule of "Fix these first"; the rest via the host filter
DIFF_ROWS = 200  # rows per kind of change; report.json has them all
NAMES_LISTED = 200  # new / gone host names listed in the changes section
ROWS_SHOWN = 500  # host table rows listed at first (the rest: filter, or "Show more"); report.js reads it


def _result_class(result: str) -> str:
    return _RESULT_CLASS.get(result, "noteval")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


@cache
def _assets() -> tuple[str, str]:
    root = resources.files("umcheck.reports") / "templates"
    return (root / "report.css").read_text(encoding="utf-8"), (root / "report.js").read_text(encoding="utf-8")


@cache
def environment() -> Environment:
    """Built once per process: loading and compiling the template is the expensive part."""
    env = Environment(
        loader=PackageLoader("umcheck.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["evidence"] = evidence_value
    env.filters["state_class"] = state_class
    env.filters["result_class"] = _result_class
    env.filters["text"] = printable
    env.filters["readiness_rank"] = readiness_rank
    env.filters["age"] = format_age
    env.globals["CHIPS_PER_RULE"] = CHIPS_PER_RULE
    env.globals["DIFF_ROWS"] = DIFF_ROWS
    env.globals["NAMES_LISTED"] = NAMES_LISTED
    env.globals["ROWS_SHOWN"] = ROWS_SHOWN
    return env


def _cross_check(fleet: FleetResult) -> dict[str, Any] | None:
    rows = cross_checked(fleet)
    if not rows:
        return None
    shown = [(name, c) for name, c in rows if c.disagreements or c.status != "compared"]
    return {"totals": cross_totals(fleet), "rows": shown}


def render_html(
    fleet: FleetResult,
    *,
    diff: FleetDiff | None = None,
    trend: Sequence[TrendPoint] = (),
) -> str:
    """``trend`` holds the merged fleet state after each run, oldest first (this run included
    when it is recorded; otherwise this run's own counts are its point)."""
    return "".join(iter_html(fleet, diff=diff, trend=trend))


def iter_html(
    fleet: FleetResult,
    *,
    diff: FleetDiff | None = None,
    trend: Sequence[TrendPoint] = (),
) -> Iterator[str]:
    """The report in chunks, for writing straight to its file (see ``render_html``)."""
    summary = summarize(fleet)
    migration = summarize_migration(fleet)
    points = list(trend)
    if not any(p.run_id == fleet.run_id for p in points):
        scope = fleet.scope
        points.append(TrendPoint(fleet.run_id, fleet.started, summary.readiness,
                                 scope.label if scope else "full", bool(scope and scope.kind != "full")))  # fmt: skip
    css, js = _assets()
    anchors = {h.name: f"host-{i}" for i, h in enumerate(fleet.hosts, 1)}
    details = host_details(fleet)
    csp = (
        "default-src 'none'; "
        f"style-src '{_sha256(css)}'; script-src '{_sha256(js)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    return (
        environment()
        .get_template(TEMPLATE)
        .generate(
            fleet=fleet,
            s=summary,
            diff=diff,
            diff_basis=diff_basis(diff) if diff is not None else None,
            state_note=state_sentence(summary),
            donut=donut(summary.readiness),
            trend=trend_chart(points[-30:], current=fleet.run_id) if len(points) > 1 else None,
            anchors=anchors,
            css=Markup(css),  # our packaged asset, never host data
            js=Markup(js),
            csp=csp,
            state_classes=[(state, state_class(state)) for state in summary.readiness],
            cross=_cross_check(fleet),
            migration=migration if migration.evaluated else None,
            migration_steps=STEPS,
            outcome_rows=details.rows,
            host_rows=host_rows(fleet),
            host_data=(Markup(part) for part in details.data),  # script_json: no "<", ">" or "&" to break out with
            fake_hosts=sum(1 for h in fleet.hosts if h.transport == "fake"),
        )
    )
