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


def test_json_text_is_encoded_once_kept_compressed_and_decodes_to_the_same_values() -> None:
    hostile = "line\nbreak \u2028 \u00e9 \udc80 \x1b[31m"  # newline, U+2028, non-ASCII, a lone surrogate
    outcomes = [RuleOutcome(f"R{i}", "g", "n", "gn", None, "Failed", hostile, f"R{i}.Failed", [hostile],
                            evidence={"k": hostile, "n": i}) for i in range(3)]  # fmt: skip
    h = HostResult("x", error=hostile, outcomes=outcomes)
    first = h.json_text()
    packed = h.__dict__["_packed"]
    assert h.json_text() == first and h.__dict__["_packed"] is packed  # encoded once, decompressed after
    assert first.isascii() and "\n" not in first  # one journal line, whatever the host sent
    assert len(packed[0]) < len(first)
    assert json.loads(first) == h.to_dict() and h.to_dict() is not h.to_dict()  # new dicts: callers may change them
    assert HostResult.from_dict(h.to_dict()) == h
    assert [json.loads(t) for t in h.outcome_texts()] == h.to_dict()["outcomes"]
    assert HostResult("empty").outcome_texts() == [] and json.loads(HostResult("empty").json_text())["outcomes"] == []
