"""Workspace resolution W-A (``Get-ValidWorkspace``) and the LinkedWorkspaceCheck rule.

Four rules (registration endpoint, linked workspace, LA ODS, LA OMS) depend on which Log
Analytics workspace is "the" Update Management workspace. The official script recomputes it
in each rule (a full event-log scan each time, quirk Q-W7); here it is one pure function over
the ``workspaces`` facts, so all four rules agree by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from umcheck.facts import Facts, WinWorkspaces
from umcheck.results import CheckResult
from umcheck.rules.base import RuleContext, Verdict
from umcheck.rules.windows_common import SERVICE_HEALTH, windows_rule

# Official Get-ValidWorkspace reasons ("" = exactly one valid workspace).
SINGLE, MULTIPLE_BUT_VALID, MULTIPLE, NONE = "", "MultipleButValid", "Multiple", "None"


@dataclass(frozen=True)
class WorkspaceResolution:
    """Outcome of W-A: the official reason, the valid workspace (if any) and umcheck's reason code.

    ``reason`` distinguishes what the official ``None`` lumps together: no workspace configured
    (``NoWorkspace``), no event 1210 listing the Updates solution (``NoUpdatesSolution``: not
    enabled, or the event rolled out of the log) and no ``Operations Manager`` log at all.
    """

    official: str
    workspace: str | None
    reason: str | None
    configured: tuple[str, ...] = ()
    with_updates: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.workspace is not None

    @property
    def matches(self) -> list[str]:
        return [w for w in self.with_updates if w in self.configured]

    def evidence(self) -> dict[str, Any]:
        return {
            "workspace": self.workspace,
            "resolution": self.official or "Single",
            "configured": list(self.configured[:10]),
            "with_updates": list(self.with_updates[:10]),
        }


def _ids(values: list[str]) -> tuple[str, ...]:
    """Workspace ids lower-cased and de-duplicated in order (PowerShell compares them case-blind)."""
    return tuple(dict.fromkeys(v.strip().lower() for v in values if v and v.strip()))


def resolve_workspace(ws: WinWorkspaces) -> WorkspaceResolution:
    """W-A: configured workspaces ∩ workspaces whose event 1210 lists ``updates;``."""
    configured = _ids(ws.configured)
    with_updates = _ids(ws.with_updates)
    if not ws.operations_log_present:  # official: reading the log throws -> None
        return WorkspaceResolution(
            NONE, None, "NoOperationsLog" if configured else "NoWorkspace", configured, with_updates
        )
    matches = [w for w in with_updates if w in configured]  # same as WorkspaceResolution.matches
    if len(matches) == 1:
        official = MULTIPLE_BUT_VALID if len(configured) > 1 else SINGLE
        reason = "MultipleButValid" if official else None
        return WorkspaceResolution(official, matches[0], reason, configured, with_updates)
    if len(matches) > 1:
        return WorkspaceResolution(MULTIPLE, None, "MultipleWorkspaces", configured, with_updates)
    return WorkspaceResolution(
        NONE, None, "NoUpdatesSolution" if configured else "NoWorkspace", configured, with_updates
    )


def workspace_of(facts: Facts) -> WorkspaceResolution:
    return resolve_workspace(facts.section("workspaces"))


_NONE_TEXT = {
    "NoWorkspace": "The Log Analytics agent is not connected to any workspace.",
    "NoUpdatesSolution": (
        "No connected workspace has the Updates solution in the agent configuration (event 1210); "
        "if it should, restart HealthService so that the event is logged again."
    ),
    "NoOperationsLog": "The 'Operations Manager' event log is missing, so no workspace can be confirmed.",
}


def none_text(res: WorkspaceResolution) -> str:
    """Why no single workspace was found, in one sentence."""
    if res.official == MULTIPLE:
        return (
            f"{len(res.matches)} workspaces have the Updates solution; Update Management needs exactly one."
        )
    return _NONE_TEXT.get(res.reason or "", "No workspace with the Updates solution was found.")


# ----------------------------------------------------------------------------------------------
# W9 LinkedWorkspaceCheck


def check_linked_workspace(facts: Facts, ctx: RuleContext) -> Verdict:
    res = workspace_of(facts)
    ev = res.evidence()
    if res.official == SINGLE:
        return Verdict(
            CheckResult.PASSED,
            f"The machine reports to workspace {res.workspace}; make sure it is the one linked to the Automation account.",
            args=[res.workspace],
            evidence=ev,
        )
    if res.official == MULTIPLE_BUT_VALID:
        return Verdict(
            CheckResult.WARNING,
            f"The agent is connected to {len(res.configured)} workspaces; only {res.workspace} has the Updates "
            "solution. Make sure it is the one linked to the Automation account.",
            args=[res.workspace],
            reason="MultipleButValid",
            evidence=ev,
        )
    if res.official == MULTIPLE:  # official id carries no reason here (Q-W2)
        return Verdict(
            CheckResult.FAILED, none_text(res), args=[""], reason="MultipleWorkspaces", evidence=ev
        )
    return Verdict(
        CheckResult.FAILED, none_text(res), suffix="NoWorkspace", args=[""], reason=res.reason, evidence=ev
    )


LINKED_WORKSPACE = windows_rule(
    "LinkedWorkspaceCheck",
    SERVICE_HEALTH,
    "VM's Linked Workspace",
    "Finds the Log Analytics workspace this machine reports Update Management data to.",
    check_linked_workspace,
    ("Passed", "PassedWithWarning", "Failed", "Failed.NoWorkspace"),
    ("workspaces",),
)
