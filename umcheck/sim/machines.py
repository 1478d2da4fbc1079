"""Simulated machine state: a healthy facts document per OS, and named states applied as mutations.

A scenario says ``states: [healthservice_stopped, proxy_set]``; each name is a small, documented
change to a healthy Hybrid Runbook Worker, so the rules see exactly the problem the name promises
(and nothing else). Probes are not part of the machine: ``probes.py`` builds them per request
from the endpoints the collector was asked to check.
"""

from __future__ import annotations

import copy
import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_WORKSPACE = "11111111-2222-3333-4444-555555555555"
SECOND_WORKSPACE = "66666666-7777-8888-9999-000000000000"
DEFAULT_ACCOUNT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
AZURE_ASSET_TAG = "7783-7084-3265-9085-8269-3286-77"


@dataclass(frozen=True)
class Machine:
    """Who the simulated host is; the facts follow from this and its states."""

    hostname: str
    os: str  # windows | linux
    states: tuple[str, ...] = ("healthy",)
    workspace: str = DEFAULT_WORKSPACE
    account_id: str = DEFAULT_ACCOUNT
    location: str = "westeurope"
    domain: str = "sim.umcheck.test"

    @property
    def fqdn(self) -> str:
        return f"{self.hostname}.{self.domain}"

    @property
    def jrds_uri(self) -> str:
        return f"https://{self.account_id}.jrds.we.azure-automation.net"

    @property
    def account_url(self) -> str:
        """The account's AutomationHybridServiceUrl, as the worker extension's settings carry it."""
        return f"{self.jrds_uri}/automationAccounts/{self.account_id}"


# Time placeholders a state may write; machine_sections replaces them with times relative to the scan.
HEARTBEAT = "@heartbeat"  # 3 minutes ago (Arc heartbeats every 5 minutes)
STALE = "@stale"  # 3 days ago


def _svc(os_family: str, name: str, up: bool = True) -> dict[str, Any]:
    if os_family == "windows":
        return {"name": name, "present": True, "status": "Running" if up else "Stopped", "start_type": "Automatic"}
    return {"name": name, "present": True, "status": "active" if up else "inactive", "start_type": "enabled"}


def _healthy_windows(m: Machine, now: str) -> dict[str, Any]:
    return {
        "os": {"version": "10.0.17763", "caption": "Microsoft Windows Server 2019 Datacenter"},
        "dotnet": {"release": 528049, "subkey_releases": [528049]},
        "powershell": {"engine_version": "5.1.17763.1", "collector_host_version": "5.1.17763.1"},
        "tls": {"strong_crypto": 1, "strong_crypto_wow64": 1},
        "workspaces": {"configured": [m.workspace], "with_updates": [m.workspace], "operations_log_present": True},
        "services": {
            "health_service": {"present": True, "status": "Running", "start_type": "Automatic"},
            "wuauserv": {"present": True, "status": "Running", "start_type": "Manual"},
        },
        "agent_events": {"operations_log_present": True, "events_4502": 0, "events_4502_hybrid": 0, "window_hours": 24},
        "system_worker": {
            "sma_log_present": True,
            "last_event_id": 15003,
            "last_event_time": now,
            "group": f"{m.fqdn}_0f3c2a5e-1b7d-4c1e-9a3b-5d6e7f8a9b0c",
        },
        "hrw": {
            "key_present": True,
            "registrations": [
                {"account_id": m.account_id, "group": f"{m.fqdn}_0f3c2a5e-1b7d-4c1e-9a3b-5d6e7f8a9b0c",
                 "jrds_uri": m.jrds_uri, "layout": "v1"}  # the MMA's system worker: HKLM\...\HybridRunbookWorker
            ],
        },  # fmt: skip
        "machine_keys": {
            "path": r"C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys",
            "exists": True,
            "aces": [
                {"sid": "S-1-5-18", "name": "NT AUTHORITY\\SYSTEM", "rights": 2032127, "allow": True, "inherited": False},
                {"sid": "S-1-5-32-544", "name": "BUILTIN\\Administrators", "rights": 2032127, "allow": True, "inherited": False},
                {"sid": "S-1-1-0", "name": "Everyone", "rights": 1180063, "allow": True, "inherited": False},
            ],
        },  # fmt: skip
        "windows_update": {"microsoft_update": 1},
        "proxy": {},
        # facts v2: today's healthy worker is an Azure VM on the legacy stack, not yet on the successor one.
        "arc": {"installed": False},
        "azure_vm": {"services": [_svc("windows", "WindowsAzureGuestAgent"), _svc("windows", "RdAgent")]},
        "extensions": {"items": []},
        "hrw2": {"service": {"name": "HybridWorkerService", "present": False}, "v2_key_present": False,
                 "azure_key_present": False},
    }  # fmt: skip


