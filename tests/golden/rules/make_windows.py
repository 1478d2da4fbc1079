"""Generate the Windows golden rule fixtures and the sample whole-host Windows facts files.

    python tests/golden/rules/make_windows.py

Rewrites ``tests/golden/rules/<Windows RuleId>/*.json`` and ``tests/golden/facts/windows-*.json``.
The JSON files are committed; this script only keeps them consistent. Each case lists the
sections its rule reads and nothing more, so a fixture also documents what a rule depends on.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FACTS_DIR = HERE.parent / "facts"

WS = "11111111-2222-3333-4444-555555555555"
WS2 = "66666666-7777-8888-9999-000000000000"
ACCOUNT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
CTX = {"cloud": "public", "location": "westeurope", "is_azure": True, "now": "2024-05-01T12:00:00Z"}
OS_URL = "https://docs.microsoft.com/en-Us/azure/automation/update-management/operating-system-requirements"
DOTNET_URL = "https://www.microsoft.com/net/download/dotnet-framework-runtime"
WMF_URL = "https://www.microsoft.com/download/details.aspx?id=54616"
MMA = ["Microsoft Monitoring Agent", "HealthService"]
EVT = ["Microsoft Monitoring Agent", "Operations Manager", "4502"]
WU = ["Windows Update", "wuauserv"]
MACHINE_KEYS = "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys"
LEGACY_JRDS = "we-jobruntimedata-prod-su1.azure-automation.net"
ACCOUNT_JRDS = f"{ACCOUNT}.jrds.we.azure-automation.net"

CASES: dict[str, dict[str, dict[str, Any]]] = {}


# ----------------------------------------------------------------------------------------------
# builders


def doc(
    sections: dict[str, Any], errors: list[dict[str, str]] | None = None, host: str = "win-test-01"
) -> dict:
    return {
        "facts_version": 1,
        "os_family": "windows",
        "host": {"hostname": host},
        "collector": {"name": "test", "errors": errors or []},
        "windows": sections,
    }


def case(
    rule: str,
    name: str,
    description: str,
    sections: dict,
    expected: dict,
    *,
    deviations=(),
    context=None,
    errors=None,
    official: dict | None = None,
) -> None:
    body: dict[str, Any] = {"description": description}
    if official:
        body["official"] = official  # the official script's verdict and where its logic decides it
    if deviations:
        body["deviations"] = list(deviations)
    body["context"] = context or CTX
    body["facts"] = doc(sections, errors)
    body["expected"] = expected
    assert name not in CASES.setdefault(rule, {}), f"duplicate case {rule}/{name}"
    CASES[rule][name] = body


def exp(
    rule: str,
    result: str,
    suffix: str | None = None,
    args: Any = "-",
    reason: str | None = None,
    evidence: dict | None = None,
) -> dict:
    out: dict[str, Any] = {
        "CheckResult": result,
        "CheckResultMessageId": f"{rule}.{result}" + (f".{suffix}" if suffix else ""),
    }
    if args != "-":
        out["CheckResultMessageArguments"] = args
    if reason is not None:
        out["reason"] = reason
    if evidence:
        out["evidence"] = evidence
    return out


def tcp(
    name: str,
    target: str,
    ok: bool = True,
    error: str | None = None,
    workspace: str | None = None,
    elapsed: int = 35,
) -> dict:
    p: dict[str, Any] = {
        "name": name,
        "target": target,
        "port": 443,
        "kind": "tcp",
        "via": "direct",
        "ok": ok,
    }
    if error:
        p.update(
            error=error,
            detail=f"{error} while connecting to {target}:443",
            elapsed_ms=5000 if error == "timeout" else 40,
        )
    else:
        p["elapsed_ms"] = elapsed
    if workspace:
        p["workspace"] = workspace
    return p


def http(
    name: str,
    url: str,
    via: str,
    ok: bool = True,
    status: int | None = 200,
    error: str | None = None,
    detail: str | None = None,
    kind: str = "https",
    port: int = 443,
) -> dict:
    p: dict[str, Any] = {
        "name": name,
        "target": url,
        "port": port,
        "kind": kind,
        "via": via,
        "ok": ok,
        "elapsed_ms": 120,
    }
    if status is not None:
        p["status"] = status
    if error:
        p["error"] = error
    if detail:
        p["detail"] = detail
    return p


def pair(
    name: str,
    url: str,
    proxy: dict | None = None,
    direct: dict | None = None,
    kind: str = "https",
    port: int = 443,
) -> list[dict]:
    """A proxy/direct probe pair; keyword dicts override the healthy defaults."""
    return [
        http(name, url, "proxy", kind=kind, port=port, **(proxy or {})),
        http(name, url, "direct", kind=kind, port=port, **(direct or {})),
    ]


def workspaces(configured=(WS,), with_updates=(WS,), log=True) -> dict:
    return {"configured": list(configured), "with_updates": list(with_updates), "operations_log_present": log}


def service(status: str | None = "Running", start: str | None = "Automatic", present: bool = True) -> dict:
    if not present:
        return {"present": False}
    return {"present": True, "status": status, "start_type": start}


def services(health: dict | None = None, wu: dict | None = None) -> dict:
    return {"health_service": health or service(), "wuauserv": wu or service("Stopped", "Manual")}


def tls(ce=None, cd=None, se=None, sd=None, **extra) -> dict:
    values = {
        "client_enabled": ce,
        "client_disabled_by_default": cd,
        "server_enabled": se,
        "server_disabled_by_default": sd,
    }
    values.update(extra)
    return {k: v for k, v in values.items() if v is not None}  # absent keys mean "value not present"


def ace(sid: str, name: str, rights: int, allow: bool = True) -> dict:
    return {"sid": sid, "name": name, "rights": rights, "allow": allow, "inherited": False}


EVERYONE_DEFAULT = ace("S-1-1-0", "Everyone", 0x12019F)
ADMINS_FULL = ace("S-1-5-32-544", "BUILTIN\\Administrators", 0x1F01FF)
HTTPS_URL = f"https://{LEGACY_JRDS}"
HTTPS_RECORDED_URL = f"https://{ACCOUNT_JRDS}"
IMDS_URL = "http://169.254.169.254/metadata/instance?api-version=2018-02-01"


# ----------------------------------------------------------------------------------------------
# 1-3, 11 prerequisites


def prerequisites() -> None:
    r = "OperatingSystemCheck"
    case(
        r,
        "passed-2019",
        "Windows Server 2019 is supported.",
        {"os": {"version": "10.0.17763", "caption": "Windows Server 2019"}},
        exp(r, "Passed", args=[], evidence={"os_version": "10.0.17763"}),
    )
    case(
        r,
        "passed-2008r2-rtm",
        "6.1.7600 (2008 R2 RTM) is the minimum and passes.",
        {"os": {"version": "6.1.7600.16385"}},
        exp(r, "Passed", args=[]),
    )
    case(
        r,
        "failed-2008",
        "Windows Server 2008 (6.0) is below the minimum.",
        {"os": {"version": "6.0.6002"}},
        exp(r, "Failed", args=[OS_URL], reason="UnsupportedOs"),
    )
    case(
        r,
        "notevaluated-missing",
        "No os section: NotEvaluated, not a guess.",
        {},
        exp(r, "NotEvaluated", reason="os: not collected"),
    )
    case(
        r,
        "notevaluated-garbled",
        "A version that is not dotted numbers is not guessed at.",
        {"os": {"version": "ten"}},
        exp(r, "NotEvaluated", reason="unusable version"),
    )

    r = "DotNetFrameworkInstalledCheck"
    case(
        r,
        "passed-full-release",
        "Release 528049 (4.8) on the Full key.",
        {"dotnet": {"release": 528049, "subkey_releases": [528049]}},
        exp(r, "Passed", args=[], evidence={"decided_by": "Full\\Release"}),
    )
    case(
        r,
        "passed-full-release-without-subkey",
        "Full\\Release 461814 (4.7.2) but no language subkey: the official "
        "subkey walk fails here, the documented detection passes.",
        {"dotnet": {"release": 461814, "subkey_releases": []}},
        exp(r, "Passed", args=[], evidence={"release": 461814}),
        deviations=["Q-W9b"],
    )
    case(
        r,
        "passed-subkey-fallback",
        "No Full\\Release value: the subkeys decide.",
        {"dotnet": {"subkey_releases": [379893, 394802]}},
        exp(r, "Passed", args=[], evidence={"decided_by": "Full\\<subkey>\\Release"}),
    )
    case(
        r,
        "failed-too-old",
        "Release 393295 (4.6) is older than 4.6.2.",
        {"dotnet": {"release": 393295, "subkey_releases": [393295]}},
        exp(r, "Failed", args=[DOTNET_URL], reason="TooOld"),
    )
    case(
        r,
        "failed-not-installed",
        "No .NET 4 at all.",
        {"dotnet": {}},
        exp(r, "Failed", args=[DOTNET_URL], reason="NotInstalled"),
    )
    case(
        r,
        "notevaluated-collector-error",
        "The collector reported the dotnet section as failed: partial data is not used.",
        {"dotnet": {"release": 528049}},
        exp(r, "NotEvaluated", reason="collector error: registry access denied"),
        errors=[{"section": "dotnet", "message": "registry access denied"}],
    )

    r = "WindowsManagementFrameworkInstalledCheck"
    case(
        r,
        "passed-5.1",
        "Windows PowerShell 5.1.",
        {"powershell": {"engine_version": "5.1.17763.1", "collector_host_version": "5.1.17763.1"}},
        exp(r, "Passed", args=["5.1.17763.1"]),
    )
    case(
        r,
        "warning-4.0",
        "Windows PowerShell 4.0 works but 5.1 is recommended.",
        {"powershell": {"engine_version": "4.0"}},
        exp(r, "PassedWithWarning", args=["4.0", WMF_URL], reason="Wmf51Recommended"),
    )
    case(
        r,
        "warning-engine-not-collector-host",
        "The collector ran in pwsh 7.4 (the official script would report 7.4 "
        "and pass); the worker's Windows PowerShell is 4.0.",
        {"powershell": {"engine_version": "4.0", "collector_host_version": "7.4.1"}},
        exp(r, "PassedWithWarning", args=["4.0", WMF_URL], evidence={"collector_host_version": "7.4.1"}),
        deviations=["Q-W9a"],
    )
    case(
        r,
        "failed-3.0",
        "Windows PowerShell 3.0 is too old.",
        {"powershell": {"engine_version": "3.0"}},
        exp(r, "Failed", args=["3.0", WMF_URL], reason="WmfTooOld"),
    )
    case(
        r,
        "passed-collector-host-fallback",
        "No engine value, but the collector itself ran in Windows PowerShell 5.1.",
        {"powershell": {"collector_host_version": "5.1.14393.0"}},
        exp(r, "Passed", args=["5.1.14393.0"]),
    )
    case(
        r,
        "notevaluated-pwsh-only",
        "Only a pwsh 7 version is known: it says nothing about Windows PowerShell.",
        {"powershell": {"collector_host_version": "7.4.1"}},
        exp(r, "NotEvaluated", reason="engine version was not reported"),
        deviations=["Q-W9a"],
    )

    r = "TlsVersionCheck"

    def t(
        name: str,
        version: str,
        values: dict,
        result: str,
        suffix: str | None,
        description: str,
        *,
        reason=None,
        deviations=(),
    ) -> None:
        case(
            r,
            name,
            description,
            {"os": {"version": version}, "tls": values},
            exp(r, result, suffix, args=[], reason=reason),
            deviations=deviations,
        )

    t(
        "failed-6.0.6001",
        "6.0.6001",
        tls(),
        "Failed",
        None,
        "Server 2008 SP1: the official id comes from the OS check "
        "result; umcheck derives it from the OS version facts.",
        reason="UnsupportedOs",
        deviations=["Q-W1"],
    )
    t(
        "failed-6.0.6000-nodefault",
        "6.0.6000",
        tls(),
        "Failed",
        "NoDefaultSupport",
        "Below 6.0.6001: no default TLS 1.2 support.",
        reason="NoDefaultSupport",
    )
    t(
        "failed-6.1.7600-nodefault",
        "6.1.7600",
        tls(0, 0, 1, 0),
        "Failed",
        "NoDefaultSupport",
        "2008 R2 RTM passes the OS check but has no TLS 1.2 support; values do not matter.",
        reason="NoDefaultSupport",
        deviations=["Q-W1"],
    )
    t(
        "passed-6.1.7601-explicit",
        "6.1.7601",
        tls(1, 0, 1, 0),
        "Passed",
        None,
        "2008 R2 SP1 with TLS 1.2 explicitly enabled.",
        reason="ExplicitlyEnabled",
        deviations=["Q-W2"],
    )
    t(
        "passed-6.1.7601-one-side-enabled-0",
        "6.1.7601.65536",
        tls(0, 0, None, 0),
        "Passed",
        None,
        "2008 R2 SP1: both "
        "DisabledByDefault = 0 and only one Enabled = 0 still passes (official condition kept).",
    )
    t(
        "failed-6.1.7601-absent",
        "6.1.7601",
        tls(),
        "Failed",
        "NotExplicitlyEnabled",
        "2008 R2 SP1 with no SCHANNEL values: absent is not 0.",
        reason="NotExplicitlyEnabled",
    )
    t(
        "failed-6.1.7601-both-enabled-0",
        "6.1.7601",
        tls(0, 0, 0, 0),
        "Failed",
        "NotExplicitlyEnabled",
        "2008 R2 SP1 with both sides Enabled = 0.",
        reason="NotExplicitlyEnabled",
    )
    t(
        "failed-6.1.7601-client-only",
        "6.1.7601",
        tls(1, 0),
        "Failed",
        "NotExplicitlyEnabled",
        "2008 R2 SP1 with only the Client values set: Server DisabledByDefault is absent.",
        reason="NotExplicitlyEnabled",
    )
    t(
        "passed-6.1.8400",
        "6.1.8400",
        tls(None, 0, None, 0),
        "Passed",
        None,
        "6.1.8400 is the last build of the SP1 branch.",
    )
    t(
        "nodefault-6.1.8400.1",
        "6.1.8400.1",
        tls(None, 0, None, 0),
        "Failed",
        "NoDefaultSupport",
        "6.1.8400.1 sorts after 6.1.8400 (System.Version order), so it is outside the SP1 branch.",
        reason="NoDefaultSupport",
    )
    t(
        "passed-6.2.9200-absent",
        "6.2.9200",
        tls(),
        "Passed",
        "EnabledByDefault",
        "Server 2012 with no values: enabled by default.",
    )
    t(
        "failed-6.2.9200-client-enabled-0",
        "6.2.9200",
        tls(ce=0),
        "Failed",
        "ExplicitlyDisabled",
        "Server 2012 with Client Enabled = 0.",
        reason="ExplicitlyDisabled",
    )
    t(
        "failed-10.0-server-dbd-1",
        "10.0.17763",
        tls(1, 0, 1, 1),
        "Failed",
        "ExplicitlyDisabled",
        "Server 2019 with Server DisabledByDefault = 1.",
        reason="ExplicitlyDisabled",
    )
    t(
        "passed-10.0-explicit",
        "10.0.20348",
        tls(1, 0, 1, 0),
        "Passed",
        "EnabledByDefault",
        "Server 2022 with explicit Enabled = 1 / DisabledByDefault = 0.",
    )
    t(
        "passed-10.0-enabled-ffffffff",
        "10.0.14393",
        tls(0xFFFFFFFF, 0, 0xFFFFFFFF, 0),
        "Passed",
        "EnabledByDefault",
        "Enabled = 0xffffffff is not 0.",
    )
    case(
        r,
        "notevaluated-collector-error",
        "The TLS section failed on the host.",
        {"os": {"version": "10.0.17763"}},
        exp(r, "NotEvaluated", reason="tls: collector error"),
        errors=[{"section": "tls", "message": "SCHANNEL key unreadable"}],
    )


# ----------------------------------------------------------------------------------------------
# 4, 5, 15-17, 19, 20 connectivity


def connectivity() -> None:
    r = "AutomationAgentServiceConnectivityCheck1"
    agentsvc = f"{WS}.agentsvc.azure-automation.net"
    case(
        r,
        "passed-single",
        "One workspace with the Updates solution; its agent service answers. Workspace ids "
        "compare case-insensitively.",
        {"workspaces": workspaces([WS.upper()], [WS]), "probes": [tcp("agentsvc", agentsvc, workspace=WS)]},
        exp(r, "Passed", args=[agentsvc], evidence={"workspace": WS}),
    )
    case(
        r,
        "passed-multiple-but-valid",
        "Two workspaces, only one with Updates: that one is probed.",
        {
            "workspaces": workspaces([WS2, WS], [WS]),
            "probes": [
                tcp("agentsvc", f"{WS2}.agentsvc.azure-automation.net", False, "timeout", WS2),
                tcp("agentsvc", agentsvc, workspace=WS),
            ],
        },
        exp(r, "Passed", args=[agentsvc]),
    )
    case(
        r,
        "failed-tcp-timeout",
        "The agent service is blocked; the probe had a deadline and reports its error class.",
        {"workspaces": workspaces(), "probes": [tcp("agentsvc", agentsvc, False, "timeout", WS)]},
        exp(r, "Failed", args=[agentsvc], reason="TcpFailed", evidence={"workspace": WS}),
        deviations=["Q-W4"],
    )
    case(
        r,
        "failed-no-registration",
        "No workspace at all: official null arguments, umcheck's reason and a filled description.",
        {"workspaces": workspaces([], [])},
        exp(
            r,
            "Failed",
            "NoRegistrationFound",
            None,
            "NoRegistrationFound",
            {"workspace_reason": "NoWorkspace"},
        ),
        deviations=["Q-W3"],
    )
    case(
        r,
        "failed-multiple-workspaces",
        "Two workspaces with Updates: the official id says 'no registration found'; "
        "the reason says what happened.",
        {"workspaces": workspaces([WS, WS2], [WS, WS2])},
        exp(r, "Failed", "NoRegistrationFound", None, "MultipleWorkspaces"),
        deviations=["Q-W7", "Q-W2"],
    )
    case(
        r,
        "failed-operations-log-missing",
        "The Operations Manager log is missing: the official None.",
        {"workspaces": workspaces([WS], [WS], log=False)},
        exp(
            r,
            "Failed",
            "NoRegistrationFound",
            None,
            "NoRegistrationFound",
            {"workspace_reason": "NoOperationsLog"},
        ),
    )
    case(
        r,
        "passed-usgov",
        "US Gov Arizona: the probe targets the .us agent service.",
        {
            "workspaces": workspaces(),
            "probes": [tcp("agentsvc", f"{WS}.agentsvc.azure-automation.us", workspace=WS)],
        },
        exp(
            r,
            "Passed",
            args=[f"{WS}.agentsvc.azure-automation.us"],
            evidence={"official_host": f"{WS}.agentsvc.azure-automation.us"},
        ),
        context={**CTX, "cloud": "usgov", "location": "usgovarizona"},
    )
    case(
        r,
        "notevaluated-no-probe",
        "A valid workspace but the host made no agentsvc probe for it.",
        {
            "workspaces": workspaces(),
            "probes": [tcp("agentsvc", f"{WS2}.agentsvc.azure-automation.net", workspace=WS2)],
        },
        exp(r, "NotEvaluated", reason=f"no agentsvc probe was made for workspace {WS}"),
    )

    r = "AutomationJobRuntimeDataServiceConnectivityCheck"
    case(
        r,
        "passed-recorded",
        "The JRDS URI recorded by the worker is preferred over the region table (whose legacy "
        "record is blocked here).",
        {"probes": [tcp("jrds", LEGACY_JRDS, False, "refused"), tcp("jrds_recorded", ACCOUNT_JRDS)]},
        exp(r, "Passed", args=[ACCOUNT_JRDS], evidence={"source": "recorded"}),
        deviations=["Q-W5a"],
    )
    case(
        r,
        "passed-region-table",
        "Nothing recorded: the region's documented record.",
        {"probes": [tcp("jrds", LEGACY_JRDS)]},
        exp(
            r, "Passed", args=[LEGACY_JRDS], evidence={"source": "region-table", "official_host": LEGACY_JRDS}
        ),
    )
    case(
        r,
        "failed-region-table",
        "The region's JRDS host refuses connections.",
        {"probes": [tcp("jrds", LEGACY_JRDS, False, "refused")]},
        exp(r, "Failed", args=[LEGACY_JRDS], reason="TcpFailed"),
    )
    case(
        r,
        "failed-recorded",
        "The recorded JRDS host is blocked.",
        {"probes": [tcp("jrds_recorded", ACCOUNT_JRDS, False, "timeout")]},
        exp(r, "Failed", args=[ACCOUNT_JRDS], reason="TcpFailed"),
    )
    case(
        r,
        "notevaluated-unknown-region",
        "Sweden Central has no documented record and the machine recorded none: the "
        "official script would probe eus2; umcheck does not guess.",
        {"probes": [tcp("agentsvc", f"{WS}.agentsvc.azure-automation.net", workspace=WS)]},
        exp(r, "NotEvaluated", reason="no JRDS endpoint known for region 'swedencentral'"),
        context={**CTX, "location": "swedencentral"},
        deviations=["Q-W5a"],
    )
    case(
        r,
        "notevaluated-no-probes",
        "The probes section is missing altogether.",
        {},
        exp(r, "NotEvaluated", reason="probes: not collected"),
    )

    r = "HttpsConnection"
    case(
        r,
        "passed",
        "HTTPS through the (pass-through) proxy gets an answer.",
        {"probes": pair("https", HTTPS_URL)},
        exp(r, "Passed", args=[], evidence={"source": "region-table"}),
    )
    case(
        r,
        "passed-endpoint-403",
        "The endpoint itself answers 403: TLS and HTTP work.",
        {
            "probes": pair(
                "https",
                HTTPS_URL,
                {"ok": False, "status": 403, "error": "http"},
                {"ok": False, "status": 403, "error": "http"},
            )
        },
        exp(r, "Passed", args=[]),
        deviations=["Q-W6b"],
    )
    case(
        r,
        "warning-proxy-403",
        "The proxy refuses the tunnel with 403 (the official script counts any 'Forbidden' as "
        "success); direct works.",
        {
            "probes": pair(
                "https",
                HTTPS_URL,
                {
                    "ok": False,
                    "status": 403,
                    "error": "proxy",
                    "detail": "proxy CONNECT refused: 403 Forbidden",
                },
            )
        },
        exp(r, "PassedWithWarning", args=[], reason="ProxyFailed"),
        deviations=["Q-W6b"],
    )
    case(
        r,
        "warning-proxy-407",
        "The proxy wants authentication; direct works.",
        {"probes": pair("https", HTTPS_URL, {"ok": False, "status": 407})},
        exp(r, "PassedWithWarning", args=[], reason="ProxyFailed"),
    )
    case(
        r,
        "failed-dns",
        "Name resolution fails both ways: the official script emits no row here at all.",
        {
            "probes": pair(
                "https",
                HTTPS_URL,
                {"ok": False, "status": None, "error": "dns"},
                {"ok": False, "status": None, "error": "dns"},
            )
        },
        exp(r, "Failed", args=[HTTPS_URL], reason="HttpsFailed"),
        deviations=["Q-W6a"],
    )
    case(
        r,
        "failed-connection-closed",
        "TLS handshake reset both ways (typical of TLS 1.2 off).",
        {
            "probes": pair(
                "https",
                HTTPS_URL,
                {"ok": False, "status": None, "error": "reset"},
                {
                    "ok": False,
                    "status": None,
                    "error": "reset",
                    "detail": "The underlying connection was closed",
                },
            )
        },
        exp(r, "Failed", args=[HTTPS_URL], reason="HttpsFailed"),
    )
    case(
        r,
        "passed-recorded-url",
        "The account's recorded JRDS URL is tested, not the hard-coded eus2 URL.",
        {
            "probes": pair("https", HTTPS_URL, {"ok": False, "status": None, "error": "timeout"})
            + pair("https_recorded", HTTPS_RECORDED_URL)
        },
        exp(
            r,
            "Passed",
            args=[],
            evidence={
                "source": "recorded",
                "official_url": "https://eus2-jobruntimedata-prod-su1.azure-automation.net",
            },
        ),
        deviations=["Q-W6c"],
    )
    case(
        r,
        "warning-proxy-502-direct-200",
        "The proxy answers the request with its own 502 error page; direct works.",
        {"probes": pair("https", HTTPS_URL, {"ok": True, "status": 502})},
        exp(r, "PassedWithWarning", args=[], reason="ProxyFailed"),
        official={
            "verdict": "HttpsConnection.PassedWithWarning",
            "source": "docs: /work/shared/reference/rules-reference.md 'W15 HttpsConnection' (the official script's decision table; the script source is not in this project): "
            "Invoke-WebRequest throws on the 502 (no 'Forbidden' in the text) -> direct retry; "
            "row 'direct request returns 200' -> PassedWithWarning.",
        },
    )
    case(
        r,
        "failed-proxy-502-direct-refused",
        "The proxy answers with its own 502 error page; the direct path is refused.",
        {
            "probes": pair(
                "https",
                HTTPS_URL,
                {"ok": True, "status": 502},
                {"ok": False, "status": None, "error": "refused", "detail": "Unable to connect to the remote server"},
            )
        },
        exp(r, "Failed", args=[HTTPS_URL], reason="HttpsFailed"),
        official={
            "verdict": "HttpsConnection.Failed",
            "source": "docs: /work/shared/reference/rules-reference.md 'W15 HttpsConnection' (the official script's decision table; the script source is not in this project): "
            "Invoke-WebRequest throws on the 502 -> direct retry; row 'direct request error contains "
            "\"Unable to connect to the remote server\"' -> Failed [uri].",
        },
    )
    case(
        r,
        "warning-proxy-403-connect-direct-200",
        "The proxy refuses the CONNECT tunnel with 403 (collector: error 'proxy', status kept); "
        "direct answers 200.",
        {
            "probes": pair(
                "https",
                HTTPS_URL,
                {"ok": False, "status": 403, "error": "proxy", "detail": "proxy CONNECT refused: 403 Forbidden"},
            )
        },
        exp(r, "PassedWithWarning", args=[], reason="ProxyFailed"),
        deviations=["Q-W6b"],
        official={
            "verdict": "HttpsConnection.Passed",
            "source": "docs: /work/shared/reference/rules-reference.md 'W15 HttpsConnection' (the official script's decision table; the script source is not in this project): "
            "row '1st request error text contains \"Forbidden\" (HTTP 403)' -> Passed; umcheck "
            "deviates (docs/deviations.md Q-W6b): a proxy's refusal is not success.",
        },
    )
    case(
        r,
        "passed-direct-only",
        "Only a direct probe was reported: it decides.",
        {"probes": [http("https", HTTPS_URL, "direct")]},
        exp(r, "Passed", args=[]),
    )
    case(
        r,
        "notevaluated-no-https-probe",
        "No HTTPS probe was made.",
        {"probes": [tcp("jrds", LEGACY_JRDS)]},
        exp(r, "NotEvaluated", reason="no https_recorded / https probe"),
    )

    r = "ProxySettings"
    case(r, "passed-direct", "No proxy anywhere.", {"proxy": {}}, exp(r, "Passed", args=[]))
    case(
        r,
        "warning-winhttp",
        "A WinHTTP proxy is set.",
        {"proxy": {"winhttp_proxy": "proxy.contoso.local:8080", "winhttp_bypass": "<local>"}},
        exp(
            r,
            "PassedWithWarning",
            args=[],
            reason="ProxyConfigured",
            evidence={"proxies": {"winhttp": "proxy.contoso.local:8080"}},
        ),
    )
    case(
        r,
        "warning-agent-proxy",
        "WinHTTP is direct (the official script passes) but the Monitoring Agent has its own proxy.",
        {"proxy": {"agent_proxy": "http://proxy.contoso.local:3128"}},
        exp(
            r,
            "PassedWithWarning",
            args=[],
            reason="ProxyConfigured",
            evidence={"proxies": {"agent": "http://proxy.contoso.local:3128"}},
        ),
        deviations=["Q-W8a"],
    )

    r = "IMDSConnectivity"

    def imds(proxy=None, direct=None):
        return pair("imds", IMDS_URL, proxy, direct, kind="http", port=80)

    down = {"ok": False, "status": None, "error": "timeout"}
    case(r, "passed", "IMDS answers.", {"probes": imds()}, exp(r, "Passed", args=[]))
    case(
        r,
        "failed-proxy-blocks",
        "IMDS answers only without the proxy (official severity: Failed).",
        {"probes": imds({"ok": False, "status": 502, "error": "proxy"})},
        exp(r, "Failed", args=[], reason="ProxyBlocksImds"),
    )
    case(
        r,
        "failed-proxy-502-direct-200",
        "The proxy answers its own 502 error page (ok: true, not 2xx); direct answers 200.",
        {"probes": imds({"ok": True, "status": 502})},
        exp(r, "Failed", args=[], reason="ProxyBlocksImds"),
        official={
            "verdict": "IMDSConnectivity.Failed",
            "source": "docs: /work/shared/reference/rules-reference.md 'W17 IMDSConnectivity' (the official script's logic; the script source is not in this project): "
            "Invoke-RestMethod throws on the proxy's 502 -> same request with an empty proxy "
            "succeeds -> 'first fails and direct succeeds' -> Failed (VM likely behind a proxy).",
        },
    )
    case(
        r,
        "warning-proxy-502-direct-down",
        "The proxy answers its own 502 error page; the direct request times out.",
        {"probes": imds({"ok": True, "status": 502}, down)},
        exp(r, "PassedWithWarning", args=[], reason="ImdsUnreachable"),
        official={
            "verdict": "IMDSConnectivity.PassedWithWarning",
            "source": "docs: /work/shared/reference/rules-reference.md 'W17 IMDSConnectivity' (the official script's logic; the script source is not in this project): "
            "Invoke-RestMethod throws on the 502 and the direct retry fails -> 'both fail' -> "
            "PassedWithWarning.",
        },
    )
    case(
        r,
        "warning-unreachable",
        "IMDS unreachable both ways (official: a warning).",
        {"probes": imds(down, down)},
        exp(r, "PassedWithWarning", args=[], reason="ImdsUnreachable"),
    )
    case(
        r,
        "warning-not-azure",
        "Outside Azure an unreachable IMDS is expected.",
        {"probes": imds(down, down)},
        exp(r, "PassedWithWarning", args=[], reason="ImdsUnreachable", evidence={"is_azure": False}),
        context={**CTX, "is_azure": False},
    )

    for r, name, tld_host in (
        ("LAOdsEndpointConnectivity", "ods", "ods.opinsights"),
        ("LAOmsEndpointConnectivity", "oms", "oms.opinsights"),
    ):
        host = f"{WS}.{tld_host}.azure.com"
        case(
            r,
            "passed",
            f"The workspace's {name} endpoint answers.",
            {"workspaces": workspaces(), "probes": [tcp(name, host, workspace=WS)]},
            exp(r, "Passed", args=[host], evidence={"workspace": WS, "official_host": host}),
        )
        case(
            r,
            "failed-tcp",
            f"The {name} endpoint is blocked.",
            {"workspaces": workspaces(), "probes": [tcp(name, host, False, "timeout", WS)]},
            exp(r, "Failed", args=[host], reason="TcpFailed"),
        )
        case(
            r,
            "failed-no-registration",
            "No workspace: official id without suffix and null arguments; umcheck's reason.",
            {"workspaces": workspaces([], [])},
            exp(r, "Failed", None, None, "NoRegistrationFound"),
            deviations=["Q-W2", "Q-W3"],
        )
        case(
            r,
            "failed-multiple",
            "Two workspaces with Updates: reason MultipleWorkspaces (the official id has none).",
            {"workspaces": workspaces([WS, WS2], [WS2, WS])},
            exp(r, "Failed", None, None, "MultipleWorkspaces"),
            deviations=["Q-W2"],
        )
        gov = f"{WS}.{tld_host}.azure.us"
        case(
            r,
            "passed-usgovarizona",
            "US Gov Arizona: the .azure.us endpoint is probed (the official script probes .azure.com).",
            {"workspaces": workspaces(), "probes": [tcp(name, gov, workspace=WS)]},
            exp(r, "Passed", args=[gov], evidence={"official_host": f"{WS}.{tld_host}.azure.com"}),
            context={**CTX, "cloud": "usgov", "location": "usgovarizona"},
            deviations=["Q-W5b"],
        )


# ----------------------------------------------------------------------------------------------
# 6-9, 18 service health


def service_health() -> None:
    r = "MonitoringAgentServiceRunningCheck"
    case(r, "passed", "HealthService is running.", {"services": services()}, exp(r, "Passed", args=MMA))
    case(
        r,
        "failed-stopped",
        "HealthService is stopped.",
        {"services": services(service("Stopped"))},
        exp(r, "Failed", args=MMA, reason="ServiceNotRunning"),
    )
    case(
        r,
        "failed-missing",
        "The Monitoring Agent is not installed (readiness reads evidence 'present').",
        {"services": services(service(present=False))},
        exp(r, "Failed", args=MMA, reason="ServiceMissing", evidence={"present": False}),
    )
    case(
        r,
        "notevaluated-collector-error",
        "The services section failed on the host.",
        {},
        exp(r, "NotEvaluated", reason="services: collector error"),
        errors=[{"section": "services", "message": "Get-Service timed out"}],
    )

    r = "SystemHybridRunbookWorkerRunningCheck"
    sw = {
        "sma_log_present": True,
        "last_event_id": 15003,
        "last_event_time": "2024-04-30T12:00:00Z",
        "group": "win-test-01.contoso.local_0f0e",
    }
    case(
        r,
        "passed",
        "Newest system worker event is 15003 (started).",
        {"system_worker": sw, "services": services()},
        exp(r, "Passed", args=[], evidence={"last_event_age_hours": 24.0}),
    )
    case(
        r,
        "passed-without-services",
        "Without the services section the HealthService cross-check is skipped.",
        {"system_worker": sw},
        exp(r, "Passed", args=[]),
    )
    case(
        r,
        "failed-stopped",
        "Newest event is 15004 (stopped).",
        {"system_worker": {**sw, "last_event_id": 15004}},
        exp(r, "Failed", args=MMA, reason="WorkerStopped"),
    )
    case(
        r,
        "failed-no-log",
        "No Microsoft-SMA/Operational log.",
        {"system_worker": {"sma_log_present": False}},
        exp(r, "Failed", args=MMA, reason="NoSmaLog"),
    )
    case(
        r,
        "failed-no-event",
        "The log exists but holds no system worker start/stop event.",
        {"system_worker": {"sma_log_present": True}},
        exp(r, "Failed", args=MMA, reason="NoWorkerEvent"),
    )
    case(
        r,
        "failed-stale-start",
        "The last event says started, but HealthService (the worker's host) is stopped: the "
        "official check passes this.",
        {"system_worker": sw, "services": services(service("Stopped"))},
        exp(r, "Failed", args=MMA, reason="HealthServiceNotRunning"),
        deviations=["Q-W10f"],
    )

    r = "MonitoringAgentServiceEventsCheck"
    ev = {"operations_log_present": True, "events_4502": 0, "events_4502_hybrid": 0, "window_hours": 24}
    case(r, "passed", "No 4502 in 24 hours.", {"agent_events": ev}, exp(r, "Passed", args=EVT))
    case(
        r,
        "failed-event-found",
        "Hybrid Worker 4502 events in 24 hours.",
        {"agent_events": {**ev, "events_4502": 3, "events_4502_hybrid": 2}},
        exp(r, "Failed", "EventFound", EVT, "HybridAgentEvents", {"events_4502_hybrid": 2}),
    )
    case(
        r,
        "passed-unrelated-4502",
        "4502 events from other management packs only: the official check fails here.",
        {"agent_events": {**ev, "events_4502": 5}},
        exp(r, "Passed", args=EVT, evidence={"events_4502": 5}),
        deviations=["Q-W10d"],
    )
    case(
        r,
        "failed-no-log",
        "No Operations Manager log.",
        {"agent_events": {"operations_log_present": False}},
        exp(r, "Failed", "NoLog", EVT, "NoOperationsLog"),
    )

    r = "LinkedWorkspaceCheck"
    case(
        r,
        "passed-single",
        "Exactly one workspace, with Updates.",
        {"workspaces": workspaces()},
        exp(r, "Passed", args=[WS], evidence={"resolution": "Single"}),
    )
    case(
        r,
        "warning-multiple-but-valid",
        "Two workspaces, one with Updates.",
        {"workspaces": workspaces([WS, WS2], [WS])},
        exp(
            r,
            "PassedWithWarning",
            args=[WS],
            reason="MultipleButValid",
            evidence={"resolution": "MultipleButValid"},
        ),
    )
    case(
        r,
        "failed-multiple",
        "Two workspaces with Updates: the official id has no reason; umcheck's says MultipleWorkspaces.",
        {"workspaces": workspaces([WS, WS2], [WS, WS2])},
        exp(r, "Failed", None, [""], "MultipleWorkspaces"),
        deviations=["Q-W2"],
    )
    case(
        r,
        "failed-no-workspace",
        "The agent is connected to no workspace.",
        {"workspaces": workspaces([], [])},
        exp(r, "Failed", "NoWorkspace", [""], "NoWorkspace"),
    )
    case(
        r,
        "failed-no-updates-solution",
        "A workspace is configured but no event 1210 lists Updates for it (maybe "
        "rolled out of the log): the reason tells it apart from 'no workspace'.",
        {"workspaces": workspaces([WS], [WS2])},
        exp(r, "Failed", "NoWorkspace", [""], "NoUpdatesSolution"),
        deviations=["Q-W7"],
    )
    case(
        r,
        "failed-no-operations-log",
        "No Operations Manager log.",
        {"workspaces": workspaces([WS], [], log=False)},
        exp(r, "Failed", "NoWorkspace", [""], "NoOperationsLog"),
    )
    case(
        r,
        "notevaluated-missing",
        "No workspaces section.",
        {},
        exp(r, "NotEvaluated", reason="workspaces: not collected"),
    )

    r = "WUServiceRunningCheck"
    case(
        r,
        "passed-manual-stopped",
        "wuauserv is Manual and stopped: normal, it starts on demand.",
        {"services": services()},
        exp(r, "Passed", args=WU, evidence={"present": True, "status": "Stopped", "start_type": "Manual"}),
    )
    case(
        r,
        "failed-disabled",
        "wuauserv is disabled.",
        {"services": services(wu=service("Stopped", "Disabled"))},
        exp(r, "Failed", args=WU, reason="ServiceDisabled"),
    )
    case(
        r,
        "failed-missing",
        "wuauserv does not exist: the official check passes this.",
        {"services": services(wu=service(present=False))},
        exp(r, "Failed", args=WU, reason="ServiceMissing"),
        deviations=["Q-W10e"],
    )


# ----------------------------------------------------------------------------------------------
# 10, 12-14 permissions and machine settings


def machine() -> None:
    r = "CryptoRsaMachineKeysFolderAccessCheck"

    def mk(*aces: dict, exists: bool = True) -> dict:
        return {"machine_keys": {"path": MACHINE_KEYS, "exists": exists, "aces": list(aces)}}

    case(
        r,
        "passed-default-acl",
        "The default ACL: Everyone may create and write files.",
        mk(EVERYONE_DEFAULT, ADMINS_FULL),
        exp(r, "Passed", args=[MACHINE_KEYS], evidence={"missing": []}),
    )
    case(
        r,
        "passed-localized-everyone",
        "German Windows names Everyone 'Jeder': matched by SID, not by English name.",
        mk(ace("S-1-1-0", "Jeder", 0x12019F)),
        exp(r, "Passed", args=[MACHINE_KEYS]),
        deviations=["Q-W8b"],
    )
    case(
        r,
        "passed-system-full-control",
        "SYSTEM has Full Control.",
        mk(ace("S-1-5-18", "NT AUTHORITY\\SYSTEM", 0x1F01FF)),
        exp(r, "Passed", args=[MACHINE_KEYS]),
    )
    case(
        r,
        "failed-read-only",
        "Everyone has only Read: the official check passes any Everyone entry.",
        mk(ace("S-1-1-0", "Everyone", 0x120089)),
        exp(r, "Failed", args=[MACHINE_KEYS], reason="InsufficientRights"),
        deviations=["Q-W10a"],
    )
    case(
        r,
        "failed-deny",
        "A Deny Write entry for Everyone overrides the Allow.",
        mk(EVERYONE_DEFAULT, ace("S-1-1-0", "Everyone", 0x116, allow=False)),
        exp(r, "Failed", args=[MACHINE_KEYS], reason="DeniedByAce"),
        deviations=["Q-W10a"],
    )
    case(
        r,
        "failed-folder-missing",
        "The folder does not exist.",
        mk(exists=False),
        exp(r, "Failed", args=[MACHINE_KEYS], reason="FolderMissing"),
    )

    r = "AlwaysAutoRebootCheck"
    case(
        r,
        "passed",
        "No reboot policy; official null arguments.",
        {"windows_update": {}},
        exp(r, "Passed", args=None),
        deviations=["Q-W3"],
    )
    case(
        r,
        "warning-always-reboot",
        "AlwaysAutoRebootAtScheduledTime = 1.",
        {"windows_update": {"always_auto_reboot": 1}},
        exp(r, "PassedWithWarning", args=None, reason="AlwaysAutoReboot"),
        deviations=["Q-W2"],
    )
    case(
        r,
        "warning-minutes",
        "Only the minutes value is set (non-zero).",
        {"windows_update": {"always_auto_reboot_minutes": 15}},
        exp(r, "PassedWithWarning", args=None, reason="AlwaysAutoReboot"),
    )

    r = "WSUSServerConfigured"
    case(
        r,
        "passed-no-wsus",
        "No WUServer; official null arguments.",
        {"windows_update": {}},
        exp(r, "Passed", args=None),
    )
    case(
        r,
        "warning-wsus",
        "WSUS configured and active.",
        {"windows_update": {"wu_server": "http://wsus.contoso.local:8530", "use_wu_server": 1}},
        exp(r, "PassedWithWarning", args=["http://wsus.contoso.local:8530"], reason="WsusConfigured"),
    )
    case(
        r,
        "passed-wsus-inactive",
        "WUServer left behind but UseWUServer = 0: WSUS is not in use (the official check warns).",
        {"windows_update": {"wu_server": "http://wsus.contoso.local:8530", "use_wu_server": 0}},
        exp(r, "Passed", args=None, evidence={"UseWUServer": 0}),
        deviations=["Q-W10b"],
    )

    r = "AutomaticUpdateCheck"
    case(
        r,
        "passed-download-only",
        "AUOptions = 3 (download only).",
        {"windows_update": {"au_options": 3}},
        exp(r, "Passed", args=None),
    )
    case(
        r,
        "warning-auto-install",
        "AUOptions = 4 (auto download and install).",
        {"windows_update": {"au_options": 4}},
        exp(r, "PassedWithWarning", args=None, reason="AutoInstallEnabled"),
    )
    case(
        r,
        "passed-no-auto-update",
        "AUOptions = 4 but NoAutoUpdate = 1 turns Automatic Updates off (the official check warns).",
        {"windows_update": {"au_options": 4, "no_auto_update": 1}},
        exp(r, "Passed", args=None, reason="AutoUpdateDisabled"),
        deviations=["Q-W10c"],
    )


# ----------------------------------------------------------------------------------------------
# whole-host samples


def healthy_sections() -> dict[str, Any]:
    return {
        "os": {"version": "10.0.17763", "caption": "Microsoft Windows Server 2019 Datacenter"},
        "dotnet": {"release": 528049, "subkey_releases": [528049]},
        "powershell": {"engine_version": "5.1.17763.1", "collector_host_version": "5.1.17763.1"},
        "tls": tls(1, 0, 1, 0, strong_crypto=1, strong_crypto_wow64=1),
        "workspaces": workspaces(),
        "services": services(),
        "agent_events": {
            "operations_log_present": True,
            "events_4502": 0,
            "events_4502_hybrid": 0,
            "window_hours": 24,
        },
        "system_worker": {
            "sma_log_present": True,
            "last_event_id": 15003,
            "last_event_time": "2024-05-01T06:10:00Z",
            "group": "win-healthy-01.contoso.local_3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
        },
        "hrw": {
            "key_present": True,
            "registrations": [
                {
                    "account_id": ACCOUNT,
                    "group": "win-healthy-01.contoso.local_3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
                    "jrds_uri": f"https://{ACCOUNT_JRDS}/automationAccounts/{ACCOUNT}",
                    "layout": "v1",
                }
            ],
        },
        "machine_keys": {"path": MACHINE_KEYS, "exists": True, "aces": [EVERYONE_DEFAULT, ADMINS_FULL]},
        "windows_update": {"au_options": 3},
        "proxy": {},
        "probes": [
            tcp("agentsvc", f"{WS}.agentsvc.azure-automation.net", workspace=WS),
            tcp("jrds", LEGACY_JRDS),
            tcp("jrds_recorded", ACCOUNT_JRDS),
            tcp("ods", f"{WS}.ods.opinsights.azure.com", workspace=WS),
            tcp("oms", f"{WS}.oms.opinsights.azure.com", workspace=WS),
            *pair("https", HTTPS_URL, {"status": 404, "ok": True}, {"status": 404, "ok": True}),
            *pair(
                "https_recorded", HTTPS_RECORDED_URL, {"status": 404, "ok": True}, {"status": 404, "ok": True}
            ),
            *pair("imds", IMDS_URL, kind="http", port=80),
        ],
    }


def samples() -> dict[str, dict]:
    out: dict[str, dict] = {}
    healthy = healthy_sections()
    out["windows-healthy"] = doc(healthy, host="win-healthy-01")

    s = healthy_sections()
    s["tls"] = tls(0, 1, 0, 1, strong_crypto=0, strong_crypto_wow64=0)
    reset = {
        "ok": False,
        "status": None,
        "error": "tls",
        "detail": "The underlying connection was closed: An unexpected error occurred on a send.",
    }
    s["probes"] = [p for p in s["probes"] if p["name"] not in ("https", "https_recorded")]
    s["probes"] += pair("https", HTTPS_URL, reset, reset) + pair(
        "https_recorded", HTTPS_RECORDED_URL, reset, reset
    )
    s["agent_events"] = {**s["agent_events"], "events_4502": 4, "events_4502_hybrid": 4}
    out["windows-tls-disabled"] = doc(s, host="win-tls-01")

    s = healthy_sections()
    s["workspaces"] = workspaces([], [], log=False)
    s["services"] = services(service(present=False))
    s["agent_events"] = {"operations_log_present": False}
    s["system_worker"] = {"sma_log_present": False}
    s["hrw"] = {"key_present": False, "registrations": []}
    s["probes"] = [
        tcp("jrds", LEGACY_JRDS),
        *pair("https", HTTPS_URL, {"status": 404}, {"status": 404}),
        *pair("imds", IMDS_URL, kind="http", port=80),
    ]
    out["windows-not-configured"] = doc(s, host="win-new-01")

    s = healthy_sections()
    s["services"] = services(service("Stopped", "Automatic"))
    s["agent_events"] = {**s["agent_events"], "events_4502": 12, "events_4502_hybrid": 12}
    s["system_worker"] = {**s["system_worker"], "last_event_time": "2024-04-20T03:00:00Z"}
    blocked = {"ok": False, "status": None, "error": "timeout", "detail": "no answer within 5 s"}
    s["probes"] = [
        tcp("agentsvc", f"{WS}.agentsvc.azure-automation.net", False, "timeout", WS),
        tcp("jrds", LEGACY_JRDS, False, "timeout"),
        tcp("jrds_recorded", ACCOUNT_JRDS, False, "timeout"),
        tcp("ods", f"{WS}.ods.opinsights.azure.com", False, "timeout", WS),
        tcp("oms", f"{WS}.oms.opinsights.azure.com", False, "timeout", WS),
        *pair("https", HTTPS_URL, blocked, blocked),
        *pair("https_recorded", HTTPS_RECORDED_URL, blocked, blocked),
        *pair("imds", IMDS_URL, kind="http", port=80),
    ]
    out["windows-disconnected"] = doc(s, host="win-offline-01")
    return out


# ----------------------------------------------------------------------------------------------


def _write(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    prerequisites()
    connectivity()
    service_health()
    machine()
    count = 0
    for rule, cases in CASES.items():
        target = HERE / rule
        if target.exists():
            shutil.rmtree(target)
        target.mkdir()
        for name, body in cases.items():
            _write(target / f"{name}.json", body)
            count += 1
    FACTS_DIR.mkdir(exist_ok=True)
    for name, body in samples().items():
        _write(FACTS_DIR / f"{name}.json", body)
    print(f"wrote {count} fixtures for {len(CASES)} rules and {len(samples())} sample facts files")


if __name__ == "__main__":
    main()
