"""Simulated machine state: a healthy facts document per OS, and named states applied as mutations.

A scenario says ``states: [healthservice_stopped, proxy_set]``; each name is a small, documented
change to a healthy Hybrid Runbook Worker, so the rules see exactly the problem the name promises
(and nothing else). Probes are not part of the machine: ``probes.py`` builds them per request
from the endpoints the collector was asked to check.
"""

from __future__ import annotations

import copy
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
                 "jrds_uri": m.jrds_uri, "layout": "v2"}
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
        "windows_update": {},
        "proxy": {},
    }


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
    }


Mutation = Callable[[dict[str, Any], Machine], None]


def _set(path: str, value: Any) -> Mutation:
    def apply(doc: dict[str, Any], m: Machine) -> None:
        *parents, leaf = path.split(".")
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
    "not_azure": ("not an Azure VM (IMDS does not answer)", _all()),
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
    "not_azure": ("not an Azure VM (no Azure asset tag, IMDS does not answer)", _set("dmi.asset_tag", None)),
}  # fmt: skip

STATES = {"windows": WINDOWS_STATES, "linux": LINUX_STATES}


class UnknownState(ValueError):
    pass


def check_states(os_family: str, states: tuple[str, ...] | list[str]) -> None:
    known = STATES[os_family]
    for s in states:
        if s not in known:
            raise UnknownState(f"unknown {os_family} state {s!r} (known: {', '.join(sorted(known))})")


def machine_sections(m: Machine, now: str) -> dict[str, Any]:
    """Every section except probes, with the machine's states applied in order."""
    check_states(m.os, m.states)
    doc = _healthy_windows(m, now) if m.os == "windows" else _healthy_linux(m, now)
    for state in m.states:
        STATES[m.os][state][1](doc, m)
    return doc
