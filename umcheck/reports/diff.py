"""What changed between two runs: the part of the morning report that says what is new.

Each host present in both runs lands in at most one bucket, checked in this order:
newly unreachable (scan worked before, fails now), fixed (not Ready before, Ready now),
newly failing (Ready before, scanned and not Ready now), changed (anything else about its
readiness, status or set of failed rules). Hosts in only one run are added/removed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from umcheck.results import FleetResult, HostResult, HostStatus, Readiness


@dataclass(frozen=True)
class HostChange:
    name: str
    before_readiness: str
    after_readiness: str
    before_status: str
    after_status: str
    new_failures: tuple[str, ...] = ()  # RuleIds failing now that did not fail before
    resolved: tuple[str, ...] = ()  # RuleIds that failed before and do not now
    error: str | None = None  # the new run's one-line host error, if any


@dataclass(frozen=True)
class FleetDiff:
    old_run: str
    new_run: str
    newly_failing: tuple[HostChange, ...] = ()
    fixed: tuple[HostChange, ...] = ()
    newly_unreachable: tuple[HostChange, ...] = ()
    changed: tuple[HostChange, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (
            self.newly_failing
            or self.fixed
            or self.newly_unreachable
            or self.changed
            or self.added
            or self.removed
        )

    @property
    def regressions(self) -> bool:
        """True when something got worse: a scheduler can alert on this."""
        return bool(self.newly_failing or self.newly_unreachable)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"old_run": self.old_run, "new_run": self.new_run}
        for key in ("newly_failing", "fixed", "newly_unreachable", "changed"):
            out[key] = [
                asdict(c) | {"new_failures": list(c.new_failures), "resolved": list(c.resolved)}
                for c in getattr(self, key)
            ]
        out["added"], out["removed"] = list(self.added), list(self.removed)
        return out


def _failed(host: HostResult) -> set[str]:
    return {o.RuleId for o in host.outcomes if o.failed}


def _change(a: HostResult, b: HostResult) -> HostChange:
    before, after = _failed(a), _failed(b)
    return HostChange(
        name=b.name,
        before_readiness=a.readiness,
        after_readiness=b.readiness,
        before_status=a.status,
        after_status=b.status,
        new_failures=tuple(sorted(after - before)) if b.status == HostStatus.OK else (),
        resolved=tuple(sorted(before - after)) if b.status == HostStatus.OK else (),
        error=b.error,
    )


def diff_fleets(old: FleetResult, new: FleetResult) -> FleetDiff:
    before = {h.name: h for h in old.hosts}
    after = {h.name: h for h in new.hosts}
    buckets: dict[str, list[HostChange]] = {"nf": [], "fx": [], "nu": [], "ch": []}
    for name in sorted(set(before) & set(after)):
        a, b = before[name], after[name]
        change = _change(a, b)
        if a.status == HostStatus.OK and b.status != HostStatus.OK:
            buckets["nu"].append(change)
        elif a.readiness != Readiness.READY and b.readiness == Readiness.READY:
            buckets["fx"].append(change)
        elif a.readiness == Readiness.READY and b.readiness != Readiness.READY and b.status == HostStatus.OK:
            buckets["nf"].append(change)
        elif (a.readiness, a.status) != (b.readiness, b.status) or change.new_failures or change.resolved:
            buckets["ch"].append(change)
    return FleetDiff(
        old_run=old.run_id,
        new_run=new.run_id,
        newly_failing=tuple(buckets["nf"]),
        fixed=tuple(buckets["fx"]),
        newly_unreachable=tuple(buckets["nu"]),
        changed=tuple(buckets["ch"]),
        added=tuple(sorted(set(after) - set(before))),
        removed=tuple(sorted(set(before) - set(after))),
    )
