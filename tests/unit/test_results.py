"""Result values round-trip through JSON at fleet size (the caps are for host input, not for these)."""

from __future__ import annotations

import json

from umcheck.results import FleetResult, HostResult, HostStatus, Readiness, RuleOutcome
from umcheck.store import Store


def fleet(n: int) -> FleetResult:
    outcome = RuleOutcome("R", "g", "n", "gn", None, "Failed", "m" * 6000, "R.Failed", ["a"] * 600,
                          evidence={f"k{i}": i for i in range(400)})  # fmt: skip
    hosts = [HostResult(f"h{i:04d}", status=HostStatus.OK, readiness=Readiness.DISCONNECTED, outcomes=[outcome])
             for i in range(n)]  # fmt: skip
    return FleetResult("20261126-000000-aaaa", "2026-11-26T00:00:00+00:00", hosts=hosts)


def test_fleet_of_1500_hosts_round_trips_through_json() -> None:
    f = fleet(1500)
    again = FleetResult.from_dict(json.loads(json.dumps(f.to_dict())))
    assert again == f and len(again.hosts) == 1500
    assert len(again.hosts[0].outcomes[0].CheckResultMessage) == 6000  # no cap on our own records


def test_store_keeps_every_host_of_a_large_run(tmp_path) -> None:
    store = Store(tmp_path / "h.db")
    store.save_run(fleet(1200))
    assert len(store.load_run("last").hosts) == 1200
    assert len(store.select_rerun("last")) == 1200


def test_to_dict_is_computed_once_and_stable() -> None:
    h = HostResult("x", error="boom")
    assert h.to_dict() is h.to_dict() and h.to_dict()["error"] == "boom"
