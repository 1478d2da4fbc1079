"""Fixed FleetResults for report tests: three nightly runs of a small mixed fleet, plus a hostile one.

Timestamps, run ids and every outcome are constants, so golden files are byte-stable.
"""

from __future__ import annotations

from dataclasses import replace

from umcheck.results import Carried, FleetResult, HostResult, Remediation, RuleOutcome, RunScope

DOC_WIN = "https://learn.microsoft.com/azure/automation/troubleshoot/update-agent-issues"
DOC_LINUX = "https://learn.microsoft.com/azure/automation/troubleshoot/update-agent-issues-linux"

REM = {
    "TlsVersionCheck": Remediation(
        summary="Enable TLS 1.2 for SCHANNEL and .NET (SchUseStrongCrypto), then reboot.",
        commands=[
            "$p = 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Client'",
            "New-Item -Path $p -Force | Out-Null",
            "Set-ItemProperty -Path $p -Name Enabled -Value 1 -Type DWord",
            "Set-ItemProperty -Path $p -Name DisabledByDefault -Value 0 -Type DWord",
        ],
        verify="Re-run umcheck for this host after the reboot.",
        links=["https://learn.microsoft.com/windows-server/security/tls/tls-registry-settings#tls-12"],
    ),
    "AutomationAgentServiceConnectivityCheck1": Remediation(
        summary="Allow outbound TCP 443 to the registration endpoint (*.agentsvc.azure-automation.net).",
        commands=["Test-NetConnection <workspaceId>.agentsvc.azure-automation.net -Port 443"],
        links=["https://learn.microsoft.com/azure/automation/automation-network-configuration"],
    ),
    "SystemHybridRunbookWorkerRunningCheck": Remediation(
        summary="Force re-registration: remove the HybridRunbookWorker registry key and restart HealthService.",
        commands=[
            "Remove-Item -Path HKLM:\\SOFTWARE\\Microsoft\\HybridRunbookWorker -Recurse",
            "Restart-Service HealthService",
        ],
        verify="Event 15003 appears in Microsoft-SMA/Operational.",
        links=[
            "https://learn.microsoft.com/azure/automation/troubleshoot/hybrid-runbook-worker#corrupt-cache"
        ],
    ),
    "LinkedWorkspaceCheck": Remediation(
        summary="Connect the agent to the one workspace linked to the Automation account.",
        links=[f"{DOC_WIN}#linked-workspace"],
    ),
    "WSUSServerConfigured": Remediation(
        summary="Approve updates in WSUS before deployments, or remove the WSUS policy if not intended.",
        shell="text",
        links=["https://learn.microsoft.com/azure/automation/update-management/configure-wuagent"],
    ),
    "Linux.OMSAgentStatusCheck": Remediation(
        summary="Restart the Log Analytics agent.",
        commands=["sudo /opt/microsoft/omsagent/bin/service_control restart"],
        shell="sh",
        verify="ps aux | grep omsagent",
        links=["https://learn.microsoft.com/azure/azure-monitor/agents/agent-linux-troubleshoot"],
    ),
    "Linux.JRDSConnectivityCheck": Remediation(
        summary="Allow outbound TCP 443 to the operations (JRDS) endpoint.",
        commands=["curl -sv https://<region>-jobruntimedata-prod-su1.azure-automation.net"],
        shell="sh",
        links=["https://learn.microsoft.com/azure/automation/automation-network-configuration"],
    ),
}

GROUPS = {
    "prerequisites": "Prerequisite Checks",
    "connectivity": "connectivity",
    "servicehealth": "VM Service Health Checks",
    "machineSettings": "Machine Override Checks",
}

