"""What the successor rules share: their groups, the spec helper, the scope flags, NotApplicable.

Scope flags are decided first (successor-readiness.md §7): is this an Azure VM, is the Arc agent
installed, does the host want the extension-based worker. A rule outside its scope answers
NotApplicable — which never counts as Ready or Migrated evidence (docs/readiness.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from umcheck.facts import Facts, NotCollected
from umcheck.packs.successor.facts import ArcAgent, SvcState
from umcheck.results import CheckResult
from umcheck.rules.base import Check, RuleContext, RuleSpec, Verdict

ARC = ("arc", "Azure Arc agent")
AZURE_VM = ("azurevm", "Azure VM agent")
HRW2 = ("hrw2", "Extension-based Hybrid Runbook Worker")
AUM = ("aum", "Azure Update Manager")
LEFTOVERS = ("leftovers", "Legacy leftovers")

LEARN = "https://learn.microsoft.com/azure"


def successor_rule(rule_id: str, os_families: Iterable[str], group: tuple[str, str], name: str, description: str,
                   check: Check, outcomes: Iterable[str], needs: Iterable[str]) -> list[RuleSpec]:  # fmt: skip
    """One spec per OS the rule applies to (same RuleId; the catalog selects by OS). ``outcomes`` lists
    every result the check can return, NotApplicable included where it can (message_ids stay exact)."""
    outs = tuple(outcomes)
    return [RuleSpec.of(rule_id, os_family, group, name, description, outs, check, needs) for os_family in os_families]


def not_applicable(why: str, **evidence: Any) -> Verdict:
    return Verdict(CheckResult.NOT_APPLICABLE, f"Not applicable: {why}.", args=[], reason=why, evidence=evidence)


def service_evidence(services: Iterable[SvcState]) -> dict[str, Any]:
    return {s.name: (s.status if s.present else "missing") for s in services}


def optional(facts: Facts, name: str) -> Any:
    try:
        return facts.section(name)
    except NotCollected:
        return None


@dataclass(frozen=True)
class Scope:
    """Which successor pieces apply to this host, and why (kept as evidence)."""

    azure_vm: bool | None  # None: unknown
    arc: bool | None
    wants_hrw: bool
    azure_vm_basis: str
    hrw_basis: str

    def evidence(self) -> dict[str, Any]:
        return {"azure_vm": self.azure_vm, "azure_vm_basis": self.azure_vm_basis, "arc_installed": self.arc,
                "wants_hrw": self.wants_hrw, "hrw_basis": self.hrw_basis}  # fmt: skip


def _imds_answered(facts: Facts) -> bool | None:
    try:
        probes = facts.probes("imds")
    except NotCollected:
        return None
    if not probes:
        return None
    return any(p.ok and p.status is not None and 200 <= p.status < 300 for p in probes)


def scope_of(facts: Facts, ctx: RuleContext) -> Scope:
    arc: ArcAgent | None = optional(facts, "arc")
    vm = optional(facts, "azure_vm")
    if ctx.is_azure is not None:
        azure, basis = ctx.is_azure, "inventory (umcheck_is_azure)"
    elif vm is not None and any(s.present for s in vm.services):
        azure, basis = True, "Azure guest agent installed"
    elif _imds_answered(facts):
        azure, basis = True, "IMDS answered"
    elif vm is not None:
        azure, basis = False, "no Azure guest agent"
    else:
        azure, basis = None, "unknown (no azure_vm facts)"
    if ctx.wants_hrw is not None:
        wants, why = ctx.wants_hrw, "inventory (umcheck_wants_hrw)"
    else:
        wants, why = _has_worker(facts)
    return Scope(azure, arc.installed if arc is not None else None, wants, basis, why)


def _has_worker(facts: Facts) -> tuple[bool, str]:
    hrw = optional(facts, "hrw")
    if hrw is not None and any(_is_user_worker(r.group) for r in hrw.registrations):
        return True, "a V1 user Hybrid Runbook Worker is registered"
    ext = optional(facts, "extensions")
    if ext is not None and any("hybridworker" in e.name.lower() for e in ext.items):
        return True, "the extension-based worker is installed"
    worker = optional(facts, "worker")
    if worker is not None and getattr(worker, "user_workers", None):
        return True, "a V1 user Hybrid Runbook Worker is registered"
    return False, "no worker registered and umcheck_wants_hrw not set"


def _is_user_worker(group: str | None) -> bool:
    """System workers (Update Management) are named ``<FQDN>_<GUID>``; user groups are named freely."""
    if not group:
        return False
    head, _, tail = group.rpartition("_")
    return not (head and len(tail) == 36 and tail.count("-") == 4)


def minutes_since(when: str | None, now: datetime) -> float | None:
    """Minutes from an ISO 8601 time to ``now`` (a naive time is taken in now's zone); None if unusable."""
    if not when:
        return None
    try:
        t = datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=now.tzinfo)
    return round((now - t).total_seconds() / 60, 1)
