"""Linux general network rules: proxy, IMDS, internet access, package repositories.

These are the official checks whose verdicts are most often wrong (a proxy is "a failure", any
HTTP reply is "IMDS reachable", any stderr line is "repositories unreachable"). umcheck keeps the
ids and judges what was actually observed; docs/deviations.md (Part 2) says where and why.
"""

from __future__ import annotations

from typing import Any

from umcheck.facts import Facts, NotCollected, Probe, Repos
from umcheck.results import CheckResult
from umcheck.rules.base import RuleContext, RuleSpec, Verdict
from umcheck.rules.linux_common import CONNECTIVITY, linux_spec, probe_evidence, reachability, redact

PASSED, FAILED = CheckResult.PASSED, CheckResult.FAILED

PROXY_VARS = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
# Probes of the endpoints the agent and worker need; a proxy that blocks one of them is a failure.
SERVICE_PROBES = ("agentsvc", "jrds", "jrds_recorded", "la1", "la2", "la3", "la4")


def check_proxy(facts: Facts, ctx: RuleContext) -> Verdict:
    px = facts.section("proxy")
    env = {k: redact(v) for k, v in px.env.items() if k in PROXY_VARS and v}
    agent_proxy = redact(px.agent_proxy)
    evidence: dict[str, Any] = {
        "env": env,
        "agent_proxy": agent_proxy,
        "agent_proxy_path": px.agent_proxy_path,
        "official_result": "Failed" if "HTTP_PROXY" in env else "Passed",  # it reads HTTP_PROXY only
    }
    if not env and not agent_proxy:
        return Verdict(
            PASSED,
            "No proxy is configured.",
            reason="no proxy environment variable and no agent proxy.conf",
            evidence=evidence,
        )
    shown = agent_proxy or next(iter(env.values()))
    try:
        via = [
            p
            for p in facts.probes()
            if p.via == "proxy" and p.name in SERVICE_PROBES and p.error != "skipped"
        ]
    except NotCollected:
        via = []
    evidence["probes_via_proxy"] = [probe_evidence(p) for p in via]
    blocked = [p for p in via if not p.ok]
    if blocked:
        hosts = ", ".join(f"{p.target} ({p.error or 'failed'})" for p in blocked)
        return Verdict(
            FAILED,
            f"A proxy is configured ({shown}) and it does not let the required endpoints through.",
            reason=f"proxy {shown} configured; unreachable through it: {hosts}",
            evidence=evidence,
        )
    if via:
        why = f"proxy {shown} configured; all {len(via)} required endpoint(s) probed through it are reachable"
    else:
        why = f"proxy {shown} configured; nothing was probed through it, so make sure it allows the prerequisite URLs"
    return Verdict(
        PASSED,
        f"A proxy is configured ({shown}); that alone is not a problem.",
        reason=why,
        evidence=evidence,
    )


def _imds_answered(p: Probe) -> bool:
    if p.kind == "tcp":
        return p.ok
    return p.ok and p.status is not None and 200 <= p.status < 300


def check_imds(facts: Facts, ctx: RuleContext) -> Verdict:
    r = reachability(facts, "imds")
    evidence = {"probes": r.evidence, "is_azure": ctx.is_azure}
    if any(_imds_answered(p) for p in r.probes):
        return Verdict(
            PASSED,
            "The instance metadata service (IMDS) answered.",
            reason="IMDS returned HTTP 2xx",
            evidence=evidence,
        )
    if ctx.is_azure is False:  # Q-L4b: IMDS exists only on Azure VMs
        return Verdict(
            PASSED,
            "Not an Azure VM: the IMDS check does not apply.",
            reason="not an Azure VM: IMDS is not expected to answer (the official script reports Failed)",
            evidence=evidence,
        )
    replied = next((p for p in r.probes if p.status is not None), None)
    if replied is not None:  # Q-L3c: the official script passes on any HTTP reply
        why = f"IMDS request got HTTP {replied.status}, not the metadata service's 200 (a proxy or filter answered)"
    else:
        why = f"IMDS is not reachable ({', '.join(sorted({p.error or 'failed' for p in r.probes}))})"
    if ctx.is_azure is None:
        why += "; ignore this if the machine is not an Azure VM"
    return Verdict(
        FAILED,
        "The machine cannot reach the instance metadata service (Azure VMs only).",
        reason=why,
        evidence=evidence,
    )


