"""Network reachability of the successor stack, from umcheck's own bounded probes (and, opt-in,
``azcmagent check``): Arc endpoints, Windows Update endpoints, the extension worker's own hosts
(successor-readiness.md §2.4, §2.5, §3.2, §4.3; §7 rules 7, 19, 28). WireServer is part of
SR.AzVm.GuestAgent (hosting.py).

A probe that was not made (``skipped``) is never a failure, and a rule with no probe of its kind
(a collector or plan older than the rule) is NotEvaluated, never Passed.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from umcheck.endpoints import arc_endpoint
from umcheck.facts import Facts, NotCollected, Probe
from umcheck.packs.successor.common import ARC, AUM, HRW2, not_applicable, scope_of, successor_rule
from umcheck.packs.successor.facts import ArcCheck
from umcheck.packs.successor.hosting import hrw_extension
from umcheck.results import CheckResult
from umcheck.rules.base import RuleContext, Verdict

# Error classes that mean the endpoint was not reached at all. ``tls``/``http`` mean something
# answered on 443 (a TLS-inspecting device, a name-mismatched certificate): warned, not failed.
UNREACHED = ("dns", "refused", "timeout", "reset", "proxy", "other")
CHECK_UNVERIFIED = "azcmagent check -j output schema is undocumented (successor-readiness.md §2.4, §8)"


def _made(probes: list[Probe]) -> list[Probe]:
    return [p for p in probes if p.error != "skipped"]


def _short(p: Probe) -> str:
    host = p.target.split("://", 1)[-1].rstrip("/")
    return f"{host}:{p.port}" if p.kind == "wireserver" else host


def _evidence(probes: list[Probe]) -> dict[str, str]:
    return {_short(p): ("ok" if p.ok else (p.error or "failed")) + (f" via {p.via}" if p.via == "proxy" else "")
            for p in probes}  # fmt: skip


# 7 SR.Arc.Endpoints ------------------------------------------------------------------------------
def check_arc_endpoints(facts: Facts, ctx: RuleContext) -> Verdict:
    arc = facts.section("arc")
    scope = scope_of(facts, ctx)
    if not arc.installed:
        return not_applicable("the Arc agent is not installed", **scope.evidence())
    if scope.azure_vm:
        return not_applicable("an Azure VM does not use Arc (see SR.Arc.NotOnAzureVm)", **scope.evidence())
    proxy_url = arc.config.get("proxy.url") or ""
    check = arc.check
    try:
        probes = _made(facts.probes(kind="arc"))
    except NotCollected:  # azcmagent check alone may still decide
        if check is None:
            raise
        probes = []
    required, optional = [], []
    for p in probes:
        if p.ok:
            continue
        ep = arc_endpoint(ctx.cloud, p.name)
        (required if ep is not None and ep.required else optional).append(p)
    ev: dict[str, Any] = {"probes": _evidence(probes), "proxy.url": proxy_url or None,
                          "connection.type": arc.config.get("connection.type"),
                          "required_failed": [_short(p) for p in required],
                          "optional_failed": [_short(p) for p in optional]}  # fmt: skip
    if check is not None:
        verdict = _from_check(check, required, ev)
        if verdict is not None:
            return verdict
    if not probes:
        return Verdict(CheckResult.NOT_EVALUATED, "Not evaluated: no Arc endpoint was probed (a collector or plan older "
                       "than this rule).", reason="NotProbed", evidence=ev)  # fmt: skip
    # The agent uses its own proxy (proxy.url) or an Arc gateway (connection.type gateway, §2.5): a
    # probe that went direct while either is set proves nothing about the agent's own path.
    gateway = (arc.config.get("connection.type") or "").lower() == "gateway"
    unproxied = (proxy_url or gateway) and any(p.via == "direct" for p in required)
    hard = [p for p in required if p.error in UNREACHED]
    if hard and not unproxied:
        return Verdict(CheckResult.FAILED, "Required Arc endpoints are unreachable: "
                       f"{', '.join(_short(p) for p in hard)}.", reason="RequiredUnreachable", evidence=ev)  # fmt: skip
    if required:
        why = ("probed directly while the agent uses proxy.url or an Arc gateway" if unproxied
               else "something answered on 443 but the TLS handshake failed (TLS inspection?)")
        return Verdict(CheckResult.WARNING, f"Required Arc endpoints did not answer cleanly ({why}): "
                       f"{', '.join(_short(p) for p in required)}.", reason="RequiredUnclear", evidence=ev)  # fmt: skip
    if optional:
        return Verdict(CheckResult.WARNING, "Only optional Arc endpoints are unreachable (connect/disconnect, agent "
                       f"install/upgrade, or inferred hosts): {', '.join(_short(p) for p in optional)}.",
                       reason="OptionalUnreachable", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, f"All {len(probes)} Arc endpoints probed answered.", evidence=ev)


def _from_check(check: ArcCheck, required: list[Probe], ev: dict[str, Any]) -> Verdict | None:
    """``azcmagent check`` decides when its rows could be read; its schema is unverified, so it
    fails a host only where umcheck's own probe of a required endpoint failed too."""
    rows = {e.endpoint: e.reachable for e in check.endpoints}
    ev.update(azcmagent_check={"location": check.location, "exit_code": check.exit_code, "error": check.error,
                               "endpoints": rows}, unverified=CHECK_UNVERIFIED)  # fmt: skip
    if not check.endpoints:
        return None  # nothing readable: umcheck's own probes decide
    bad = sorted(k for k, v in rows.items() if v is False)
    if not bad:
        return Verdict(CheckResult.PASSED, f"azcmagent check reached all {len(rows)} endpoints it tested.", evidence=ev)
    # the same endpoint, both ways: a row naming the host of a required probe that was not reached
    confirmed = [_short(p) for p in required if p.error in UNREACHED and any(_short(p) in row for row in bad)]
    if confirmed:
        return Verdict(CheckResult.FAILED, f"azcmagent check and umcheck's own probes both find required Arc endpoints "
                       f"unreachable ({', '.join(confirmed)}).", reason="RequiredUnreachable", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.WARNING, f"azcmagent check reports endpoints unreachable ({', '.join(bad)}); umcheck's "
                   "own probes did not confirm it for a required endpoint.", reason="CheckUnreachable", evidence=ev)  # fmt: skip


