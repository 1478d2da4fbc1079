"""Linux service endpoint rules: registration (agent service), operations (JRDS), Log Analytics.

The official script reads the hosts from the machine's own configuration (omsadmin.conf,
worker.conf) and makes a raw TCP connect to port 443. The collector does the same with a
timeout and, when a proxy is configured, also through the proxy; these rules judge those probes.
"""

from __future__ import annotations

import re
from typing import Any

from umcheck.facts import Facts, LinuxWorker, NotCollected, OmsAgent
from umcheck.results import CheckResult
from umcheck.rules.base import Check, RuleContext, RuleSpec, Verdict
from umcheck.rules.linux_common import (
    CONNECTIVITY,
    Reachability,
    first_line_with,
    host_of,
    linux_spec,
    optional_section,
    reachability,
    resolve_cloud,
    workspace_id,
)

PASSED, FAILED = CheckResult.PASSED, CheckResult.FAILED

# Older agents were onboarded with the region-wide record (the doc's sample shows
# scus-agentservice-prod-1.azure-automation.net); it contains no "agentsvc" (Q-L4c).
REGIONAL_AGENT_SERVICE = re.compile(
    r"^[a-z0-9]+-agentservice-prod-(?:1|su1)\.azure-automation\.(?:net|us|cn|de)$", re.I
)

# Linux.LogAnalyticsConnectivityCheck<N> per cloud, as the official script numbers them, with what
# each host really is (Q-L5). "*" is the workspace id.
LA_ENDPOINTS: dict[str, list[tuple[str, str]]] = {
    "usgov": [
        ("usge-jobruntimedata-prod-1.usgovtrafficmanager.net",
         "Automation operations endpoint (JRDS, legacy US Gov Virginia traffic-manager name), not Log Analytics"),
        ("usge-agentservice-prod-1.usgovtrafficmanager.net",
         "Automation registration endpoint (agent service, legacy US Gov Virginia traffic-manager name), not Log Analytics"),
        ("*.ods.opinsights.azure.us", "Log Analytics data ingestion endpoint (ODS)"),
        ("*.oms.opinsights.azure.us", "Log Analytics onboarding/configuration endpoint (OMS)"),
    ],
    "china": [
        ("*.ods.opinsights.azure.cn", "Log Analytics data ingestion endpoint (ODS)"),
        ("*.oms.opinsights.azure.cn", "Log Analytics onboarding/configuration endpoint (OMS)"),
    ],
    "public": [
        ("*.ods.opinsights.azure.com", "Log Analytics data ingestion endpoint (ODS)"),
        ("*.oms.opinsights.azure.com", "Log Analytics onboarding/configuration endpoint (OMS)"),
    ],
}  # fmt: skip


def probe_verdict(r: Reachability, host: str, what: str, evidence: dict[str, Any]) -> Verdict:
    """Passed/Failed from a probe judgement, with the official ``[host]`` argument."""
    ev = {**evidence, "endpoint": host, "probes": r.evidence}
    if r.ok:
        return Verdict(
            PASSED,
            f"TCP connection to the {what} {host}:443 succeeded.",
            args=[host],
            reason=r.summary(host),
            evidence=ev,
        )
    return Verdict(
        FAILED,
        f"TCP connection to the {what} {host}:443 failed.",
        args=[host],
        reason=r.summary(host),
        evidence=ev,
    )


def agent_service_endpoint(agent: OmsAgent) -> tuple[str | None, str]:
    """(host, where it came from): the official 'agentsvc' line, else a regional DSC_ENDPOINT."""
    hit = first_line_with(agent, "agentsvc")
    if hit is not None and host_of(hit[1]):
        return host_of(hit[1]), f"omsadmin.conf {hit[0]}"
    dsc = host_of(agent.conf.get("DSC_ENDPOINT"))
    if dsc and REGIONAL_AGENT_SERVICE.match(dsc):
        return (
            dsc,
            "omsadmin.conf DSC_ENDPOINT (regional record; the official script reports UnableToGetEndpoint)",
        )
    return None, "none"