def _healthy_linux(m: Machine, now: str) -> dict[str, Any]:
    ws = m.workspace
    return {
        "os": {"id": "ubuntu", "version_id": "20.04", "pretty_name": "Ubuntu 20.04.6 LTS"},
        "dmi": {"readable": True, "asset_tag": AZURE_ASSET_TAG},
        "oms_agent": {
            "omsadmin_conf_present": True,
            "log_present": True,
            "running": True,
            "conf": {
                "WORKSPACE_ID": ws,
                "AGENT_GUID": "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8",
                "URL_TLD": "opinsights.azure.com",
                "DSC_ENDPOINT": f"https://{ws}.agentsvc.azure-automation.net/Accounts/{ws}/Nodes(AgentId='4e5f6a7b')",
                "OMS_ENDPOINT": f"https://{ws}.ods.opinsights.azure.com/OperationalData.svc/PostJsonDataItems",
            },
        },
        "workspaces": {"base_dir_present": True, "dirs": [ws]},
        "worker": {
            "version_file": True,
            "configuration_py": True,
            "version": "1.7.5.0",
            "nxautomation_user": True,
            "manager_running": True,
            "hybridworker_running": True,
            "other_workspace_workers": False,
            "oms_conf_present": True,
            "worker_conf_present": True,
            "jrds_base_uri": m.jrds_uri,
            "jrds_cert_thumbprint_matches": True,
        },
        "current_mof": {
            "present": True,
            "has_resource_settings": True,
            "workspace_id": ws,
            "updates_enabled": True,
            "automation_enabled": True,
        },
        "proxy": {"env": {}},
        "repos": {
            "family": "debian",
            "listing_ok": True,
            "urls": ["http://azure.archive.ubuntu.com/ubuntu", "http://security.ubuntu.com/ubuntu"],
        },
        # facts v2: an Azure VM on the legacy stack (no Arc, no worker extension, no patch extension yet).
        "arc": {"installed": False},
        "azure_vm": {"services": [_svc("linux", "walinuxagent")]},
        "extensions": {"items": []},
        "hrw2": {"service": {"name": "hwd", "present": False}, "user_present": False},
        "linux_updates": {"package_manager": "apt", "python": ["python3"], "auto_updates": [], "autoassess_timer": None},
    }


Mutation = Callable[[dict[str, Any], Machine], None]


def _set(path: str, value: Any) -> Mutation:
    def apply(doc: dict[str, Any], m: Machine) -> None:
        *parents, leaf = (k.replace("\x00", ".") for k in path.split("."))  # "\x00": a dot inside a key
        node = doc
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = copy.deepcopy(value)

    return apply


def _all(*mutations: Mutation) -> Mutation:
    def apply(doc: dict[str, Any], m: Machine) -> None:
        for mut in mutations:
            mut(doc, m)

    return apply


def _multihomed_windows(doc: dict[str, Any], m: Machine) -> None:
    doc["workspaces"]["configured"] = [m.workspace, SECOND_WORKSPACE]
    doc["workspaces"]["with_updates"] = [m.workspace, SECOND_WORKSPACE]


def _multihomed_linux(doc: dict[str, Any], m: Machine) -> None:
    doc["workspaces"]["dirs"] = [m.workspace, SECOND_WORKSPACE]


_SVC_MISSING = {"present": False, "status": None, "start_type": None}

# --------------------------------------------------------------------------------------------
# Successor stack (facts v2): Azure Arc, the extension-based worker, Update Manager's extensions.

ARC_SERVICES = {"windows": ("himds", "ExtensionService", "GCArcService", "arcproxy"),
                "linux": ("himdsd", "extd", "gcad", "arcproxyd")}  # fmt: skip
