"""``history --prune-db KEEP``: the database forgets old runs (90 KB per host per run adds up: 0.9 GB
a night at 10,000 hosts) but never one the kept runs' merged state still reads; on both backends."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from tests.unit.state.helpers import evaluated, facts, run
from umcheck.cli import main
from umcheck.state.merge import merge_host
from umcheck.store import Store
from umcheck.store.schema import cells, hosts

DAYS = [f"2026-11-{d:02d}T02:00:00+00:00" for d in range(20, 26)]
CONNECTIVITY = ("connectivity",)


def _record(store: Store) -> None:
    """r0..r3 full runs of A and B, then r4 a re-check of A's connectivity, r5 one of B's."""
    a, b = evaluated("A", facts("windows-tls-disabled")), evaluated("B", facts("windows-healthy"))
    for i in range(4):
        store.save_run(run(f"r{i}", DAYS[i], [a, b]))
    for i, (name, state) in ((4, ("A", "windows-healthy")), (5, ("B", "windows-healthy"))):
        cell = store.cells_for([name])[name]
        rechecked = merge_host(evaluated(name, facts(state), CONNECTIVITY), CONNECTIVITY, cell, now=DAYS[i])
        store.save_run(run(f"r{i}", DAYS[i], [rechecked], CONNECTIVITY, limit=name))


def _rows(store: Store, table) -> int:
    return store._conn.scalar(select(func.count()).select_from(table))


def test_forgetting_keeps_what_the_newest_runs_state_reads(history_db):
    with Store(history_db) as store:
        _record(store)
        before = (store.fleet_state("r5"), store.state_lines("r5"), store.cells_for(["A", "B"]),
                  store.diff("r4", "r5", state=True), store.trend(3, until="r5"))  # fmt: skip
        cell_rows = _rows(store, cells)
        assert store.forget_runs(1) == ["r0", "r1", "r2"]  # r5's state reads r3 (the last full run) and r4
        assert store.run_ids() == ["r3", "r4", "r5"]
        after = (store.fleet_state("r5"), store.state_lines("r5"), store.cells_for(["A", "B"]),
                 store.diff("r4", "r5", state=True), store.trend(3, until="r5"))  # fmt: skip
        assert after == before
        assert _rows(store, cells) == cell_rows  # the cells stay: each still says what and when
        kept_hosts = 2 + 1 + 1  # r3 had A and B, r4 A, r5 B: the cascade took the rest
        assert _rows(store, hosts) == kept_hosts
        rule_results = sum(len(json.loads(text)) for text in store._conn.scalars(select(hosts.c.rules)))
        assert rule_results == sum(len(h.outcomes) for r in ("r3", "r4", "r5") for h in store.load_run(r).hosts)
        assert store.forget_runs(3) == [] and store.forget_runs(1) == []  # nothing more to forget


def test_history_prune_db_command(history_db, capsys):
    with Store(history_db) as store:
        _record(store)
    assert main(["history", "--db", str(history_db), "--prune-db", "0"]) == 2
    assert "--prune-db must keep at least 1 run" in capsys.readouterr().err
    assert main(["history", "--db", str(history_db), "--prune-db", "2"]) == 0
    assert capsys.readouterr().out.splitlines() == ["forgot run r0", "forgot run r1", "forgot run r2"]
    with Store(history_db, create=False) as store:
        assert store.run_ids() == ["r3", "r4", "r5"]


def test_a_retired_hosts_cells_outlive_the_runs_whose_documents_they_pointed_into(history_db):
    """C was scanned in r0 only. Its cells point at outcomes inside r0's documents (schema v4);
    forgetting r0 copies each outcome into its cell first, so C's last results stay readable.
    D's document in r0 is damaged: its cells go (as good as never checked), not a wrong result."""
    a, c, d = (evaluated(n, facts(f)) for n, f in (("A", "windows-healthy"), ("C", "windows-tls-disabled"),
                                                    ("D", "windows-healthy")))  # fmt: skip
    with Store(history_db) as store:
        store.save_run(run("r0", DAYS[0], [a, c, d]))
        for i in (1, 2):
            store.save_run(run(f"r{i}", DAYS[i], [a]))
        before = store.cells_for(["C"])
        assert before["C"]["TlsVersionCheck"].outcome.CheckResult == "Failed"
        pointed = store._conn.scalar(select(func.count()).select_from(cells)
                                     .where(cells.c.host == "C", cells.c.seq.is_not(None)))  # fmt: skip
        assert pointed == len([x for x in before["C"].values() if x.outcome is not None]) > 0
        store._conn.execute(hosts.update().where(hosts.c.name == "D").values(result_z=b"not zlib"))
        store._conn.commit()
        assert store.forget_runs(1) == ["r0", "r1"]
        assert store.cells_for(["C"]) == before
        assert store._conn.scalar(select(func.count()).select_from(cells).where(cells.c.seq.is_not(None),
                                                                                cells.c.run_id == "r0")) == 0
        assert store.cells_for(["D"]) == {}
        assert store._conn.scalar(select(func.count()).select_from(cells).where(cells.c.host == "D",
                                                                                cells.c.seq.is_not(None))) == 0
