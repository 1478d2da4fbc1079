"""A save is written in batches, so its memory does not grow with the fleet; batch boundaries
(between hosts, inside a host's outcomes) lose or repeat nothing, on both backends."""

from __future__ import annotations

from tests.unit.state.helpers import evaluated, facts, run
from umcheck.store import Store
from umcheck.store import history as store_history

T0, T1 = "2026-12-01T02:00:00+00:00", "2026-12-02T02:00:00+00:00"


def test_batches_of_seven_rows_store_every_row_once(history_db, monkeypatch):
    monkeypatch.setattr(store_history, "BULK_ROWS", 7)
    monkeypatch.setattr(store_history, "HOST_ROWS", 2)  # hosts rows (whole hosts' JSON) in smaller batches
    hosts = [evaluated(name, facts(state)) for name, state in
             (("A", "windows-healthy"), ("B", "windows-tls-disabled"), ("C", "windows-healthy"))]  # fmt: skip
    first, second = run("r1", T0, hosts), run("r2", T1, hosts[:2])
    rows = sum(len(h.outcomes) for h in first.hosts)
    assert rows > 3 * 7 and all(len(h.outcomes) % 7 for h in first.hosts)  # boundaries fall inside hosts
    with Store(history_db) as store:
        store.save_run(first)
        store.save_run(second)
        assert [h.to_dict() for h in store.load_run("r1").hosts] == [h.to_dict() for h in first.hosts]
        assert [h.json_text() for h in store.load_run("r1").hosts] == [h.json_text() for h in first.hosts]
        cells = store.cells_for(["A", "B", "C"])
        assert {h: len(rules) for h, rules in cells.items()} == {h.name: len(h.outcomes) for h in first.hosts}
        assert {c.run_id for c in cells["A"].values()} == {"r2"} and {c.run_id for c in cells["C"].values()} == {"r1"}
        b_now = {o.RuleId: o.CheckResult for o in second.hosts[1].outcomes}
        assert {r: c.outcome.CheckResult for r, c in cells["B"].items()} == b_now
        state = store.fleet_state("r2")
        assert sorted(h.name for h in state.hosts) == ["A", "B"]  # r2 covered every host: C retired
