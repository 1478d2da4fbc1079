"""The cross-check in the reports: one line per disagreement (text), a table (HTML).

The JSON report carries ``hosts[].cross_check`` as stored (values.py); these helpers only shape
it for people. Remote text (message ids come from the host) goes through ``one_line``.
"""

from __future__ import annotations

from dataclasses import dataclass

from umcheck.crosscheck.values import CrossCheck, Disagreement
from umcheck.reports.escape import one_line
from umcheck.results import FleetResult


@dataclass(frozen=True)
class CrossCheckTotals:
    hosts: int = 0  # hosts with a cross-check
    agreeing: int = 0  # every compared rule agreed
    explained_only: int = 0  # disagreements, all explained by documented deviations
    unexplained: int = 0  # at least one disagreement nothing documents
    failed: int = 0  # the official side gave nothing to compare


def checked(fleet: FleetResult) -> list[tuple[str, CrossCheck]]:
    return [(h.name, h.cross_check) for h in fleet.hosts if h.cross_check is not None]


def totals(fleet: FleetResult) -> CrossCheckTotals:
    rows = [c for _, c in checked(fleet)]
    return CrossCheckTotals(
        hosts=len(rows),
        agreeing=sum(1 for c in rows if c.status == "compared" and not c.disagreements),
        explained_only=sum(1 for c in rows if c.status == "compared" and c.disagreements and not c.unexplained),
        unexplained=sum(1 for c in rows if c.status == "compared" and c.unexplained),
        failed=sum(1 for c in rows if c.status != "compared"),
    )


def _short(rule_id: str, message_id: str) -> str:
    """``HttpsConnection.PassedWithWarning`` -> ``PassedWithWarning`` (the rule is named once)."""
    return message_id.removeprefix(rule_id + ".")


def describe(d: Disagreement) -> str:
    why = f"deviation {d.deviation}" if d.deviation else "NOT EXPLAINED"
    return f"{d.rule_id}: umcheck {_short(d.rule_id, d.umcheck)}, official {_short(d.rule_id, d.official)} ({why})"


def text_lines(fleet: FleetResult, width: int = 100) -> list[str]:
    """The text report's cross-check section: totals, then one line per disagreement or failure."""
    rows = checked(fleet)
    if not rows:
        return []
    t = totals(fleet)
    lines = [one_line(f"{t.hosts} hosts: {t.agreeing} agree, {t.explained_only} differ only where a documented "
                      f"deviation explains it, {t.unexplained} with unexplained differences, "
                      f"{t.failed} could not be compared", width)]  # fmt: skip
    for name, c in rows:
        if c.status != "compared":
            lines.append("  " + one_line(f"{name}: {c.summary}", width - 2))
        for d in c.disagreements:
            lines.append("  " + one_line(f"{name}: {describe(d)}", width - 2))
    return lines