# 28 SR.Aum.WuEndpoints (Windows) -------------------------------------------------------------------
def check_wu_endpoints(facts: Facts, ctx: RuleContext) -> Verdict:
    wu = facts.section("windows_update")
    wsus_only = bool(wu.wu_server) and wu.use_wu_server == 1 and wu.do_not_connect == 1
    if wsus_only:
        return not_applicable("updates come from WSUS only (DoNotConnectToWindowsUpdateInternetLocations = 1)",
                              WUServer=wu.wu_server)  # fmt: skip
    probes = _made(facts.probes(kind="wu"))
    ev: dict[str, Any] = {"probes": _evidence(probes), "WUServer": wu.wu_server, "UseWUServer": wu.use_wu_server,
                          "DoNotConnectToWindowsUpdateInternetLocations": wu.do_not_connect}  # fmt: skip
    if not probes:
        return Verdict(CheckResult.NOT_EVALUATED, "Not evaluated: no Windows Update endpoint was probed (a collector or "
                       "plan older than this rule).", reason="NotProbed", evidence=ev)  # fmt: skip
    hard = [p for p in probes if not p.ok and p.error in UNREACHED]
    soft = [p for p in probes if not p.ok and p.error not in UNREACHED]
    if hard:
        return Verdict(CheckResult.FAILED, "Windows Update endpoints are unreachable through the WinHTTP proxy setting: "
                       f"{', '.join(_short(p) for p in hard)}.", reason="Unreachable", evidence=ev)  # fmt: skip
    if soft:
        return Verdict(CheckResult.WARNING, "Windows Update endpoints answered but not cleanly (TLS or HTTP error): "
                       f"{', '.join(_short(p) for p in soft)}.", reason="Unclear", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, f"All {len(probes)} Windows Update endpoints answered.", evidence=ev)


