"""Host readiness: the portal's three states, approximated from what the host itself shows.

The portal's Ready / Disconnected / Not configured depend on the service's "last seen" time,
which a host cannot read. umcheck approximates them from rule outcomes (docs/readiness.md):

* Unknown         the scan of this host failed (unreachable, auth, timeout, bad output).
* Not configured  an onboarding artefact is missing: no workspace with the Updates solution,
                  agent or worker not installed, worker never registered.
* Disconnected    onboarded, but a Failed rule means Update Management cannot work now
                  (agent/worker stopped, endpoints unreachable, TLS 1.2 off, WU disabled, ...).
* Ready           onboarded, no rule that matters Failed (warnings are allowed), every key rule
                  evaluated (now or carried forward), and every rule has a result.

It works on outcomes only, so results parsed from Microsoft's own scripts get a readiness too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from umcheck.packs import is_successor
from umcheck.results import CheckResult, Readiness, RuleOutcome

# Message ids (exact, or RuleId prefixes ending with ".") that mean "never onboarded".
NOT_CONFIGURED_IDS: tuple[str, ...] = (
    "LinkedWorkspaceCheck.Failed.NoWorkspace",
    "AutomationAgentServiceConnectivityCheck1.Failed.NoRegistrationFound",
    "MonitoringAgentServiceEventsCheck.Failed.NoLog",
    "Linux.OMSAgentInstallCheck.Failed",
    "Linux.MultiHomingCheck.Failed.NoWorkspace",
    "Linux.HybridWorkerPackgeCheck.Failed",
    "Linux.HybridWorkerStatusCheck.Failed.MissingCurrentMofFile",
    "Linux.HybridWorkerStatusCheck.Failed.UpdateDeploymentDisabled",
    "Linux.JRDSConnectivityCheck.Failed.UnableToGetEndpoint",
)

# Rules whose failure says nothing about this worker's readiness (informational only):
# IMDS and the DMI asset tag only apply to Azure VMs, and the doc says the general internet
# check may be ignored where only the required URLs are allowed.
INFORMATIONAL_RULES: frozenset[str] = frozenset(
    {"IMDSConnectivity", "Linux.ImdsCheck", "Linux.DmidecodeCheck", "Linux.InternetConnectionCheck"}
)


# Rules a Ready verdict needs evaluated (docs/readiness.md says why these): the agent and the
# worker running, the workspace registration, and the Automation endpoints the worker talks to
# (registration/agent service and JRDS). Any of them NotEvaluated -> Unknown, never Ready.
KEY_RULES: frozenset[str] = frozenset(
    {
        "MonitoringAgentServiceRunningCheck",
        "SystemHybridRunbookWorkerRunningCheck",
        "LinkedWorkspaceCheck",
        "AutomationAgentServiceConnectivityCheck1",
        "AutomationJobRuntimeDataServiceConnectivityCheck",
        "Linux.OMSAgentInstallCheck",
        "Linux.OMSAgentStatusCheck",
        "Linux.MultiHomingCheck",
        "Linux.HybridWorkerPackgeCheck",
        "Linux.HybridWorkerStatusCheck",
        "Linux.AgentServiceConnectivityCheck",
        "Linux.JRDSConnectivityCheck",
    }
)


@dataclass(frozen=True)
class ReadinessVerdict:
    state: Readiness
    reason: str


def _not_configured(outcome: RuleOutcome) -> bool:
    mid = outcome.CheckResultMessageId or ""
    if mid in NOT_CONFIGURED_IDS:
        # The official id says "no registration" for several workspaces too (quirk Q-W7): that
        # machine is onboarded, just ambiguously, so it is Disconnected, not Not configured.
        return not (outcome.reason or "").startswith("MultipleWorkspaces")
    # The agent service missing entirely (not merely stopped) is "not installed".
    return (
        outcome.RuleId == "MonitoringAgentServiceRunningCheck"
        and outcome.CheckResult == CheckResult.FAILED
        and outcome.evidence.get("present") is False
    )


def _names(ids: list[str], n: int = 3) -> str:
    return ", ".join(ids[:n]) + (f" (+{len(ids) - n} more)" if len(ids) > n else "")


def readiness(outcomes: Iterable[RuleOutcome], missing: Iterable[str] = ()) -> ReadinessVerdict:
    """Readiness of a host whose scan succeeded, from its (merged) rule outcomes.

    ``missing`` are the rules of the host's OS with no result at all: not evaluated in this run
    and no earlier result to carry forward. A failure is evidence on its own; a Ready is not
    given while anything is missing or a key rule could not be evaluated.
    """
    # The successor pack has its own grade (umcheck/packs/successor/migration.py).
    outcomes = [o for o in outcomes if not is_successor(o.RuleId)]
    missing = [r for r in missing if not is_successor(r)]
    if not outcomes:
        return ReadinessVerdict(Readiness.UNKNOWN, "no rule was evaluated")
    not_onboarded = [o for o in outcomes if _not_configured(o)]
    if not_onboarded:
        ids = ", ".join(o.CheckResultMessageId or o.RuleId for o in not_onboarded[:3])
        return ReadinessVerdict(Readiness.NOT_CONFIGURED, f"not onboarded: {ids}")
    failing = [o for o in outcomes if o.CheckResult == CheckResult.FAILED and o.RuleId not in INFORMATIONAL_RULES]
    if failing:
        return ReadinessVerdict(Readiness.DISCONNECTED, f"onboarded but failing: {_names([aged_label(o) for o in failing])}")
    evaluated = [o for o in outcomes if o.CheckResult != CheckResult.NOT_EVALUATED]
    if not evaluated:
        return ReadinessVerdict(Readiness.UNKNOWN, "no rule could be evaluated (facts not collected)")
    unknown_keys = [o.RuleId for o in outcomes if o.RuleId in KEY_RULES and o.CheckResult == CheckResult.NOT_EVALUATED]
    if unknown_keys:
        return ReadinessVerdict(
            Readiness.UNKNOWN, f"key rule(s) could not be evaluated: {_names(unknown_keys, 5)}"
        )
    if missing:
        total = len({o.RuleId for o in outcomes} | set(missing))
        checked = total - len(missing)
        return ReadinessVerdict(
            Readiness.UNKNOWN,
            f"partial: {checked} of {total} rules checked, no earlier result for {_names(missing)}"
            " (run a full scan)",
        )
    skipped = len(outcomes) - len(evaluated)
    carried = sum(1 for o in outcomes if o.carried is not None)
    notes = [f"{skipped} rule(s) not evaluated"] if skipped else []
    if carried:
        oldest = max(o.carried.age_seconds for o in outcomes if o.carried is not None)
        notes.append(f"{carried} rule(s) carried forward, oldest {format_age(oldest)}")
    return ReadinessVerdict(Readiness.READY, "onboarded, no failing rule" + (f" ({'; '.join(notes)})" if notes else ""))


def aged_label(o: RuleOutcome) -> str:
    """A rule id, with the age of its result when it was carried forward from an earlier run."""
    return o.RuleId if o.carried is None else f"{o.RuleId} [{format_age(o.carried.age_seconds)} old]"


def format_age(seconds: int) -> str:
    """``90`` -> ``1m``, ``7200`` -> ``2h``, ``200000`` -> ``2d``: ages of carried-forward results."""
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
