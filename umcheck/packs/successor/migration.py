"""Migration readiness: a second grade beside readiness, from the successor pack's outcomes only.

* Migrated          healthy on the successor stack (Arc or an Azure VM agent; the extension
                    worker when one is wanted; an Update Manager patch extension that reports
                    Success) and no legacy leftover.
* Ready to migrate  nothing blocks: what is missing is only what a migration installs (the Arc
                    agent, the worker extension, the first patch run) or leftovers to remove.
* Blocked           a successor rule Failed for a reason a migration does not fix by itself.
* Not applicable    the inventory says the host is not moving (umcheck_migration: false).
* Unknown           the successor facts were not collected (a v1 collector, a failed scan), or
                    a key successor rule was not evaluated — never graded on rules not checked.
docs/readiness.md "Migration readiness" says why each rule counts where it does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from umcheck.packs import is_successor
from umcheck.results import CheckResult, HostResult, RuleOutcome

MIGRATED, READY, BLOCKED, NOT_APPLICABLE, UNKNOWN = "Migrated", "Ready to migrate", "Blocked", "Not applicable", "Unknown"
MIGRATION_STATES = (MIGRATED, READY, BLOCKED, NOT_APPLICABLE, UNKNOWN)
# Failed outcomes that only say "not onboarded yet": a migration installs these.
NOT_YET = ("SR.Arc.AgentInstalled.Failed", "SR.Hrw2.ExtensionPresent.Failed")
# Rules whose NotEvaluated leaves the grade Unknown: without them nothing can be said.
KEY_RULES = ("SR.Arc.AgentInstalled", "SR.Aum.PatchExtensions", "SR.Hrw2.ExtensionPresent", "SR.Leg.MmaPresent")


@dataclass(frozen=True)
class MigrationVerdict:
    state: str
    reason: str
    blockers: tuple[str, ...] = ()


def _key(o: RuleOutcome) -> str:
    return o.CheckResultMessageId or f"{o.RuleId}.{o.CheckResult}"


def migration(outcomes: Iterable[RuleOutcome], *, wanted: bool = True) -> MigrationVerdict:
    if not wanted:
        return MigrationVerdict(NOT_APPLICABLE, "the inventory says this host is not migrating (umcheck_migration)")
    sr = [o for o in outcomes if is_successor(o.RuleId)]
    if not sr:
        return MigrationVerdict(UNKNOWN, "no successor rule was evaluated (facts v1, or --pack legacy)")
    if all(o.CheckResult == CheckResult.NOT_EVALUATED for o in sr):
        return MigrationVerdict(UNKNOWN, "no successor rule could be evaluated: " + (sr[0].reason or "facts not collected"))
    missing = sorted({o.RuleId for o in sr if o.RuleId in KEY_RULES and o.CheckResult == CheckResult.NOT_EVALUATED})
    if missing:
        why = next((o.reason for o in sr if o.RuleId == missing[0] and o.reason), None)
        return MigrationVerdict(UNKNOWN, "not evaluated: " + ", ".join(missing) + (f" ({why})" if why else ""))
    blockers = tuple(sorted({o.RuleId for o in sr if o.CheckResult == CheckResult.FAILED and _key(o) not in NOT_YET
                             and not o.RuleId.startswith("SR.Leg.")}))  # fmt: skip
    if blockers:
        return MigrationVerdict(BLOCKED, "blocked by " + ", ".join(blockers), blockers)
    by = {o.RuleId: o for o in sr}
    leftovers = sorted(o.RuleId for o in sr if o.RuleId.startswith("SR.Leg.") and o.CheckResult != CheckResult.PASSED)
    onboarded = _onboarded(by)
    if onboarded and not leftovers:
        return MigrationVerdict(MIGRATED, "healthy on Arc/Azure VM agent, extension worker and Update Manager; no leftovers")
    todo = [*(["onboard: " + ", ".join(onboarded_gaps(by))] if not onboarded else []),
            *(["remove: " + ", ".join(leftovers)] if leftovers else [])]  # fmt: skip
    return MigrationVerdict(READY, "nothing blocks; to do: " + "; ".join(todo))


def onboarded_gaps(by: dict[str, RuleOutcome]) -> list[str]:
    gaps = []
    arc, vm = by.get("SR.Arc.AgentInstalled"), by.get("SR.AzVm.GuestAgent")
    # Positive evidence only: Arc installed or a running Azure VM agent (NotApplicable or an unknown
    # Azure/non-Azure answer proves neither).
    if not any(o is not None and o.CheckResult == CheckResult.PASSED for o in (arc, vm)):
        gaps.append("Arc agent")
    hrw = by.get("SR.Hrw2.ExtensionPresent")
    if hrw is not None and hrw.CheckResult == CheckResult.FAILED:
        gaps.append("extension worker")
    patch = by.get("SR.Aum.PatchExtensions")
    if patch is None or patch.CheckResult != CheckResult.PASSED:
        gaps.append("first Update Manager run")
    return gaps


def _onboarded(by: dict[str, RuleOutcome]) -> bool:
    return not onboarded_gaps(by)


def with_migration(host: HostResult, *, migrating: bool | None = None) -> HostResult:
    """``host`` with its migration grade from its (merged) successor outcomes. ``migrating`` False
    gives "Not applicable" (umcheck_migration: false); None keeps the host's own choice."""
    wanted = migrating if migrating is not None else host.migration != NOT_APPLICABLE
    m = migration(host.outcomes, wanted=wanted)
    return replace(host, migration=m.state, migration_reason=m.reason, migration_blockers=list(m.blockers))
