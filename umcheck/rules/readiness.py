"""Host readiness: the portal's three states, approximated from what the host itself shows.

The portal's Ready / Disconnected / Not configured depend on the service's "last seen" time,
which a host cannot read. umcheck approximates them from rule outcomes (docs/readiness.md):

* Unknown         the scan of this host failed (unreachable, auth, timeout, bad output).
* Not configured  an onboarding artefact is missing: no workspace with the Updates solution,
                  agent or worker not installed, worker never registered.
* Disconnected    onboarded, but a Failed rule means Update Management cannot work now
                  (agent/worker stopped, endpoints unreachable, TLS 1.2 off, WU disabled, ...).
* Ready           onboarded and no rule that matters Failed (warnings are allowed).

It works on outcomes only, so results parsed from Microsoft's own scripts get a readiness too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


def readiness(outcomes: Iterable[RuleOutcome]) -> ReadinessVerdict:
    """Readiness of a host whose scan succeeded, from its rule outcomes."""
    outcomes = list(outcomes)
    if not outcomes:
        return ReadinessVerdict(Readiness.UNKNOWN, "no rule was evaluated")
    missing = [o for o in outcomes if _not_configured(o)]
    if missing:
        ids = ", ".join(o.CheckResultMessageId or o.RuleId for o in missing[:3])
        return ReadinessVerdict(Readiness.NOT_CONFIGURED, f"not onboarded: {ids}")
    failing = [o for o in outcomes if o.CheckResult == CheckResult.FAILED and o.RuleId not in INFORMATIONAL_RULES]
    if failing:
        ids = ", ".join(o.RuleId for o in failing[:3]) + (f" (+{len(failing) - 3} more)" if len(failing) > 3 else "")
        return ReadinessVerdict(Readiness.DISCONNECTED, f"onboarded but failing: {ids}")
    evaluated = [o for o in outcomes if o.CheckResult != CheckResult.NOT_EVALUATED]
    if not evaluated:
        return ReadinessVerdict(Readiness.UNKNOWN, "no rule could be evaluated (facts not collected)")
    skipped = len(outcomes) - len(evaluated)
    note = f" ({skipped} rule(s) not evaluated)" if skipped else ""
    return ReadinessVerdict(Readiness.READY, "onboarded, no failing rule" + note)