NAMES = {
    "OperatingSystemCheck": ("prerequisites", "Operating System"),
    "TlsVersionCheck": ("prerequisites", "TLS 1.2"),
    "AutomationAgentServiceConnectivityCheck1": ("connectivity", "Registration endpoint"),
    "MonitoringAgentServiceRunningCheck": ("servicehealth", "Monitoring Agent service status"),
    "SystemHybridRunbookWorkerRunningCheck": ("servicehealth", "Hybrid runbook worker status"),
    "LinkedWorkspaceCheck": ("servicehealth", "VM's Linked Workspace"),
    "WSUSServerConfigured": ("machineSettings", "isWSUSServerConfigured"),
    "Linux.OperatingSystemCheck": ("prerequisites", "Operating system"),
    "Linux.OMSAgentStatusCheck": ("servicehealth", "Monitoring Agent status"),
    "Linux.ImdsCheck": ("connectivity", "IMDS connectivity check"),
    "Linux.JRDSConnectivityCheck": ("connectivity", "Operations endpoint"),
}


def outcome(
    rule_id: str,
    result: str,
    message: str,
    *,
    suffix: str | None = None,
    reason: str | None = None,
    evidence: dict | None = None,
    args: list | None = None,
) -> RuleOutcome:
    group, name = NAMES[rule_id]
    mid = f"{rule_id}.{result}" + (f".{suffix}" if suffix else "")
    return RuleOutcome(
        RuleId=rule_id,
        RuleGroupId=group,
        RuleName=name,
        RuleGroupName=GROUPS[group],
        RuleDescription=f"Checks {name}.",
        CheckResult=result,
        CheckResultMessage=message,
        CheckResultMessageId=mid,
        CheckResultMessageArguments=args if args is not None else [],
        reason=reason,
        evidence=evidence or {},
        remediation=REM.get(rule_id) if result in ("Failed", "PassedWithWarning") else None,
    )


def win_ok(*extra: RuleOutcome) -> list[RuleOutcome]:
    base = {
        "OperatingSystemCheck": outcome(
            "OperatingSystemCheck",
            "Passed",
            "Operating System version is supported",
            evidence={"version": "10.0.17763"},
        ),
        "TlsVersionCheck": outcome(
            "TlsVersionCheck",
            "Passed",
            "TLS 1.2 is enabled by default on the Operating System.",
            suffix="EnabledByDefault",
        ),
        "MonitoringAgentServiceRunningCheck": outcome(
            "MonitoringAgentServiceRunningCheck",
            "Passed",
            "Monitoring Agent service (HealthService) is running",
        ),
    }
    for o in extra:
        base[o.RuleId] = o
    return list(base.values())


def linux_ok(*extra: RuleOutcome) -> list[RuleOutcome]:
    base = {
        "Linux.OperatingSystemCheck": outcome(
            "Linux.OperatingSystemCheck",
            "Passed",
            "Operating system version is supported",
            evidence={"os_release": "Ubuntu 20.04.6 LTS"},
        ),
        "Linux.OMSAgentStatusCheck": outcome("Linux.OMSAgentStatusCheck", "Passed", "OMS Agent is running"),
        "Linux.ImdsCheck": outcome(
            "Linux.ImdsCheck",
            "NotEvaluated",
            "Not evaluated: the 'imds' facts were not collected (probe disabled).",
            reason="imds: probe disabled",
        ),
    }
    for o in extra:
        base[o.RuleId] = o
    return list(base.values())


TLS_FAIL = outcome(
    "TlsVersionCheck",
    "Failed",
    "TLS 1.2 is not explicitly enabled.",
    suffix="NotExplicitlyEnabled",
    reason="SCHANNEL Client key has no Enabled=1",
    evidence={"Client.Enabled": None, "Client.DisabledByDefault": None, "os": "6.1.7601"},
)
TLS_DISABLED = outcome(
    "TlsVersionCheck",
    "Failed",
    "TLS 1.2 is explicitly disabled.",
    suffix="ExplicitlyDisabled",
    evidence={"Client.Enabled": 0},
)
AGENTSVC_FAIL = outcome(
    "AutomationAgentServiceConnectivityCheck1",
    "Failed",
    "TCP connection to 4f1c.agentsvc.azure-automation.net:443 failed",
    evidence={"endpoint": "4f1c.agentsvc.azure-automation.net", "port": 443, "error": "timed out"},
)
HRW_FAIL = outcome(
    "SystemHybridRunbookWorkerRunningCheck",
    "Failed",
    "Hybrid runbook worker is not running.",
    reason="no 15003 event since HealthService start",
)
NO_WS = outcome(
    "LinkedWorkspaceCheck", "Failed", "VM is not reporting to any workspace.", suffix="NoWorkspace"
)
WSUS_WARN = outcome(
    "WSUSServerConfigured",
    "PassedWithWarning",
    "VM is configured to download updates from WSUS server",
    evidence={"WUServer": "http://wsus.corp.example:8530"},
)
OMS_FAIL = outcome(
    "Linux.OMSAgentStatusCheck", "Failed", "OMS Agent is not running", evidence={"processes": []}
)
JRDS_FAIL = outcome(
    "Linux.JRDSConnectivityCheck",
    "Failed",
    "TCP test for weu-jobruntimedata-prod-su1.azure-automation.net (port 443) failed",
    evidence={"endpoint": "weu-jobruntimedata-prod-su1.azure-automation.net", "port": 443},
)


