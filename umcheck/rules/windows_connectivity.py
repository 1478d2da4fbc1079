"""Connectivity rules: registration, operations (JRDS), HTTPS, proxy, IMDS, Log Analytics ODS/OMS.

The host made the probes (in parallel, with deadlines; quirk Q-W4); these rules only judge
them. Endpoints come from the probes' targets, which the controller derived from the cloud and
region tables or the machine's own records, never from the official script's eus2 default (Q-W5).
A probe that was not made means NotEvaluated, not a guess.
"""

from __future__ import annotations

from typing import Any

from umcheck.endpoints import normalize_location, official_windows_hosts
from umcheck.facts import Facts, NotCollected, Probe, WinProxy
from umcheck.results import CheckResult
from umcheck.rules.base import RuleContext, Verdict
from umcheck.rules.windows_common import (
    CONNECTIVITY,
    first_named,
    probe_evidence,
    tcp_failure_text,
    via_pair,
    windows_rule,
    workspace_probe,
)
from umcheck.rules.windows_workspace import MULTIPLE, WorkspaceResolution, none_text, workspace_of


def _allow_text(target: str) -> str:
    return f"Firewall and proxy must let the Hybrid Runbook Worker agent reach {target} on TCP 443."


def _tcp_verdict(probe: Probe, evidence: dict[str, Any], description: str | None = None) -> Verdict:
    evidence = {**evidence, "probe": probe_evidence(probe)}
    if probe.ok:
        return Verdict(
            CheckResult.PASSED,
            f"TCP connection to {probe.target} (port {probe.port}) succeeded.",
            args=[probe.target],
            evidence=evidence,
            description=description,
        )
    return Verdict(
        CheckResult.FAILED,
        tcp_failure_text(probe) + ".",
        args=[probe.target],
        reason="TcpFailed",
        evidence=evidence,
        description=description,
    )


def _official(ctx: RuleContext, workspace: str, name: str) -> str:
    return official_windows_hosts(ctx.location, workspace)[name]


def _no_registration(res: WorkspaceResolution, suffix: str | None) -> Verdict:
    """The official no-workspace branch: no probe, arguments null (Q-W3), reason kept (Q-W2/Q-W7)."""
    return Verdict(
        CheckResult.FAILED,
        "No workspace registration was found: " + none_text(res),
        suffix=suffix,
        args=None,
        reason="MultipleWorkspaces" if res.official == MULTIPLE else "NoRegistrationFound",
        evidence={**res.evidence(), "workspace_reason": res.reason},
    )


# ----------------------------------------------------------------------------------------------
# W4 AutomationAgentServiceConnectivityCheck1 (registration endpoint)


def check_agentsvc(facts: Facts, ctx: RuleContext) -> Verdict:
    res = workspace_of(facts)
    if res.workspace is None:
        return _no_registration(res, "NoRegistrationFound")
    probe = workspace_probe(facts, "agentsvc", res.workspace)
    ev = {"workspace": res.workspace, "official_host": _official(ctx, res.workspace, "agentsvc")}
    return _tcp_verdict(probe, ev, _allow_text(probe.target))


# ----------------------------------------------------------------------------------------------
# W5 AutomationJobRuntimeDataServiceConnectivityCheck (operations endpoint)


def check_jrds(facts: Facts, ctx: RuleContext) -> Verdict:
    """The JRDS URI recorded on the machine first, then the region's documented record (Q-W5a)."""
    try:
        name, probes = first_named(facts, ("jrds_recorded", "jrds"))
    except NotCollected:
        facts.section("probes")  # a missing probes section is reported as such
        loc = normalize_location(ctx.location)
        where = f"region {loc!r}" if loc else "an unknown region (no account location given)"
        why = (
            f"no JRDS endpoint known for {where}: the machine records no JRDS URI and the region has no "
            "documented record (the official script would probe eus2)"
        )
        # NotEvaluated with evidence (Q-W5a): the host the official script would have probed.
        return Verdict(
            CheckResult.NOT_EVALUATED,
            f"Not evaluated: the 'probes' facts were not collected ({why}).",
            args=[],
            reason=f"probes: {why}",
            evidence={"official_host": _official(ctx, "", "jrds")},
        )
    unique = list({p.target.lower(): p for p in probes}.values())
    failing = [p for p in unique if not p.ok]
    decisive = failing[0] if failing else unique[0]
    ev: dict[str, Any] = {
        "source": "recorded" if name == "jrds_recorded" else "region-table",
        "targets": [p.target for p in unique[:8]],
        "official_host": _official(ctx, "", "jrds"),
    }
    return _tcp_verdict(decisive, ev, _allow_text(decisive.target))


