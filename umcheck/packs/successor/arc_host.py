"""Windows host prerequisites of the Arc agent: "Log on as a service" for himds and the TLS cipher
suites the agent needs (successor-readiness.md §2.3, §2.6; rules 10, 11)."""

from __future__ import annotations

import re

from umcheck.facts import Facts
from umcheck.packs.successor.common import ARC, not_applicable, scope_of, successor_rule
from umcheck.results import CheckResult
from umcheck.rules.base import RuleContext, Verdict

# prerequisites: NT SERVICE\himds needs "Log on as a service"; the policy may name it, ALL SERVICES
# (S-1-5-80-0, a well-known SID) or himds's service SID.
LOGON_HOLDERS = {"nt service\\himds", "nt service\\all services", "s-1-5-80-0",
                 "s-1-5-80-4215458991-2034252225-2287069555-1155419622-2701885083"}
# troubleshoot-networking: agent >= 1.56 (not WS2012/R2) needs one of these enabled.
REQUIRED_SUITES = ("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                   "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
ENFORCED_FROM, REVERTED_IN = (1, 56), (1, 64)  # 1.64 "Reverted custom cipher-suite enforcement" [U]


def _installed(facts: Facts, ctx: RuleContext):
    arc = facts.section("arc")  # not collected -> NotEvaluated
    if not arc.installed:
        return arc, not_applicable("the Arc agent is not installed", **scope_of(facts, ctx).evidence())
    return arc, None


# 10 SR.Arc.ServiceLogonRight (Windows) -------------------------------------------------------------------
def check_service_logon(facts: Facts, ctx: RuleContext) -> Verdict:
    arc, na = _installed(facts, ctx)
    if na:
        return na
    right = arc.service_logon
    if right is None or right.gpo_defined is None:
        why = right.error if right is not None and right.error else "not collected"
        return Verdict(CheckResult.NOT_EVALUATED, f"Not evaluated: the Group Policy user rights could not be read ({why}).",
                       reason="NotCollected", evidence={"error": why})  # fmt: skip
    ev = {"gpo_defined": right.gpo_defined, "holders": right.holders}
    if not right.gpo_defined:
        return Verdict(CheckResult.PASSED, "\"Log on as a service\" is not set by Group Policy: the local default lets "
                       "service accounts log on.", evidence=ev)  # fmt: skip
    names = {h.strip().lstrip("*").lower() for h in right.holders}
    if names & LOGON_HOLDERS:
        return Verdict(CheckResult.PASSED, "Group Policy grants \"Log on as a service\" to the Arc identity service.",
                       evidence=ev)  # fmt: skip
    return Verdict(CheckResult.FAILED, "Group Policy sets \"Log on as a service\" without NT SERVICE\\himds or NT "
                   "SERVICE\\ALL SERVICES: himds cannot start.", reason="HimdsMissing", evidence=ev)  # fmt: skip


# 11 SR.Arc.TlsCipherSuites (Windows) ---------------------------------------------------------------------
def _version(text: str | None) -> tuple[int, int] | None:
    m = re.match(r"^\s*(\d+)\.(\d+)", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def _is_2012(facts: Facts) -> bool:
    os_facts = facts.section("os")
    return bool(re.match(r"^6\.[23]\.", os_facts.version or ""))


def check_cipher_suites(facts: Facts, ctx: RuleContext) -> Verdict:
    arc, na = _installed(facts, ctx)
    if na:
        return na
    if _is_2012(facts):
        return not_applicable("Windows Server 2012/2012 R2 is exempt from the cipher-suite requirement")
    if arc.tls_cipher_suites is None:
        return Verdict(CheckResult.NOT_EVALUATED, "Not evaluated: the enabled TLS cipher suites were not collected.",
                       reason="NotCollected", evidence={})  # fmt: skip
    enabled = [s for s in REQUIRED_SUITES if s.lower() in {n.lower() for n in arc.tls_cipher_suites}]
    ver = _version(arc.version)
    ev = {"required_enabled": enabled, "agent_version": arc.version, "suites_enabled": len(arc.tls_cipher_suites)}
    if enabled:
        return Verdict(CheckResult.PASSED, f"A cipher suite the agent needs is enabled ({enabled[0]}).", evidence=ev)
    if ver is not None and ver < ENFORCED_FROM:
        return Verdict(CheckResult.PASSED, f"Agent {arc.version} predates the cipher-suite requirement (1.56).",
                       evidence=ev)  # fmt: skip
    if ver is None or ver >= REVERTED_IN:
        ev["unverified"] = "agent 1.64 notes 'Reverted custom cipher-suite enforcement'; whether it still applies is unverified"
        return Verdict(CheckResult.WARNING, "None of the cipher suites the agent required from 1.56 is enabled; 1.64 "
                       "reverted the enforcement (unverified), so this is a warning.", reason="NoneEnabled",
                       evidence=ev)  # fmt: skip
    return Verdict(CheckResult.FAILED, f"Agent {arc.version} needs TLS_AES_*_GCM_* or TLS_ECDHE_RSA_WITH_AES_*_GCM_* "
                   "enabled, and none is: it cannot reach Azure.", reason="NoneEnabled", evidence=ev)  # fmt: skip


ARC_HOST_RULES = [
    *successor_rule("SR.Arc.ServiceLogonRight", ("windows",), ARC, "Arc service logon right",
                    "NT SERVICE\\himds needs \"Log on as a service\" where Group Policy defines that right.",
                    check_service_logon, ("Passed", "Failed", "NotEvaluated", "NotApplicable"), ("arc", "azure_vm")),
    *successor_rule("SR.Arc.TlsCipherSuites", ("windows",), ARC, "Arc TLS cipher suites",
                    "Agents from 1.56 need a TLS 1.3 or ECDHE-RSA AES-GCM suite pair enabled.",
                    check_cipher_suites, ("Passed", "PassedWithWarning", "Failed", "NotEvaluated", "NotApplicable"),
                    ("arc", "azure_vm", "os")),
]  # fmt: skip
