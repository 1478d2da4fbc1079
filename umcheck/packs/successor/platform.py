"""Platform prerequisites of the successor stack: Arc's supported OS list, the extension worker's
prerequisites, and the Linux patch extension's assessment timer and repositories
(successor-readiness.md §2.3, §3.2, §4.2, §7 rules 6, 18, 30, 32)."""

from __future__ import annotations

from datetime import date
from typing import Any

from umcheck.facts import Facts, NotCollected
from umcheck.packs.successor.common import ARC, AUM, HRW2, not_applicable, scope_of, successor_rule
from umcheck.packs.successor.updates import PATCH_EXTENSIONS
from umcheck.results import CheckResult
from umcheck.rules.base import RuleContext, Verdict
from umcheck.rules.windows_common import parse_version

# Arc prerequisites (2025-03-21, release notes 1.61/1.62): distro id -> supported major versions.
ARC_LINUX: dict[str, tuple[str, ...]] = {
    "almalinux": ("8", "9", "10"), "amzn": ("2", "2023"), "azurelinux": ("2.0", "3.0"), "mariner": ("2.0",),
    "debian": ("11", "12", "13"), "oracle": ("7", "8", "9", "10"), "ol": ("7", "8", "9", "10"),
    "rhel": ("7", "8", "9", "10"), "rocky": ("8", "9", "10"), "sles": ("12", "15", "16"),
    "ubuntu": ("18.04", "20.04", "22.04", "24.04"),
}  # fmt: skip
# Limited support: no newer agents, and support ended on these dates.
ARC_LINUX_LIMITED: dict[tuple[str, str], date] = {
    ("centos", "7"): date(2025, 7, 15), ("centos", "8"): date(2025, 7, 15), ("debian", "10"): date(2025, 7, 15),
    ("ubuntu", "16.04"): date(2025, 7, 15),
}  # fmt: skip
WS2008R2_END = date(2025, 3, 31)
PS51, NET462 = (5, 1), 394802  # Windows PowerShell 5.1; .NET Framework 4.6.2 Release value ([I] number)


def _linux_key(os_id: str, version_id: str) -> tuple[str, str]:
    """(id, version as the support table writes it): Ubuntu and Azure Linux by major.minor, the rest by major."""
    distro, parts = os_id.strip().lower(), version_id.strip().split(".")
    return distro, ".".join(parts[:2]) if distro in ("ubuntu", "azurelinux", "mariner") else parts[0]


# 6 SR.Arc.OsSupported -------------------------------------------------------------------------------
def check_os_supported(facts: Facts, ctx: RuleContext) -> Verdict:
    scope = scope_of(facts, ctx)
    if scope.azure_vm:
        return not_applicable("an Azure VM does not need Arc", **scope.evidence())
    os_ = facts.section("os")
    today = ctx.now.date()
    ev: dict[str, Any] = {"not_collected": "architecture (Arc supports x86-64 fully, Arm64 partly, no 32-bit)"}
    if facts.os_family == "windows":
        v = parse_version(os_.version)
        ev.update(version=os_.version, caption=os_.caption)
        if v is None:
            return Verdict(CheckResult.NOT_EVALUATED, f"Not evaluated: OS version {os_.version!r:.30} is not a version.",
                           reason="os: unusable version", evidence=ev)  # fmt: skip
        if v >= (6, 2):
            return Verdict(CheckResult.PASSED, f"{os_.caption or os_.version} is supported by the Arc agent.", evidence=ev)
        if v[:2] == (6, 1):
            if today > WS2008R2_END:
                return Verdict(CheckResult.FAILED, "Windows Server 2008 R2: Arc's limited support ended on 31 March "
                               "2025 (last agent 1.39).", reason="SupportEnded", evidence=ev)  # fmt: skip
            return Verdict(CheckResult.WARNING, "Windows Server 2008 R2 has limited Arc support until 31 March 2025.",
                           reason="LimitedSupport", evidence=ev)  # fmt: skip
        return Verdict(CheckResult.FAILED, f"{os_.caption or os_.version} is not supported by the Arc agent.",
                       reason="Unsupported", evidence=ev)  # fmt: skip
    key = _linux_key(os_.id, os_.version_id)
    ev.update(distro=f"{key[0]} {key[1]}", pretty_name=os_.pretty_name)
    if key[1] in ARC_LINUX.get(key[0], ()):
        return Verdict(CheckResult.PASSED, f"{os_.pretty_name or ' '.join(key)} is supported by the Arc agent.", evidence=ev)
    end = ARC_LINUX_LIMITED.get(key)
    if end is not None:
        if today > end:
            return Verdict(CheckResult.FAILED, f"{' '.join(key)}: Arc's limited support ended on {end:%d %B %Y} "
                           "(last agent 1.44).", reason="SupportEnded", evidence=ev)  # fmt: skip
        return Verdict(CheckResult.WARNING, f"{' '.join(key)} has limited Arc support until {end:%d %B %Y}.",
                       reason="LimitedSupport", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.FAILED, f"{os_.pretty_name or ' '.join(key)} is not on Arc's supported list.",
                   reason="Unsupported", evidence=ev)  # fmt: skip


