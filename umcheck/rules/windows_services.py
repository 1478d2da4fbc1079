"""Service-health rules: Monitoring Agent service, system Hybrid Runbook Worker, event 4502, Windows Update.

Each decision is made on structured facts (service state, event ids and counts) rather than on
localized text, and where the official script is known to pass a broken machine the rule says
so with its own reason (quirks Q-W10d..f).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from umcheck.facts import AgentEvents, Facts, NotCollected, Service, SystemWorker, WinServices
from umcheck.results import CheckResult
from umcheck.rules.base import RuleContext, Verdict
from umcheck.rules.windows_common import MMA_ARGS, SERVICE_HEALTH, WU_SERVICE_HEALTH, windows_rule

EVENT_ARGS = ["Microsoft Monitoring Agent", "Operations Manager", "4502"]
WU_ARGS = ["Windows Update", "wuauserv"]
WORKER_STARTED, WORKER_STOPPED = 15003, 15004


def _running(svc: Service) -> bool:
    return svc.present and (svc.status or "").lower() == "running"


def _service_evidence(svc: Service) -> dict[str, Any]:
    return {"present": svc.present, "status": svc.status, "start_type": svc.start_type}


# ----------------------------------------------------------------------------------------------
# W6 MonitoringAgentServiceRunningCheck


def check_health_service(facts: Facts, ctx: RuleContext) -> Verdict:
    svc = facts.section("services").health_service
    ev = _service_evidence(svc)  # flat: readiness reads evidence["present"]
    if _running(svc):
        return Verdict(
            CheckResult.PASSED,
            "Microsoft Monitoring Agent service (HealthService) is running.",
            args=list(MMA_ARGS),
            evidence=ev,
        )
    if not svc.present:
        message, reason = (
            "Microsoft Monitoring Agent service (HealthService) is not installed.",
            "ServiceMissing",
        )
    else:
        message = f"Microsoft Monitoring Agent service (HealthService) is not running (status {svc.status})."
        reason = "ServiceNotRunning"
    return Verdict(CheckResult.FAILED, message, args=list(MMA_ARGS), reason=reason, evidence=ev)


# ----------------------------------------------------------------------------------------------
# W7 SystemHybridRunbookWorkerRunningCheck


def _age_hours(when: str | None, now: datetime) -> float | None:
    if not when:
        return None
    try:
        t = datetime.fromisoformat(when.replace("Z", "+00:00"))
        if t.tzinfo is None:
            t = t.replace(tzinfo=now.tzinfo)
        return round((now - t).total_seconds() / 3600, 1)
    except (ValueError, TypeError):
        return None


def _optional_services(facts: Facts) -> WinServices | None:
    try:
        return facts.section("services")
    except NotCollected:
        return None


def check_system_worker(facts: Facts, ctx: RuleContext) -> Verdict:
    """Newest 15003/15004 of the system worker group; a 15003 is not believed while HealthService,
    which hosts the worker, is not running (Q-W10f: the official check has no such sanity test)."""
    sw: SystemWorker = facts.section("system_worker")
    ev: dict[str, Any] = {
        "sma_log_present": sw.sma_log_present,
        "last_event_id": sw.last_event_id,
        "last_event_time": sw.last_event_time,
        "last_event_age_hours": _age_hours(sw.last_event_time, ctx.now),
        "group": sw.group,
    }
    failed = {"args": list(MMA_ARGS), "evidence": ev}
    if not sw.sma_log_present:
        return Verdict(
            CheckResult.FAILED,
            "The 'Microsoft-SMA/Operational' event log is missing: no Hybrid "
            "Runbook Worker has run on this machine.",
            reason="NoSmaLog",
            **failed,
        )
    if sw.last_event_id == WORKER_STARTED:
        services = _optional_services(facts)
        if services is not None and not _running(services.health_service):
            ev["health_service"] = _service_evidence(services.health_service)
            return Verdict(
                CheckResult.FAILED,
                "The system Hybrid Runbook Worker last logged a start (15003), but "
                "HealthService, which hosts it, is not running.",
                reason="HealthServiceNotRunning",
                **failed,
            )
        return Verdict(
            CheckResult.PASSED, "The system Hybrid Runbook Worker is running (last event 15003).", evidence=ev
        )
    if sw.last_event_id == WORKER_STOPPED:
        return Verdict(
            CheckResult.FAILED,
            "The system Hybrid Runbook Worker is stopped (last event 15004).",
            reason="WorkerStopped",
            **failed,
        )
    return Verdict(
        CheckResult.FAILED,
        "No start or stop event of the system Hybrid Runbook Worker was found: "
        "it was never registered or the log was cleared.",
        reason="NoWorkerEvent",
        **failed,
    )


# ----------------------------------------------------------------------------------------------
# W8 MonitoringAgentServiceEventsCheck


def check_agent_events(facts: Facts, ctx: RuleContext) -> Verdict:
    """Only 4502 events of the Hybrid Worker module count (Q-W10d); the total is kept as evidence."""
    ae: AgentEvents = facts.section("agent_events")
    ev = {
        "operations_log_present": ae.operations_log_present,
        "events_4502": ae.events_4502,
        "events_4502_hybrid": ae.events_4502_hybrid,
        "window_hours": ae.window_hours,
    }
    if not ae.operations_log_present:
        return Verdict(
            CheckResult.FAILED,
            "The 'Operations Manager' event log does not exist: the Microsoft "
            "Monitoring Agent is not installed or has never run.",
            suffix="NoLog",
            args=list(EVENT_ARGS),
            reason="NoOperationsLog",
            evidence=ev,
        )
    if ae.events_4502_hybrid > 0:
        return Verdict(
            CheckResult.FAILED,
            f"{ae.events_4502_hybrid} Hybrid Worker event(s) 4502 were logged in the "
            f"'Operations Manager' log in the last {ae.window_hours} hours.",
            suffix="EventFound",
            args=list(EVENT_ARGS),
            reason="HybridAgentEvents",
            evidence=ev,
        )
    other = (
        f" ({ae.events_4502} unrelated 4502 event(s) from other management packs were ignored.)"
        if ae.events_4502
        else ""
    )
    return Verdict(
        CheckResult.PASSED,
        f"No Hybrid Worker event 4502 in the 'Operations Manager' log in the last "
        f"{ae.window_hours} hours.{other}",
        args=list(EVENT_ARGS),
        evidence=ev,
    )


# ----------------------------------------------------------------------------------------------
# W18 WUServiceRunningCheck


def check_wu_service(facts: Facts, ctx: RuleContext) -> Verdict:
    """Start type Disabled fails (as official); a missing service fails too (Q-W10e). A stopped
    service with Manual start is normal: wuauserv starts on demand."""
    svc = facts.section("services").wuauserv
    ev = _service_evidence(svc)
    if not svc.present:
        return Verdict(
            CheckResult.FAILED,
            "The Windows Update service (wuauserv) does not exist.",
            args=list(WU_ARGS),
            reason="ServiceMissing",
            evidence=ev,
        )
    if (svc.start_type or "").lower() == "disabled":
        return Verdict(
            CheckResult.FAILED,
            "The Windows Update service (wuauserv) is disabled.",
            args=list(WU_ARGS),
            reason="ServiceDisabled",
            evidence=ev,
        )
    state = f"start type {svc.start_type or 'unknown'}, status {svc.status or 'unknown'}"
    return Verdict(
        CheckResult.PASSED,
        f"The Windows Update service (wuauserv) is not disabled ({state}).",
        args=list(WU_ARGS),
        evidence=ev,
    )


# ----------------------------------------------------------------------------------------------

HEALTH_SERVICE = windows_rule(
    "MonitoringAgentServiceRunningCheck",
    SERVICE_HEALTH,
    "Monitoring Agent service status",
    "The Microsoft Monitoring Agent service (HealthService) must be running.",
    check_health_service,
    ("Passed", "Failed"),
    ("services",),
)
SYSTEM_WORKER = windows_rule(
    "SystemHybridRunbookWorkerRunningCheck",
    SERVICE_HEALTH,
    "Hybrid runbook worker status",
    "The system Hybrid Runbook Worker used by Update Management must be running.",
    check_system_worker,
    ("Passed", "Failed"),
    ("system_worker", "services"),
)
AGENT_EVENTS = windows_rule(
    "MonitoringAgentServiceEventsCheck",
    SERVICE_HEALTH,
    "Monitoring Agent service events",
    "No Hybrid Worker event 4502 may appear in the Operations Manager log in the last 24 hours.",
    check_agent_events,
    ("Passed", "Failed.EventFound", "Failed.NoLog"),
    ("agent_events",),
)
WU_SERVICE = windows_rule(
    "WUServiceRunningCheck",
    WU_SERVICE_HEALTH,
    "WU service status",
    "The Windows Update service must not be disabled.",
    check_wu_service,
    ("Passed", "Failed"),
    ("services",),
)
