"""Azure Arc Connected Machine agent rules (successor-readiness.md §2, rules 1-6, 8, 9, 12)."""

from __future__ import annotations

import re
from typing import Any

from umcheck.facts import Facts
from umcheck.packs.successor.common import (
    ARC,
    Scope,
    minutes_since,
    not_applicable,
    optional,
    scope_of,
    service_evidence,
    successor_rule,
)
from umcheck.packs.successor.facts import ArcAgent, SvcState
from umcheck.results import CheckResult
from umcheck.rules.base import RuleContext, Verdict

# Release month of each agent version (agent-release-notes; refresh monthly). Versions older than
# the table were released before its first month; newer ones are younger than its last.
RELEASES: dict[tuple[int, int], tuple[int, int]] = {
    (1, 58): (2025, 11), (1, 59): (2025, 12), (1, 60): (2026, 1), (1, 61): (2026, 2), (1, 62): (2026, 3),
    (1, 63): (2026, 4), (1, 64): (2026, 5), (1, 65): (2026, 6), (1, 66): (2026, 7),
}  # fmt: skip
CORE_SERVICES = {"windows": ("himds", "ExtensionService"), "linux": ("himdsd", "extd")}
GC_SERVICES = {"windows": ("GCArcService",), "linux": ("gcad",)}
PROXY_SERVICES = {"windows": ("arcproxy",), "linux": ("arcproxyd",)}  # names [U] (§8)
# What Update Manager and the extension-based worker install (Publisher/Type), §2.7 / §4.1.
NEEDED_EXTENSIONS = {
    "windows": ("Microsoft.CPlat.Core/WindowsPatchExtension", "Microsoft.SoftwareUpdateManagement/WindowsOsUpdateExtension",
                "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForWindows"),
    "linux": ("Microsoft.CPlat.Core/LinuxPatchExtension", "Microsoft.SoftwareUpdateManagement/LinuxOsUpdateExtension",
              "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForLinux"),
}  # fmt: skip


def _arc(facts: Facts, ctx: RuleContext) -> tuple[ArcAgent | None, Scope]:
    return optional(facts, "arc"), scope_of(facts, ctx)


def _installed_or_na(facts: Facts, ctx: RuleContext) -> tuple[ArcAgent, Verdict | None]:
    arc = facts.section("arc")  # not collected -> NotEvaluated
    if not arc.installed:
        return arc, not_applicable("the Arc agent is not installed", **scope_of(facts, ctx).evidence())
    return arc, None


# 1 SR.Arc.AgentInstalled ------------------------------------------------------------------------
def check_installed(facts: Facts, ctx: RuleContext) -> Verdict:
    arc = facts.section("arc")
    scope = scope_of(facts, ctx)
    ev = {**scope.evidence(), "version": arc.version}
    if scope.azure_vm:
        return not_applicable("an Azure VM uses its own VM agent, not Arc", **ev)
    if arc.installed:
        return Verdict(CheckResult.PASSED, f"The Azure Connected Machine agent {arc.version or ''} is installed.".replace("  ", " "),
                       evidence=ev)  # fmt: skip
    if scope.azure_vm is None:
        return Verdict(CheckResult.WARNING, "The Arc agent is not installed; whether this is an Azure VM is unknown "
                       "(set umcheck_is_azure in the inventory).", reason="AzureUnknown", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.FAILED, "The Azure Connected Machine agent is not installed: Update Manager and the "
                   "extension-based worker need Azure Arc on a non-Azure server.", reason="NotInstalled", evidence=ev)  # fmt: skip


# 2 SR.Arc.Connected -------------------------------------------------------------------------------
def check_connected(facts: Facts, ctx: RuleContext) -> Verdict:
    arc, na = _installed_or_na(facts, ctx)
    if na:
        return na
    age = minutes_since(arc.last_heartbeat, ctx.now)
    ev: dict[str, Any] = {"status": arc.status, "last_heartbeat": arc.last_heartbeat, "heartbeat_age_minutes": age,
                          "error_code": arc.error_code, "error_details": arc.error_details}  # fmt: skip
    status = (arc.status or "").lower()
    if status != "connected" or arc.error_code:
        why = f"status {arc.status or 'unknown'}" + (f", error {arc.error_code}" if arc.error_code else "")
        return Verdict(CheckResult.FAILED, f"The Arc agent is not connected ({why}).", reason="Disconnected", evidence=ev)
    if age is None:
        return Verdict(CheckResult.WARNING, "The Arc agent says Connected but reports no last heartbeat.",
                       reason="NoHeartbeat", evidence=ev)  # fmt: skip
    if age > 60:
        return Verdict(CheckResult.FAILED, f"The Arc agent's last heartbeat is {age:g} minutes old (sent every 5).",
                       reason="StaleHeartbeat", evidence=ev)  # fmt: skip
    if age > 15:
        return Verdict(CheckResult.WARNING, f"The Arc agent's last heartbeat is {age:g} minutes old (sent every 5).",
                       reason="LateHeartbeat", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "The Arc agent is connected and sent a heartbeat recently.", evidence=ev)


