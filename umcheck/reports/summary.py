"""The fleet figures every report shares: totals, the "fix these first" ranking, not-Ready hosts.

Computed once per report run so that the terminal, HTML, Markdown, JSON and Prometheus outputs
can never disagree about a number. The figures are of the merged state: outcomes carried forward
from earlier runs count like any other (they are what is known about the host), and the summary
says how many there are, how old the oldest is, and which hosts have rules with no result at all.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from umcheck.packs import is_successor
from umcheck.results import (
    CheckResult,
    FleetResult,
    HostResult,
    HostStatus,
    Readiness,
    Remediation,
    RuleOutcome,
)

UNRECORDED = "unrecorded"  # scope label of a run written before runs recorded their scope
READINESS_ORDER: tuple[str, ...] = tuple(r.value for r in Readiness)
STATUS_ORDER: tuple[str, ...] = tuple(s.value for s in HostStatus)

# Our own advice for hosts whose scan failed (no rule could run, so the catalog has nothing).
SCAN_FAILURE_HINTS: dict[str, str] = {
    HostStatus.UNREACHABLE: "Check DNS, routing and firewalls from the jump host to WinRM (5985/5986) or SSH (22).",
    HostStatus.AUTH_FAILED: "Check the credentials and auth mechanism (ansible_user, ansible_winrm_transport, SSH key).",
    HostStatus.TLS_ERROR: "Check the WinRM HTTPS certificate or the CA bundle / cert validation setting.",
    HostStatus.PROTOCOL_ERROR: "Check the WinRM/PSRP listener (winrm quickconfig) and the host error, then re-check.",
    HostStatus.TIMEOUT: "The host did not finish in time: check its load or raise the per-host timeout.",
    HostStatus.COLLECTOR_ERROR: "The fact collector failed on the host: see the host error and collector errors.",
    HostStatus.CANCELLED: "The run was interrupted before this host finished: re-check with --rerun-failed.",
    HostStatus.SKIPPED: "Skipped by the plan: nothing was checked.",
}


@dataclass(frozen=True)
class MessageFix:
    """One failure message id within a rule, its remediation and how many hosts show it."""

    message_id: str
    message: str
    remediation: Remediation | None
    hosts: int


@dataclass(frozen=True)
class RuleGroup:
    """A failing rule and every host it fails on: one item of the "fix these first" list."""

    rule_id: str
    rule_name: str
    group_name: str
    hosts: tuple[str, ...]
    fixes: tuple[MessageFix, ...]  # most common message id first
    # Hosts whose failure was carried forward from an earlier run: still the merged state (so
    # counted in ``hosts``), but a fix made since would not show until the rule is re-checked.
    carried_hosts: tuple[str, ...] = ()

    @property
    def headline(self) -> str:
        """One line of advice: the most common remediation summary, else the message."""
        for fix in self.fixes:
            if fix.remediation is not None and fix.remediation.summary:
                return fix.remediation.summary
        return self.fixes[0].message if self.fixes else ""


@dataclass(frozen=True)
class ScanFailureGroup:
    status: str
    hosts: tuple[str, ...]
    hint: str


@dataclass(frozen=True)
class FleetSummary:
    run_id: str
    started: str
    finished: str | None
    duration_s: float | None
    interrupted: bool
    hosts_total: int
    readiness: dict[str, int]  # all four states, fixed order
    status: dict[str, int]  # every status, fixed order
    failing_rules: tuple[RuleGroup, ...]
    scan_failures: tuple[ScanFailureGroup, ...]
    not_ready: tuple[HostResult, ...]
    warnings: int
    scope: str = UNRECORDED  # the run's scope label
    partial_run: bool = False  # the run checked only some rules or hosts
    carried_outcomes: int = 0  # outcomes carried forward from earlier runs, not evaluated now
    hosts_with_carried: int = 0
    oldest_carried_age_seconds: int | None = None  # None when nothing was carried
    partial_hosts: tuple[HostResult, ...] = ()  # hosts with rules that have no result at all

    def to_dict(self) -> dict[str, object]:
        return {
            "hosts_total": self.hosts_total,
            "readiness": dict(self.readiness),
            "status": dict(self.status),
            "not_ready": len(self.not_ready),
            "warnings": self.warnings,
            "duration_seconds": self.duration_s,
            "failing_rules": [
                {
                    "rule_id": g.rule_id,
                    "rule_name": g.rule_name,
                    "hosts": len(g.hosts),
                    "carried_hosts": len(g.carried_hosts),
                }
                for g in self.failing_rules
            ],
            "scope": self.scope,
            "partial_run": self.partial_run,
            "carried_outcomes": self.carried_outcomes,
            "hosts_with_carried": self.hosts_with_carried,
            "oldest_carried_age_seconds": self.oldest_carried_age_seconds,
            "partial_hosts": len(self.partial_hosts),
        }


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def duration_seconds(started: str | None, finished: str | None) -> float | None:
    a, b = parse_time(started), parse_time(finished)
    if a is None or b is None or (a.tzinfo is None) != (b.tzinfo is None):
        return None
    return round((b - a).total_seconds(), 3)


def _rule_groups(hosts: list[HostResult]) -> tuple[RuleGroup, ...]:
    by_rule: dict[str, list[tuple[str, RuleOutcome]]] = {}
    first: dict[str, tuple[str, str]] = {}
    for host in hosts:
        if host.status != HostStatus.OK:
            continue
        seen: set[str] = set()
        for o in host.outcomes:
            if o.CheckResult != CheckResult.FAILED or o.RuleId in seen or is_successor(o.RuleId):
                continue  # successor failures are ranked in the Migration section (reports/migration.py)
            seen.add(o.RuleId)
            by_rule.setdefault(o.RuleId, []).append((host.name, o))
            first.setdefault(o.RuleId, (o.RuleName, o.RuleGroupName))
    groups = []
    for rule_id, hits in by_rule.items():
        per_mid: dict[str, list] = {}
        for _name, o in hits:
            per_mid.setdefault(o.CheckResultMessageId or rule_id, []).append(o)
        fixes = sorted(
            (
                MessageFix(mid, os_[0].CheckResultMessage or "", os_[0].remediation, len(os_))
                for mid, os_ in per_mid.items()
            ),
            key=lambda f: (-f.hosts, f.message_id),
        )
        name, group = first[rule_id]
        carried = tuple(sorted(n for n, o in hits if o.carried is not None))
        groups.append(
            RuleGroup(rule_id, name, group, tuple(sorted(n for n, _ in hits)), tuple(fixes), carried)
        )
    return tuple(sorted(groups, key=lambda g: (-len(g.hosts), g.rule_id)))


T = TypeVar("T")


def per_fleet(compute: Callable[[FleetResult], T]) -> Callable[[FleetResult], T]:
    """Remember the result for the last fleet object: every format of a run asks for the same
    summary, and computing it walks every outcome of every host (seconds at 10,000 hosts)."""
    last: list[Any] = [None, -1, None]  # weak reference to the fleet, its host count, the result

    def cached(fleet: FleetResult) -> T:
        if last[0] is not None and last[0]() is fleet and last[1] == len(fleet.hosts):
            return last[2]
        result = compute(fleet)
        last[:] = [weakref.ref(fleet), len(fleet.hosts), result]
        return result

    return functools.update_wrapper(cached, compute)


@per_fleet
def summarize(fleet: FleetResult) -> FleetSummary:
    readiness = dict.fromkeys(READINESS_ORDER, 0)
    status = dict.fromkeys(STATUS_ORDER, 0)
    failures: dict[str, list[str]] = {}
    for h in fleet.hosts:
        readiness[h.readiness] = readiness.get(h.readiness, 0) + 1
        status[h.status] = status.get(h.status, 0) + 1
        if h.status != HostStatus.OK:
            failures.setdefault(h.status, []).append(h.name)
    scan_failures = tuple(
        ScanFailureGroup(s, tuple(sorted(failures[s])), SCAN_FAILURE_HINTS.get(s, "See the host error."))
        for s in sorted(failures, key=lambda s: (-len(failures[s]), s))
    )
    not_ready = tuple(
        sorted(
            (h for h in fleet.hosts if h.readiness != Readiness.READY),
            key=lambda h: (readiness_rank(h.readiness), h.name),
        )
    )
    warnings = sum(1 for h in fleet.hosts for o in h.outcomes
                   if o.CheckResult == CheckResult.WARNING and not is_successor(o.RuleId))  # fmt: skip
    ages = [o.carried.age_seconds for h in fleet.hosts for o in h.outcomes if o.carried is not None]
    return FleetSummary(
        run_id=fleet.run_id,
        started=fleet.started,
        finished=fleet.finished,
        duration_s=duration_seconds(fleet.started, fleet.finished),
        interrupted=fleet.interrupted,
        hosts_total=len(fleet.hosts),
        readiness=readiness,
        status=status,
        failing_rules=_rule_groups(fleet.hosts),
        scan_failures=scan_failures,
        not_ready=not_ready,
        warnings=warnings,
        scope=fleet.scope.label if fleet.scope else UNRECORDED,
        partial_run=bool(fleet.scope and fleet.scope.kind == "partial"),
        carried_outcomes=len(ages),
        hosts_with_carried=sum(1 for h in fleet.hosts if h.carried_rules),
        oldest_carried_age_seconds=max(ages) if ages else None,
        partial_hosts=tuple(h for h in fleet.hosts if h.missing_rules),
    )


def readiness_rank(value: str) -> int:
    return READINESS_ORDER.index(value) if value in READINESS_ORDER else len(READINESS_ORDER)
