"""Generate the successor pack's golden rule fixtures: ``python tests/golden/rules/make_successor.py``.

Each case starts from a host healthy on the successor stack (an Arc-connected server with the
extension-based worker and an Update Manager patch extension reporting Success, no legacy
leftovers), or from an Azure VM for the guest-agent cases, changes the facts its branch is about,
and keeps only the sections its rule reads. Every fixture cites the public source of its
expectation and the basis mark of successor-readiness.md §7 (D documented, C Microsoft code,
I inferred, U unverified). The JSON files are committed; this script rewrites every ``SR.*``
directory next to it.
"""

from __future__ import annotations

import copy
import json
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from umcheck.rules.catalog import select_rules  # noqa: E402  (the catalog first: it imports the pack)

SUCCESSOR_RULES = select_rules(["pack:successor"])

NOW = "2026-12-15T10:00:00+00:00"
HEARTBEAT = "2026-12-15T09:57:00+00:00"
WS = "11111111-2222-3333-4444-555555555555"
ACCOUNT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
ACCOUNT_URL = f"https://{ACCOUNT}.jrds.we.azure-automation.net/automationAccounts/{ACCOUNT}"
NEEDS = {(r.rule_id, r.os_family): r.needs for r in SUCCESSOR_RULES}
BOTH = ("windows", "linux")

# successor-readiness.md §7: the Doc column of each rule as public URLs, with its basis mark.
LEARN = "https://learn.microsoft.com/azure"
ARC = f"{LEARN}/azure-arc/servers"
HRW_TS = f"{LEARN}/automation/troubleshoot/extension-based-hybrid-runbook-worker"
AUM_WU = f"{LEARN}/update-manager/configure-wu-agent"
SOURCES: dict[str, tuple[list[str], str, int]] = {
    "SR.Arc.AgentInstalled": ([f"{ARC}/agent-overview"], "D", 1),
    "SR.Arc.Connected": ([f"{ARC}/azcmagent-show"], "D (thresholds I)", 2),
    "SR.Arc.Services": ([f"{ARC}/agent-overview"], "D (arcproxy names U)", 3),
    "SR.Arc.HimdsListening": ([f"{ARC}/managed-identity-authentication"], "D (401 expectation I)", 4),
    "SR.Arc.AgentVersion": ([f"{ARC}/agent-release-notes", f"{ARC}/agent-overview"], "D", 5),
    "SR.Arc.Proxy": ([f"{ARC}/manage-agent"], "D", 8),
    "SR.Arc.ExtensionPolicy": ([f"{ARC}/security-extensions"], "D (monitor-mode content U)", 9),
    "SR.Arc.ServiceLogonRight": ([f"{ARC}/prerequisites", "https://learn.microsoft.com/previous-versions/windows/desktop/"
                                  "policy/rsop-userprivilegeright"], "D", 10),
    "SR.Arc.TlsCipherSuites": ([f"{ARC}/troubleshoot-networking"], "D (1.64 change U)", 11),
    "SR.Arc.NotOnAzureVm": ([f"{ARC}/plan-evaluate-on-azure-virtual-machine"], "D", 12),
    "SR.AzVm.GuestAgent": (["https://github.com/Azure/AzureUpdateManager (Troubleshooter, @32fc23c)"], "C", 13),
    "SR.Hrw2.ExtensionPresent": ([f"{LEARN}/automation/extension-based-hybrid-runbook-worker-install"], "D", 14),
    "SR.Hrw2.Settings": ([HRW_TS], "D (format I)", 15),
    "SR.Hrw2.WorkerService": ([HRW_TS], "D", 16),
    "SR.Hrw2.Registration": ([HRW_TS], "D keys, C values", 17),
    "SR.Aum.PatchExtensions": ([f"{LEARN}/update-manager/workflow-update-manager", f"{LEARN}/update-manager/troubleshoot"],
                               "D/C", 22),
    "SR.Aum.WuService": ([f"{LEARN}/update-manager/troubleshoot"], "D/C", 23),
    "SR.Aum.WsusConfig": ([AUM_WU], "D", 24),
    "SR.Aum.AutoUpdatePolicy": ([AUM_WU, f"{LEARN}/automation/update-management/configure-wuagent"], "D/C", 25),
    "SR.Aum.AutoReboot": ([AUM_WU], "C", 26),
    "SR.Aum.MicrosoftUpdate": ([AUM_WU], "C/D", 27),
    "SR.Hrw2.JobErrors": ([HRW_TS], "D (window I)", 21),
    "SR.Hrw2.CustomCredAcl": ([HRW_TS, "https://learn.microsoft.com/dotnet/api/system.security.accesscontrol.filesystemrights"],
                              "D", 20),
    "SR.Aum.LinuxPrereqs": ([f"{LEARN}/update-manager/prerequisites"], "D", 29),
    "SR.Aum.LinuxAutoUpdates": (["https://github.com/Azure/LinuxPatchExtension"], "C", 31),
    "SR.Arc.OsSupported": ([f"{ARC}/prerequisites", f"{ARC}/agent-release-notes"], "D", 6),
    "SR.Hrw2.Prereqs": ([f"{LEARN}/automation/extension-based-hybrid-runbook-worker-install"], "D (Release number I)", 18),
    "SR.Aum.LinuxRepos": ([f"{LEARN}/update-manager/troubleshoot"], "C", 30),
    "SR.Aum.AutoAssessTimer": (["https://github.com/Azure/AzureUpdateManager (Troubleshooter, @32fc23c)"], "C", 32),
    "SR.Arc.Endpoints": ([f"{ARC}/network-requirements", f"{ARC}/azcmagent-check"], "D (check schema U)", 7),
    "SR.Hrw2.Connectivity": ([f"{LEARN}/automation/extension-based-hybrid-runbook-worker-install",
                              f"{LEARN}/automation/automation-network-configuration"], "D", 19),
    "SR.Aum.WuEndpoints": ([f"{LEARN}/update-manager/prerequisites",
                            "https://github.com/Azure/AzureUpdateManager (Troubleshooter, @32fc23c)"], "C", 28),
    "SR.Leg.MmaPresent": ([f"{LEARN}/azure-monitor/agents/agent-manage", f"{LEARN}/azure-monitor/agents/log-analytics-agent"],
                          "D (SCOM split I)", 33),
    "SR.Leg.HrwV1Registration": ([f"{LEARN}/automation/migrate-existing-agent-based-hybrid-worker-to-extension-based-workers"],
                                 "D", 34),
    "SR.Leg.UpdateManagementActive": (
        [f"{LEARN}/update-manager/guidance-migration-automation-update-management-azure-update-manager"], "D", 35),
}  # fmt: skip

ARC_SERVICES = {"windows": ("himds", "ExtensionService", "GCArcService", "arcproxy"),
                "linux": ("himdsd", "extd", "gcad", "arcproxyd")}  # fmt: skip
GUEST_AGENT = {"windows": ("WindowsAzureGuestAgent", "RdAgent"), "linux": ("walinuxagent",)}
HRW_EXT = {"windows": "Microsoft.Azure.Automation.HybridWorker.HybridWorkerForWindows",
           "linux": "Microsoft.Azure.Automation.HybridWorker.HybridWorkerForLinux"}  # fmt: skip
PATCH_EXT = {"windows": ("Microsoft.CPlat.Core.WindowsPatchExtension", "Microsoft.SoftwareUpdateManagement.WindowsOsUpdateExtension"),
             "linux": ("Microsoft.CPlat.Core.LinuxPatchExtension", "Microsoft.SoftwareUpdateManagement.LinuxOsUpdateExtension")}  # fmt: skip
IMDS = "http://169.254.169.254/metadata/instance?api-version=2018-02-01"
# The successor probes (umcheck/endpoints.py): Arc (required first), Windows Update, WireServer, worker hosts.
ARC_PROBES = (("arc_login", "login.microsoftonline.com"), ("arc_pas", "pas.windows.net"),
              ("arc_his", "gbl.his.arc.azure.com"), ("arc_gc", "agentserviceapi.guestconfiguration.azure.com"),
              ("arc_gns", "guestnotificationservice.azure.com"), ("arc_arm", "management.azure.com"),
              ("arc_download", "download.microsoft.com"), ("arc_packages", "packages.microsoft.com"))  # fmt: skip
WU_PROBES = ("windowsupdate.microsoft.com", "dl.delivery.mp.microsoft.com", "download.windowsupdate.com",
             "download.microsoft.com", "ntservicepack.microsoft.com", "go.microsoft.com")  # fmt: skip