# 3 SR.Arc.Services ---------------------------------------------------------------------------------
def _named(services: list[SvcState], names: tuple[str, ...]) -> list[SvcState]:
    by = {s.name.lower(): s for s in services}
    return [by.get(n.lower(), SvcState(n)) for n in names]


def check_services(facts: Facts, ctx: RuleContext) -> Verdict:
    arc, na = _installed_or_na(facts, ctx)
    if na:
        return na
    os_family = facts.os_family
    core, gc = _named(arc.services, CORE_SERVICES[os_family]), _named(arc.services, GC_SERVICES[os_family])
    proxy = _named(arc.services, PROXY_SERVICES[os_family])
    gateway = (arc.config.get("connection.type") or "").lower() == "gateway"
    ev = {"services": service_evidence(core + gc + proxy), "connection.type": arc.config.get("connection.type"),
          "unverified": "the Arc Proxy service name comes from a sample output (successor-readiness.md §8)"}  # fmt: skip
    down = [s.name for s in core if not s.running]
    if gateway:  # a stopped Arc Proxy fails; a missing one may only be misnamed (names [U], §8): warn below
        down += [s.name for s in proxy if s.present and not s.running]
    if down:
        return Verdict(CheckResult.FAILED, f"Arc agent services not running: {', '.join(down)}.", reason="ServiceStopped",
                       evidence=ev)  # fmt: skip
    if gateway and (unseen := [s.name for s in proxy if not s.present]):
        return Verdict(CheckResult.WARNING, f"The agent uses an Arc gateway but no Arc Proxy service ({', '.join(unseen)}) "
                       "was found; its service name is unverified.", reason="ProxyServiceNotFound", evidence=ev)  # fmt: skip
    gc_down = [s.name for s in gc if not s.running]
    if gc_down:
        return Verdict(CheckResult.WARNING, f"The machine configuration service is not running ({', '.join(gc_down)}).",
                       reason="GuestConfigStopped", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "The Arc agent's services are running.", evidence=ev)


# 4 SR.Arc.HimdsListening ------------------------------------------------------------------------------
def check_himds(facts: Facts, ctx: RuleContext) -> Verdict:
    arc, na = _installed_or_na(facts, ctx)
    if na:
        return na
    probe = arc.himds
    if probe is None:
        return Verdict(CheckResult.NOT_EVALUATED, "Not evaluated: the identity endpoint was not probed.", reason="arc: no himds probe")
    ev = {"status": probe.status, "basic_realm": probe.basic_realm, "error": probe.error}
    if probe.status == 401 and probe.basic_realm:
        return Verdict(CheckResult.PASSED, "The Arc identity endpoint (localhost:40342) answers with its challenge.", evidence=ev)
    if probe.status is not None:
        return Verdict(CheckResult.WARNING, f"localhost:40342 answered HTTP {probe.status}, not himds' 401 challenge.",
                       reason="UnexpectedAnswer", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.FAILED, f"Nothing answers on localhost:40342 ({probe.error or 'no answer'}): himds is down "
                   "or the port is taken.", reason="NotListening", evidence=ev)  # fmt: skip


# 5 SR.Arc.AgentVersion ---------------------------------------------------------------------------------
def _months(a: tuple[int, int], b: tuple[int, int]) -> int:
    return (b[0] - a[0]) * 12 + (b[1] - a[1])


