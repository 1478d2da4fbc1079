"""What changed between two runs: the part of the morning report that says what is new.

Rules are compared cell by cell, and only where both sides have a result: by default the rules
*evaluated* in both runs (a carried-forward outcome is not news), with ``state=True`` the merged
fleet states (carried outcomes count, they are the state). A rule one side did not evaluate is
never called fixed or newly failing.

Each host present in both lands in at most one bucket, checked in this order: newly unreachable
(scan worked before, fails now), fixed (not Ready before, Ready now), newly failing (Ready before,
now Disconnected or Not configured because of a rule evaluated now — or, comparing states, for
any reason), changed (anything else about its readiness, status or compared rules).
Hosts in only one side are added/removed — only where the other side covered every host, so a
re-check of 20 hosts does not "remove" the other 480.

A side read from the history store may be a ``FleetLines`` (``Store.state_lines``, or
``Store.run_lines`` for one run): per host its status, readiness, grade and per-rule results from
the store's columns, which is all the diff reads — so a 10,000-host comparison never parses
10,000 stored results.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from umcheck.results import CheckResult, FleetResult, HostResult, HostStatus, Readiness, RuleOutcome, RunScope


@dataclass(frozen=True, slots=True)
class RuleCell:
    """One rule's result as the store's ``outcomes`` table holds it: what the diff reads of a RuleOutcome."""

    RuleId: str
    CheckResult: str
    carried: bool | None = None  # True: carried into its run (a runs diff skips it); None: evaluated

    @property
    def failed(self) -> bool:
        return self.CheckResult == CheckResult.FAILED


@dataclass(frozen=True, slots=True)
class HostLine:
    """A host as the diff sees it, from the store's ``hosts`` columns (no result JSON parsed)."""

    name: str
    status: str
    readiness: str
    error: str | None = None
    migration: str = "Unknown"
    outcomes: tuple[RuleCell, ...] = ()


@dataclass(frozen=True)
class FleetLines:
    """A merged fleet state (``Store.state_lines``) or one run (``Store.run_lines``) as the diff sees it."""

    run_id: str
    hosts: list[HostLine] = field(default_factory=list)
    scope: RunScope | None = None  # a state covers every host it knows


Side = FleetResult | FleetLines
HostSide = HostResult | HostLine


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
    before_migration: str = "Unknown"
    after_migration: str = "Unknown"


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
    mode: str = "runs"  # runs: cells evaluated in both runs | state: merged fleet states
    migration: tuple[HostChange, ...] = ()  # hosts whose migration grade changed (both sides graded)

    @property
    def empty(self) -> bool:
        return not (
            self.newly_failing
            or self.fixed
            or self.newly_unreachable
            or self.changed
            or self.migration
            or self.added
            or self.removed
        )

    @property
    def regressions(self) -> bool:
        """True when something got worse: a scheduler can alert on this."""
        return bool(self.newly_failing or self.newly_unreachable)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"old_run": self.old_run, "new_run": self.new_run, "mode": self.mode}
        for key in ("newly_failing", "fixed", "newly_unreachable", "changed", "migration"):
            out[key] = [
                asdict(c) | {"new_failures": list(c.new_failures), "resolved": list(c.resolved)}
                for c in getattr(self, key)
            ]
        out["added"], out["removed"] = list(self.added), list(self.removed)
        return out


def _cells(host: HostSide, state: bool) -> dict[str, RuleOutcome | RuleCell]:
    """The rule results a side can be compared on: evaluated now (or, for states, carried too)."""
    return {
        o.RuleId: o
        for o in host.outcomes
        if o.CheckResult != CheckResult.NOT_EVALUATED and (state or o.carried is None)
    }


def _change(a: HostSide, b: HostSide, state: bool) -> HostChange:
    before, after = _cells(a, state), _cells(b, state)
    common = sorted(set(before) & set(after)) if b.status == HostStatus.OK else []
    return HostChange(
        name=b.name,
        before_readiness=a.readiness,
        after_readiness=b.readiness,
        before_status=a.status,
        after_status=b.status,
        new_failures=tuple(r for r in common if after[r].failed and not before[r].failed),
        resolved=tuple(r for r in common if before[r].failed and not after[r].failed),
        error=b.error,
        before_migration=a.migration,
        after_migration=b.migration,
    )


def _worse_now(a: HostSide, b: HostSide, state: bool) -> bool:
    """Ready before and onboarded-but-failing (or not configured) now, on a rule evaluated now."""
    if a.readiness != Readiness.READY or b.status != HostStatus.OK:
        return False
    if b.readiness not in (Readiness.DISCONNECTED, Readiness.NOT_CONFIGURED):
        return False
    return state or any(o.failed and o.carried is None for o in b.outcomes)


def _covers_all(fleet: Side) -> bool:
    return fleet.scope is None or fleet.scope.all_hosts


def diff_fleets(old: Side, new: Side, *, state: bool = False) -> FleetDiff:
    """``old`` -> ``new``; either side may be a ``FleetLines`` from the store (``state_lines`` in
    ``state`` mode, where carried outcomes count like evaluated ones; ``run_lines`` otherwise)."""
    before = {h.name: h for h in old.hosts}
    after = {h.name: h for h in new.hosts}
    buckets: dict[str, list[HostChange]] = {"nf": [], "fx": [], "nu": [], "ch": [], "mg": []}
    for name in sorted(set(before) & set(after)):
        a, b = before[name], after[name]
        change = _change(a, b, state)
        if "Unknown" not in (a.migration, b.migration) and a.migration != b.migration:
            buckets["mg"].append(change)  # graded on both sides: a real move (Unknown is no evidence)
        if a.status == HostStatus.OK and b.status != HostStatus.OK:
            buckets["nu"].append(change)
        elif a.readiness != Readiness.READY and b.readiness == Readiness.READY:
            buckets["fx"].append(change)
        elif _worse_now(a, b, state):
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
        added=tuple(sorted(set(after) - set(before))) if state or _covers_all(old) else (),
        removed=tuple(sorted(set(before) - set(after))) if _covers_all(new) else (),
        mode="state" if state else "runs",
        migration=tuple(buckets["mg"]),
    )