def host(
    name: str,
    os_family: str,
    *,
    status: str = "ok",
    readiness: str = "Ready",
    outcomes=(),
    reason: str | None = None,
    error: str | None = None,
    transport: str | None = None,
    address: str | None = None,
    minute: int = 15,
    elapsed: int = 4200,
) -> HostResult:
    return HostResult(
        name=name,
        status=status,
        readiness=readiness,
        readiness_reason=reason,
        os_family=os_family,
        address=address or f"10.20.0.{abs(hash(name)) % 1 + len(name)}",
        transport=transport or ("ssh" if os_family == "linux" else "winrm"),
        error=error,
        error_kind=status if status != "ok" else None,
        outcomes=list(outcomes),
        started=f"2026-11-26T04:{minute:02d}:01+00:00",
        elapsed_ms=elapsed,
        attempts=1 if status == "ok" else 3,
    )


def _fleet(run_id: str, day: int, hosts: list[HostResult], duration_min: int = 6) -> FleetResult:
    return FleetResult(
        run_id=run_id,
        started=f"2026-11-{day:02d}T04:15:00+00:00",
        finished=f"2026-11-{day:02d}T04:{15 + duration_min:02d}:12+00:00",
        hosts=hosts,
        inventory=["inventory/prod.yml"],
        umcheck_version="0.1.0",
        scope=RunScope(kind="full", hosts=len(hosts)),
    )


def current_fleet() -> FleetResult:
    """The run the golden files show: 9 hosts, every readiness state and several scan failures."""
    return _fleet(
        "20261126-041500-ab12",
        26,
        [
            host(
                "win-app-01",
                "windows",
                outcomes=win_ok(WSUS_WARN),
                reason="registered, agent and worker running",
            ),
            host(
                "win-sql-02",
                "windows",
                transport="psrp",
                readiness="Disconnected",
                outcomes=win_ok(TLS_FAIL, AGENTSVC_FAIL),
                reason="registration endpoint unreachable",
            ),
            host(
                "win-dc-03",
                "windows",
                readiness="Not configured",
                outcomes=win_ok(TLS_DISABLED, HRW_FAIL, NO_WS),
                reason="no Hybrid Runbook Worker registration",
            ),
            host("lnx-web-01", "linux", outcomes=linux_ok(), reason="worker processes running"),
            host(
                "lnx-db-02",
                "linux",
                readiness="Disconnected",
                outcomes=linux_ok(OMS_FAIL, JRDS_FAIL),
                reason="agent stopped",
            ),
            host(
                "win-old-04",
                "windows",
                status="unreachable",
                readiness="Unknown",
                error="connect to 10.20.0.14:5985: connection refused",
            ),
            host(
                "win-hr-05",
                "windows",
                status="auth_failed",
                readiness="Unknown",
                error="NTLM authentication failed (HTTP 401)",
            ),
            host(
                "lnx-batch-03",
                "linux",
                status="timeout",
                readiness="Unknown",
                error="host deadline of 120 s passed during collector run",
            ),
            host(
                "win-fs-06",
                "windows",
                transport="psrp",
                status="collector_error",
                readiness="Unknown",
                error="collector output had no end marker",
            ),
        ],
    )