# 19 SR.Hrw2.Connectivity -----------------------------------------------------------------------------
def _private(address: str | None) -> bool | None:
    try:
        return ipaddress.ip_address(address).is_private if address else None
    except ValueError:
        return None


def check_hrw2_connectivity(facts: Facts, ctx: RuleContext) -> Verdict:
    if hrw_extension(facts) is None:
        return not_applicable("the extension-based worker is not installed")
    probes = _made(facts.probes(kind="hrw2"))
    addresses = {_short(p): p.address for p in probes}
    ev: dict[str, Any] = {"probes": _evidence(probes), "addresses": addresses}
    if not probes:
        return Verdict(CheckResult.NOT_EVALUATED, "Not evaluated: the worker's hosts were not probed (no account URL "
                       "on the host, or a collector older than this rule).", reason="NotProbed", evidence=ev)  # fmt: skip
    bad = [f"{_short(p)} ({p.error or 'failed'})" for p in probes if not p.ok]
    if bad and all(p.ok for p in probes if p.name != "hrw2_agentsvc"):
        # the agentsvc name is derived from the jrds one by its inferred shape (§3.1 [I]): alone, it
        # never fails a host
        return Verdict(CheckResult.WARNING, f"The worker reaches its jrds host but not {', '.join(bad)}.",
                       reason="AgentsvcUnreachable",
                       evidence={**ev, "unverified": "the agentsvc host name is inferred from the jrds one "
                                 "(<accountId>.agentsvc.<region>..., successor-readiness.md §3.1)"})  # fmt: skip
    if bad:
        return Verdict(CheckResult.FAILED, "The worker cannot reach its Automation account (TCP 443 to "
                       f"*.azure-automation.net): {', '.join(bad)}.",
                       reason="Unreachable", evidence=ev)  # fmt: skip
    kinds = {_private(a) for a in addresses.values() if a}
    if kinds == {True, False}:
        return Verdict(CheckResult.WARNING, "The worker's hosts resolve partly to private, partly to public addresses: "
                       "a Private Link DNS zone (privatelink.azure-automation.net) that misses records?",
                       reason="MixedResolution",
                       evidence={**ev, "unverified": "umcheck does not know whether the account uses Private Link; "
                                 "which records the zone must hold is inferred (successor-readiness.md §3.2)"})  # fmt: skip
    return Verdict(CheckResult.PASSED, "The worker reaches its Automation account over TLS 443.", evidence=ev)


BOTH = ("windows", "linux")
CONNECTIVITY_RULES = [
    *successor_rule("SR.Arc.Endpoints", BOTH, ARC, "Arc endpoints reachable",
                    "The Connected Machine agent reaches its required endpoints over 443 (opt-in: azcmagent check).",
                    check_arc_endpoints, ("Passed", "PassedWithWarning", "Failed", "NotApplicable", "NotEvaluated"),
                    ("arc", "azure_vm", "probes")),
    *successor_rule("SR.Hrw2.Connectivity", BOTH, HRW2, "Worker reaches its account",
                    "DNS and TLS 443 to the worker's own jrds/agentsvc hosts (*.azure-automation.net).",
                    check_hrw2_connectivity, ("Passed", "PassedWithWarning", "Failed", "NotApplicable", "NotEvaluated"),
                    ("extensions", "probes")),
    *successor_rule("SR.Aum.WuEndpoints", ("windows",), AUM, "Windows Update endpoints",
                    "Without WSUS-only policy, the Windows Update client needs the Windows Update endpoints.",
                    check_wu_endpoints, ("Passed", "PassedWithWarning", "Failed", "NotApplicable", "NotEvaluated"),
                    ("windows_update", "probes")),
]  # fmt: skip