# 18 SR.Hrw2.Prereqs ------------------------------------------------------------------------------------
def check_hrw_prereqs(facts: Facts, ctx: RuleContext) -> Verdict:
    scope = scope_of(facts, ctx)
    if not scope.wants_hrw:
        return not_applicable("no Hybrid Runbook Worker is wanted on this host", **scope.evidence())
    ev: dict[str, Any] = {"not_collected": "CPU cores and memory (2 cores, 4 GB recommended)"}
    missing = []
    if facts.os_family == "windows":
        ps, net = facts.section("powershell"), facts.section("dotnet")
        ver = parse_version(ps.engine_version)
        ev.update(powershell=ps.engine_version, dotnet_release=net.release)
        if ver is None or ver[:2] < PS51:
            missing.append("Windows PowerShell 5.1")
        if net.release is None or net.release < NET462:
            missing.append(".NET Framework 4.6.2")
    else:
        lu = facts.section("linux_updates")
        ev["python"] = lu.python
        if not lu.python:
            missing.append("Python (2.x or 3.x)")
    if missing:
        return Verdict(CheckResult.FAILED, f"The extension-based worker needs {' and '.join(missing)}.", reason="Missing",
                       evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "The extension-based worker's software prerequisites are met.", evidence=ev)


# 30 SR.Aum.LinuxRepos -------------------------------------------------------------------------------------
def check_linux_repos(facts: Facts, ctx: RuleContext) -> Verdict:
    repos = facts.section("repos")
    probes = list(repos.probes)
    ev = {"repositories": {p.target: ("ok" if p.ok else (p.error or "failed")) for p in probes[:20]}}
    if not probes:
        return not_applicable("no package repository configured", **ev)
    down = [p.target for p in probes if not p.ok]
    if len(down) == len(probes):
        return Verdict(CheckResult.FAILED, "No package repository answers: Update Manager cannot assess or install.",
                       reason="AllUnreachable", evidence=ev)  # fmt: skip
    if down:
        return Verdict(CheckResult.WARNING, f"{len(down)} of {len(probes)} package repositories do not answer: "
                       + ", ".join(down[:3]), reason="SomeUnreachable", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "Every package repository answers.", evidence=ev)


# 32 SR.Aum.AutoAssessTimer ---------------------------------------------------------------------------------
def check_autoassess_timer(facts: Facts, ctx: RuleContext) -> Verdict:
    ext = facts.section("extensions")
    if not ext.named(*PATCH_EXTENSIONS["linux"]):
        return not_applicable("no Update Manager patch extension on this host")
    lu = facts.section("linux_updates")
    state = lu.autoassess_timer
    ev = {"MsftLinuxPatchAutoAssess.timer": state}
    if state is None:
        raise NotCollected("linux_updates", "systemctl gave no state for MsftLinuxPatchAutoAssess.timer")
    if state.strip() == "active":  # exact: "inactive" contains "active"
        return Verdict(CheckResult.PASSED, "Periodic assessment's timer is active.", evidence=ev)
    return Verdict(CheckResult.WARNING, f"The periodic assessment timer is {state}: periodic assessment may be off.",
                   reason="TimerInactive", evidence=ev)  # fmt: skip


BOTH = ("windows", "linux")
PLATFORM_RULES = [
    *successor_rule("SR.Arc.OsSupported", BOTH, ARC, "Arc supported OS",
                    "The Connected Machine agent supports the OS (limited-support OSes lost it in 2025).",
                    check_os_supported, ("Passed", "PassedWithWarning", "Failed", "NotApplicable"),
                    ("os", "arc", "azure_vm", "probes")),
    *successor_rule("SR.Hrw2.Prereqs", BOTH, HRW2, "Worker prerequisites",
                    "Windows PowerShell 5.1 and .NET Framework 4.6.2, or Python on Linux, for the extension worker.",
                    check_hrw_prereqs, ("Passed", "Failed", "NotApplicable"),
                    ("powershell", "dotnet", "linux_updates", "hrw", "extensions", "worker")),
    *successor_rule("SR.Aum.LinuxRepos", ("linux",), AUM, "Linux package repositories",
                    "Update Manager assesses and installs from the configured repositories.",
                    check_linux_repos, ("Passed", "PassedWithWarning", "Failed", "NotApplicable"), ("repos",)),
    *successor_rule("SR.Aum.AutoAssessTimer", ("linux",), AUM, "Periodic assessment timer",
                    "MsftLinuxPatchAutoAssess.timer runs periodic assessment once the patch extension is present.",
                    check_autoassess_timer, ("Passed", "PassedWithWarning", "NotApplicable"),
                    ("extensions", "linux_updates")),
]  # fmt: skip
