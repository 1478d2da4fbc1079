"""Prerequisite rules: operating system, .NET Framework, Windows PowerShell (WMF) and TLS 1.2.

Each rule reads only its own facts. In particular TLS is decided from the OS version facts,
not from the OS rule's result as the official script does (quirk Q-W1), so it gives the same
answer when rules are selected individually or the OS rule was not evaluated.
"""

from __future__ import annotations

from typing import Any

from umcheck.facts import DotNet, Facts, NotCollected, PowerShell, Tls12, WinOs
from umcheck.results import CheckResult
from umcheck.rules.base import RuleContext, Verdict
from umcheck.rules.windows_common import PREREQUISITES, parse_version, require_version, windows_rule

OS_DOC_URL = (
    "https://docs.microsoft.com/en-Us/azure/automation/update-management/operating-system-requirements"
)
DOTNET_URL = "https://www.microsoft.com/net/download/dotnet-framework-runtime"
WMF_URL = "https://www.microsoft.com/download/details.aspx?id=54616"

MIN_OS = (6, 1, 7600)  # Windows Server 2008 R2 RTM
DOTNET_462_RELEASE = 394802
# TLS branch boundaries of the official script (System.Version comparisons).
TLS_OLD_OS = (6, 0, 6001)
TLS_SP1_FIRST = (6, 1, 7601)
TLS_SP1_LAST = (6, 1, 8400)
TLS_DEFAULT_ON = (6, 2, 9200)


# ----------------------------------------------------------------------------------------------
# W1 OperatingSystemCheck


def check_os(facts: Facts, ctx: RuleContext) -> Verdict:
    os: WinOs = facts.section("os")
    version = require_version("os", os.version)
    evidence: dict[str, Any] = {"os_version": os.version, "caption": os.caption}
    if version >= MIN_OS:
        return Verdict(
            CheckResult.PASSED, f"Operating system version {os.version} is supported.", evidence=evidence
        )
    return Verdict(
        CheckResult.FAILED,
        f"Operating system version {os.version} is older than 6.1.7600 (Windows Server 2008 R2) "
        f"and is not supported; see {OS_DOC_URL}.",
        args=[OS_DOC_URL],
        reason="UnsupportedOs",
        evidence=evidence,
    )


# ----------------------------------------------------------------------------------------------
# W2 DotNetFrameworkInstalledCheck


def check_dotnet(facts: Facts, ctx: RuleContext) -> Verdict:
    """Documented detection (``Full\\Release``) first, the official subkey walk as fallback (Q-W9b)."""
    dn: DotNet = facts.section("dotnet")
    release = dn.release if dn.release is not None else max(dn.subkey_releases, default=None)
    source = (
        "Full\\Release"
        if dn.release is not None
        else ("Full\\<subkey>\\Release" if release is not None else None)
    )
    evidence = {"release": dn.release, "subkey_releases": dn.subkey_releases[:8], "decided_by": source}
    if release is not None and release >= DOTNET_462_RELEASE:
        return Verdict(
            CheckResult.PASSED,
            f".NET Framework 4.6.2 or later is installed (Release {release}).",
            evidence=evidence,
        )
    if release is None:
        message, reason = "No .NET Framework 4.x installation was found.", "NotInstalled"
    else:
        message, reason = (
            f".NET Framework Release {release} is older than 4.6.2 ({DOTNET_462_RELEASE}).",
            "TooOld",
        )
    return Verdict(
        CheckResult.FAILED,
        f"{message} Install .NET Framework 4.6.2 or later: {DOTNET_URL}",
        args=[DOTNET_URL],
        reason=reason,
        evidence=evidence,
    )


# ----------------------------------------------------------------------------------------------
# W3 WindowsManagementFrameworkInstalledCheck


def _windows_powershell_version(ps: PowerShell) -> str:
    """The Windows PowerShell engine the worker uses, not the shell the collector ran in (Q-W9a).

    The engine registry value is authoritative. Without it, the collector's own version is only
    usable when it is Windows PowerShell (major <= 5); a pwsh 7 collector says nothing about it.
    """
    if ps.engine_version:
        return ps.engine_version.strip()
    host = parse_version(ps.collector_host_version)
    if host is not None and host[0] <= 5:
        return (ps.collector_host_version or "").strip()
    raise NotCollected("powershell", "the Windows PowerShell engine version was not reported")


def check_wmf(facts: Facts, ctx: RuleContext) -> Verdict:
    ps: PowerShell = facts.section("powershell")
    text = _windows_powershell_version(ps)
    version = require_version("powershell", text)
    evidence = {"engine_version": ps.engine_version, "collector_host_version": ps.collector_host_version}
    if version >= (5, 1):
        return Verdict(
            CheckResult.PASSED,
            f"Windows PowerShell {text} (WMF 5.1 or later) is installed.",
            args=[text],
            evidence=evidence,
        )
    if version[0] >= 4:
        return Verdict(
            CheckResult.WARNING,
            f"Windows PowerShell {text} works, but WMF 5.1 is recommended: {WMF_URL}",
            args=[text, WMF_URL],
            reason="Wmf51Recommended",
            evidence=evidence,
        )
    return Verdict(
        CheckResult.FAILED,
        f"Windows PowerShell {text} is too old; install WMF 5.1: {WMF_URL}",
        args=[text, WMF_URL],
        reason="WmfTooOld",
        evidence=evidence,
    )