JRDS_HOST = f"{ACCOUNT}.jrds.we.azure-automation.net"
AGENTSVC_HOST = f"{ACCOUNT}.agentsvc.we.azure-automation.net"


def svc(name: str, status: str | None = "Running", present: bool = True, start_type: str = "Automatic") -> dict[str, Any]:
    if not present:
        return {"name": name, "present": False, "status": None, "start_type": None}
    return {"name": name, "present": True, "status": status, "start_type": start_type}


def running(os_family: str, name: str) -> dict[str, Any]:
    return svc(name, "Running" if os_family == "windows" else "active", start_type="Automatic" if os_family == "windows" else "enabled")


def stopped(os_family: str, name: str) -> dict[str, Any]:
    return svc(name, "Stopped" if os_family == "windows" else "inactive", start_type="Automatic" if os_family == "windows" else "enabled")


def imds_probe(ok: bool) -> dict[str, Any]:
    p: dict[str, Any] = {"name": "imds", "target": IMDS, "port": 80, "kind": "http", "via": "direct", "ok": ok, "elapsed_ms": 20}
    p.update({"status": 200} if ok else {"error": "timeout", "detail": "no answer within 5 s", "elapsed_ms": 5000})
    return p


def probe(name: str, target: str, kind: str, port: int = 443, ok: bool = True, error: str | None = None,
          **kw: Any) -> dict[str, Any]:
    p: dict[str, Any] = {"name": name, "target": target, "port": port, "kind": kind, "via": "direct", "ok": ok,
                         "elapsed_ms": 30 if ok else 5000}  # fmt: skip
    if kind in ("arc", "wu") and ok:
        p["status"] = 404 if kind == "arc" else 200
    if error:
        p["error"] = error
    p.update(kw)
    return p


def arc_probes() -> list[dict[str, Any]]:
    return [probe(n, f"https://{h}", "arc") for n, h in ARC_PROBES]


def wu_probes() -> list[dict[str, Any]]:
    return [probe("wu", f"https://{h}", "wu") for h in WU_PROBES]


def hrw2_probes(address: str = "20.50.64.10") -> list[dict[str, Any]]:
    return [probe("hrw2_jrds", JRDS_HOST, "hrw2", address=address), probe("hrw2_agentsvc", AGENTSVC_HOST, "hrw2",
                                                                             address=address)]


def wireserver_probes() -> list[dict[str, Any]]:
    return [probe("wireserver", "168.63.129.16", "wireserver", port) for port in (80, 32526)]


def extension(name: str, version: str = "1.0.0", status: str | None = "Success", **kw: Any) -> dict[str, Any]:
    e = {"name": name, "version": version, "status": status, "code": "0", "message": None, "status_time": HEARTBEAT}
    e.update(kw)
    return e


TOKENS = r"C:\ProgramData\AzureConnectedMachineAgent\Tokens"
HRW_PLUGIN = r"C:\Packages\Plugins\Microsoft.Azure.Automation.HybridWorker.HybridWorkerForWindows"
RUNAS = "CONTOSO\\svc-runbooks"
READ, READ_EXECUTE, FULL = 0x20089 | 0x100000, 0x200A9 | 0x100000, 2032127  # FileSystemRights (+ Synchronize)


def folder_acl(path: str, user: str | None, rights: int, allow: bool = True) -> dict[str, Any]:
    aces = [{"sid": "S-1-5-18", "name": "NT AUTHORITY\\SYSTEM", "rights": FULL, "allow": True, "inherited": True}]
    if user:
        aces.append({"sid": "S-1-5-21-1-2-3-1105", "name": user, "rights": rights, "allow": allow, "inherited": False})
    return {"path": path, "exists": True, "aces": aces}


