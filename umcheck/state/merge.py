"""A host's merged state: this run's outcomes plus every other rule carried forward with its age.

Pure functions of a HostResult and the host's earlier cells, so the runner (live), a resume and
the tests all grade the same way. Hosts whose scan failed are left as they are: unreachable now
is news of its own, and nothing earlier is carried over it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from functools import cache

from umcheck.packs.successor.migration import with_migration
from umcheck.results import Carried, HostResult, HostStatus
from umcheck.rules.catalog import select_rules
from umcheck.rules.readiness import readiness
from umcheck.state.cells import Cell


@cache
def rule_ids(os_family: str, selectors: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The rules a run with ``selectors`` evaluates on an ``os_family`` host, in catalog order."""
    return tuple(r.rule_id for r in select_rules(selectors or None, os_family))


def _age(evaluated_at: str, now: str) -> int:
    try:
        a, b = datetime.fromisoformat(evaluated_at), datetime.fromisoformat(now)
        return max(0, int((b - a).total_seconds()))
    except (TypeError, ValueError):
        return 0


def merge_host(
    result: HostResult,
    selectors: Iterable[str],
    earlier: Mapping[str, Cell],
    *,
    now: str,
) -> HostResult:
    """Grade ``result`` (evaluated for ``selectors``) on its merged state.

    ``earlier`` maps rule id -> the host's latest earlier cell; ``now`` is the run's start time,
    from which carried outcomes get their age.
    """
    if result.status != HostStatus.OK or result.os_family not in ("windows", "linux"):
        return result
    attempted = set(rule_ids(result.os_family, tuple(selectors)))
    everything = rule_ids(result.os_family)
    if attempted >= set(everything):
        return result  # a full evaluation: nothing to carry (readiness already graded)
    by_rule = {o.RuleId: o for o in result.outcomes}
    outcomes, missing = [], []
    for rule_id in everything:
        if rule_id in attempted:
            if rule_id in by_rule:
                outcomes.append(by_rule[rule_id])
            continue
        cell = earlier.get(rule_id)
        if cell is None:
            missing.append(rule_id)
        elif cell.outcome is not None:
            carried = Carried(cell.run_id, cell.evaluated_at, _age(cell.evaluated_at, now))
            outcomes.append(replace(cell.outcome, carried=carried))
    known = set(everything)
    outcomes += [o for o in result.outcomes if o.RuleId not in known]  # official extras
    verdict = readiness(outcomes, missing)
    merged = replace(
        result, outcomes=outcomes, missing_rules=missing, readiness=verdict.state, readiness_reason=verdict.reason
    )
    return with_migration(merged)
