"""Upgrading a history database written by the release before scopes (schema v1) keeps every run.

tests/golden/history/v1.sql is a dump of a database written by that release's own Store (three
nightly runs of the report fixture fleet, then a 2-host connectivity re-check graded the old way).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from umcheck.errors import UsageError
from umcheck.store import SCHEMA_VERSION, Store

V1 = Path(__file__).resolve().parents[2] / "golden" / "history" / "v1.sql"
RUNS = ["20261124-041500-1a2b", "20261125-041500-9f3c", "20261126-041500-ab12", "20261126-093000-cc01"]


@pytest.fixture
def v1_db(tmp_path) -> Path:
    path = tmp_path / "umcheck.db"
    db = sqlite3.connect(path)
    db.executescript(V1.read_text())
    db.close()
    return path


def _raw(path: Path, sql: str, *args) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def test_v1_fixture_is_v1(v1_db):
    assert _raw(v1_db, "PRAGMA user_version") == [(1,)]
    assert _raw(v1_db, "SELECT name FROM sqlite_master WHERE name = 'cells'") == []


def test_upgrade_keeps_every_run_and_host(v1_db):
    before = _raw(v1_db, "SELECT run_id, name, result_json FROM hosts ORDER BY run_id, seq")
    with Store(v1_db) as store:
        assert store.run_ids() == RUNS
        for run_id in RUNS:
            assert store.load_run(run_id).run_id == run_id
    assert _raw(v1_db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert _raw(v1_db, "SELECT run_id, name, result_json FROM hosts ORDER BY run_id, seq") == before


def test_upgrade_gives_old_runs_a_scope_and_builds_the_fleet_state(v1_db):
    with Store(v1_db) as store:
        runs = {r.run_id: r for r in store.runs(limit=None)}
        assert [runs[r].scope.kind for r in RUNS] == ["full", "full", "full", "partial"]
        assert runs[RUNS[3]].scope_label == "partial: rules connectivity; limit win-sql-02,lnx-db-02; 2 hosts"
        cells = store.cells_for(["win-sql-02"])["win-sql-02"]
        assert cells["TlsVersionCheck"].run_id == RUNS[2], "the re-check did not evaluate TLS"
        assert cells["AutomationAgentServiceConnectivityCheck1"].run_id == RUNS[3]
        # The fleet state after the re-check still knows all hosts of the last full run.
        assert len(store.fleet_state(RUNS[3]).hosts) == 9


def test_upgrade_is_idempotent_and_a_newer_schema_is_refused(v1_db):
    Store(v1_db).close()
    with Store(v1_db) as store:
        assert len(store.run_ids()) == 4
    db = sqlite3.connect(v1_db)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(UsageError, match="newer than this umcheck"):
        Store(v1_db)


def test_a_damaged_run_is_kept_without_scope(v1_db):
    db = sqlite3.connect(v1_db)
    db.execute("UPDATE hosts SET result_json = '{' WHERE run_id = ?", (RUNS[0],))
    db.commit()
    db.close()
    with Store(v1_db) as store:
        assert store.run_ids() == RUNS
        assert {r.run_id: r.scope for r in store.runs(limit=None)}[RUNS[0]] is None