def check_internet(facts: Facts, ctx: RuleContext) -> Verdict:
    r = reachability(facts, "internet")
    targets: dict[str, bool] = {}
    for p in r.probes:
        targets[p.target] = targets.get(p.target, False) or p.ok
    down = [t for t, ok in targets.items() if not ok]
    evidence = {"probes": r.evidence}
    if not down:
        return Verdict(
            PASSED,
            "The machine is connected to the internet.",
            reason=f"reachable: {', '.join(targets)}",
            evidence=evidence,
        )
    return Verdict(
        FAILED,
        "The machine is not connected to the internet.",
        reason=f"unreachable: {', '.join(down)} (may be ignored when only the required URLs are allowed)",
        evidence=evidence,
    )


def repo_reachable(p: Probe) -> bool:
    """An HTTP answer below 400 - or 405, a server that refuses HEAD but is there (Q-L4e)."""
    if p.status is not None:
        return p.status < 400 or p.status == 405
    return p.ok


def check_repos(facts: Facts, ctx: RuleContext) -> Verdict:
    repos: Repos = facts.section("repos")
    if repos.family is None:  # Q-L1b: the official script crashes the whole run here
        raise NotCollected("repos", "unsupported distribution family: the repositories cannot be listed")
    evidence: dict[str, Any] = {
        "family": repos.family,
        "listing_ok": repos.listing_ok,
        "listing_error": (repos.listing_error or "")[:300] or None,
        "urls": list(repos.urls),
    }
    probes = [p for p in repos.probes if p.error != "skipped"]
    evidence["probes"] = [probe_evidence(p) for p in probes]
    if not probes:
        if repos.urls:
            raise NotCollected("repos", "repository URLs were listed but not probed")
        if repos.listing_ok:
            return Verdict(
                PASSED,
                "Repositories are configured and accessible.",
                reason="listing succeeded with nothing to probe (e.g. mirrorlist-only or zypper refresh ok)",
                evidence=evidence,
            )
        return Verdict(
            FAILED,
            "The package manager's repositories are not accessible.",
            reason=f"repository listing failed: {evidence['listing_error'] or 'no detail'}",
            evidence=evidence,
        )
    down = [p for p in probes if not repo_reachable(p)]
    if down:
        what = ", ".join(
            f"{p.target} ({f'HTTP {p.status}' if p.status is not None else p.error or 'failed'})"
            for p in down
        )
        return Verdict(
            FAILED,
            "The package manager's repositories are not accessible.",
            reason=f"unreachable: {what}",
            evidence=evidence,
        )
    why = f"all {len(probes)} repository host(s) answered"
    if not repos.listing_ok:  # Q-L4d: judged by the probes, not by warning text on stderr
        why += "; the listing reported errors, but every repository answered"
    return Verdict(PASSED, "Repositories are configured and accessible.", reason=why, evidence=evidence)


NETWORK_RULES: dict[str, RuleSpec] = {
    r.rule_id: r
    for r in (
        linux_spec("Linux.ProxyCheck", CONNECTIVITY, "Proxy enabled check",
                   "A configured proxy (environment or agent proxy.conf) must let the agent's endpoints through.",
                   ("Passed", "Failed"), check_proxy, ["proxy", "probes"]),
        linux_spec("Linux.ImdsCheck", CONNECTIVITY, "IMDS connectivity check",
                   "An Azure VM must reach the instance metadata service at 169.254.169.254 directly.",
                   ("Passed", "Failed"), check_imds, ["probes"]),
        linux_spec("Linux.InternetConnectionCheck", CONNECTIVITY, "General internet connectivity",
                   "General outbound HTTPS (bing.com:443); informational where only the required URLs are allowed.",
                   ("Passed", "Failed"), check_internet, ["probes"]),
        linux_spec("Linux.ReposAccessCheck", CONNECTIVITY, "Software repositories",
                   "The package manager's repositories must be reachable, or update installs fail.",
                   ("Passed", "Failed"), check_repos, ["repos"]),
    )
}  # fmt: skip
