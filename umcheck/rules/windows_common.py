"""Pieces shared by the Windows rules: official group identities, version parsing, probe picking.

The official script builds every row by hand; here the identity fields are declared once so
that the 20 rules cannot drift in casing (``machineSettings``) or group naming.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from umcheck.facts import Facts, NotCollected, Probe
from umcheck.rules.base import Check, RuleSpec

# (RuleGroupId, RuleGroupName) exactly as the official script emits them.
PREREQUISITES = ("prerequisites", "Prerequisite Checks")
CONNECTIVITY = ("connectivity", "connectivity")
SERVICE_HEALTH = ("servicehealth", "VM Service Health Checks")
WU_SERVICE_HEALTH = ("servicehealth", "WU Service Health Check")  # same id, other name (official)
PERMISSIONS = ("permissions", "Access Permission Checks")
MACHINE_SETTINGS = ("machineSettings", "Machine Override Checks")

MMA_ARGS = ["Microsoft Monitoring Agent", "HealthService"]


def windows_rule(
    rule_id: str,
    group: tuple[str, str],
    name: str,
    description: str,
    check: Check,
    outcomes: Iterable[str],
    needs: Iterable[str],
) -> RuleSpec:
    """A Windows RuleSpec whose message ids are ``<rule_id>.<outcome>`` for each listed outcome."""
    return RuleSpec.of(rule_id, "windows", group, name, description, outcomes, check, needs)


def parse_version(text: str | None) -> tuple[int, ...] | None:
    """``"6.1.7601.65536"`` -> ``(6, 1, 7601, 65536)``; None when it is not a dotted version.

    Tuple order matches ``System.Version`` comparison, including that ``6.1.8400.0`` sorts
    after ``6.1.8400`` (a missing component is smaller than any present one).
    """
    if not text:
        return None
    parts = text.strip().lstrip("vV").split(".")
    if not 1 <= len(parts) <= 4 or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


def require_version(section: str, text: str | None) -> tuple[int, ...]:
    """The parsed version, or NotCollected: a rule must not guess from a garbled value."""
    version = parse_version(text)
    if version is None:
        raise NotCollected(section, f"unusable version value {text!r:.40}")
    return version


def probe_evidence(probe: Probe) -> dict[str, Any]:
    """The few probe fields that explain a decision (detail is the host's own text, trimmed)."""
    out: dict[str, Any] = {"target": probe.target, "via": probe.via, "ok": probe.ok}
    if probe.port != 443:
        out["port"] = probe.port
    if probe.status is not None:
        out["status"] = probe.status
    if probe.error:
        out["error"] = probe.error
    if probe.detail:
        out["detail"] = probe.detail[:200]
    out["elapsed_ms"] = probe.elapsed_ms
    return out


def first_named(facts: Facts, names: Iterable[str]) -> tuple[str, list[Probe]]:
    """Probes of the first name (in preference order) that has any; NotCollected if none has."""
    names = list(names)
    for name in names:
        probes = facts.probes(name)
        if probes:
            return name, probes
    raise NotCollected("probes", f"no {' / '.join(names)} probe was made")


def workspace_probe(facts: Facts, name: str, workspace: str) -> Probe:
    """The ``name`` probe made for ``workspace`` (agentsvc, ods and oms are per workspace)."""
    want = workspace.lower()
    for probe in facts.probes(name):
        if (probe.workspace or "").lower() == want:
            return probe
    raise NotCollected("probes", f"no {name} probe was made for workspace {workspace}")


def via_pair(probes: list[Probe]) -> tuple[Probe | None, Probe | None]:
    """(proxy, direct) from an https/imds probe list; the collector reports both when it can."""
    proxy = next((p for p in probes if p.via == "proxy"), None)
    direct = next((p for p in probes if p.via == "direct"), None)
    return proxy, direct


def tcp_failure_text(probe: Probe) -> str:
    why = probe.error or "failed"
    return f"TCP connection to {probe.target} (port {probe.port}) failed: {why}"