# ----------------------------------------------------------------------------------------------
# W15 HttpsConnection


# Statuses that only a proxy (gateway) gives for a request sent through it: authentication
# required, and "could not reach / no answer from the upstream server". A probe through the
# proxy that gets one of these did not reach the endpoint, whatever its ``ok`` says.
PROXY_STATUSES: frozenset[int] = frozenset({407, 502, 504})


def https_works(probe: Probe | None) -> bool:
    """A real HTTP answer from the endpoint (any status) proves DNS, TCP, TLS and HTTP work.

    A proxy's own refusal (error class ``proxy``, 407, or a gateway error 502/504 through the
    proxy) is a failure even though it carries a status — the official script counts any
    "Forbidden" as success (Q-W6b), and any other error of the first request sends it to the
    direct retry.
    """
    if probe is None or probe.error == "proxy" or probe.status == 407:
        return False
    if probe.via == "proxy" and probe.status in PROXY_STATUSES:
        return False
    return probe.ok or probe.status is not None


def http_2xx(probe: Probe | None) -> bool:
    """The request succeeded: ``ok`` and a 2xx status (what ``Invoke-RestMethod`` does not throw on)."""
    return probe is not None and probe.ok and probe.status is not None and 200 <= probe.status < 300


def check_https(facts: Facts, ctx: RuleContext) -> Verdict:
    """Always a row (Q-W6a): the official script emits none for errors it does not recognise."""
    name, probes = first_named(facts, ("https_recorded", "https"))
    proxy, direct = via_pair(probes)
    first = proxy or direct
    assert first is not None  # first_named returned at least one probe of this name
    ev: dict[str, Any] = {
        "source": "recorded" if name == "https_recorded" else "region-table",
        "proxy": probe_evidence(proxy) if proxy else None,
        "direct": probe_evidence(direct) if direct else None,
        "official_url": official_windows_hosts(ctx.location, "")["https"],
    }
    if https_works(first):
        return Verdict(CheckResult.PASSED, f"HTTPS requests to {first.target} work.", evidence=ev)
    if direct is not None and direct is not first and https_works(direct):
        return Verdict(
            CheckResult.WARNING,
            f"HTTPS to {direct.target} works only without the configured proxy "
            f"({first.error or first.status or 'failed'}); the proxy must allow the Automation endpoints.",
            reason="ProxyFailed",
            evidence=ev,
        )
    last = direct or first
    return Verdict(
        CheckResult.FAILED,
        f"HTTPS requests to {last.target} fail ({last.error or last.status or 'failed'}"
        + (f": {last.detail[:120]}" if last.detail else "")
        + ").",
        args=[last.target],
        reason="HttpsFailed",
        evidence=ev,
    )


# ----------------------------------------------------------------------------------------------
# W16 ProxySettings


def check_proxy(facts: Facts, ctx: RuleContext) -> Verdict:
    """Reads the settings as data, not ``netsh`` English text (Q-W8a), and includes the proxies
    the agent really uses (its own setting, the SYSTEM account's WinINET, machine policy)."""
    px: WinProxy = facts.section("proxy")
    found = {
        k: v
        for k, v in (
            ("winhttp", px.winhttp_proxy),
            ("agent", px.agent_proxy),
            ("wininet_system", px.wininet_system_proxy),
            ("wininet_policy", px.wininet_policy_proxy),
        )
        if v
    }
    ev: dict[str, Any] = {"proxies": found, "winhttp_bypass": px.winhttp_bypass}
    if not found:
        return Verdict(CheckResult.PASSED, "No proxy is configured (WinHTTP direct access).", evidence=ev)
    listing = ", ".join(f"{k} {v}" for k, v in found.items())
    return Verdict(
        CheckResult.WARNING,
        f"A proxy is configured ({listing}); it must allow the Update Management endpoints.",
        reason="ProxyConfigured",
        evidence=ev,
    )


# ----------------------------------------------------------------------------------------------
# W17 IMDSConnectivity


