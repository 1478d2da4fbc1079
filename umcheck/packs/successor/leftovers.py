"""Legacy leftovers (successor-readiness.md §5, §7 rules 33-35): read from the v1 sections, so a
v1 scan of the same host already knows them."""

from __future__ import annotations

from umcheck.facts import Facts
from umcheck.packs.successor.common import LEFTOVERS, _is_user_worker, optional, scope_of, successor_rule
from umcheck.packs.successor.hosting import hrw_extension
from umcheck.packs.successor.updates import PATCH_EXTENSIONS
from umcheck.results import CheckResult
from umcheck.rules.base import RuleContext, Verdict


def _v2_healthy(facts: Facts) -> bool:
    hrw2 = optional(facts, "hrw2")
    try:
        ext = hrw_extension(facts)
    except Exception:  # noqa: BLE001 - extensions not collected: not healthy as far as we know
        return False
    return ext is not None and hrw2 is not None and hrw2.service is not None and hrw2.service.running


def _successor_ready(facts: Facts, ctx: RuleContext) -> bool:
    """Update Manager's patch extension last reported Success and, where a worker is wanted, the
    extension-based worker runs: the successor stack does the legacy agent's job (§7 rule 33)."""
    ext = optional(facts, "extensions")
    patch = ext.named(*PATCH_EXTENSIONS[facts.os_family]) if ext is not None else []
    if not patch or any((e.status or "").lower() != "success" for e in patch):
        return False
    return _v2_healthy(facts) or not scope_of(facts, ctx).wants_hrw


# 33 SR.Leg.MmaPresent -------------------------------------------------------------------------------
def check_mma(facts: Facts, ctx: RuleContext) -> Verdict:
    if facts.os_family == "windows":
        svc = facts.section("services").health_service
        ws = optional(facts, "workspaces")
        present, workspaces = svc.present, list(ws.configured) if ws else []
        ev = {"HealthService": svc.status if svc.present else "missing", "workspaces": workspaces}
    else:
        oms = facts.section("oms_agent")
        present, workspaces = oms.omsadmin_conf_present or oms.running, [oms.conf.get("WORKSPACE_ID", "")] if oms.conf else []
        ev = {"omsagent_running": oms.running, "omsadmin_conf": oms.omsadmin_conf_present, "workspaces": workspaces}
    if not present:
        return Verdict(CheckResult.PASSED, "The retired Log Analytics agent (MMA/OMS) is not installed.", evidence=ev)
    ev["successor_ready"] = ready = _successor_ready(facts, ctx)
    if any(workspaces) and ready:
        return Verdict(CheckResult.FAILED, f"The retired Log Analytics agent (MMA/OMS) still reports to {len(workspaces)} "
                       "workspace(s) although Update Manager (and the extension worker) already serve this machine: "
                       "remove it.", reason="StillReporting", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.WARNING, "The retired Log Analytics agent (MMA/OMS) is still installed"
                   + (f" and reports to {len(workspaces)} workspace(s)" if workspaces else "")
                   + ": remove it once Update Manager and the extension worker are validated.",
                   reason="AgentPresent", evidence=ev)  # fmt: skip


# 34 SR.Leg.HrwV1Registration ---------------------------------------------------------------------------
def check_v1_worker(facts: Facts, ctx: RuleContext) -> Verdict:
    if facts.os_family == "windows":
        hrw = facts.section("hrw")
        v1 = [r for r in hrw.registrations if r.layout == "v1"]
        users = [r.group for r in v1 if _is_user_worker(r.group)]
        system = [r.group for r in v1 if not _is_user_worker(r.group)]
    else:
        # v1 facts show the Update Management (system) worker only; Linux user workers registered with
        # onboarding.py are not collected, so this rule never claims there is none.
        worker = facts.section("worker")
        users = []
        system = ["(system worker)"] if worker.worker_conf_present or worker.manager_running else []
    ev = {"user_groups": users, "system_groups": system, "extension_worker_healthy": _v2_healthy(facts)}
    if facts.os_family == "linux":
        ev["not_collected"] = "Linux V1 user workers (onboarding.py registrations)"
    if users:
        if ev["extension_worker_healthy"]:
            return Verdict(CheckResult.WARNING, "A retired V1 user worker is still registered beside a healthy extension "
                           "worker: deregister V1 now that V2 works.", reason="SideBySide", evidence=ev)  # fmt: skip
        return Verdict(CheckResult.FAILED, "A retired agent-based (V1) user Hybrid Runbook Worker is registered and no "
                       "extension-based worker replaces it.", reason="UserWorkerV1", evidence=ev)  # fmt: skip
    if system:
        return Verdict(CheckResult.WARNING, "The Update Management system worker (V1) is still registered.",
                       reason="SystemWorkerV1", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "No agent-based (V1) worker is registered.", evidence=ev)


# 35 SR.Leg.UpdateManagementActive ------------------------------------------------------------------------
def check_um_active(facts: Facts, ctx: RuleContext) -> Verdict:
    if facts.os_family == "windows":
        ws = facts.section("workspaces")
        active, ev = bool(ws.with_updates), {"workspaces_with_updates": list(ws.with_updates)}
    else:
        mof = facts.section("current_mof")
        active, ev = bool(mof.present and mof.updates_enabled), {"current_mof": mof.present, "updates_enabled": mof.updates_enabled}
    if active:
        return Verdict(CheckResult.WARNING, "Update Management is still configured for this machine: run the "
                       "MigrateToAzureUpdateManager and DeboardFromAutomationUpdateManagement runbooks.",
                       reason="StillConfigured", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "Update Management is not configured here.", evidence=ev)


BOTH = ("windows", "linux")
LEFTOVER_RULES = [
    *successor_rule("SR.Leg.MmaPresent", BOTH, LEFTOVERS, "Log Analytics agent leftover",
                    "The MMA/OMS agent retired on 31 August 2024.", check_mma, ("Passed", "PassedWithWarning", "Failed"),
                    ("services", "workspaces", "oms_agent", "extensions", "hrw2", "hrw", "worker")),
    # Linux V1 user workers are not collected, so the Linux rule cannot fail (message ids stay exact).
    *(spec for os_family, outs in (("windows", ("Passed", "PassedWithWarning", "Failed")), ("linux", ("Passed", "PassedWithWarning")))
      for spec in successor_rule("SR.Leg.HrwV1Registration", (os_family,), LEFTOVERS, "Agent-based worker leftover",
                                 "V1 Hybrid Runbook Workers retired on 31 August 2024.", check_v1_worker, outs,
                                 ("hrw", "worker", "extensions", "hrw2"))),
    *successor_rule("SR.Leg.UpdateManagementActive", BOTH, LEFTOVERS, "Update Management still configured",
                    "Machines still in Update Management are not yet migrated to Update Manager.", check_um_active,
                    ("Passed", "PassedWithWarning"), ("workspaces", "current_mof")),
]  # fmt: skip