# ----------------------------------------------------------------------------------------------
# W11 TlsVersionCheck


def _tls_evidence(os: WinOs, tls: Tls12) -> dict[str, Any]:
    return {
        "os_version": os.version,
        "client_enabled": tls.client_enabled,
        "client_disabled_by_default": tls.client_disabled_by_default,
        "server_enabled": tls.server_enabled,
        "server_disabled_by_default": tls.server_disabled_by_default,
        "strong_crypto": tls.strong_crypto,
        "strong_crypto_wow64": tls.strong_crypto_wow64,
    }


def check_tls(facts: Facts, ctx: RuleContext) -> Verdict:
    """The official decision table, keyed on the OS version facts (Q-W1). Absent values are not 0."""
    os: WinOs = facts.section("os")
    tls: Tls12 = facts.section("tls")
    v = require_version("os", os.version)
    ev = _tls_evidence(os, tls)
    if TLS_OLD_OS <= v < MIN_OS:
        return Verdict(
            CheckResult.FAILED,
            f"Operating system {os.version} is below the supported minimum, so TLS 1.2 cannot be relied on.",
            reason="UnsupportedOs",
            evidence=ev,
        )
    if TLS_SP1_FIRST <= v <= TLS_SP1_LAST:
        dbd_off = tls.client_disabled_by_default == 0 and tls.server_disabled_by_default == 0
        both_off = tls.client_enabled == 0 and tls.server_enabled == 0
        if dbd_off and not both_off:
            return Verdict(
                CheckResult.PASSED,
                "TLS 1.2 is explicitly enabled in the SCHANNEL settings.",
                reason="ExplicitlyEnabled",
                evidence=ev,
            )
        return Verdict(
            CheckResult.FAILED,
            "On Windows Server 2008 R2 SP1 / Windows 7 SP1, TLS 1.2 must be enabled explicitly "
            "(Client and Server DisabledByDefault = 0); it is not.",
            suffix="NotExplicitlyEnabled",
            reason="NotExplicitlyEnabled",
            evidence=ev,
        )
    if v >= TLS_DEFAULT_ON:
        disabled = [
            name
            for name, value, bad in (
                ("Client\\Enabled", tls.client_enabled, 0),
                ("Server\\Enabled", tls.server_enabled, 0),
                ("Client\\DisabledByDefault", tls.client_disabled_by_default, 1),
                ("Server\\DisabledByDefault", tls.server_disabled_by_default, 1),
            )
            if value == bad
        ]
        if disabled:
            ev["disabling_values"] = disabled
            return Verdict(
                CheckResult.FAILED,
                f"TLS 1.2 is switched off in the SCHANNEL settings ({', '.join(disabled)}).",
                suffix="ExplicitlyDisabled",
                reason="ExplicitlyDisabled",
                evidence=ev,
            )
        return Verdict(
            CheckResult.PASSED,
            "TLS 1.2 is enabled by default on this operating system.",
            suffix="EnabledByDefault",
            evidence=ev,
        )
    return Verdict(
        CheckResult.FAILED,
        f"Operating system {os.version} has no TLS 1.2 support by default (Windows Server 2008 R2 needs SP1).",
        suffix="NoDefaultSupport",
        reason="NoDefaultSupport",
        evidence=ev,
    )


# ----------------------------------------------------------------------------------------------

OPERATING_SYSTEM = windows_rule(
    "OperatingSystemCheck",
    PREREQUISITES,
    "Operating System",
    "The Windows version must be 6.1.7600 (Windows Server 2008 R2) or later.",
    check_os,
    ("Passed", "Failed"),
    ("os",),
)
DOTNET = windows_rule(
    "DotNetFrameworkInstalledCheck",
    PREREQUISITES,
    ".Net Framework 4.6.2+",
    ".NET Framework 4.6.2 or later must be installed.",
    check_dotnet,
    ("Passed", "Failed"),
    ("dotnet",),
)
WMF = windows_rule(
    "WindowsManagementFrameworkInstalledCheck",
    PREREQUISITES,
    "WMF 5.1",
    "Windows PowerShell 4.0 or later is required; WMF 5.1 is recommended.",
    check_wmf,
    ("Passed", "PassedWithWarning", "Failed"),
    ("powershell",),
)
TLS = windows_rule(
    "TlsVersionCheck",
    PREREQUISITES,
    "TLS 1.2",
    "The machine must be able to use TLS 1.2 for client and server connections.",
    check_tls,
    (
        "Passed",
        "Failed",
        "Passed.EnabledByDefault",
        "Failed.NotExplicitlyEnabled",
        "Failed.ExplicitlyDisabled",
        "Failed.NoDefaultSupport",
    ),
    ("os", "tls"),
)