def check_imds(facts: Facts, ctx: RuleContext) -> Verdict:
    """Official severities kept: reachable only without the proxy is Failed, unreachable a warning."""
    _, probes = first_named(facts, ("imds",))
    proxy, direct = via_pair(probes)
    first = proxy or direct
    assert first is not None
    ev: dict[str, Any] = {
        "proxy": probe_evidence(proxy) if proxy else None,
        "direct": probe_evidence(direct) if direct else None,
        "is_azure": ctx.is_azure,
    }
    # Invoke-RestMethod throws on any non-2xx answer (a proxy's 502 error page included), so
    # only a 2xx counts as an answer, as in the Linux rule.
    if http_2xx(first):
        return Verdict(CheckResult.PASSED, "The Azure instance metadata service (IMDS) answers.", evidence=ev)
    if direct is not None and direct is not first and http_2xx(direct):
        return Verdict(
            CheckResult.FAILED,
            "IMDS answers only when the proxy is bypassed; exclude 169.254.169.254 from the proxy.",
            reason="ProxyBlocksImds",
            evidence=ev,
        )
    note = (
        " This is expected on machines outside Azure."
        if ctx.is_azure is False
        else (" Treat this as a failure if this is an Azure VM.")
    )
    return Verdict(
        CheckResult.WARNING,
        "The Azure instance metadata service (IMDS) cannot be reached." + note,
        reason="ImdsUnreachable",
        evidence=ev,
    )


# ----------------------------------------------------------------------------------------------
# W19 LAOdsEndpointConnectivity / W20 LAOmsEndpointConnectivity


def _la_check(name: str):
    def check(facts: Facts, ctx: RuleContext) -> Verdict:
        res = workspace_of(facts)
        if res.workspace is None:  # official id has no suffix here (Q-W2)
            return _no_registration(res, None)
        probe = workspace_probe(facts, name, res.workspace)
        return _tcp_verdict(
            probe, {"workspace": res.workspace, "official_host": _official(ctx, res.workspace, name)}
        )

    check.__name__ = f"check_la_{name}"
    check.__doc__ = (
        f"W-A, then the TCP probe of the workspace's {name} endpoint (official host kept as evidence, Q-W5b)."
    )
    return check


_TCP = ("Passed", "Failed")

AGENT_SERVICE = windows_rule(
    "AutomationAgentServiceConnectivityCheck1",
    CONNECTIVITY,
    "Registration endpoint",
    "Firewall and proxy must let the Hybrid Runbook Worker agent reach the workspace's Automation agent service.",
    check_agentsvc,
    (*_TCP, "Failed.NoRegistrationFound"),
    ("workspaces", "probes"),
)
JRDS = windows_rule(
    "AutomationJobRuntimeDataServiceConnectivityCheck",
    CONNECTIVITY,
    "Operations endpoint",
    "Firewall and proxy must let the Hybrid Runbook Worker agent reach the Automation job runtime data service.",
    check_jrds,
    _TCP,
    ("probes",),
)
HTTPS = windows_rule(
    "HttpsConnection",
    CONNECTIVITY,
    "Https connection",
    "The machine must be able to make HTTPS requests to the Automation service.",
    check_https,
    ("Passed", "PassedWithWarning", "Failed"),
    ("probes",),
)
PROXY = windows_rule(
    "ProxySettings",
    CONNECTIVITY,
    "Proxy settings",
    "Reports whether a proxy is configured on the machine.",
    check_proxy,
    ("Passed", "PassedWithWarning"),
    ("proxy",),
)
IMDS = windows_rule(
    "IMDSConnectivity",
    CONNECTIVITY,
    "IMDS endpoint connectivity",
    "An Azure VM must reach the instance metadata service (IMDS) to identify itself.",
    check_imds,
    ("Passed", "Failed", "PassedWithWarning"),
    ("probes",),
)
LA_ODS = windows_rule(
    "LAOdsEndpointConnectivity",
    CONNECTIVITY,
    "LA ODS endpoint",
    "Firewall and proxy must let the agent reach the Log Analytics data ingestion (ODS) endpoint.",
    _la_check("ods"),
    _TCP,
    ("workspaces", "probes"),
)
LA_OMS = windows_rule(
    "LAOmsEndpointConnectivity",
    CONNECTIVITY,
    "LA OMS endpoint",
    "Firewall and proxy must let the agent reach the Log Analytics configuration (OMS) endpoint.",
    _la_check("oms"),
    _TCP,
    ("workspaces", "probes"),
)
