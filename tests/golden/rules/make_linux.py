"""Generate the Linux golden rule fixtures: ``python tests/golden/rules/make_linux.py``.

Each case starts from a healthy host of one cloud, changes the facts it is about, and keeps only
the sections its rule reads. The JSON files are committed; this script only makes them easy to
review and regenerate. It rewrites every ``Linux.*`` directory next to it.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from umcheck.rules.linux import LINUX_RULES  # noqa: E402

WS = "11111111-2222-3333-4444-555555555555"
WS2 = "99999999-8888-7777-6666-555555555555"
AGENT_GUID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
ACCOUNT = "0f0e0d0c-0b0a-0908-0706-050403020100"
TAG = "7783-7084-3265-9085-8269-3286-77"
MOF = "/etc/opt/omi/conf/omsconfig/configuration/Current.mof"
OS_URL = "https://docs.microsoft.com/en-Us/azure/automation/update-management/operating-system-requirements"
OMS_URL = "https://github.com/Microsoft/OMS-Agent-for-Linux/blob/master/docs/Troubleshooting.md"
NOW = "2026-01-15T10:00:00+00:00"
NEEDS = {r.rule_id: r.needs for r in LINUX_RULES}

CLOUDS = {
    "public": {"la": "opinsights.azure.com", "auto": "azure-automation.net", "jrds": "we"},
    "usgov": {"la": "opinsights.azure.us", "auto": "azure-automation.us", "jrds": "usge"},
    "china": {"la": "opinsights.azure.cn", "auto": "azure-automation.cn", "jrds": "sha2"},
}
GOV_LA = [
    "usge-jobruntimedata-prod-1.usgovtrafficmanager.net",
    "usge-agentservice-prod-1.usgovtrafficmanager.net",
]


def probe(name: str, target: str, ok: bool = True, **kw: Any) -> dict[str, Any]:
    p = {
        "name": name,
        "target": target,
        "port": 443,
        "kind": "tcp",
        "via": "direct",
        "ok": ok,
        "elapsed_ms": 20,
    }
    if not ok:
        p.update(error="refused", detail="connection refused")
    p.update(kw)
    return p


def la_hosts(cloud: str, ws: str = WS) -> list[str]:
    c = CLOUDS[cloud]
    hosts = [f"{ws}.ods.{c['la']}", f"{ws}.oms.{c['la']}"]
    return GOV_LA + hosts if cloud == "usgov" else hosts


def omsadmin(cloud: str) -> dict[str, str]:
    c = CLOUDS[cloud]
    return {
        "WORKSPACE_ID": WS,
        "AGENT_GUID": AGENT_GUID,
        "LOG_FACILITY": "local0",
        "CERTIFICATE_UPDATE_ENDPOINT": f"https://{WS}.oms.{c['la']}/ConfigurationService.Svc/RenewCertificate",
        "URL_TLD": c["la"],
        "DSC_ENDPOINT": f"https://{WS}.agentsvc.{c['auto']}/Accounts/{WS}/Nodes(AgentId='{AGENT_GUID}')",
        "OMS_ENDPOINT": f"https://{WS}.ods.{c['la']}/OperationalData.svc/PostJsonDataItems",
    }


def healthy(cloud: str = "public") -> dict[str, Any]:
    """Every Linux section of a healthy Ubuntu 20.04 Azure VM worker in ``cloud``."""
    c = CLOUDS[cloud]
    jrds = f"{c['jrds']}-jobruntimedata-prod-su1.{c['auto']}"
    probes = [
        probe("internet", "bing.com"),
        probe("agentsvc", f"{WS}.agentsvc.{c['auto']}"),
        probe("jrds", jrds),
        probe(
            "imds",
            "http://169.254.169.254/metadata/instance?api-version=2018-02-01",
            port=80,
            kind="http",
            status=200,
        ),
    ]
    probes += [probe(f"la{i}", h) for i, h in enumerate(la_hosts(cloud), start=1)]
    repo_urls = ["http://azure.archive.ubuntu.com/ubuntu", "http://security.ubuntu.com/ubuntu"]
    return {
        "os": {"id": "ubuntu", "version_id": "20.04", "pretty_name": "Ubuntu 20.04.6 LTS"},
        "dmi": {"readable": True, "asset_tag": TAG},
        "oms_agent": {
            "omsadmin_conf_present": True,
            "log_present": True,
            "running": True,
            "conf": omsadmin(cloud),
        },
        "workspaces": {"base_dir_present": True, "dirs": [WS]},
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
            "jrds_base_uri": f"https://{jrds}",
        },
        "current_mof": {
            "present": True,
            "path": MOF,
            "has_resource_settings": True,
            "workspace_id": WS,
            "updates_enabled": True,
            "automation_enabled": False,
        },
        "proxy": {"env": {}, "agent_proxy": None, "agent_proxy_path": None},
        "repos": {
            "family": "debian",
            "listing_ok": True,
            "listing_error": None,
            "urls": repo_urls,
            "probes": [probe("repo", u, kind="http", port=80, status=200) for u in repo_urls],
        },
        "probes": probes,
    }


def facts_doc(
    linux: dict[str, Any], hostname: str = "lnx-worker-01", errors: list | None = None
) -> dict[str, Any]:
    return {
        "facts_version": 1,
        "os_family": "linux",
        "host": {"hostname": hostname},
        "collector": {"name": "test", "errors": errors or []},
        "linux": linux,
    }


def with_probe(linux: dict[str, Any], name: str, *replacement: dict[str, Any]) -> None:
    """Replace every probe called ``name`` by ``replacement`` (none = drop it)."""
    linux["probes"] = [p for p in linux["probes"] if p["name"] != name] + list(replacement)


CASES: list[dict[str, Any]] = []


def case(rule: str, name: str, description: str, expected: dict[str, Any], *, cloud: str = "public",
         ctx: dict[str, Any] | None = None, set: dict[str, Any] | None = None, drop: tuple[str, ...] = (),
         edit=None, deviations: list[str] | None = None, errors: list | None = None,
         official: dict[str, str] | None = None) -> None:  # fmt: skip
    base = healthy(cloud)
    for section, value in (set or {}).items():
        if isinstance(value, dict) and isinstance(base.get(section), dict):
            base[section] = {**base[section], **value}
        else:
            base[section] = value
    if edit:
        edit(base)
    linux = {k: v for k, v in base.items() if k in NEEDS[rule] and k not in drop}
    context = {"cloud": cloud, "location": None, "is_azure": True, "now": NOW, **(ctx or {})}
    doc: dict[str, Any] = {"description": description}
    if official:
        doc["official"] = official
    if deviations:
        doc["deviations"] = deviations
    doc.update(context=context, facts=facts_doc(linux, errors=errors), expected=expected)
    CASES.append({"rule": rule, "name": name, "doc": doc})


def passed(rule: str, args: list | None = None, **kw: Any) -> dict[str, Any]:
    out = {"CheckResult": "Passed", "CheckResultMessageId": f"{rule}.Passed"}
    if args is not None:
        out["CheckResultMessageArguments"] = args
    out.update(kw)
    return out


def failed(rule: str, suffix: str | None = None, args: list | None = None, **kw: Any) -> dict[str, Any]:
    out = {
        "CheckResult": "Failed",
        "CheckResultMessageId": f"{rule}.Failed" + (f".{suffix}" if suffix else ""),
    }
    if args is not None:
        out["CheckResultMessageArguments"] = args
    out.update(kw)
    return out


def not_evaluated(rule: str, reason: str) -> dict[str, Any]:
    return {
        "CheckResult": "NotEvaluated",
        "CheckResultMessageId": f"{rule}.NotEvaluated",
        "CheckResultMessageArguments": [],
        "reason": reason,
    }


# --------------------------------------------------------------------------------------------
# The cases, rule by rule in official order (one case per call; kept as a readable table).
# fmt: off

R_OS = "Linux.OperatingSystemCheck"
R_DMI = "Linux.DmidecodeCheck"
R_INST = "Linux.OMSAgentInstallCheck"
R_RUN = "Linux.OMSAgentStatusCheck"
R_MH = "Linux.MultiHomingCheck"
R_PKG = "Linux.HybridWorkerPackgeCheck"
R_HWS = "Linux.HybridWorkerStatusCheck"
R_PX = "Linux.ProxyCheck"
R_IMDS = "Linux.ImdsCheck"
R_NET = "Linux.InternetConnectionCheck"
R_AS = "Linux.AgentServiceConnectivityCheck"
R_JRDS = "Linux.JRDSConnectivityCheck"
R_LA = "Linux.LogAnalyticsConnectivityCheck"
R_REPO = "Linux.ReposAccessCheck"


def prerequisite_cases() -> None:
    case(R_OS, "passed-ubuntu-2004", "Ubuntu 20.04 is on the official list.", passed(R_OS, [], evidence={"distro": "ubuntu-20.04"}))
    case(R_OS, "passed-rhel-79", "RHEL 7.9 matches rhel-7 (unanchored search, as official).",
         passed(R_OS, []), set={"os": {"id": "rhel", "version_id": "7.9", "pretty_name": "Red Hat Enterprise Linux Server 7.9"}})
    case(R_OS, "passed-oracle-86", "Oracle Linux (os-release ID ol, reported as oracle) 8.6.",
         passed(R_OS, []), set={"os": {"id": "oracle", "version_id": "8.6", "pretty_name": "Oracle Linux Server 8.6"}})
    case(R_OS, "failed-ubuntu-2204", "Ubuntu 22.04 is not on the Update Management list.",
         failed(R_OS, None, [OS_URL], reason="not on the Update Management supported list", evidence={"distro": "ubuntu-22.04"}),
         set={"os": {"id": "ubuntu", "version_id": "22.04", "pretty_name": "Ubuntu 22.04.4 LTS"}})
    case(R_OS, "not-evaluated-missing-section", "The os section was not collected: NotEvaluated, not a crash.",
         not_evaluated(R_OS, "os: not collected"), drop=("os",), deviations=["Q-L1", "Q-L1a"])

    case(R_DMI, "passed-azure-tag", "Azure VM with the Azure chassis asset tag.", passed(R_DMI, [], evidence={"asset_tag": TAG}))
    case(R_DMI, "failed-azure-vm-without-tag", "Known Azure VM whose asset tag is not the Azure one.",
         failed(R_DMI, None, [], reason="reboot the VM"), set={"dmi": {"asset_tag": "No Asset Tag"}})
    case(R_DMI, "failed-unknown-unreadable", "dmidecode unreadable and Azure-ness unknown: Failed as official, with the reason.",
         failed(R_DMI, None, [], reason="dmidecode output could not be read"),
         set={"dmi": {"readable": False, "asset_tag": None}}, ctx={"is_azure": None})
    case(R_DMI, "passed-not-azure", "Machine known not to be an Azure VM: the asset tag check does not apply.",
         passed(R_DMI, [], reason="not an Azure VM", evidence={"is_azure": False}),
         set={"dmi": {"asset_tag": "Default string"}}, ctx={"is_azure": False}, deviations=["Q-L4", "Q-L4a"])
    case(R_DMI, "not-evaluated-collector-error", "The collector reported the dmi section as failed: its data is not trusted.",
         not_evaluated(R_DMI, "collector error: dmidecode timed out"),
         errors=[{"section": "dmi", "message": "dmidecode timed out after 10 s"}], deviations=["Q-L1", "Q-L1a"])


def agent_cases() -> None:
    case(R_INST, "passed", "omsadmin.conf and omsagent.log exist.", passed(R_INST, []))
    case(R_INST, "failed-no-log", "omsadmin.conf exists but the agent log does not.",
         failed(R_INST, None, [OMS_URL], reason="omsagent.log"), set={"oms_agent": {"log_present": False}})
    case(R_INST, "failed-not-installed", "No agent at all.",
         failed(R_INST, None, [OMS_URL], reason="omsadmin.conf, omsagent.log"),
         set={"oms_agent": {"omsadmin_conf_present": False, "log_present": False, "running": False, "conf": {}}})
    case(R_RUN, "passed", "omsagent process found.", passed(R_RUN, []))
    case(R_RUN, "failed", "No omsagent process.", failed(R_RUN, None, [OMS_URL], evidence={"running": False}),
         set={"oms_agent": {"running": False}})

    case(R_MH, "passed", "One workspace directory; the argument is the Python repr of the list.",
         passed(R_MH, [f"['{WS}']"], evidence={"workspaces": [WS]}))
    case(R_MH, "failed-two-workspaces", "Two workspace directories: multihomed.",
         failed(R_MH, None, [f"['{WS}', '{WS2}']"], reason="2 workspace directories"),
         set={"workspaces": {"dirs": [WS, WS2]}})
    case(R_MH, "failed-no-agent-dir", "/var/opt/microsoft/omsagent missing.",
         failed(R_MH, "NoWorkspace", [], reason="does not exist"), set={"workspaces": {"base_dir_present": False, "dirs": []}})
    case(R_MH, "failed-zero-workspace-dirs", "Agent directory without any workspace directory: the official script passes.",
         failed(R_MH, "NoWorkspace", [], reason="official script reports Passed"),
         set={"workspaces": {"dirs": []}}, deviations=["Q-L3", "Q-L3a"])

    case(R_PKG, "passed", "Both module files present.", passed(R_PKG, [], evidence={"version": "1.7.5.0"}))
    case(R_PKG, "failed-no-configuration-py", "Module VERSION present, worker code missing.",
         failed(R_PKG, None, [], reason="worker/configuration.py"), set={"worker": {"configuration_py": False}})


def worker_status_cases() -> None:
    case(R_HWS, "passed-from-facts", "All Test_Marshall conditions judged from collected facts; no agent code imported.",
         passed(R_HWS, [], evidence={"failed_conditions": [], "manager_running": True}), deviations=["Q-L7"])
    case(R_HWS, "failed-missing-current-mof", "No Current.mof; the worker section is not even needed.",
         failed(R_HWS, "MissingCurrentMofFile", [MOF], reason="no DSC configuration"),
         set={"current_mof": {"present": False, "has_resource_settings": False, "workspace_id": None, "updates_enabled": None}},
         drop=("worker", "oms_agent"))
    case(R_HWS, "failed-no-resource-settings", "Current.mof without ResourceSettings.",
         failed(R_HWS, None, [], reason="no ResourceSettings"),
         set={"current_mof": {"has_resource_settings": False, "workspace_id": None, "updates_enabled": None}})
    case(R_HWS, "failed-updates-disabled", "Updates solution disabled in the DSC configuration.",
         failed(R_HWS, "UpdateDeploymentDisabled", [MOF], reason="Updates.Enabled is false"),
         set={"current_mof": {"updates_enabled": False}})
    case(R_HWS, "failed-worker-stopped", "Configuration fine, worker processes not running.",
         failed(R_HWS, None, [], reason="worker manager (worker/main.py) is not running",
                evidence={"manager_running": False, "hybridworker_running": False}),
         set={"worker": {"manager_running": False, "hybridworker_running": False}})
    case(R_HWS, "failed-not-primary-workspace", "Current.mof is for a workspace that is not the agent's primary one: the "
         "official Test_Marshall returns success unconditionally here.",
         failed(R_HWS, None, [], reason="not the agent's primary workspace"),
         set={"current_mof": {"workspace_id": WS2}}, deviations=["Q-L3", "Q-L3b"])
    case(R_HWS, "failed-no-nxautomation-user", "User nxautomation missing: official Test_Marshall returns success.",
         failed(R_HWS, None, [], reason="user nxautomation does not exist"),
         set={"worker": {"nxautomation_user": False, "manager_running": False, "hybridworker_running": False}},
         deviations=["Q-L3b"])
    case(R_HWS, "failed-other-workspace-worker", "A worker for another workspace is running.",
         failed(R_HWS, None, [], reason="another workspace"), set={"worker": {"other_workspace_workers": True}})
    case(R_HWS, "failed-jrds-cert-mismatch", "worker.conf's jrds_cert_thumbprint is not the agent certificate's: "
         "the worker cannot authenticate to JRDS (a Test_Marshall condition).",
         failed(R_HWS, None, [], reason="jrds_cert_thumbprint does not match"),
         set={"worker": {"jrds_cert_thumbprint_matches": False}}, deviations=["Q-L3b"])
    case(R_HWS, "not-evaluated-updates-unreadable", "ResourceSettings present but unparseable: the official script "
         "crashes (no output at all); umcheck reports this rule as not evaluated.",
         not_evaluated(R_HWS, "Solutions.Updates.Enabled could not be read"),
         set={"current_mof": {"updates_enabled": None}}, deviations=["Q-L1", "Q-L1c"])


def network_cases() -> None:
    via_proxy = [probe("agentsvc", f"{WS}.agentsvc.azure-automation.net", via="proxy"),
                 probe("la1", f"{WS}.ods.opinsights.azure.com", via="proxy")]
    case(R_PX, "passed-no-proxy", "No proxy anywhere.", passed(R_PX, [], reason="no proxy"))
    case(R_PX, "passed-env-proxy-working", "HTTP_PROXY set and the endpoints answer through it: the official script fails.",
         passed(R_PX, [], reason="all 2 required endpoint(s) probed through it are reachable",
                evidence={"official_result": "Failed", "env": {"HTTP_PROXY": "http://proxy.corp.example:3128"}}),
         set={"proxy": {"env": {"HTTP_PROXY": "http://proxy.corp.example:3128"}}},
         edit=lambda b: b["probes"].extend(via_proxy), deviations=["Q-L4", "Q-L4f"])
    case(R_PX, "passed-agent-proxy-not-probed", "Agent proxy.conf set, nothing probed through it.",
         passed(R_PX, [], reason="nothing was probed through it"),
         set={"proxy": {"agent_proxy": "http://proxy.corp.example:3128", "agent_proxy_path": "/etc/opt/microsoft/omsagent/proxy.conf"}})
    case(R_PX, "failed-agent-proxy-blocks", "Agent proxy (with credentials, redacted) blocks the agent service; "
         "the official script only reads HTTP_PROXY (stripped by sudo) and passes.",
         failed(R_PX, None, [], reason=f"unreachable through it: {WS}.agentsvc.azure-automation.net (http)",
                evidence={"official_result": "Passed", "agent_proxy": "http://***@proxy.corp.example:3128"}),
         set={"proxy": {"agent_proxy": "http://user:s3cret@proxy.corp.example:3128",
                        "agent_proxy_path": "/etc/opt/microsoft/omsagent/proxy.conf"}},
         edit=lambda b: b["probes"].append(probe("agentsvc", f"{WS}.agentsvc.azure-automation.net", False, via="proxy",
                                                 error="http", detail="proxy answered 403")),
         deviations=["Q-L3", "Q-L3d"])

    case(R_IMDS, "passed", "IMDS answered 200.", passed(R_IMDS, [], reason="HTTP 2xx"))
    case(R_IMDS, "failed-unreachable", "Azure VM cannot reach IMDS.", failed(R_IMDS, None, [], reason="not reachable (timeout)"),
         edit=lambda b: with_probe(b, "imds", probe("imds", "http://169.254.169.254/metadata/instance", False, port=80,
                                                     kind="http", error="timeout", detail="timed out after 5 s")))
    case(R_IMDS, "failed-proxy-answered-403", "A proxy answered the IMDS request with 403: curl exits 0, the official script passes.",
         failed(R_IMDS, None, [], reason="HTTP 403"),
         edit=lambda b: with_probe(b, "imds", probe("imds", "http://169.254.169.254/metadata/instance", True, port=80,
                                                     kind="http", status=403)), deviations=["Q-L3", "Q-L3c"])
    ref = "docs: /work/shared/reference/rules-reference.md 'L9 Linux.ImdsCheck': "
    imds_url = "http://169.254.169.254/metadata/instance?api-version=2018-02-01"
    proxy_502 = probe("imds", imds_url, False, port=80, kind="http", via="proxy", status=502, error="proxy",
                      detail="proxy answered 502")  # fmt: skip
    case(R_IMDS, "passed-proxy-502-direct-200",
         "The agent's proxy answers its own 502 page for IMDS (error 'proxy'); the direct request gets 200.",
         passed(R_IMDS, [], reason="HTTP 2xx"),
         edit=lambda b: with_probe(b, "imds", proxy_502, probe("imds", imds_url, True, port=80, kind="http", status=200)),
         official={"verdict": "Linux.ImdsCheck.Passed", "source": ref + "curl without -f exits 0 on any HTTP reply -> "
                   "Passed, whether curl went through a proxy (http_proxy in its environment) or not."})  # fmt: skip
    case(R_IMDS, "failed-proxy-502-direct-refused",
         "The agent's proxy answers its own 502 page for IMDS and the direct request is refused.",
         failed(R_IMDS, None, [], reason="HTTP 502"),
         edit=lambda b: with_probe(b, "imds", proxy_502, probe("imds", imds_url, False, port=80, kind="http")),
         official={"verdict": "Linux.ImdsCheck.Passed", "source": ref + "when curl's environment names the proxy, curl "
                   "(no -f) exits 0 on the proxy's 502 page -> Passed; umcheck deviates (docs/deviations.md Q-L3c): an "
                   "error page is not the metadata service."},
         deviations=["Q-L3", "Q-L3c"])  # fmt: skip
    case(R_IMDS, "passed-not-azure", "Non-Azure machine: IMDS is not expected.",
         passed(R_IMDS, [], reason="not an Azure VM"), ctx={"is_azure": False},
         edit=lambda b: with_probe(b, "imds", probe("imds", "http://169.254.169.254/metadata/instance", False, port=80,
                                                     kind="http", error="timeout")), deviations=["Q-L4", "Q-L4b"])
    case(R_IMDS, "not-evaluated-no-probe", "No imds probe in the facts: NotEvaluated.",
         not_evaluated(R_IMDS, "the imds probe was not made"), edit=lambda b: with_probe(b, "imds"), deviations=["Q-L1a"])

    case(R_NET, "passed", "bing.com:443 reachable.", passed(R_NET, [], reason="bing.com"))
    case(R_NET, "failed", "bing.com:443 blocked.", failed(R_NET, None, [], reason="unreachable: bing.com"),
         edit=lambda b: with_probe(b, "internet", probe("internet", "bing.com", False)))

    case(R_REPO, "passed-apt", "Both apt repositories answer.", passed(R_REPO, [], reason="all 2 repository host(s) answered"))
    case(R_REPO, "failed-404", "One repository answers 404.", failed(R_REPO, None, [], reason="HTTP 404"),
         set={"repos": {"probes": [probe("repo", "http://azure.archive.ubuntu.com/ubuntu", kind="http", port=80, status=200),
                                   probe("repo", "http://security.ubuntu.com/ubuntu", False, kind="http", port=80,
                                         status=404, error="http")]}})
    case(R_REPO, "passed-listing-warning-probes-ok", "apt printed a warning on stderr (the official script fails and prints "
         "the text to stdout); every repository answers, so umcheck passes and keeps the text as evidence.",
         passed(R_REPO, [], reason="the listing reported errors, but every repository answered",
                evidence={"listing_error": "W: Target Packages is configured multiple times"}),
         set={"repos": {"listing_ok": False, "listing_error": "W: Target Packages is configured multiple times"}},
         deviations=["Q-L2", "Q-L4", "Q-L4d"])
    case(R_REPO, "passed-head-405", "A repository refuses HEAD with 405 but is there.",
         passed(R_REPO, []), deviations=["Q-L4e"],
         set={"repos": {"probes": [probe("repo", "http://azure.archive.ubuntu.com/ubuntu", kind="http", port=80, status=405),
                                   probe("repo", "http://security.ubuntu.com/ubuntu", kind="http", port=80, status=200)]}})
    case(R_REPO, "passed-yum-mirrorlist-only", "RHEL with mirrorlist-only repositories: nothing to probe.",
         passed(R_REPO, [], reason="nothing to probe"), set={"repos": {"family": "rhel", "urls": [], "probes": []}})
    case(R_REPO, "passed-zypper-refresh", "SUSE: zypper refresh succeeded (no per-repository probes).",
         passed(R_REPO, []), set={"repos": {"family": "suse", "urls": [], "probes": []}})
    case(R_REPO, "failed-zypper-refresh", "SUSE: zypper refresh failed and nothing could be probed.",
         failed(R_REPO, None, [], reason="repository listing failed: Repository 'SLES15-Updates' is invalid"),
         set={"repos": {"family": "suse", "listing_ok": False, "listing_error": "Repository 'SLES15-Updates' is invalid",
                        "urls": [], "probes": []}})
    case(R_REPO, "not-evaluated-unsupported-family", "Debian-like family unknown to the official script, which crashes.",
         not_evaluated(R_REPO, "unsupported distribution family"),
         set={"repos": {"family": None, "urls": [], "probes": []}}, deviations=["Q-L1", "Q-L1b"])


def endpoint_cases() -> None:
    agentsvc = f"{WS}.agentsvc.azure-automation.net"
    case(R_AS, "passed", "Agent service from DSC_ENDPOINT reachable.", passed(R_AS, [agentsvc], evidence={"endpoint": agentsvc}))
    case(R_AS, "passed-usgov", "US Gov agent service.", passed(R_AS, [f"{WS}.agentsvc.azure-automation.us"]), cloud="usgov")
    case(R_AS, "failed-refused", "Agent service refused.", failed(R_AS, None, [agentsvc], reason="not reachable (refused)"),
         edit=lambda b: with_probe(b, "agentsvc", probe("agentsvc", agentsvc, False)))
    case(R_AS, "failed-timeout", "Agent service silently dropped: the collector's probe times out (bounded), "
         "the error class is kept.", failed(R_AS, None, [agentsvc], reason="not reachable (timeout)"),
         edit=lambda b: with_probe(b, "agentsvc", probe("agentsvc", agentsvc, False, error="timeout", detail="no answer in 5 s")),
         deviations=["Q-L6", "Q-L6a"])
    case(R_AS, "passed-via-proxy-only", "Direct connection blocked, reachable through the configured proxy the agent uses.",
         passed(R_AS, [agentsvc], reason="through the configured proxy only"), deviations=["Q-L6b"],
         edit=lambda b: with_probe(b, "agentsvc", probe("agentsvc", agentsvc, False, error="timeout"),
                                   probe("agentsvc", agentsvc, True, via="proxy")))
    case(R_AS, "failed-unable-to-get-endpoint", "omsadmin.conf missing: no endpoint to test.",
         failed(R_AS, "UnableToGetEndpoint", [], reason="omsadmin.conf is missing"),
         set={"oms_agent": {"omsadmin_conf_present": False, "conf": {}}})
    regional = "scus-agentservice-prod-1.azure-automation.net"
    case(R_AS, "passed-regional-dsc-endpoint", "Older onboarding with the region-wide agent service record: the official "
         "script finds no 'agentsvc' line and reports UnableToGetEndpoint.",
         passed(R_AS, [regional], evidence={"endpoint": regional}), deviations=["Q-L4", "Q-L4c"],
         set={"oms_agent": {"conf": {**omsadmin("public"), "DSC_ENDPOINT": f"https://{regional}/Accounts/{WS}/Nodes(AgentId='{AGENT_GUID}')"}}},
         edit=lambda b: with_probe(b, "agentsvc", probe("agentsvc", regional)))

    jrds = "we-jobruntimedata-prod-su1.azure-automation.net"
    case(R_JRDS, "passed", "JRDS from worker.conf reachable.", passed(R_JRDS, [jrds]))
    acct = f"{ACCOUNT}.jrds.we.azure-automation.net"
    case(R_JRDS, "passed-account-specific", "Account-specific JRDS record recorded by a newer worker.",
         passed(R_JRDS, [acct]), set={"worker": {"jrds_base_uri": f"https://{acct}/"}},
         edit=lambda b: with_probe(b, "jrds", probe("jrds", acct)))
    case(R_JRDS, "failed", "JRDS blocked.", failed(R_JRDS, None, [jrds], reason="not reachable"),
         edit=lambda b: with_probe(b, "jrds", probe("jrds", jrds, False)))
    case(R_JRDS, "failed-unable-to-get-endpoint", "worker.conf missing: system worker never registered.",
         failed(R_JRDS, "UnableToGetEndpoint", [], reason="never registered"),
         set={"worker": {"worker_conf_present": False, "jrds_base_uri": None}})


def la_cases() -> None:
    for cloud in ("public", "usgov", "china"):
        for i, host in enumerate(la_hosts(cloud), start=1):
            rule = f"{R_LA}{i}"
            role = "Automation" if cloud == "usgov" and i <= 2 else "Log Analytics"
            dev = ["Q-L5"] if role == "Automation" else None
            case(rule, f"passed-{cloud}", f"{cloud}: endpoint {i} is {host}.",
                 passed(rule, [host], reason=role, evidence={"cloud": cloud}), cloud=cloud, deviations=dev)
            case(rule, f"failed-{cloud}", f"{cloud}: endpoint {i} ({host}) refused.",
                 failed(rule, None, [host], reason=f"{role}"), cloud=cloud, deviations=dev,
                 edit=lambda b, i=i, host=host: with_probe(b, f"la{i}", probe(f"la{i}", host, False)))
    for i in (3, 4):
        for cloud in ("public", "china"):
            case(f"{R_LA}{i}", f"no-row-{cloud}", f"{cloud}: the official script has no check {i} outside US Gov.",
                 {"no_row": True}, cloud=cloud)
    gov_conf_public_ctx = "OMS_ENDPOINT says US Gov while the controller context says public: the host's file wins."
    case(f"{R_LA}3", "row-from-omsadmin-cloud", gov_conf_public_ctx,
         passed(f"{R_LA}3", [f"{WS}.ods.opinsights.azure.us"], evidence={"cloud": "usgov", "cloud_source": "omsadmin.conf OMS_ENDPOINT"}),
         cloud="usgov", ctx={"cloud": "public"})
    no_endpoint = {k: v for k, v in omsadmin("usgov").items() if k != "OMS_ENDPOINT"}
    case(f"{R_LA}4", "cloud-from-context", "No OMS_ENDPOINT on the host: the controller's cloud (usgov) decides.",
         passed(f"{R_LA}4", [f"{WS}.oms.opinsights.azure.us"], evidence={"cloud": "usgov"}),
         cloud="usgov", set={"oms_agent": {"conf": no_endpoint}})
    no_ws = {k: v for k, v in omsadmin("public").items() if k != "WORKSPACE_ID"}
    case(f"{R_LA}1", "failed-workspace-unknown", "No WORKSPACE_ID: like the official script, the literal wildcard host fails.",
         failed(f"{R_LA}1", None, ["*.ods.opinsights.azure.com"], reason="no WORKSPACE_ID"),
         set={"oms_agent": {"conf": no_ws}}, edit=lambda b: with_probe(b, "la1"))
    case(f"{R_LA}2", "not-evaluated-agent-section-failed", "oms_agent section failed on the host: not evaluated.",
         not_evaluated(f"{R_LA}2", "collector error"), errors=[{"section": "oms_agent", "message": "permission denied"}],
         deviations=["Q-L1a"])
    case(f"{R_LA}3", "no-row-agent-section-failed-public", "oms_agent failed, public context: still no US Gov-only row.",
         {"no_row": True}, drop=("oms_agent",))


# fmt: on
# --------------------------------------------------------------------------------------------
# Whole-host sample facts (tests/golden/facts/linux-*.json)


def host_samples() -> dict[str, dict[str, Any]]:
    ok = healthy("public")
    multi = healthy("public")
    multi["workspaces"]["dirs"] = [WS, WS2]
    multi["worker"]["other_workspace_workers"] = True
    stopped = healthy("public")
    stopped["worker"].update(manager_running=False, hybridworker_running=False)
    return {
        "linux-healthy": facts_doc(ok, "lnx-healthy-01"),
        "linux-multihomed": facts_doc(multi, "lnx-multihomed-01"),
        "linux-worker-stopped": facts_doc(stopped, "lnx-stopped-01"),
    }


def build_cases() -> dict[Path, dict[str, Any]]:
    """Every fixture path -> its JSON document (nothing written)."""
    CASES.clear()
    for build in (
        prerequisite_cases,
        agent_cases,
        worker_status_cases,
        network_cases,
        endpoint_cases,
        la_cases,
    ):
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
    for d in HERE.glob("Linux.*"):
        shutil.rmtree(d)
    for path, doc in cases.items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    facts_dir = HERE.parent / "facts"
    facts_dir.mkdir(exist_ok=True)
    for name, doc in host_samples().items():
        (facts_dir / f"{name}.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} rule fixtures and {len(host_samples())} host facts files")


if __name__ == "__main__":
    main()
