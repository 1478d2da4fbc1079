"""Shared pieces of the Linux rules: groups, omsadmin.conf lookups, cloud detection, probe judging.

The official Linux script reads ``omsadmin.conf`` with "first line containing X" lookups and
probes with a raw IPv4 TCP connect. Here the collector has already read the file and made the
probes; these helpers turn those facts into the same inputs the official checks used, and keep
what was seen as evidence so a reader can tell *why* a verdict was reached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from umcheck.facts import Facts, NotCollected, OmsAgent, Probe
from umcheck.rules.base import Check, RuleContext, RuleSpec

LINUX = "linux"

# RuleGroupId -> RuleGroupName (doc headings; the Linux script never emits names, §3.1).
PREREQUISITES = ("prerequisites", "Prerequisite checks")
SERVICE_HEALTH = ("servicehealth", "Monitoring agent service health checks")
CONNECTIVITY = ("connectivity", "Connectivity checks")

AZURE_ASSET_TAG = "7783-7084-3265-9085-8269-3286-77"
OS_REQUIREMENTS_URL = (
    "https://docs.microsoft.com/en-Us/azure/automation/update-management/operating-system-requirements"
)
OMS_TROUBLESHOOTING_URL = (
    "https://github.com/Microsoft/OMS-Agent-for-Linux/blob/master/docs/Troubleshooting.md"
)
CURRENT_MOF_PATH = "/etc/opt/omi/conf/omsconfig/configuration/Current.mof"

_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")


def redact(value: str | None) -> str | None:
    """Drop ``user:password@`` from a proxy URL: evidence must never carry a credential."""
    return None if value is None else _USERINFO.sub("***@", value)


def host_of(value: str | None) -> str | None:
    """Host part of a URL (``https://h/x`` -> ``h``); a bare ``h/x`` gives ``h``."""
    if not value:
        return None
    value = value.strip()
    try:
        parts = urlsplit(value if "://" in value else f"//{value}")
        return (parts.hostname or "").strip() or None
    except ValueError:  # e.g. an unbalanced "[" - untrusted text from the host
        return None


def workspace_id(agent: OmsAgent) -> str | None:
    """Text after ``=`` of the first omsadmin.conf line containing ``WORKSPACE`` (official lookup)."""
    for key, value in agent.conf.items():
        if "WORKSPACE" in key or "WORKSPACE" in value:
            return value.strip() or None
    return None


def first_line_with(agent: OmsAgent, needle: str) -> tuple[str, str] | None:
    """(key, value) of the first omsadmin.conf line containing ``needle``, like the official grep."""
    for key, value in agent.conf.items():
        if needle in f"{key}={value}":
            return key, value
    return None


def cloud_from_conf(agent: OmsAgent | None) -> str | None:
    """Cloud from the ``OMS_ENDPOINT`` host: ``.us`` -> usgov, ``.cn`` -> china, else public."""
    if agent is None:
        return None
    host = host_of(agent.conf.get("OMS_ENDPOINT"))
    if not host:
        return None
    if host.endswith(".us"):
        return "usgov"
    if host.endswith(".cn"):
        return "china"
    return "public"


def resolve_cloud(agent: OmsAgent | None, ctx: RuleContext) -> tuple[str, str]:
    """(cloud, source): omsadmin.conf wins, as on the machine; the controller's cloud is the fallback."""
    cloud = cloud_from_conf(agent)
    if cloud is not None:
        return cloud, "omsadmin.conf OMS_ENDPOINT"
    return ctx.cloud, "controller context (no OMS_ENDPOINT on the host)"


def optional_section(facts: Facts, name: str) -> Any | None:
    try:
        return facts.section(name)
    except NotCollected:
        return None


def probe_evidence(p: Probe) -> dict[str, Any]:
    out: dict[str, Any] = {"target": p.target, "port": p.port, "via": p.via, "ok": p.ok}
    for key in ("status", "error", "detail"):
        value = getattr(p, key)
        if value is not None:
            out[key] = value if key != "detail" else str(value)[:200]
    return out


@dataclass(frozen=True)
class Reachability:
    """How the probes of one name came out: reachable at all, and by which path."""

    ok: bool
    via: str | None  # "direct" or "proxy" of the first successful probe
    probes: list[Probe]

    @property
    def evidence(self) -> list[dict[str, Any]]:
        return [probe_evidence(p) for p in self.probes]

    def summary(self, host: str) -> str:
        if self.ok:
            how = "through the configured proxy only" if self.via == "proxy" else "directly"
            return f"{host}:443 is reachable {how}"
        errors = sorted({p.error or "failed" for p in self.probes})
        return f"{host}:443 is not reachable ({', '.join(errors)})"


def reachability(facts: Facts, *names: str) -> Reachability:
    """Judge the probes called ``names[0]`` (or the next name when none was made).

    A probe that was not made is ``NotCollected`` (the rule becomes NotEvaluated), never a
    failure. A probe through the configured proxy that succeeds counts: the agent uses that
    proxy, the official raw-socket probe cannot (deviation Q-L6b).
    """
    for name in names:
        made = [p for p in facts.probes(name) if p.error != "skipped"]
        if made:
            direct = next((p for p in made if p.ok and p.via == "direct"), None)
            first_ok = direct or next((p for p in made if p.ok), None)
            return Reachability(first_ok is not None, first_ok.via if first_ok else None, made)
    skipped = [p for n in names for p in facts.probes(n)]
    why = f"was skipped ({skipped[0].detail or 'no detail'})" if skipped else "was not made"
    raise NotCollected("probes", f"the {'/'.join(names)} probe {why}")


def linux_spec(
    rule_id: str,
    group: tuple[str, str],
    name: str,
    description: str,
    results: Iterable[str],
    check: Check,
    needs: Iterable[str],
) -> RuleSpec:
    """A Linux RuleSpec; ``results`` are the id tails (``Passed``, ``Failed.NoWorkspace``)."""
    return RuleSpec.of(rule_id, LINUX, group, name, description, results, check, needs)