def check_version(facts: Facts, ctx: RuleContext) -> Verdict:
    arc, na = _installed_or_na(facts, ctx)
    if na:
        return na
    m = re.match(r"^\s*(\d+)\.(\d+)", arc.version or "")
    if not m:
        return Verdict(CheckResult.NOT_EVALUATED, f"Not evaluated: agent version {arc.version!r:.30} is not a version.",
                       reason="arc: unusable version")  # fmt: skip
    ver, now = (int(m.group(1)), int(m.group(2))), (ctx.now.year, ctx.now.month)
    first, last = min(RELEASES), max(RELEASES)
    ev: dict[str, Any] = {"version": arc.version, "table": f"{first[0]}.{first[1]}-{last[0]}.{last[1]}"}
    if ver > last:
        return Verdict(CheckResult.PASSED, f"Agent {arc.version} is newer than umcheck's release table.", evidence=ev)
    if ver in RELEASES:
        age = _months(RELEASES[ver], now)
    elif ver < first:
        age = _months(RELEASES[first], now) + 1  # released before the table starts: at least this old
        ev["age_is_lower_bound"] = True
    else:
        return Verdict(CheckResult.WARNING, f"Agent {arc.version} is not in umcheck's release table.", reason="UnknownVersion",
                       evidence=ev)  # fmt: skip
    ev["age_months"] = age
    if age > 12:
        return Verdict(CheckResult.FAILED, f"Agent {arc.version} is over 12 months old ({age} months): out of support.",
                       reason="Unsupported", evidence=ev)  # fmt: skip
    if age > 10:
        return Verdict(CheckResult.WARNING, f"Agent {arc.version} is {age} months old: support ends at 12.", reason="Ageing",
                       evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, f"Agent {arc.version} is within its support window ({age} months old).", evidence=ev)


# 8 SR.Arc.Proxy -------------------------------------------------------------------------------------------
def check_proxy(facts: Facts, ctx: RuleContext) -> Verdict:
    arc, na = _installed_or_na(facts, ctx)
    if na:
        return na
    url = arc.config.get("proxy.url") or arc.https_proxy_env or ""
    gateway = (arc.config.get("connection.type") or "").lower() == "gateway"
    bypass = arc.config.get("proxy.bypass")
    win = optional(facts, "proxy")
    system_proxy = getattr(win, "winhttp_proxy", None) if facts.os_family == "windows" else None
    ev = {"proxy.url": arc.config.get("proxy.url"), "HTTPS_PROXY": arc.https_proxy_env, "proxy.bypass": bypass,
          "connection.type": arc.config.get("connection.type"), "winhttp_proxy": system_proxy}  # fmt: skip
    if url.lower().startswith("https://"):
        return Verdict(CheckResult.FAILED, "The Arc agent's proxy is an HTTPS (TLS) proxy, which the agent does not support.",
                       reason="HttpsProxy", evidence=ev)  # fmt: skip
    if "@" in url:
        return Verdict(CheckResult.FAILED, "The Arc agent's proxy URL carries credentials; authenticating proxies are not "
                       "supported.", reason="AuthenticatingProxy", evidence=ev)  # fmt: skip
    if gateway and bypass:
        return Verdict(CheckResult.WARNING, "A proxy bypass list is set but the agent uses an Arc gateway, which ignores it.",
                       reason="BypassWithGateway", evidence=ev)  # fmt: skip
    if system_proxy and not url:
        return Verdict(CheckResult.WARNING, "A WinHTTP proxy is set but the Arc agent has none: the agent does not use the "
                       "system proxy.", reason="SystemProxyOnly", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "The Arc agent's proxy settings are consistent.", evidence=ev)