def previous_fleet() -> FleetResult:
    """The night before: win-sql-02, win-old-04 and lnx-batch-03 were Ready; lnx-web-01 was down."""
    return _fleet(
        "20261125-041500-9f3c",
        25,
        [
            host("win-app-01", "windows", outcomes=win_ok(WSUS_WARN)),
            host("win-sql-02", "windows", transport="psrp", outcomes=win_ok()),
            host(
                "win-dc-03",
                "windows",
                readiness="Not configured",
                outcomes=win_ok(TLS_DISABLED, HRW_FAIL, NO_WS),
            ),
            host("lnx-web-01", "linux", readiness="Disconnected", outcomes=linux_ok(OMS_FAIL)),
            host("lnx-db-02", "linux", readiness="Disconnected", outcomes=linux_ok(OMS_FAIL)),
            host("win-old-04", "windows", outcomes=win_ok()),
            host(
                "win-hr-05",
                "windows",
                status="auth_failed",
                readiness="Unknown",
                error="NTLM authentication failed (HTTP 401)",
            ),
            host("lnx-batch-03", "linux", outcomes=linux_ok()),
            host("win-retired-07", "windows", outcomes=win_ok()),
        ],
        duration_min=5,
    )


def oldest_fleet() -> FleetResult:
    return _fleet(
        "20261124-041500-1a2b",
        24,
        [
            host("win-app-01", "windows", outcomes=win_ok()),
            host("win-sql-02", "windows", transport="psrp", outcomes=win_ok()),
            host("win-dc-03", "windows", readiness="Not configured", outcomes=win_ok(HRW_FAIL, NO_WS)),
            host("lnx-web-01", "linux", outcomes=linux_ok()),
            host("lnx-db-02", "linux", outcomes=linux_ok()),
            host("win-old-04", "windows", outcomes=win_ok()),
            host("win-hr-05", "windows", outcomes=win_ok()),
            host("lnx-batch-03", "linux", outcomes=linux_ok()),
            host("win-retired-07", "windows", outcomes=win_ok()),
        ],
        duration_min=5,
    )


# --- a partial re-check: merged state with carried-forward and missing results ----------------

RECHECK_RUN = "20261126-071500-ef56"  # an earlier re-check that evaluated TlsVersionCheck
PARTIAL_RUN = "20261126-091500-cd34"
AGENTSVC_OK = outcome(
    "AutomationAgentServiceConnectivityCheck1",
    "Passed",
    "TCP connection to 4f1c.agentsvc.azure-automation.net:443 succeeded",
)
PARTIAL_MISSING = ["OperatingSystemCheck", "TlsVersionCheck", "MonitoringAgentServiceRunningCheck"]


def carried(o: RuleOutcome, run_id: str, evaluated_at: str, age_seconds: int) -> RuleOutcome:
    return replace(o, carried=Carried(run_id, evaluated_at, age_seconds))


def partial_fleet() -> FleetResult:
    """Two hosts re-checked for one rule: win-sql-02 carries its other results forward (TLS still
    Failed, 2 h old), win-new-08 was never scanned before and has rules with no result at all."""
    ok = {o.RuleId: o for o in win_ok()}
    night = ("20261126-041500-ab12", "2026-11-26T04:15:01+00:00", 18000)
    sql = host(
        "win-sql-02",
        "windows",
        transport="psrp",
        readiness="Disconnected",
        reason="onboarded but failing: TlsVersionCheck [2h old]",
        outcomes=[
            carried(ok["OperatingSystemCheck"], *night),
            carried(TLS_FAIL, RECHECK_RUN, "2026-11-26T07:15:01+00:00", 7200),
            carried(ok["MonitoringAgentServiceRunningCheck"], *night),
            AGENTSVC_OK,
        ],
    )
    new = replace(
        host(
            "win-new-08",
            "windows",
            readiness="Unknown",
            reason="partial: 1 of 4 rules checked, no earlier result for "
            + ", ".join(PARTIAL_MISSING)
            + " (run a full scan)",
            outcomes=[AGENTSVC_OK],
        ),
        missing_rules=list(PARTIAL_MISSING),
    )
    return FleetResult(
        run_id=PARTIAL_RUN,
        started="2026-11-26T09:15:00+00:00",
        finished="2026-11-26T09:15:40+00:00",
        hosts=[replace(h, started="2026-11-26T09:15:01+00:00", elapsed_ms=3100) for h in (sql, new)],
        rules=["AutomationAgentServiceConnectivityCheck1"],
        inventory=["inventory/prod.yml"],
        limit="win-sql-02:win-new-08",
        umcheck_version="0.1.0",
        scope=RunScope(
            kind="partial",
            rules=["AutomationAgentServiceConnectivityCheck1"],
            limit="win-sql-02:win-new-08",
            hosts=2,
        ),
    )


