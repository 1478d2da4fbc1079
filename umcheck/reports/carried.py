"""Wording for carried-forward outcomes, partial hosts and what a diff compared, shared by formats.

A partial run grades each host on its merged state, so a report mixes outcomes evaluated now with
outcomes carried forward from earlier runs. Every format says which is which, and how old, in
the same words. These helpers return plain text: run ids and scope labels come from journals
and the history database, so each renderer still escapes the result for its own format.
"""

from __future__ import annotations

from umcheck.reports.diff import FleetDiff
from umcheck.reports.summary import FleetSummary
from umcheck.results import RuleOutcome
from umcheck.rules.readiness import aged_label, format_age

DIFF_BASIS = {
    "runs": "rules evaluated in both runs (carried-forward results are not compared)",
    "state": "merged fleet states (each host's latest result, carried-forward results included)",
}


def carried_note(o: RuleOutcome) -> str | None:
    """``carried from run RUN, 2h old``; None when the outcome was evaluated in this run."""
    if o.carried is None:
        return None
    return f"carried from run {o.carried.run_id}, {format_age(o.carried.age_seconds)} old"


def carried_prefix(o: RuleOutcome) -> str:
    """``[carried from run RUN, 2h old] `` to put before a message, or nothing."""
    note = carried_note(o)
    return f"[{note}] " if note else ""


def rule_label(o: RuleOutcome) -> str:
    """The rule id, with the age of its result when it was carried forward: ``TlsVersionCheck [2h old]``
    (the same label the readiness reason uses)."""
    return aged_label(o)


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def state_sentence(s: FleetSummary) -> str | None:
    """One line about the merged state, or None when every result is from this run."""
    parts = []
    if s.carried_outcomes:
        parts.append(
            f"{_n(s.carried_outcomes, 'rule result', 'rule results')} on {_n(s.hosts_with_carried, 'host', 'hosts')}"
            f" carried forward from earlier runs, oldest {format_age(s.oldest_carried_age_seconds or 0)}"
        )
    if s.partial_hosts:
        n = len(s.partial_hosts)
        parts.append(f"{_n(n, 'host', 'hosts')} partial (rules with no result now and none earlier)")
    return "; ".join(parts) if parts else None


def diff_basis(diff: FleetDiff) -> str:
    """What ``diff`` compared, in words."""
    return DIFF_BASIS.get(diff.mode, diff.mode)


def diff_title(diff: FleetDiff) -> str:
    """``run X`` or ``the fleet state after run X``: what the changes are since."""
    return f"the fleet state after run {diff.old_run}" if diff.mode == "state" else f"run {diff.old_run}"