# 9 SR.Arc.ExtensionPolicy -----------------------------------------------------------------------------------
def _entries(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def check_extension_policy(facts: Facts, ctx: RuleContext) -> Verdict:
    arc, na = _installed_or_na(facts, ctx)
    if na:
        return na
    needed = NEEDED_EXTENSIONS[facts.os_family]
    cfg = arc.config
    allow, block = _entries(cfg.get("extensions.allowlist")), _entries(cfg.get("extensions.blocklist"))
    ev = {k: cfg.get(k) for k in ("extensions.enabled", "extensions.allowlist", "extensions.blocklist", "config.mode")}
    if (cfg.get("extensions.enabled") or "").lower() == "false":
        return Verdict(CheckResult.FAILED, "Extensions are disabled on this Arc agent (extensions.enabled false).",
                       reason="ExtensionsDisabled", evidence=ev)  # fmt: skip
    lowered_allow = {a.lower() for a in allow}
    if "allow/none" in lowered_allow:
        return Verdict(CheckResult.FAILED, "The extension allowlist is Allow/None: every extension is blocked.",
                       reason="AllBlocked", evidence=ev)  # fmt: skip
    blocked = [n for n in needed if n.lower() in {b.lower() for b in block}]
    if allow:
        blocked += [n for n in needed if n.lower() not in lowered_allow and n not in blocked]
    if blocked:
        return Verdict(CheckResult.FAILED, f"The Arc extension policy blocks {', '.join(blocked)}.", reason="Blocked",
                       evidence={**ev, "blocked": blocked})  # fmt: skip
    if (cfg.get("config.mode") or "").lower() == "monitor":
        return Verdict(CheckResult.WARNING, "The agent runs in monitor mode; whether its Microsoft allowlist admits the "
                       "patch and worker extensions is not documented.", reason="MonitorMode",
                       evidence={**ev, "unverified": "monitor-mode allowlist content (successor-readiness.md §8)"})  # fmt: skip
    return Verdict(CheckResult.PASSED, "The Arc extension policy allows the patch and worker extensions.", evidence=ev)


# 12 SR.Arc.NotOnAzureVm ---------------------------------------------------------------------------------------
def check_not_on_azure_vm(facts: Facts, ctx: RuleContext) -> Verdict:
    arc = facts.section("arc")
    scope = scope_of(facts, ctx)
    ev = {**scope.evidence(), "MSFT_ARC_TEST": arc.msft_arc_test}
    if not (arc.installed and scope.azure_vm):
        return Verdict(CheckResult.PASSED, "Arc and Azure VM signals are not both present.", evidence=ev)
    if arc.msft_arc_test:
        return Verdict(CheckResult.WARNING, "Arc is installed on an Azure VM for evaluation (MSFT_ARC_TEST=true).",
                       reason="Evaluation", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.FAILED, "The Arc agent is installed on an Azure VM: use the VM's native extensions instead.",
                   reason="ArcOnAzureVm", evidence=ev)  # fmt: skip


BOTH = ("windows", "linux")
ARC_RULES = [
    *successor_rule("SR.Arc.AgentInstalled", BOTH, ARC, "Arc agent installed",
                    "Non-Azure servers need the Azure Connected Machine agent for Update Manager and the extension worker.",
                    check_installed, ("Passed", "PassedWithWarning", "Failed", "NotApplicable"), ("arc", "azure_vm", "probes")),
    *successor_rule("SR.Arc.Connected", BOTH, ARC, "Arc agent connected",
                    "The agent reports Connected and a heartbeat within 15 minutes.",
                    check_connected, ("Passed", "PassedWithWarning", "Failed", "NotApplicable"), ("arc", "azure_vm")),
    *successor_rule("SR.Arc.Services", BOTH, ARC, "Arc agent services",
                    "himds and the extension service run (Arc Proxy too when a gateway is used).",
                    check_services, ("Passed", "PassedWithWarning", "Failed", "NotApplicable"), ("arc", "azure_vm")),
    *successor_rule("SR.Arc.HimdsListening", BOTH, ARC, "Arc identity endpoint",
                    "himds answers on localhost:40342 with its authentication challenge.",
                    check_himds, ("Passed", "PassedWithWarning", "Failed", "NotApplicable"), ("arc", "azure_vm")),
    *successor_rule("SR.Arc.AgentVersion", BOTH, ARC, "Arc agent version",
                    "Only agent versions from the last 12 months are supported.",
                    check_version, ("Passed", "PassedWithWarning", "Failed", "NotApplicable"), ("arc", "azure_vm")),
    *successor_rule("SR.Arc.Proxy", BOTH, ARC, "Arc agent proxy",
                    "The agent's own proxy: no HTTPS or authenticating proxy; it does not use the system proxy.",
                    check_proxy, ("Passed", "PassedWithWarning", "Failed", "NotApplicable"), ("arc", "azure_vm", "proxy")),
    *successor_rule("SR.Arc.ExtensionPolicy", BOTH, ARC, "Arc extension policy",
                    "The agent's allow/block lists admit the patch and Hybrid Worker extensions.",
                    check_extension_policy, ("Passed", "PassedWithWarning", "Failed", "NotApplicable"), ("arc", "azure_vm")),
    *successor_rule("SR.Arc.NotOnAzureVm", BOTH, ARC, "Arc not on an Azure VM",
                    "Arc is not supported on Azure VMs except for evaluation.",
                    check_not_on_azure_vm, ("Passed", "PassedWithWarning", "Failed"), ("arc", "azure_vm", "probes")),
]  # fmt: skip