# --- hostile input ---------------------------------------------------------------------------

XSS_NAME = "<script>alert('name')</script>"
ATTR_BREAKER = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(document.cookie)"
EVIL_RULE = 'Evil"Rule\\x\nnext'
HOSTILE_RUN = (
    "=1+1 <script>alert('run')</script>\x1b[31m"  # a carried outcome's run id, from a tampered store
)
HOSTILE_MISSING = "=cmd|' /C calc'!A0 <i>x</i> \x1b[2J"


def hostile_fleet() -> FleetResult:
    """Host-controlled strings shaped to break every output format."""
    evil = RuleOutcome(
        RuleId=EVIL_RULE,
        RuleGroupId="connectivity",
        RuleName=f"{XSS_NAME} | [click](javascript:alert(2)) `code`",
        RuleGroupName="connectivity",
        RuleDescription=ATTR_BREAKER,
        CheckResult="Failed",
        CheckResultMessage=f'=HYPERLINK("http://evil.example","x") {ATTR_BREAKER} </script><script>alert(3)</script>',
        CheckResultMessageId=f"{EVIL_RULE}.Failed",
        CheckResultMessageArguments=[ATTR_BREAKER],
        reason="+cmd|' /C calc'!A0",
        evidence={"path": "C:\\evil\\<b>bold</b>", ATTR_BREAKER: JS_URL, "ansi": "\x1b[2J\x1b[31mred"},
        remediation=Remediation(
            summary=f"@SUM(1+1) {XSS_NAME}",
            commands=["```", "</pre><script>alert(4)</script>"],
            links=[JS_URL, "data:text/html,<script>alert(5)</script>", "https://learn.microsoft.com/ok"],
        ),
    )
    evil = carried(evil, HOSTILE_RUN, ATTR_BREAKER, 7200)  # a tampered history: the run id is hostile too
    return FleetResult(
        run_id="20261126-050000-evil",
        started="2026-11-26T05:00:00+00:00",
        finished="2026-11-26T05:01:00+00:00",
        hosts=[
            HostResult(
                name=XSS_NAME,
                os_family="windows",
                status="ok",
                readiness="Disconnected",
                readiness_reason=ATTR_BREAKER,
                outcomes=[evil],
                address="-1+2",
            ),
            HostResult(
                name=ATTR_BREAKER,
                os_family="linux",
                status="unreachable",
                readiness="Unknown",
                error=f"-{JS_URL} \x1b]0;pwned\x07",
                address="@evil",
            ),
            HostResult(
                name="win|pipe[1]`tick`",
                os_family="windows",
                status="ok",
                readiness="Ready",
                outcomes=[],
                missing_rules=[HOSTILE_MISSING, EVIL_RULE],
            ),
        ],
        umcheck_version="0.1.0",
        scope=RunScope(kind="partial", rules=[EVIL_RULE], pattern=XSS_NAME, rerun=ATTR_BREAKER, hosts=3),
    )


def html_host_data(page: str) -> dict[str, dict]:
    """The HTML report's host data block, decoded: host name -> {field: value} with strings resolved."""
    import json

    raw = page.split('<script type="application/json" id="host-data">', 1)[1].split("</script>", 1)[0]
    data = json.loads(raw)

    def value(field: str, v):
        if field in ("missing", "collector_errors"):
            return [data["s"][i] for i in v]
        if field in ("carried", "outcomes"):
            return v
        return data["s"][v] if v >= 0 else None

    hosts = [{f: value(f, v) for f, v in zip(data["fields"], h, strict=True)} for h in data["h"]]
    return {h["name"]: h for h in hosts}