def migrated(os_family: str) -> dict[str, Any]:
    """Every section of a non-Azure server healthy on Arc + extension worker + Update Manager."""
    arc = {
        "installed": True, "version": "1.66.03145.2003", "status": "Connected", "last_heartbeat": HEARTBEAT,
        "error_code": None, "error_details": None, "location": "westeurope",
        "resource_id": "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/srv01",
        "config": {"extensions.enabled": "true", "guestconfiguration.enabled": "true", "config.mode": "full",
                   "connection.type": "direct"},
        "services": [running(os_family, n) for n in ARC_SERVICES[os_family]],
        "himds": {"status": 401, "basic_realm": True, "error": None},
        "msft_arc_test": False, "https_proxy_env": None,
    }  # fmt: skip
    if os_family == "windows":
        arc["tls_cipher_suites"] = ["TLS_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]
        arc["service_logon"] = {"gpo_defined": False, "holders": [], "error": None}
    exts = [extension(HRW_EXT[os_family], "1.1.13", "Success", settings_url=ACCOUNT_URL)]
    exts += [extension(n, "1.2.0", "Success") for n in PATCH_EXT[os_family]]
    doc: dict[str, Any] = {
        "arc": arc,
        "azure_vm": {"services": []},
        "extensions": {"items": exts},
        "probes": [imds_probe(False), *arc_probes(), *hrw2_probes(), *(wu_probes() if os_family == "windows" else [])],
    }
    if os_family == "windows":
        doc.update({
            "os": {"version": "10.0.17763", "caption": "Microsoft Windows Server 2019 Datacenter"},
            "powershell": {"engine_version": "5.1.17763.1"},
            "dotnet": {"release": 528049},
            "hrw2": {"service": running("windows", "HybridWorkerService"), "v2_key_present": True, "azure_key_present": True,
                     "jrds_uri": f"https://{ACCOUNT}.jrds.we.azure-automation.net", "job_errors": {},
                     "folder_acls": [folder_acl(TOKENS, RUNAS, READ), folder_acl(HRW_PLUGIN, RUNAS, READ_EXECUTE)]},
            "services": {"health_service": {"present": False}, "wuauserv": {"present": True, "status": "Running",
                                                                           "start_type": "Manual"}},
            "workspaces": {"configured": [], "with_updates": [], "operations_log_present": False},
            "hrw": {"key_present": False, "registrations": []},
            "windows_update": {"microsoft_update": 1},
            "proxy": {},
        })  # fmt: skip
    else:
        doc.update({
            "os": {"id": "ubuntu", "version_id": "22.04", "pretty_name": "Ubuntu 22.04.4 LTS"},
            "repos": {"family": "debian", "urls": ["http://archive.ubuntu.com", "https://packages.microsoft.com"],
                      "probes": [{"name": "repo", "target": u, "port": 443, "kind": "http", "via": "direct", "ok": True,
                                  "status": 200, "elapsed_ms": 30}
                                 for u in ("http://archive.ubuntu.com", "https://packages.microsoft.com")]},
            "hrw2": {"service": running("linux", "hwd"), "user_present": True},
            "oms_agent": {"omsadmin_conf_present": False, "log_present": False, "running": False, "conf": {}},
            "workspaces": {"base_dir_present": False, "dirs": []},
            "worker": {"version_file": False, "configuration_py": False},
            "current_mof": {"present": False},
            "proxy": {"env": {}},
            "linux_updates": {"package_manager": "apt", "python": ["python3"], "auto_updates": [],
                              "autoassess_timer": "active"},
        })  # fmt: skip
    return doc


def azure_vm(os_family: str) -> dict[str, Any]:
    """The same stack on an Azure VM: the guest agent instead of Arc."""
    doc = migrated(os_family)
    doc["arc"] = {"installed": False}
    doc["azure_vm"] = {"services": [running(os_family, n) for n in GUEST_AGENT[os_family]]}
    doc["probes"] = [imds_probe(True), *hrw2_probes(), *wireserver_probes(),
                     *(wu_probes() if os_family == "windows" else [])]
    doc["extensions"]["items"] = [e for e in doc["extensions"]["items"] if "SoftwareUpdateManagement" not in e["name"]]
    return doc


def legacy(os_family: str) -> dict[str, Any]:
    """An Arc-connected server still on the legacy stack: MMA reporting with Update Management, the
    system (V1) worker registered, no successor extension yet."""
    doc = migrated(os_family)
    doc["extensions"]["items"] = []
    if os_family == "windows":
        doc["hrw2"] = {"service": svc("HybridWorkerService", present=False), "v2_key_present": False, "azure_key_present": False}
        doc["services"]["health_service"] = {"present": True, "status": "Running", "start_type": "Automatic"}
        doc["workspaces"] = {"configured": [WS], "with_updates": [WS], "operations_log_present": True}
        doc["hrw"] = {"key_present": True, "registrations": [
            {"account_id": ACCOUNT, "group": "srv01.contoso.com_0f3c2a5e-1b7d-4c1e-9a3b-5d6e7f8a9b0c", "layout": "v1",
             "jrds_uri": f"https://{ACCOUNT}.jrds.we.azure-automation.net"}]}  # fmt: skip
    else:
        doc["hrw2"] = {"service": svc("hwd", present=False), "user_present": False}
        doc["oms_agent"] = {"omsadmin_conf_present": True, "log_present": True, "running": True, "conf": {"WORKSPACE_ID": WS}}
        doc["workspaces"] = {"base_dir_present": True, "dirs": [WS]}
        doc["worker"] = {"version_file": True, "configuration_py": True, "version": "1.7.5.0", "nxautomation_user": True,
                         "manager_running": True, "hybridworker_running": True, "worker_conf_present": True}  # fmt: skip
        doc["current_mof"] = {"present": True, "has_resource_settings": True, "workspace_id": WS, "updates_enabled": True}
    return doc


BASES = {"migrated": migrated, "azure": azure_vm, "legacy": legacy}
CASES: list[dict[str, Any]] = []


def facts_doc(os_family: str, sections: dict[str, Any], version: int = 2) -> dict[str, Any]:
    return {"facts_version": version, "os_family": os_family, "host": {"hostname": "srv01"},
            "collector": {"name": "test", "errors": []}, os_family: sections}  # fmt: skip


def case(rule: str, oses: tuple[str, ...] | str, name: str, description: str, expected: dict[str, Any], *,
         base: str = "migrated", edit: Any = None, ctx: dict[str, Any] | None = None, drop: tuple[str, ...] = (),
         basis: str | None = None, version: int = 2) -> None:  # fmt: skip
    """One fixture per OS in ``oses``; ``edit(doc, os_family)`` changes the base facts."""
    urls, rule_basis, number = SOURCES[rule]
    for os_family in (oses,) if isinstance(oses, str) else oses:
        doc = copy.deepcopy(BASES[base](os_family))
        if edit:
            edit(doc, os_family)
        sections = {k: v for k, v in doc.items() if k in NEEDS[(rule, os_family)] and k not in drop}
        if version == 1:
            sections = {k: v for k, v in sections.items() if k not in ("arc", "azure_vm", "extensions", "hrw2", "linux_updates")}
        context = {"cloud": "public", "is_azure": None, "now": NOW, **(ctx or {})}
        out = {
            "rule": rule,
            "description": description,
            "source": {"urls": urls, "basis": basis or rule_basis,
                       "reference": f"successor-readiness.md §7 rule {number}"},
            "context": context,
            "facts": facts_doc(os_family, sections, version),
            "expected": {k: v.format(rule=rule) if isinstance(v, str) else v for k, v in expected.items()},
        }  # fmt: skip
        CASES.append({"rule": rule, "name": f"{'win' if os_family == 'windows' else 'lnx'}-{name}", "doc": out})


def res(result: str, reason: str | None = None, **evidence: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"CheckResult": result, "CheckResultMessageId": "{rule}." + result}
    if reason:
        out["reason"] = reason
    if evidence:
        out["evidence"] = evidence
    return out


def passed(**evidence: Any) -> dict[str, Any]:
    return res("Passed", **evidence)


def warning(reason: str | None = None, **evidence: Any) -> dict[str, Any]:
    return res("PassedWithWarning", reason, **evidence)


def failed(reason: str | None = None, **evidence: Any) -> dict[str, Any]:
    return res("Failed", reason, **evidence)


def na(reason: str) -> dict[str, Any]:
    return res("NotApplicable", reason)


def not_evaluated(reason: str) -> dict[str, Any]:
    return res("NotEvaluated", reason)


def setter(path: str, value: Any) -> Any:
    """An edit that sets ``path`` (dots) in the OS's sections; ``{os}`` values are callables(os)."""

    def apply(doc: dict[str, Any], os_family: str) -> None:
        *parents, leaf = path.split("/" if "/" in path else ".")  # "/" where a key has dots (config keys)
        node = doc
        for key in parents:
            node = node[key]
        node[leaf] = value(os_family) if callable(value) else copy.deepcopy(value)

    return apply


def edits(*fns: Any) -> Any:
    def apply(doc: dict[str, Any], os_family: str) -> None:
        for fn in fns:
            fn(doc, os_family)

    return apply


def arc_service(index: int, state: str) -> Any:
    """Set the index-th Arc service (ARC_SERVICES order) stopped or missing."""

    def apply(doc: dict[str, Any], os_family: str) -> None:
        name = ARC_SERVICES[os_family][index]
        doc["arc"]["services"][index] = stopped(os_family, name) if state == "stopped" else svc(name, present=False)

    return apply


def ext_status(status: str | None, **kw: Any) -> Any:
    def apply(doc: dict[str, Any], os_family: str) -> None:
        for e in doc["extensions"]["items"]:
            if e["name"] in PATCH_EXT[os_family]:
                e.update(status=status, **kw)

    return apply


def drop_ext(*kinds: str) -> Any:
    def apply(doc: dict[str, Any], os_family: str) -> None:
        names = {HRW_EXT[os_family]} if "hrw" in kinds else set()
        names |= set(PATCH_EXT[os_family]) if "patch" in kinds else set()
        doc["extensions"]["items"] = [e for e in doc["extensions"]["items"] if e["name"] not in names]

    return apply


def hrw_ext(**kw: Any) -> Any:
    def apply(doc: dict[str, Any], os_family: str) -> None:
        for e in doc["extensions"]["items"]:
            if e["name"] == HRW_EXT[os_family]:
                e.update(kw)

    return apply


NOT_INSTALLED = setter("arc", {"installed": False})
ON_AZURE = edits(setter("azure_vm", lambda o: {"services": [running(o, n) for n in GUEST_AGENT[o]]}),
                 setter("probes", [imds_probe(True)]))  # fmt: skip


# fmt: off
def arc_cases() -> None:
    r = "SR.Arc.AgentInstalled"
    case(r, BOTH, "passed-installed", "Arc agent installed on a non-Azure server.", passed(azure_vm=False))
    case(r, BOTH, "failed-not-installed", "No Arc agent, no guest agent, IMDS silent: a non-Azure server not onboarded.",
         failed("NotInstalled", azure_vm=False), edit=NOT_INSTALLED)
    case(r, BOTH, "warning-azure-unknown", "No Arc agent and nothing says whether this is an Azure VM (no azure_vm facts, "
         "no IMDS probe): warn and ask for umcheck_is_azure.", warning("AzureUnknown", azure_vm=None),
         edit=NOT_INSTALLED, drop=("azure_vm", "probes"))
    case(r, BOTH, "na-azure-guest-agent", "The Azure guest agent is installed: an Azure VM needs no Arc.",
         na("Azure VM"), base="azure")
    case(r, "linux", "na-azure-imds", "No guest agent facts but IMDS answered: an Azure VM.",
         na("Azure VM"), edit=edits(NOT_INSTALLED, setter("probes", [imds_probe(True)])), drop=("azure_vm",))
    case(r, "windows", "na-azure-inventory", "umcheck_is_azure: true in the inventory decides.",
         na("Azure VM"), edit=NOT_INSTALLED, ctx={"is_azure": True})
    case(r, BOTH, "not-evaluated-facts-v1", "A facts v1 document has no arc section: NotEvaluated, never guessed.",
         not_evaluated("facts v1"), version=1)

    r = "SR.Arc.Connected"
    case(r, BOTH, "passed-connected", "Connected, heartbeat 3 minutes old.", passed(heartbeat_age_minutes=3.0))
    case(r, "windows", "warning-late-heartbeat", "Connected but the last heartbeat is 30 minutes old (15-60: warn; "
         "thresholds inferred from the 5-minute heartbeat).", warning("LateHeartbeat", heartbeat_age_minutes=30.0),
         edit=setter("arc.last_heartbeat", "2026-12-15T09:30:00+00:00"), basis="I")
    case(r, "linux", "warning-no-heartbeat", "Connected but azcmagent show gave no last heartbeat.",
         warning("NoHeartbeat"), edit=setter("arc.last_heartbeat", None))
    case(r, "linux", "failed-stale-heartbeat", "Connected but the last heartbeat is 2 hours old.",
         failed("StaleHeartbeat", heartbeat_age_minutes=120.0), edit=setter("arc.last_heartbeat", "2026-12-15T08:00:00Z"),
         basis="I")
    case(r, BOTH, "failed-disconnected", "azcmagent show: Disconnected.", failed("Disconnected", status="Disconnected"),
         edit=edits(setter("arc.status", "Disconnected"), setter("arc.last_heartbeat", "2026-12-12T10:00:00Z")))
    case(r, "windows", "failed-error-code", "Connected but an agent error code is set.", failed("Disconnected", error_code="AZCM0041"),
         edit=setter("arc.error_code", "AZCM0041"))
    case(r, BOTH, "na-not-installed", "No Arc agent: nothing to connect.", na("not installed"), edit=NOT_INSTALLED)

    r = "SR.Arc.Services"
    case(r, BOTH, "passed-running", "himds, the extension and GC services and Arc Proxy run.", passed())
    case(r, BOTH, "failed-himds-stopped", "himds (himdsd) is stopped.", failed("ServiceStopped"), edit=arc_service(0, "stopped"))
    case(r, "linux", "failed-extension-service-missing", "extd is not installed.", failed("ServiceStopped"),
         edit=arc_service(1, "missing"))
    case(r, BOTH, "warning-gc-stopped", "Only the machine configuration (GC) service is stopped.",
         warning("GuestConfigStopped"), edit=arc_service(2, "stopped"))
    case(r, "windows", "failed-gateway-arcproxy-stopped", "connection.type gateway and the Arc Proxy service is present "
         "but stopped.", failed("ServiceStopped"),
         edit=edits(setter("arc/config/connection.type", "gateway"), arc_service(3, "stopped")))
    case(r, "linux", "warning-gateway-arcproxy-not-found", "connection.type gateway but no arcproxyd unit: the unit name "
         "is unverified (§8), so this warns and never fails on the name alone.",
         warning("ProxyServiceNotFound", unverified="the Arc Proxy service name comes from a sample output (successor-readiness.md §8)"),
         edit=edits(setter("arc/config/connection.type", "gateway"), arc_service(3, "missing")), basis="U")
    case(r, "windows", "passed-direct-arcproxy-stopped", "Direct connection: a stopped Arc Proxy does not matter.",
         passed(), edit=arc_service(3, "stopped"))
    case(r, BOTH, "na-not-installed", "No Arc agent.", na("not installed"), edit=NOT_INSTALLED)

    r = "SR.Arc.HimdsListening"
    case(r, BOTH, "passed-401-realm", "localhost:40342 answers 401 with WWW-Authenticate: Basic realm=.", passed(status=401))
    case(r, BOTH, "warning-unexpected-answer", "Something answers 200 on port 40342: not himds' challenge.",
         warning("UnexpectedAnswer", status=200), edit=setter("arc.himds", {"status": 200, "basic_realm": False}))
    case(r, BOTH, "failed-refused", "Connection refused on localhost:40342.", failed("NotListening", error="refused"),
         edit=setter("arc.himds", {"status": None, "error": "refused"}))
    case(r, "linux", "failed-timeout", "No answer on localhost:40342.", failed("NotListening", error="timeout"),
         edit=setter("arc.himds", {"error": "timeout"}))
    case(r, "linux", "not-evaluated-no-probe", "The collector did not probe the identity endpoint.",
         not_evaluated("no himds probe"), edit=setter("arc.himds", None))
    case(r, BOTH, "na-not-installed", "No Arc agent.", na("not installed"), edit=NOT_INSTALLED)

    r = "SR.Arc.AgentVersion"
    case(r, BOTH, "passed-recent", "1.66 (July 2026) is 5 months old.", passed(age_months=5), )
    case(r, "linux", "passed-newer-than-table", "A version newer than the release table is young.", passed(),
         edit=setter("arc.version", "1.70.0"))
    case(r, BOTH, "warning-ageing", "1.59 (December 2025) is 12 months old: support ends after 12.",
         warning("Ageing", age_months=12), edit=setter("arc.version", "1.59.0"))
    case(r, BOTH, "failed-unsupported", "1.58 (November 2025) is 13 months old: out of support.",
         failed("Unsupported", age_months=13), edit=setter("arc.version", "1.58.03194.1001"))
    case(r, "windows", "failed-before-table", "1.50 predates the table: at least 14 months old.",
         failed("Unsupported", age_is_lower_bound=True), edit=setter("arc.version", "1.50"))
    case(r, "windows", "not-evaluated-garbage-version", "azcmagent version gave no version number.",
         not_evaluated("unusable version"), edit=setter("arc.version", "unknown"))
    case(r, BOTH, "na-not-installed", "No Arc agent.", na("not installed"), edit=NOT_INSTALLED)

    r = "SR.Arc.Proxy"
    case(r, BOTH, "passed-no-proxy", "No proxy anywhere.", passed())
    case(r, "linux", "passed-http-proxy", "A plain HTTP proxy.", passed(), edit=setter("arc/config/proxy.url", "http://proxy:3128"))
    case(r, BOTH, "failed-https-proxy", "An HTTPS (TLS) proxy is not supported.", failed("HttpsProxy"),
         edit=setter("arc/config/proxy.url", "https://proxy:3128"))
    case(r, "linux", "failed-credentials-in-env", "HTTPS_PROXY with credentials: authenticating proxies are not supported.",
         failed("AuthenticatingProxy"), edit=setter("arc.https_proxy_env", "http://user:***@proxy:3128"))
    case(r, BOTH, "warning-bypass-with-gateway", "A bypass list with an Arc gateway is ignored.", warning("BypassWithGateway"),
         edit=edits(setter("arc/config/connection.type", "gateway"), setter("arc/config/proxy.bypass", "Arc")))
    case(r, "windows", "warning-winhttp-only", "A WinHTTP proxy but no agent proxy: the agent ignores the system proxy.",
         warning("SystemProxyOnly"), edit=setter("proxy", {"winhttp_proxy": "http://proxy:3128"}))
    case(r, BOTH, "na-not-installed", "No Arc agent.", na("not installed"), edit=NOT_INSTALLED)

    r = "SR.Arc.ExtensionPolicy"
    pub = {"windows": "Microsoft.CPlat.Core/WindowsPatchExtension,Microsoft.SoftwareUpdateManagement/WindowsOsUpdateExtension,"
                      "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForWindows",
           "linux": "Microsoft.CPlat.Core/LinuxPatchExtension,Microsoft.SoftwareUpdateManagement/LinuxOsUpdateExtension,"
                    "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForLinux"}
    case(r, BOTH, "passed-no-restriction", "No allowlist, no blocklist, full mode.", passed())
    case(r, "windows", "passed-allowlist-covers", "The allowlist names the patch and worker extensions.", passed(),
         edit=setter("arc/config/extensions.allowlist", lambda o: pub[o]))
    case(r, BOTH, "failed-extensions-disabled", "extensions.enabled false.", failed("ExtensionsDisabled"),
         edit=setter("arc/config/extensions.enabled", "false"))
    case(r, "linux", "failed-allow-none", "Allow/None blocks every extension.", failed("AllBlocked"),
         edit=setter("arc/config/extensions.allowlist", "Allow/None"))
    case(r, BOTH, "failed-allowlist-lacks-patch", "An allowlist with only the worker extension blocks the patch extensions.",
         failed("Blocked"), edit=setter("arc/config/extensions.allowlist", lambda o: pub[o].split(",")[2]))
    case(r, "linux", "failed-blocklist-worker", "The blocklist names the worker extension (the doc's own sample).",
         failed("Blocked"), edit=setter("arc/config/extensions.blocklist", "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForLinux"))
    case(r, BOTH, "warning-monitor-mode", "Monitor mode: whether its allowlist admits the patch and worker extensions is "
         "undocumented (§8), so warn, never fail.",
         warning("MonitorMode"), edit=setter("arc/config/config.mode", "monitor"), basis="U")
    case(r, BOTH, "na-not-installed", "No Arc agent.", na("not installed"), edit=NOT_INSTALLED)

    r = "SR.Arc.NotOnAzureVm"
    case(r, BOTH, "passed-arc-off-azure", "Arc on a non-Azure server.", passed(MSFT_ARC_TEST=False))
    case(r, "windows", "passed-azure-without-arc", "An Azure VM without Arc.", passed(), base="azure")
    case(r, BOTH, "failed-arc-on-azure", "Arc agent and Azure guest agent both present.", failed("ArcOnAzureVm"), edit=ON_AZURE)
    case(r, BOTH, "warning-evaluation", "Arc on an Azure VM with MSFT_ARC_TEST=true (documented evaluation setup).",
         warning("Evaluation", MSFT_ARC_TEST=True), edit=edits(ON_AZURE, setter("arc.msft_arc_test", True)))


def arc_host_cases() -> None:
    r = "SR.Arc.ServiceLogonRight"
    case(r, "windows", "passed-not-gpo-defined", "No winning RSoP row for SeServiceLogonRight: the local default applies.",
         passed(gpo_defined=False))
    case(r, "windows", "passed-all-services", "The GPO grants NT SERVICE\\ALL SERVICES.", passed(gpo_defined=True),
         edit=setter("arc.service_logon", {"gpo_defined": True, "holders": ["BUILTIN\\Administrators", "NT SERVICE\\ALL SERVICES"]}))
    case(r, "windows", "passed-himds-sid", "The GPO lists himds's service SID (as *SID).", passed(gpo_defined=True),
         edit=setter("arc.service_logon", {"gpo_defined": True,
                                          "holders": ["*S-1-5-80-4215458991-2034252225-2287069555-1155419622-2701885083"]}))
    case(r, "windows", "failed-gpo-lacks-himds", "The GPO defines the right for a service account only.",
         failed("HimdsMissing", gpo_defined=True),
         edit=setter("arc.service_logon", {"gpo_defined": True, "holders": ["CONTOSO\\svc-sql"]}))
    case(r, "windows", "not-evaluated-rsop-unreadable", "The RSoP namespace could not be read: not evaluated.",
         not_evaluated("NotCollected"),
         edit=setter("arc.service_logon", {"gpo_defined": None, "holders": [], "error": "Invalid namespace"}))
    case(r, "windows", "na-no-agent", "No Arc agent.", na("not installed"), edit=NOT_INSTALLED)

    r = "SR.Arc.TlsCipherSuites"
    case(r, "windows", "passed-tls13", "A TLS 1.3 suite of the required pairs is enabled.", passed())
    case(r, "windows", "failed-none-agent-1-60", "Agent 1.60 (enforcing) with only CBC suites enabled.",
         failed("NoneEnabled", required_enabled=[]),
         edit=edits(setter("arc.version", "1.60.03000.1"),
                    setter("arc.tls_cipher_suites", ["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"])))
    case(r, "windows", "warning-none-agent-1-66", "Agent 1.66: 1.64 reverted the enforcement (unverified) - a warning, "
         "not a failure on an unverified fact.", warning("NoneEnabled", required_enabled=[]), basis="U",
         edit=setter("arc.tls_cipher_suites", ["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"]))
    case(r, "windows", "passed-agent-before-1-56", "Agent 1.50 predates the requirement.", passed(),
         edit=edits(setter("arc.version", "1.50.02000.1"), setter("arc.tls_cipher_suites", [])))
    case(r, "windows", "na-windows-2012", "Windows Server 2012 R2 is exempt.", na("2012"),
         edit=setter("os", {"version": "6.3.9600", "caption": "Microsoft Windows Server 2012 R2 Standard"}))
    case(r, "windows", "not-evaluated-not-read", "Suites not collected.", not_evaluated("NotCollected"),
         edit=setter("arc.tls_cipher_suites", None))
    case(r, "windows", "na-no-agent", "No Arc agent.", na("not installed"), edit=NOT_INSTALLED)


def hosting_cases() -> None:
    r = "SR.AzVm.GuestAgent"
    case(r, BOTH, "passed-running", "Azure VM with its guest agent running.", passed(), base="azure")
    case(r, BOTH, "failed-stopped", "Azure VM with the guest agent stopped.", failed("AgentStopped"), base="azure",
         edit=setter("azure_vm.services", lambda o: [stopped(o, n) for n in GUEST_AGENT[o]]))
    case(r, "windows", "failed-missing-on-azure", "The inventory says Azure VM but no guest agent is installed.",
         failed("AgentMissing"), edit=NOT_INSTALLED, ctx={"is_azure": True})
    case(r, BOTH, "na-not-azure", "An Arc server is not an Azure VM.", na("not an Azure VM"))
    case(r, BOTH, "failed-wireserver-blocked", "The guest agent runs but 168.63.129.16:32526 times out (the "
         "AzureUpdateManager troubleshooter checks :80 and :32526).",
         failed("WireServerBlocked", wireserver={"168.63.129.16:80": "ok", "168.63.129.16:32526": "timeout"}), base="azure",
         edit=lambda d, o: d["probes"].__setitem__(-1 if o == "linux" else -7,
                                                   probe("wireserver", "168.63.129.16", "wireserver", 32526, False, "timeout")))
    case(r, "windows", "passed-wireserver-not-probed", "Facts from a collector that did not probe the WireServer: the "
         "agent alone decides, and the evidence says so.", passed(wireserver="not probed"), base="azure",
         edit=setter("probes", [imds_probe(True)]))

    r = "SR.Hrw2.ExtensionPresent"
    case(r, BOTH, "passed-installed", "The HybridWorkerFor* extension folder exists.", passed(version="1.1.13"))
    case(r, "windows", "failed-v1-user-worker", "A V1 user worker is registered and no extension worker replaces it.",
         failed("NotInstalled", wants_hrw=True), base="legacy",
         edit=setter("hrw.registrations", [{"account_id": ACCOUNT, "group": "ops-workers", "layout": "v1"}]))
    case(r, "linux", "failed-wanted-by-inventory", "umcheck_wants_hrw: true and no extension worker.",
         failed("NotInstalled", wants_hrw=True), base="legacy", ctx={"wants_hrw": True})
    case(r, BOTH, "na-not-wanted", "No worker registered, none wanted.", na("no Hybrid Runbook Worker is wanted"),
         base="legacy")

    r = "SR.Hrw2.Settings"
    case(r, BOTH, "passed-matches", "AutomationAccountURL equals the inventory's AutomationHybridServiceUrl.",
         passed(AutomationAccountURL=ACCOUNT_URL), ctx={"hrw_account_url": ACCOUNT_URL + "/"})
    case(r, "windows", "passed-other-url-shape", "A URL on the Automation domain with another path shape still passes when "
         "it matches the account: the <accountId>.jrds.<moniker> shape is only inferred (§3.1).", passed(),
         edit=hrw_ext(settings_url="https://we-jobruntimedata-prod-su1.azure-automation.net/"),
         ctx={"hrw_account_url": "https://we-jobruntimedata-prod-su1.azure-automation.net"}, basis="I")
    case(r, BOTH, "warning-nothing-to-compare", "A plausible URL but no umcheck_hrw_account_url to compare with.",
         warning("NothingToCompare"))
    case(r, BOTH, "failed-no-url", "The settings carry no AutomationAccountURL.", failed("NoAccountUrl"),
         edit=hrw_ext(settings_url=None))
    case(r, "windows", "failed-not-automation-url", "The URL is not on an Automation domain.", failed("BadAccountUrl"),
         edit=hrw_ext(settings_url="http://example.com/automationAccounts/x"))
    case(r, "linux", "failed-mismatch", "The URL names another account.", failed("Mismatch"),
         ctx={"hrw_account_url": "https://bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee.jrds.we.azure-automation.net/automationAccounts/bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee"})
    case(r, BOTH, "na-no-extension", "No worker extension.", na("not installed"), edit=drop_ext("hrw"))
    case(r, "windows", "passed-newest-version-folder", "Two version folders: the settings of the newest (1.1.13, not "
         "1.1.9 by string order) decide.", passed(AutomationAccountURL=ACCOUNT_URL), ctx={"hrw_account_url": ACCOUNT_URL},
         edit=lambda d, o: d["extensions"]["items"].append(extension(HRW_EXT[o], "1.1.9", settings_url=None)))

    r = "SR.Hrw2.WorkerService"
    case(r, BOTH, "passed-running", "HybridWorkerService / hwd runs.", passed())
    case(r, BOTH, "failed-stopped", "The worker service is stopped.", failed("ServiceStopped"),
         edit=setter("hrw2.service", lambda o: stopped(o, "HybridWorkerService" if o == "windows" else "hwd")))
    case(r, "windows", "failed-service-missing", "The extension exists but its service does not.", failed("ServiceStopped"),
         edit=setter("hrw2.service", None))
    case(r, "linux", "failed-user-missing", "hwd runs but the hweautomation user is missing.", failed("UserMissing"),
         edit=setter("hrw2.user_present", False))
    case(r, BOTH, "na-no-extension", "No worker extension.", na("not installed"), edit=drop_ext("hrw"))

    r = "SR.Hrw2.CustomCredAcl"
    runas = {"hrw_runas_user": RUNAS.lower()}
    case(r, "windows", "passed-granted-directly", "Read on Tokens and Read & Execute on the plugin folder, granted to the "
         "run-as user itself (the inventory's name matched case-insensitively).", passed(user=RUNAS.lower()), ctx=runas)
    case(r, "windows", "failed-tokens-lost-after-agent-update", "The Arc agent update reset the Tokens ACL: no entry for "
         "the user there (troubleshooting table: jobs suspend with 2148734720).", failed("RightsMissing"), ctx=runas,
         edit=setter("hrw2.folder_acls", [folder_acl(TOKENS, None, 0), folder_acl(HRW_PLUGIN, RUNAS, READ_EXECUTE)]))
    case(r, "windows", "failed-read-only-on-plugin", "Read but not Execute on the plugin folder.", failed("RightsMissing"),
         ctx=runas, edit=setter("hrw2.folder_acls", [folder_acl(TOKENS, RUNAS, READ), folder_acl(HRW_PLUGIN, RUNAS, READ)]))
    case(r, "windows", "failed-deny-entry", "A Deny entry for the user wins over its Allow.", failed("RightsMissing"),
         ctx=runas, edit=lambda d, o: d["hrw2"]["folder_acls"][0]["aces"].append(
             {"sid": "S-1-5-21-1-2-3-1105", "name": RUNAS, "rights": 1, "allow": False, "inherited": False}))
    case(r, "windows", "warning-name-form", "A user given without its domain matches no entry: warn and ask for "
         "DOMAIN\\user rather than fail.", warning("UnknownUser"), ctx={"hrw_runas_user": "svc-runbooks"})
    case(r, "windows", "passed-tokens-absent-on-azure-vm", "No Tokens folder (an Azure VM without Arc): only the plugin "
         "folder counts.", passed(), ctx=runas,
         edit=setter("hrw2.folder_acls", [{"path": TOKENS, "exists": False, "aces": []},
                                         folder_acl(HRW_PLUGIN, RUNAS, READ_EXECUTE)]))
    case(r, "windows", "na-no-runas-user", "No umcheck_hrw_runas_user: the group runs jobs as the system account.",
         na("no custom run-as user"))
    case(r, "windows", "not-evaluated-not-read", "ACLs not collected.", not_evaluated("NotCollected"), ctx=runas,
         edit=setter("hrw2.folder_acls", None))
    case(r, "windows", "na-no-extension", "No worker extension.", na("not installed"), ctx=runas, edit=drop_ext("hrw"))

    r = "SR.Hrw2.JobErrors"
    case(r, "windows", "passed-none", "Microsoft-SMA/Operational read, no documented job failure in 7 days.",
         passed(exit_codes={}))
    case(r, "windows", "warning-custom-user-rights", "Win32 Process Exited with code [2148734720] twice: the custom "
         "run-as user lacks folder rights (troubleshooting table).", warning("JobErrors", exit_codes={"2148734720": 2}),
         edit=edits(setter("hrw2.job_errors", {"2148734720": 2, "4294967295": 0}),
                    setter("hrw2.job_errors_newest", HEARTBEAT)))
    case(r, "windows", "not-evaluated-log-not-read", "No Microsoft-SMA/Operational log read: not evaluated, not passed.",
         not_evaluated("NotCollected"), edit=setter("hrw2.job_errors", None))
    case(r, "windows", "na-no-extension", "No worker extension.", na("not installed"), edit=drop_ext("hrw"))

    r = "SR.Hrw2.Registration"
    case(r, "windows", "passed-keys-and-extension", "Registry keys and extension agree.", passed())
    case(r, "windows", "warning-stale-keys", "HybridRunbookWorkerV2 keys without the extension: a stale registration.",
         warning("StaleKeys", unverified="value names under HybridRunbookWorkerV2 come from a Microsoft support script, not Learn"),
         edit=drop_ext("hrw"))
    case(r, "windows", "failed-not-registered", "The extension without any worker key.", failed("NotRegistered"),
         edit=edits(setter("hrw2.v2_key_present", False), setter("hrw2.azure_key_present", False)))
    case(r, "windows", "na-nothing", "No extension, no keys.", na("no extension-based worker"), base="legacy")


def update_cases() -> None:
    r = "SR.Aum.PatchExtensions"
    case(r, BOTH, "passed-success", "The patch extensions last reported Success.", passed())
    case(r, "linux", "passed-doc-folder-name", "The folder name the troubleshooting doc prints "
         "(Microsoft.CPlat.Core.Edp.LinuxPatchExtension) is accepted too (§8).", passed(),
         edit=setter("extensions.items", [extension("Microsoft.CPlat.Core.Edp.LinuxPatchExtension")]), basis="U")
    case(r, BOTH, "warning-not-yet-installed", "No patch extension: installed by the first assessment.",
         warning("NotYetInstalled"), edit=drop_ext("patch"))
    case(r, "windows", "warning-status-warning", "The last operation reported Warning.", warning("Warning"),
         edit=ext_status("Warning"))
    case(r, "windows", "warning-in-progress", "Transitioning for 3 minutes: an operation in progress, not yet Success.",
         warning("Warning"), edit=ext_status("Transitioning"))
    case(r, BOTH, "failed-error", "The last operation reported Error.", failed("ExtensionError"),
         edit=ext_status("error", message="Failed to assess the machine"))
    case(r, "linux", "failed-stuck", "Transitioning for more than 2 hours.", failed("Stuck"),
         edit=ext_status("Transitioning", status_time="2026-12-15T06:00:00+00:00"))

    r = "SR.Aum.WuService"
    case(r, "windows", "passed-manual", "wuauserv is Manual.", passed())
    case(r, "windows", "failed-disabled", "wuauserv is Disabled (0x80070422).", failed("Disabled"),
         edit=setter("services.wuauserv", {"present": True, "status": "Stopped", "start_type": "Disabled"}))
    case(r, "windows", "failed-missing", "wuauserv is missing.", failed("Disabled"), edit=setter("services.wuauserv", {"present": False}))

    r = "SR.Aum.WsusConfig"
    case(r, "windows", "passed-windows-update", "No WSUS policy.", passed())
    case(r, "windows", "passed-wsus", "WUServer set and UseWUServer 1.", passed(),
         edit=setter("windows_update", {"wu_server": "http://wsus:8530", "wu_status_server": "http://wsus:8530", "use_wu_server": 1}))
    case(r, "windows", "warning-inactive", "WUServer set but UseWUServer is not 1.", warning("Inactive"),
         edit=setter("windows_update", {"wu_server": "http://wsus:8530", "use_wu_server": 0}))
    case(r, "windows", "failed-empty-server", "UseWUServer 1 with no WUServer.", failed("EmptyServer"),
         edit=setter("windows_update", {"wu_server": "", "use_wu_server": 1}))

    r = "SR.Aum.AutoUpdatePolicy"
    case(r, "windows", "passed-unset", "No AU policy.", passed())
    case(r, "windows", "passed-au4-disabled", "AUOptions 4 but NoAutoUpdate 1.", passed(),
         edit=setter("windows_update", {"au_options": 4, "no_auto_update": 1}))
    case(r, "windows", "warning-au4", "AUOptions 4: installs outside Update Manager's schedules.", warning("AutoInstall"),
         edit=setter("windows_update", {"au_options": 4, "no_auto_update": 0}))

    r = "SR.Aum.AutoReboot"
    case(r, "windows", "passed-unset", "No forced reboot policy.", passed())
    case(r, "windows", "warning-set", "AlwaysAutoRebootAtScheduledTime 1.", warning("AutoReboot"),
         edit=setter("windows_update", {"always_auto_reboot": 1, "always_auto_reboot_minutes": 15}))

    r = "SR.Aum.MicrosoftUpdate"
    case(r, "windows", "passed-registered", "RegisteredWithAU 1 under the Microsoft Update service key.",
         passed(RegisteredWithAU=1))
    case(r, "windows", "warning-os-only", "No Microsoft Update registration (the collector reports 0 when absent): "
         "Windows updates only.", warning("OsOnly", RegisteredWithAU=0), edit=setter("windows_update.microsoft_update", 0))
    case(r, "windows", "not-evaluated-older-collector", "A facts document without the field (an older collector) is "
         "never read as 'not registered'.", not_evaluated("NotCollected"),
         edit=lambda d, o: d["windows_update"].pop("microsoft_update"))

    r = "SR.Aum.LinuxPrereqs"
    case(r, "linux", "passed", "python3 and apt.", passed())
    case(r, "linux", "failed-no-python", "No python interpreter.", failed("Missing"), edit=setter("linux_updates.python", []))
    case(r, "linux", "failed-no-package-manager", "No supported package manager.", failed("Missing"),
         edit=setter("linux_updates.package_manager", None))

    r = "SR.Aum.LinuxAutoUpdates"
    case(r, "linux", "passed-none", "No OS auto-update mechanism active.", passed())
    case(r, "linux", "warning-unattended-upgrades", "APT::Periodic::Unattended-Upgrade \"1\".", warning("AutoUpdates"),
         edit=setter("linux_updates.auto_updates", ["apt: 20auto-upgrades"]))
    case(r, "linux", "na-no-package-manager", "No package manager: nothing patches itself.", na("no supported package manager"),
         edit=setter("linux_updates.package_manager", None))


def platform_cases() -> None:
    r = "SR.Arc.OsSupported"
    case(r, BOTH, "passed-supported", "Windows Server 2019 / Ubuntu 22.04 are on Arc's list.", passed())
    case(r, "windows", "passed-2012", "Windows Server 2012 (6.2) is still supported.", passed(),
         edit=setter("os", {"version": "6.2.9200", "caption": "Microsoft Windows Server 2012 Standard"}))
    case(r, "windows", "failed-2008r2-ended", "Windows Server 2008 R2: limited support ended 2025-03-31.",
         failed("SupportEnded"), edit=setter("os", {"version": "6.1.7601", "caption": "Windows Server 2008 R2"}))
    case(r, "windows", "warning-2008r2-limited", "Windows Server 2008 R2 before 2025-03-31: limited support.",
         warning("LimitedSupport"), ctx={"now": "2025-01-15T10:00:00+00:00"},
         edit=setter("os", {"version": "6.1.7601", "caption": "Windows Server 2008 R2"}))
    case(r, "windows", "failed-2008", "Windows Server 2008 (6.0) was never supported.", failed("Unsupported"),
         edit=setter("os", {"version": "6.0.6002", "caption": "Windows Server 2008"}))
    case(r, "linux", "failed-centos7-ended", "CentOS 7: limited support ended 2025-07-15.", failed("SupportEnded"),
         edit=setter("os", {"id": "centos", "version_id": "7", "pretty_name": "CentOS Linux 7"}))
    case(r, "linux", "warning-ubuntu1604-limited", "Ubuntu 16.04 before 2025-07-15: limited support.",
         warning("LimitedSupport"), ctx={"now": "2025-05-01T10:00:00+00:00"},
         edit=setter("os", {"id": "ubuntu", "version_id": "16.04", "pretty_name": "Ubuntu 16.04.7 LTS"}))
    case(r, "linux", "passed-rhel9-minor", "RHEL 9.4 is RHEL 9.", passed(),
         edit=setter("os", {"id": "rhel", "version_id": "9.4", "pretty_name": "Red Hat Enterprise Linux 9.4"}))
    case(r, "linux", "failed-ubuntu1204", "Ubuntu 12.04 is not on the list.", failed("Unsupported"),
         edit=setter("os", {"id": "ubuntu", "version_id": "12.04", "pretty_name": "Ubuntu 12.04.5 LTS"}))
    case(r, BOTH, "na-azure-vm", "An Azure VM needs no Arc.", na("an Azure VM does not need Arc"), base="azure")

    r = "SR.Hrw2.Prereqs"
    case(r, BOTH, "passed-met", "PowerShell 5.1 and .NET 4.8 / python3 present.", passed())
    case(r, "windows", "failed-powershell-4", "Windows PowerShell 4.0 only.", failed("Missing"),
         edit=setter("powershell", {"engine_version": "4.0"}))
    case(r, "windows", "failed-dotnet-452", ".NET Framework 4.5.2 (Release 379893) is below 4.6.2.", failed("Missing"),
         edit=setter("dotnet", {"release": 379893}))
    case(r, "linux", "failed-no-python", "No python interpreter.", failed("Missing"),
         edit=setter("linux_updates.python", []))
    case(r, BOTH, "na-no-worker-wanted", "No worker registered or wanted.", na("no Hybrid Runbook Worker is wanted"),
         base="legacy", ctx={"wants_hrw": False})

    r = "SR.Aum.LinuxRepos"
    case(r, "linux", "passed-all", "Both repositories answer.", passed())
    case(r, "linux", "warning-some", "One of two repositories does not answer.", warning("SomeUnreachable"),
         edit=setter("repos.probes", [
             {"name": "repo", "target": "http://archive.ubuntu.com", "port": 80, "kind": "http", "via": "direct", "ok": True,
              "status": 200, "elapsed_ms": 30},
             {"name": "repo", "target": "https://packages.microsoft.com", "port": 443, "kind": "http", "via": "direct",
              "ok": False, "error": "timeout", "elapsed_ms": 5000}]))
    case(r, "linux", "failed-none", "No repository answers.", failed("AllUnreachable"),
         edit=setter("repos.probes", [{"name": "repo", "target": "http://archive.ubuntu.com", "port": 80, "kind": "http",
                                       "via": "direct", "ok": False, "error": "timeout", "elapsed_ms": 5000}]))
    case(r, "linux", "na-no-repos", "No repository configured.", na("no package repository"),
         edit=setter("repos", {"family": "debian", "urls": [], "probes": []}))

    r = "SR.Aum.AutoAssessTimer"
    case(r, "linux", "passed-active", "MsftLinuxPatchAutoAssess.timer is active.", passed())
    case(r, "linux", "warning-inactive", "The timer is inactive (exact match: 'inactive' contains 'active').",
         warning("TimerInactive"), edit=setter("linux_updates.autoassess_timer", "inactive"))
    case(r, "linux", "na-no-extension", "No patch extension yet: no timer expected.", na("no Update Manager patch extension"),
         base="legacy")


def leftover_cases() -> None:
    r = "SR.Leg.MmaPresent"
    case(r, BOTH, "passed-absent", "No MMA/OMS agent.", passed())
    case(r, BOTH, "warning-present-not-migrated", "MMA/OMS reports to a workspace and Update Manager has not run yet.",
         warning("AgentPresent", successor_ready=False), base="legacy")
    case(r, BOTH, "failed-still-reporting", "MMA/OMS still reports to a workspace although the patch extension reports "
         "Success and the extension worker runs: the retired agent beside a working successor.",
         failed("StillReporting", successor_ready=True), base="legacy",
         edit=lambda d, o: d.update(extensions=migrated(o)["extensions"], hrw2=migrated(o)["hrw2"]))
    case(r, "windows", "warning-present-no-workspace", "HealthService without any workspace (SCOM only): warn.",
         warning("AgentPresent", workspaces=[]), base="legacy",
         edit=edits(setter("workspaces", {"configured": [], "with_updates": []}),
                    lambda d, o: d.update(extensions=migrated(o)["extensions"], hrw2=migrated(o)["hrw2"])), basis="I")

    r = "SR.Leg.HrwV1Registration"
    case(r, BOTH, "passed-none", "No V1 registration.", passed())
    case(r, BOTH, "warning-system-worker", "Only the Update Management system worker (V1).", warning("SystemWorkerV1"),
         base="legacy")
    user = [{"account_id": ACCOUNT, "group": "ops-workers", "layout": "v1"}]
    case(r, "windows", "failed-user-worker", "A V1 user worker without an extension worker.", failed("UserWorkerV1"),
         base="legacy", edit=setter("hrw.registrations", user))
    case(r, "windows", "warning-side-by-side", "A V1 user worker beside a healthy extension worker (coexistence, §5.2).",
         warning("SideBySide", extension_worker_healthy=True), edit=setter("hrw", {"key_present": True, "registrations": user}))

    r = "SR.Leg.UpdateManagementActive"
    case(r, BOTH, "passed-deboarded", "No Updates solution configured.", passed())
    case(r, BOTH, "warning-still-configured", "The Updates solution still reaches this machine.", warning("StillConfigured"),
         base="legacy")
# fmt: on


def _probe_edit(name: str, **change: Any) -> Any:
    """Change the probes named ``name`` (and, with ``target=``, only that target)."""
    target = change.pop("target", None)

    def apply(doc: dict[str, Any], os_family: str) -> None:
        for p in doc["probes"]:
            if p["name"] == name and (target is None or target in p["target"]):
                p.update(change)
                if not change.get("ok", True):
                    p.pop("status", None)

    return apply


def _drop_probes(kind: str) -> Any:
    def apply(doc: dict[str, Any], os_family: str) -> None:
        doc["probes"] = [p for p in doc["probes"] if p["kind"] != kind]

    return apply


def arc_check(rows: dict[str, bool] | None, error: str | None = None) -> Any:
    """``azcmagent check -j`` as the collector read it (opt-in, scan --arc-check; schema [U])."""
    endpoints = [{"endpoint": k, "reachable": v} for k, v in (rows or {}).items()]
    return setter("arc.check", {"location": "westeurope", "exit_code": 0 if rows else 1, "endpoints": endpoints,
                                "error": error})


def connectivity_cases() -> None:
    r = "SR.Arc.Endpoints"
    down = {"ok": False, "error": "timeout"}
    case(r, BOTH, "passed-all-reachable", "Every Arc endpoint umcheck probed answered over 443.",
         passed(required_failed=[], optional_failed=[]))
    case(r, BOTH, "failed-required-unreachable", "login.microsoftonline.com times out and gbl.his.arc.azure.com "
         "refuses: required by network-requirements (his: the concrete host of Microsoft's Arc troubleshooter).",
         failed("RequiredUnreachable", required_failed=["login.microsoftonline.com", "gbl.his.arc.azure.com"]),
         edit=edits(_probe_edit("arc_login", **down), _probe_edit("arc_his", ok=False, error="refused")))
    case(r, BOTH, "warning-optional-only", "Only management.azure.com (connect/disconnect) and download.microsoft.com "
         "(install/upgrade) fail.", warning("OptionalUnreachable", required_failed=[],
                                            optional_failed=["management.azure.com", "download.microsoft.com"]),
         edit=edits(_probe_edit("arc_arm", **down), _probe_edit("arc_download", ok=False, error="dns")))
    case(r, "windows", "warning-tls-inspection", "agentserviceapi.guestconfiguration.azure.com accepts TCP but the TLS "
         "handshake fails (a TLS-inspecting device?): warned, not failed.", warning("RequiredUnclear"),
         edit=_probe_edit("arc_gc", ok=False, error="tls"), basis="I")
    case(r, "linux", "warning-probed-without-agent-proxy", "The agent has proxy.url but the probe went direct and timed "
         "out: the agent's own path is not known to be blocked.", warning("RequiredUnclear"),
         edit=edits(setter("arc/config/proxy.url", "http://proxy.corp.example:3128"), _probe_edit("arc_pas", **down)),
         basis="I")
    case(r, "windows", "warning-probed-around-arc-gateway", "The agent uses an Arc gateway (connection.type gateway): "
         "a direct probe that times out says nothing about the gateway's path.", warning("RequiredUnclear"),
         edit=edits(setter("arc/config/connection.type", "gateway"), _probe_edit("arc_his", **down)), basis="I")
    case(r, BOTH, "warning-usgov-inferred-host", "US Gov: gbl.his.arc.azure.us is inferred from the public host, so "
         "its failure is only a warning.", warning("OptionalUnreachable", optional_failed=["gbl.his.arc.azure.us"]),
         ctx={"cloud": "usgov"}, basis="I",
         edit=setter("probes", [probe("arc_login", "https://login.microsoftonline.us", "arc"),
                                probe("arc_pas", "https://pasff.usgovcloudapi.net", "arc"),
                                probe("arc_his", "https://gbl.his.arc.azure.us", "arc", ok=False, error="timeout")]))
    case(r, BOTH, "na-not-installed", "No Arc agent.", na("not installed"), edit=NOT_INSTALLED)
    case(r, "windows", "na-azure-vm", "Arc on an Azure VM: SR.Arc.NotOnAzureVm says what to do.", na("Azure VM"),
         edit=ON_AZURE)
    case(r, BOTH, "not-evaluated-not-probed", "Facts without Arc probes (an older collector or plan): not evaluated.",
         not_evaluated("NotProbed"), edit=_drop_probes("arc"))
    case(r, BOTH, "passed-azcmagent-check", "scan --arc-check: azcmagent check reached every endpoint; it is preferred "
         "over umcheck's probe that timed out (the agent may use a route umcheck did not).",
         passed(unverified="azcmagent check -j output schema is undocumented (successor-readiness.md §2.4, §8)"),
         edit=edits(arc_check({"https://login.microsoftonline.com": True, "https://gbl.his.arc.azure.com": True}),
                    _probe_edit("arc_login", **down)), basis="D (check schema U)")
    case(r, "linux", "warning-azcmagent-check-unconfirmed", "azcmagent check reports an endpoint unreachable but "
         "umcheck's probes reach every required one: an unverified field alone never fails a host.",
         warning("CheckUnreachable"), basis="U",
         edit=arc_check({"https://gbl.his.arc.azure.com": False, "https://pas.windows.net": True}))
    case(r, "windows", "failed-azcmagent-check-confirmed", "azcmagent check and umcheck's own probe both find "
         "gbl.his.arc.azure.com unreachable.", failed("RequiredUnreachable"),
         edit=edits(arc_check({"https://gbl.his.arc.azure.com": False}), _probe_edit("arc_his", **down)))
    case(r, "windows", "passed-azcmagent-check-unreadable", "azcmagent check ran but its output could not be read: "
         "umcheck's own probes decide.", passed(), edit=arc_check(None, "not json"))

    r = "SR.Aum.WuEndpoints"
    case(r, "windows", "passed-all-reachable", "The six Windows Update hosts of the Update Manager troubleshooter answer.",
         passed())
    case(r, "windows", "failed-unreachable", "dl.delivery.mp.microsoft.com times out and the proxy refuses "
         "download.windowsupdate.com.", failed("Unreachable"),
         edit=edits(_probe_edit("wu", target="dl.delivery", **down),
                    _probe_edit("wu", target="download.windowsupdate", ok=False, error="proxy", via="proxy", status=403)))
    case(r, "windows", "warning-tls-error", "ntservicepack.microsoft.com answers on 443 with a certificate error.",
         warning("Unclear"), edit=_probe_edit("wu", target="ntservicepack", ok=False, error="tls"), basis="I")
    case(r, "windows", "na-wsus-only", "WSUS with DoNotConnectToWindowsUpdateInternetLocations = 1: the WU endpoints are "
         "never used (value name [U]; it can only make the rule not applicable).", na("WSUS only"),
         edit=edits(setter("windows_update", {"wu_server": "http://wsus.corp:8530", "use_wu_server": 1,
                                              "do_not_connect": 1, "microsoft_update": 1}),
                    _probe_edit("wu", **down)), basis="U")
    case(r, "windows", "failed-wsus-without-do-not-connect", "WSUS configured but Internet locations not forbidden: the "
         "client may still use Windows Update, so the endpoints count.", failed("Unreachable"),
         edit=edits(setter("windows_update", {"wu_server": "http://wsus.corp:8530", "use_wu_server": 1,
                                              "microsoft_update": 1}), _probe_edit("wu", **down)))
    case(r, "windows", "not-evaluated-not-probed", "Facts without Windows Update probes.", not_evaluated("NotProbed"),
         edit=_drop_probes("wu"))

    r = "SR.Hrw2.Connectivity"
    case(r, BOTH, "passed-reachable", "The worker's jrds and agentsvc hosts resolve and complete TLS on 443.",
         passed(addresses={JRDS_HOST: "20.50.64.10", AGENTSVC_HOST: "20.50.64.10"}))
    case(r, BOTH, "failed-dns", "The jrds host does not resolve.", failed("Unreachable"),
         edit=_probe_edit("hrw2_jrds", ok=False, error="dns", address=None))
    case(r, "linux", "failed-tls", "The jrds host answers TCP but the TLS handshake fails.", failed("Unreachable"),
         edit=_probe_edit("hrw2_jrds", ok=False, error="tls"))
    case(r, "windows", "warning-agentsvc-only", "Only the agentsvc host fails: its name is inferred from the jrds one, "
         "so it alone never fails a host.", warning("AgentsvcUnreachable"), basis="I",
         edit=_probe_edit("hrw2_agentsvc", ok=False, error="timeout"))
    case(r, BOTH, "warning-mixed-resolution", "jrds resolves to a private address, agentsvc to a public one: an "
         "incomplete privatelink.azure-automation.net zone? Whether Private Link is used is not known to umcheck.",
         warning("MixedResolution"), edit=_probe_edit("hrw2_jrds", address="10.1.2.3"), basis="I")
    case(r, BOTH, "na-no-extension", "No worker extension.", na("not installed"), edit=drop_ext("hrw"))
    case(r, BOTH, "not-evaluated-not-probed", "The extension is installed but its hosts were not probed.",
         not_evaluated("NotProbed"), edit=_drop_probes("hrw2"))


def build_cases() -> dict[Path, dict[str, Any]]:
    """Every fixture path -> its JSON document (nothing written)."""
    CASES.clear()
    for build in (arc_cases, arc_host_cases, hosting_cases, update_cases, platform_cases, connectivity_cases,
                  leftover_cases):
        build()
    out: dict[Path, dict[str, Any]] = {}
    for c in CASES:
        path = HERE / c["rule"] / f"{c['name']}.json"
        if path in out:
            raise SystemExit(f"duplicate case {path}")
        out[path] = c["doc"]
    return out


def main() -> None:
    cases = build_cases()
    for d in HERE.glob("SR.*"):
        shutil.rmtree(d)
    for path, doc in cases.items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} successor rule fixtures")


if __name__ == "__main__":
    main()