HRW_EXTENSION = {"windows": "Microsoft.Azure.Automation.HybridWorker.HybridWorkerForWindows",
                 "linux": "Microsoft.Azure.Automation.HybridWorker.HybridWorkerForLinux"}  # fmt: skip
PATCH_EXTENSIONS = {
    "windows": ("Microsoft.CPlat.Core.WindowsPatchExtension", "Microsoft.SoftwareUpdateManagement.WindowsOsUpdateExtension"),
    "linux": ("Microsoft.CPlat.Core.LinuxPatchExtension", "Microsoft.SoftwareUpdateManagement.LinuxOsUpdateExtension"),
}  # fmt: skip
EXPIRED_ARC_VERSION = "1.50.02437.1010"  # released before November 2025: over 12 months old from December 2026 on


def current_arc_version() -> str:
    """A just-released agent: one minor version past umcheck's release table, so it never ages out."""
    importlib.import_module("umcheck.rules.catalog")  # first: importing the pack's modules alone is circular
    from umcheck.packs.successor.arc import RELEASES

    major, minor = max(RELEASES)
    return f"{major}.{minor + 1}.0"


def _off_azure(doc: dict[str, Any], m: Machine) -> None:
    """Not an Azure VM: no guest agent (and on Linux no Azure asset tag); probes.py keeps IMDS silent."""
    doc["azure_vm"] = {"services": []}
    if m.os == "linux":
        doc["dmi"]["asset_tag"] = None