def check_agent_service(facts: Facts, ctx: RuleContext) -> Verdict:
    agent: OmsAgent = facts.section("oms_agent")
    host, source = agent_service_endpoint(agent)
    if host is None:
        why = (
            "omsadmin.conf is missing"
            if not agent.omsadmin_conf_present
            else "omsadmin.conf has no agent service endpoint (DSC_ENDPOINT)"
        )
        return Verdict(
            FAILED,
            "Unable to get the registration (agent service) endpoint from omsadmin.conf.",
            suffix="UnableToGetEndpoint",
            reason=f"{why}: the agent is not onboarded to Automation",
            evidence={
                "omsadmin_conf_present": agent.omsadmin_conf_present,
                "dsc_endpoint": agent.conf.get("DSC_ENDPOINT"),
            },
        )
    return probe_verdict(reachability(facts, "agentsvc"), host, "registration endpoint", {"source": source})


def check_jrds(facts: Facts, ctx: RuleContext) -> Verdict:
    w: LinuxWorker = facts.section("worker")
    host = host_of(w.jrds_base_uri)
    if host is None:
        return Verdict(
            FAILED,
            "Unable to get the operations (JRDS) endpoint from worker.conf.",
            suffix="UnableToGetEndpoint",
            reason="worker.conf is missing or has no jrds_base_uri: the system worker was never registered",
            evidence={"worker_conf_present": w.worker_conf_present, "jrds_base_uri": w.jrds_base_uri},
        )
    r = reachability(facts, "jrds", "jrds_recorded")
    return probe_verdict(r, host, "operations endpoint", {"source": "worker.conf jrds_base_uri"})


def _la_check(n: int) -> Check:
    def check(facts: Facts, ctx: RuleContext) -> Verdict | None:
        agent: OmsAgent | None = optional_section(facts, "oms_agent")
        cloud, cloud_source = resolve_cloud(agent, ctx)
        table = LA_ENDPOINTS.get(cloud, LA_ENDPOINTS["public"])
        if n > len(table):
            return None  # the official script emits this id only in US Gov
        template, role = table[n - 1]
        if agent is None:
            raise NotCollected("oms_agent", facts.missing.get("oms_agent", "not collected"))
        ws = workspace_id(agent)
        evidence: dict[str, Any] = {"cloud": cloud, "cloud_source": cloud_source, "endpoint_role": role}
        if "*" in template and ws is None:
            return Verdict(
                FAILED,
                f"TCP connection to {template}:443 was not attempted: the workspace is unknown.",
                args=[template],
                reason=f"{role}: no WORKSPACE_ID in omsadmin.conf, so the host cannot be built",
                evidence={**evidence, "endpoint": template},
            )
        host = template.replace("*", ws or "")
        v = probe_verdict(reachability(facts, f"la{n}"), host, "endpoint", evidence)
        return Verdict(v.result, v.message, args=v.args, reason=f"{role}: {v.reason}", evidence=v.evidence)

    return check


def _la_spec(n: int) -> RuleSpec:
    return linux_spec(
        f"Linux.LogAnalyticsConnectivityCheck{n}", CONNECTIVITY, f"Log Analytics endpoint {n}",
        "The machine must reach this service endpoint on TCP 443. Numbers 1-2 are the Log Analytics ODS/OMS "
        "endpoints, except in US Gov where 1-2 are Automation endpoints and 3-4 are ODS/OMS.",
        ("Passed", "Failed"), _la_check(n), ["oms_agent", "probes"],
    )  # fmt: skip


ENDPOINT_RULES: list[RuleSpec] = [
    linux_spec("Linux.AgentServiceConnectivityCheck", CONNECTIVITY, "Registration endpoint",
               "The machine must reach the Automation agent service it was onboarded with (omsadmin.conf) on TCP 443.",
               ("Passed", "Failed", "Failed.UnableToGetEndpoint"), check_agent_service, ["oms_agent", "probes"]),
    linux_spec("Linux.JRDSConnectivityCheck", CONNECTIVITY, "Operations endpoint",
               "The system worker must reach the job runtime data service recorded in its worker.conf on TCP 443.",
               ("Passed", "Failed", "Failed.UnableToGetEndpoint"), check_jrds, ["worker", "probes"]),
    *(_la_spec(n) for n in (1, 2, 3, 4)),
]  # fmt: skip
