"""Compare umcheck's graded host with the official script's graded output, rule by rule."""

from __future__ import annotations

from umcheck.crosscheck.explained import NO_ROW, explain
from umcheck.crosscheck.values import CrossCheck, Disagreement
from umcheck.packs import is_successor
from umcheck.reports.escape import one_line
from umcheck.results import HostResult, HostStatus


def _ids(host: HostResult) -> dict[str, str]:
    """Rule -> message id for the rules evaluated in this run (carried results are not compared)."""
    # The official scripts know only the legacy rules: the successor pack is not compared.
    return {o.RuleId: o.CheckResultMessageId or f"{o.RuleId}.{o.CheckResult}" for o in host.outcomes
            if o.carried is None and not is_successor(o.RuleId)}  # fmt: skip


def compare(script: str, umcheck: HostResult, official: HostResult, selected: set[str] | None = None) -> CrossCheck:
    """``official`` is the official script's output graded by umcheck (``evaluation.evaluate_output``).

    Only rules umcheck evaluated in this run are compared (a ``--rules`` selection limits both
    sides); a rule the official script has no row for is a disagreement ("no row").
    """
    if official.status != HostStatus.OK:
        return failed_cross_check(script, official.error or str(official.status))
    mine, theirs = _ids(umcheck), _ids(official)
    rules = sorted(set(mine) | ({r for r in theirs if selected is None or r in selected}))
    agreed = 0
    found: list[Disagreement] = []
    for rule in rules:
        u = mine.get(rule, NO_ROW)
        o = theirs.get(rule, NO_ROW)
        if u == NO_ROW and selected is not None and rule not in selected:
            continue
        if u == o:
            agreed += 1
            continue
        why = explain(rule, u, o)
        found.append(Disagreement(rule, u, o, why.deviation if why else None, why.note if why else ""))
    return CrossCheck(script=script, official_readiness=str(official.readiness), agreed=agreed, disagreements=found)


def failed_cross_check(script: str, error: str) -> CrossCheck:
    """The official side gave nothing to compare (it failed, timed out, or printed no JSON)."""
    return CrossCheck(script=script, status="error", error=one_line(error)[:300])
