"""The migration grade across the fleet: counts per state, blockers ranked by host count, and the
documented migration steps — shared by every report format (docs/readiness.md "Migration readiness")."""

from __future__ import annotations

from dataclasses import dataclass

from umcheck.packs.successor.migration import MIGRATION_STATES
from umcheck.reports.escape import one_line
from umcheck.reports.summary import per_fleet
from umcheck.results import CheckResult, FleetResult, HostStatus

_L = "https://learn.microsoft.com/azure"
# The documented migration steps (successor-readiness.md §1), linked from the reports.
STEPS: tuple[tuple[str, str], ...] = (
    ("Onboard non-Azure servers to Azure Arc", f"{_L}/azure-arc/servers/onboard-update-management-machines"),
    ("Update Management to Update Manager: runbook MigrateToAzureUpdateManager, then deboard",
     f"{_L}/update-manager/guidance-migration-automation-update-management-azure-update-manager"),
    ("Move agent-based (V1) Hybrid Workers to extension-based (V2)",
     f"{_L}/automation/migrate-existing-agent-based-hybrid-worker-to-extension-based-workers"),
)  # fmt: skip


@dataclass(frozen=True)
class Blocker:
    rule_id: str
    rule_name: str
    hosts: tuple[str, ...]


@dataclass(frozen=True)
class MigrationSummary:
    counts: dict[str, int]  # every state, fixed order
    blockers: tuple[Blocker, ...]  # successor rules that block, most hosts first
    graded: int  # hosts whose scan succeeded

    @property
    def evaluated(self) -> bool:
        """Anything to show: some host was graded on successor facts."""
        return any(n for state, n in self.counts.items() if state != "Unknown")

    def to_dict(self) -> dict[str, object]:
        return {"counts": dict(self.counts),
                "blockers": [{"rule_id": b.rule_id, "rule_name": b.rule_name, "hosts": len(b.hosts)} for b in self.blockers]}  # fmt: skip


@per_fleet
def summarize_migration(fleet: FleetResult) -> MigrationSummary:
    counts = dict.fromkeys(MIGRATION_STATES, 0)
    by_rule: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for h in fleet.hosts:
        counts[h.migration] = counts.get(h.migration, 0) + 1
        for rule_id in h.migration_blockers:
            by_rule.setdefault(rule_id, []).append(h.name)
        for o in h.outcomes:
            if o.RuleId in h.migration_blockers and o.CheckResult == CheckResult.FAILED:
                names.setdefault(o.RuleId, o.RuleName)
    blockers = tuple(Blocker(r, names.get(r, r), tuple(sorted(hs))) for r, hs in
                     sorted(by_rule.items(), key=lambda kv: (-len(kv[1]), kv[0])))  # fmt: skip
    graded = sum(1 for h in fleet.hosts if h.status == HostStatus.OK)
    return MigrationSummary(counts, blockers, graded)


def text_lines(fleet: FleetResult, width: int = 100) -> list[str]:
    """The text report's Migration section (empty when no host was graded on successor facts)."""
    m = summarize_migration(fleet)
    if not m.evaluated:
        return []
    lines = [one_line(", ".join(f"{state}: {n}" for state, n in m.counts.items()), width)]
    for b in m.blockers[:10]:
        shown = ", ".join(b.hosts[:5]) + (f" (+{len(b.hosts) - 5} more)" if len(b.hosts) > 5 else "")
        lines.append("  " + one_line(f"{b.rule_id} blocks {len(b.hosts)} host(s): {shown}", width - 2))
    for label, url in STEPS:  # our own URLs: never cut, on a line of their own
        lines += ["  " + one_line(f"Step: {label}", width - 2), f"    {url}"]
    return lines