def _arc_connected(doc: dict[str, Any], m: Machine) -> None:
    _off_azure(doc, m)
    doc["arc"] = {
        "installed": True, "version": current_arc_version(), "status": "Connected", "last_heartbeat": HEARTBEAT,
        "resource_id": f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/sim/providers/"
                       f"Microsoft.HybridCompute/machines/{m.hostname}",
        "location": m.location,
        "config": {"extensions.enabled": "true", "guestconfiguration.enabled": "true", "config.mode": "full",
                   "connection.type": "direct"},
        "services": [_svc(m.os, n) for n in ARC_SERVICES[m.os]],
        "himds": {"status": 401, "basic_realm": True},
    }  # fmt: skip
    if m.os == "windows":
        doc["arc"]["tls_cipher_suites"] = ["TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
                                           "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]
        doc["arc"]["service_logon"] = {"gpo_defined": False, "holders": []}


def _arc_service_down(index: int) -> Mutation:
    def apply(doc: dict[str, Any], m: Machine) -> None:
        doc["arc"]["services"][index] = _svc(m.os, ARC_SERVICES[m.os][index], up=False)

    return apply


def _ext(name: str, version: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "version": version, "status": "Success", "code": "0", "status_time": HEARTBEAT, **kw}


def _hrw2_healthy(doc: dict[str, Any], m: Machine) -> None:
    doc["extensions"]["items"].append(_ext(HRW_EXTENSION[m.os], "1.1.13", settings_url=m.account_url))
    if m.os == "windows":
        doc["hrw2"] = {"service": _svc("windows", "HybridWorkerService"), "v2_key_present": True, "azure_key_present": True,
                       "jrds_uri": m.jrds_uri, "job_errors": {}}  # fmt: skip
    else:
        doc["hrw2"] = {"service": _svc("linux", "hwd"), "user_present": True}


def _hrw2_stopped(doc: dict[str, Any], m: Machine) -> None:
    _hrw2_healthy(doc, m)
    doc["hrw2"]["service"] = _svc(m.os, doc["hrw2"]["service"]["name"], up=False)


def _hrw2_stale(doc: dict[str, Any], m: Machine) -> None:
    doc["hrw2"].update(v2_key_present=True, azure_key_present=True, jrds_uri=m.jrds_uri)


def _v1_user_worker(doc: dict[str, Any], m: Machine) -> None:
    doc["hrw"]["registrations"].append({"account_id": m.account_id, "group": "sim-user-workers", "jrds_uri": m.jrds_uri,
                                        "layout": "v1"})  # fmt: skip


def _patch_extensions(doc: dict[str, Any], m: Machine) -> None:
    doc["extensions"]["items"] += [_ext(n, "1.2.0") for n in PATCH_EXTENSIONS[m.os]]
    if m.os == "linux":
        doc["linux_updates"]["autoassess_timer"] = "active"


def _no_legacy_windows(doc: dict[str, Any], m: Machine) -> None:
    WINDOWS_STATES["not_configured"][1](doc, m)


def _no_legacy_linux(doc: dict[str, Any], m: Machine) -> None:
    LINUX_STATES["agent_missing"][1](doc, m)


def _migrated(doc: dict[str, Any], m: Machine) -> None:
    """Arc connected, the extension worker healthy, Update Manager patching; no MMA/OMS, V1 worker or UM left."""
    _arc_connected(doc, m)
    _hrw2_healthy(doc, m)
    _patch_extensions(doc, m)
    (_no_legacy_windows if m.os == "windows" else _no_legacy_linux)(doc, m)


def _mma_still_reporting(doc: dict[str, Any], m: Machine) -> None:
    """The migrated stack with the retired agent still reporting to its workspace (Updates solution removed)."""
    _migrated(doc, m)
    healthy = _healthy_windows(m, "") if m.os == "windows" else _healthy_linux(m, "")
    if m.os == "windows":
        doc["services"]["health_service"] = healthy["services"]["health_service"]
        doc["workspaces"] = {"configured": [m.workspace], "with_updates": [], "operations_log_present": True}
        doc["agent_events"] = healthy["agent_events"]
    else:
        doc["oms_agent"] = healthy["oms_agent"]
        doc["workspaces"] = healthy["workspaces"]


_ARC_ONLY = "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForWindows"

# Each entry: (description, mutation). "Probe" states only change what probes report (probes.py).
WINDOWS_STATES: dict[str, tuple[str, Mutation]] = {
    "healthy": ("a Ready Hybrid Runbook Worker", _all()),
    "tls12_disabled": ("TLS 1.2 explicitly disabled in SCHANNEL", _all(
        _set("tls.client_enabled", 0), _set("tls.server_enabled", 0),
        _set("tls.client_disabled_by_default", 1), _set("tls.server_disabled_by_default", 1))),
    "healthservice_stopped": ("the Microsoft Monitoring Agent service (HealthService) is stopped",
                              _set("services.health_service.status", "Stopped")),
    "wuauserv_disabled": ("the Windows Update service is disabled", _all(
        _set("services.wuauserv.status", "Stopped"), _set("services.wuauserv.start_type", "Disabled"))),
    "no_workspace": ("no Log Analytics workspace with the Updates solution", _all(
        _set("workspaces.configured", []), _set("workspaces.with_updates", []))),
    "multihomed": ("reports to two workspaces that both have the Updates solution", _multihomed_windows),
    "worker_stopped": ("the system Hybrid Runbook Worker last logged 15004 (stopped)",
                       _set("system_worker.last_event_id", 15004)),
    "agent_errors": ("HealthService logged HybridAgent 4502 errors in the last 24 h", _all(
        _set("agent_events.events_4502", 6), _set("agent_events.events_4502_hybrid", 4))),
    "endpoints_blocked": ("Automation and Log Analytics endpoints time out (firewall)", _all()),
    "proxy_set": ("a WinHTTP proxy is configured", _all(
        _set("proxy.winhttp_proxy", "http://proxy.sim.umcheck.test:3128"),
        _set("proxy.winhttp_bypass", "<local>;169.254.169.254"))),
    # The proxy's own answers (probes.py PROXY_ANSWERS; docs/facts.md "Proxy answers").
    "proxy_error_page": ("a WinHTTP proxy answers 502 (its error page) for everything, IMDS included", _all(
        _set("proxy.winhttp_proxy", "http://proxy.sim.umcheck.test:3128"), _set("proxy.winhttp_bypass", "<local>"))),
    "proxy_denies_tunnel": ("a WinHTTP proxy refuses every HTTPS tunnel with 403 (IMDS bypasses it)", _all(
        _set("proxy.winhttp_proxy", "http://proxy.sim.umcheck.test:3128"),
        _set("proxy.winhttp_bypass", "<local>;169.254.169.254"))),
    "proxy_auth_required": ("a WinHTTP proxy answers 407 (authentication required) for everything", _all(
        _set("proxy.winhttp_proxy", "http://proxy.sim.umcheck.test:3128"), _set("proxy.winhttp_bypass", "<local>"))),
    "old_os": ("Windows Server 2008 SP2 (6.0), below the supported minimum", _all(
        _set("os.version", "6.0.6002"), _set("os.caption", "Microsoft Windows Server 2008 Standard"))),
    "missing_dotnet": (".NET Framework 4.x is not installed", _all(
        _set("dotnet.release", None), _set("dotnet.subkey_releases", []))),
    "old_wmf": ("Windows PowerShell 4.0 (WMF 5.1 missing)", _set("powershell.engine_version", "4.0")),
    "wsus": ("updates come from a WSUS server", _all(
        _set("windows_update.wu_server", "http://wsus.sim.umcheck.test:8530"),
        _set("windows_update.wu_status_server", "http://wsus.sim.umcheck.test:8530"),
        _set("windows_update.use_wu_server", 1))),
    "auto_reboot_keys": ("AlwaysAutoRebootAtScheduledTime is set", _all(
        _set("windows_update.always_auto_reboot", 1), _set("windows_update.always_auto_reboot_minutes", 15))),
    "auto_update": ("Automatic Updates install by themselves (AUOptions 4)", _all(
        _set("windows_update.au_options", 4), _set("windows_update.no_auto_update", 0))),
    "machinekeys_denied": ("MachineKeys denies writing to Everyone and grants SYSTEM nothing", _set("machine_keys.aces", [
        {"sid": "S-1-1-0", "name": "Everyone", "rights": 278, "allow": False},
        {"sid": "S-1-3-0", "name": "CREATOR OWNER", "rights": 2032127, "allow": True, "inherited": True}])),
    "not_configured": ("no agent, no workspace, no Hybrid Runbook Worker registration", _all(
        _set("workspaces", {"configured": [], "with_updates": [], "operations_log_present": False}),
        _set("services.health_service", _SVC_MISSING),
        _set("agent_events", {"operations_log_present": False, "events_4502": 0, "events_4502_hybrid": 0}),
        _set("system_worker", {"sma_log_present": False}),
        _set("hrw", {"key_present": False, "registrations": []}))),
    "not_azure": ("not an Azure VM (IMDS does not answer, no Azure guest agent)", _off_azure),
    # The successor stack (facts v2, docs/simulator.md "Successor states"). Arc states are off Azure.
    "arc_connected": ("Arc agent installed and connected (himds, extension, GC services and Arc Proxy running; himds "
                      "answers 401 + realm); otherwise still the legacy worker", _arc_connected),
    "arc_disconnected": ("Arc agent installed but Disconnected, last heartbeat 3 days ago", _all(
        _arc_connected, _set("arc.status", "Disconnected"), _set("arc.last_heartbeat", STALE))),
    "arc_expired": ("Arc agent 1.50, over 12 months old (out of support)", _all(
        _arc_connected, _set("arc.version", EXPIRED_ARC_VERSION))),
    "himds_stopped": ("Arc agent installed, its himds service stopped: localhost:40342 refuses", _all(
        _arc_connected, _arc_service_down(0), _set("arc.himds", {"status": None, "basic_realm": False, "error": "refused"}))),
    "extension_policy_blocking": ("Arc connected, its extension allowlist lacks the patch extensions", _all(
        _arc_connected, _set("arc.config.extensions\x00allowlist", _ARC_ONLY))),
    "hrw2_healthy": ("the extension-based worker installed (settings URL set), HybridWorkerService running", _hrw2_healthy),
    "hrw2_stopped": ("the extension-based worker installed, HybridWorkerService stopped", _hrw2_stopped),
    "hrw2_stale_registration": ("HybridRunbookWorkerV2 and Azure\\HybridWorker keys left without the extension",
                                _hrw2_stale),
    "wsus_misconfigured": ("UseWUServer = 1 with an empty WUServer", _all(
        _set("windows_update.use_wu_server", 1), _set("windows_update.wu_server", ""))),
    "legacy_mma_reporting": ("migrated, but the MMA still runs and reports to its workspace", _mma_still_reporting),
    "v1_and_v2_side_by_side": ("a V1 user worker registration beside a healthy extension-based worker", _all(
        _hrw2_healthy, _v1_user_worker)),
    "os_auto_updates": ("Automatic Updates install by themselves (AUOptions 4)", _all(
        _set("windows_update.au_options", 4), _set("windows_update.no_auto_update", 0))),
    "migrated": ("Arc connected, extension worker healthy, Update Manager patch extensions report Success; no MMA, "
                 "V1 worker or Update Management left", _migrated),
    # Probe states: only what probes.py reports changes (SUCCESSOR_KINDS / BLOCKED_BY there).
    "arc_endpoints_blocked": ("Arc connected, but its endpoints time out (firewall)", _arc_connected),
    "wu_endpoints_blocked": ("the Windows Update endpoints time out (no WSUS)", _all()),
    "wireserver_blocked": ("the Azure VM's WireServer 168.63.129.16:80/:32526 times out", _all()),
    "hrw2_unreachable": ("the extension-based worker installed, its jrds/agentsvc hosts time out", _hrw2_healthy),
}  # fmt: skip

def _linux_proxy() -> Mutation:
    return _all(
        _set("proxy.agent_proxy", "http://proxy.sim.umcheck.test:3128"),
        _set("proxy.agent_proxy_path", "/etc/opt/microsoft/omsagent/proxy.conf"),
    )


LINUX_STATES: dict[str, tuple[str, Mutation]] = {
    "healthy": ("a Ready Linux Hybrid Runbook Worker", _all()),
    "multihomed": ("two workspace directories under /var/opt/microsoft/omsagent", _multihomed_linux),
    "worker_stopped": ("the worker manager and hybrid worker processes are not running", _all(
        _set("worker.manager_running", False), _set("worker.hybridworker_running", False))),
    "omsagent_stopped": ("the omsagent process is not running", _set("oms_agent.running", False)),
    "agent_missing": ("the Log Analytics agent (omsagent) is not installed", _all(
        _set("oms_agent", {"omsadmin_conf_present": False, "log_present": False, "running": False, "conf": {}}),
        _set("workspaces", {"base_dir_present": False, "dirs": []}),
        _set("worker", {"version_file": False, "configuration_py": False}),
        _set("current_mof", {"present": False}))),
    "not_configured": ("agent installed but no Hybrid Runbook Worker configured", _all(
        _set("worker", {"version_file": True, "configuration_py": True, "version": "1.7.5.0"}),
        _set("current_mof", {"present": False}))),
    "updates_disabled": ("the Updates solution is disabled in Current.mof", _set("current_mof.updates_enabled", False)),
    "repos_blocked": ("package repositories time out", _all()),
    "endpoints_blocked": ("Automation and Log Analytics endpoints time out (firewall)", _all()),
    "proxy_set": ("HTTP_PROXY is set for the agent", _all(
        _set("proxy.env", {"HTTP_PROXY": "http://proxy.sim.umcheck.test:3128"}),
        _set("proxy.agent_proxy", "http://proxy.sim.umcheck.test:3128"),
        _set("proxy.agent_proxy_path", "/etc/opt/microsoft/omsagent/proxy.conf"))),
    "proxy_error_page": ("the agent's proxy answers 502 (its error page) for everything", _linux_proxy()),
    "proxy_denies_tunnel": ("the agent's proxy refuses every HTTPS tunnel with 403", _linux_proxy()),
    "proxy_auth_required": ("the agent's proxy answers 407 (authentication required) for everything", _linux_proxy()),
    "old_os": ("Ubuntu 12.04, not a supported distribution", _all(
        _set("os.version_id", "12.04"), _set("os.pretty_name", "Ubuntu 12.04.5 LTS"))),
    "not_azure": ("not an Azure VM (no Azure asset tag, no guest agent, IMDS does not answer)", _off_azure),
    # The successor stack (facts v2, docs/simulator.md "Successor states"). Arc states are off Azure.
    "arc_connected": ("Arc agent installed and connected (himdsd, extd, gcad, arcproxyd active; himds answers 401 + "
                      "realm); otherwise still the legacy worker", _arc_connected),
    "arc_disconnected": ("Arc agent installed but Disconnected, last heartbeat 3 days ago", _all(
        _arc_connected, _set("arc.status", "Disconnected"), _set("arc.last_heartbeat", STALE))),
    "arc_expired": ("Arc agent 1.50, over 12 months old (out of support)", _all(
        _arc_connected, _set("arc.version", EXPIRED_ARC_VERSION))),
    "himds_stopped": ("Arc agent installed, himdsd inactive: localhost:40342 refuses", _all(
        _arc_connected, _arc_service_down(0), _set("arc.himds", {"status": None, "basic_realm": False, "error": "refused"}))),
    "extension_policy_blocking": ("Arc connected, its extension allowlist lacks the patch extensions", _all(
        _arc_connected, _set("arc.config.extensions\x00allowlist",
                             "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForLinux"))),
    "hrw2_healthy": ("the extension-based worker installed (settings URL set), hwd active, user hweautomation",
                     _hrw2_healthy),
    "hrw2_stopped": ("the extension-based worker installed, hwd inactive", _hrw2_stopped),
    "legacy_mma_reporting": ("migrated, but omsagent still runs and reports to its workspace", _mma_still_reporting),
    "linux_repos_unreachable": ("package repositories time out (as repos_blocked)", _all()),
    "os_auto_updates": ("unattended-upgrades on (APT::Periodic::Unattended-Upgrade \"1\")",
                        _set("linux_updates.auto_updates", ["apt: 20auto-upgrades"])),
    "migrated": ("Arc connected, extension worker healthy, Update Manager patch extensions report Success; no OMS "
                 "agent, worker or Update Management left", _migrated),
    "arc_endpoints_blocked": ("Arc connected, but its endpoints time out (firewall)", _arc_connected),
    "wireserver_blocked": ("the Azure VM's WireServer 168.63.129.16:80/:32526 times out", _all()),
    "hrw2_unreachable": ("the extension-based worker installed, its jrds/agentsvc hosts time out", _hrw2_healthy),
}  # fmt: skip

# The successor-stack states (facts v2); ``mix`` draws them for its mid-migration hosts.
SUCCESSOR_STATES = frozenset({"arc_connected", "arc_disconnected", "arc_expired", "himds_stopped",
                              "extension_policy_blocking", "hrw2_healthy", "hrw2_stopped", "hrw2_stale_registration",
                              "wsus_misconfigured", "legacy_mma_reporting", "v1_and_v2_side_by_side",
                              "linux_repos_unreachable", "os_auto_updates", "migrated", "arc_endpoints_blocked",
                              "wu_endpoints_blocked", "wireserver_blocked", "hrw2_unreachable"})  # fmt: skip
# States that make the machine a non-Azure server (probes.py: IMDS does not answer).
OFF_AZURE_STATES = frozenset({"not_azure", "arc_connected", "arc_disconnected", "arc_expired", "himds_stopped",
                              "extension_policy_blocking", "legacy_mma_reporting", "migrated",
                              "arc_endpoints_blocked"})  # fmt: skip

STATES = {"windows": WINDOWS_STATES, "linux": LINUX_STATES}


class UnknownState(ValueError):
    pass


def check_states(os_family: str, states: tuple[str, ...] | list[str]) -> None:
    known = STATES[os_family]
    for s in states:
        if s not in known:
            raise UnknownState(f"unknown {os_family} state {s!r} (known: {', '.join(sorted(known))})")


def machine_sections(m: Machine, now: str, clock: dt.datetime | None = None) -> dict[str, Any]:
    """Every section except probes, with the machine's states applied in order. ``now`` stamps the
    legacy events; ``clock`` (the scan's time, default now) the Arc heartbeat and extension status."""
    check_states(m.os, m.states)
    doc = _healthy_windows(m, now) if m.os == "windows" else _healthy_linux(m, now)
    for state in m.states:
        STATES[m.os][state][1](doc, m)
    clock = clock or dt.datetime.now(dt.UTC)
    times = {HEARTBEAT: clock - dt.timedelta(minutes=3), STALE: clock - dt.timedelta(days=3)}
    stamp = {k: v.replace(microsecond=0).isoformat() for k, v in times.items()}
    arc = doc.get("arc") or {}
    if arc.get("last_heartbeat") in stamp:
        arc["last_heartbeat"] = stamp[arc["last_heartbeat"]]
    for ext in (doc.get("extensions") or {}).get("items") or []:
        if ext.get("status_time") in stamp:
            ext["status_time"] = stamp[ext["status_time"]]
    return doc


def off_azure(states: tuple[str, ...]) -> bool:
    return bool(OFF_AZURE_STATES & set(states))
