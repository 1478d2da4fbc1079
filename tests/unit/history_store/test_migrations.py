"""Schema upgrades through Alembic on both backends: golden v1/v2 SQLite files written by earlier
releases, the same v1 data on PostgreSQL, newer schemas refused, concurrent first opens."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from tests.postgres import sql
from umcheck.errors import UsageError
from umcheck.store import SCHEMA_VERSION, Store

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "history"
V1_RUNS = ["20261124-041500-1a2b", "20261125-041500-9f3c", "20261126-041500-ab12", "20261126-093000-cc01"]
V2_RUNS = V1_RUNS[:3]
# What the v2 release's own `umcheck history` said (json_extract over result_json) for v2.sql.
V2_MIGRATION = {V2_RUNS[2]: {"Blocked": 1, "Migrated": 1, "Ready to migrate": 1, "Unknown": 6},
                V2_RUNS[1]: {"Unknown": 9}, V2_RUNS[0]: {"Unknown": 9}}  # fmt: skip


def _sqlite_from(dump: str, path: Path) -> Path:
    db = sqlite3.connect(path)
    db.executescript((GOLDEN / dump).read_text())
    db.close()
    return path


def test_a_new_database_is_at_head_on_both_backends(history_db):
    Store(history_db).close()
    assert sql(history_db, "SELECT version_num FROM alembic_version") == [(f"v{SCHEMA_VERSION}",)]
    if isinstance(history_db, Path):
        assert sql(history_db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_a_v2_sqlite_file_is_stamped_and_upgraded(tmp_path):
    path = _sqlite_from("v2.sql", tmp_path / "umcheck.db")
    cells_before = sql(path, "SELECT host, rule_id, run_id, outcome_json FROM cells ORDER BY host, rule_id")
    with Store(path) as store:
        assert store.run_ids() == V2_RUNS
        assert {r.run_id: r.migration for r in store.runs(limit=None)} == V2_MIGRATION
    assert sql(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert sql(path, "SELECT version_num FROM alembic_version") == [(f"v{SCHEMA_VERSION}",)]
    assert sql(path, "SELECT host, rule_id, run_id, outcome_json FROM cells ORDER BY host, rule_id") == cells_before


def test_a_v1_sqlite_file_is_upgraded_through_v2_and_v3(tmp_path):
    path = _sqlite_from("v1.sql", tmp_path / "umcheck.db")
    with Store(path) as store:
        assert store.run_ids() == V1_RUNS
        assert [r.scope.kind for r in store.runs(limit=None)][::-1] == ["full", "full", "full", "partial"]
        assert len(store.fleet_state(V1_RUNS[3]).hosts) == 9
    assert sql(path, "SELECT version_num FROM alembic_version") == [(f"v{SCHEMA_VERSION}",)]


def test_the_v1_data_upgrades_the_same_on_postgresql(postgres, tmp_path):
    """v1 tables made by the v1 revision, filled with the golden rows, then opened by the Store:
    the v2 replay (scopes, cells) and the v3 backfill run on PostgreSQL as on SQLite."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from umcheck.store.migrate import MIGRATIONS

    name = postgres.create_database()
    url = postgres.url(name)
    try:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as conn:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            command.upgrade(config, "v1")
            inserts = [line for line in (GOLDEN / "v1.sql").read_text().splitlines() if line.startswith("INSERT")]
            for table in ("runs", "hosts", "outcomes"):  # the dump's order would break the foreign keys
                for line in inserts:
                    if line.startswith(f'INSERT INTO "{table}"'):
                        conn.exec_driver_sql(line.replace("%", "%%"))
        engine.dispose()
        sqlite_copy = _sqlite_from("v1.sql", tmp_path / "umcheck.db")
        with Store(url) as pg, Store(sqlite_copy) as lite:
            assert pg.run_ids() == lite.run_ids() == V1_RUNS
            assert [r.to_dict() for r in pg.runs(limit=None)] == [r.to_dict() for r in lite.runs(limit=None)]
            assert pg.cells_for(["win-sql-02"]) == lite.cells_for(["win-sql-02"])
            assert pg.fleet_state(V1_RUNS[3]) == lite.fleet_state(V1_RUNS[3])
            assert pg.diff("last~1", "last", state=True).to_dict() == lite.diff("last~1", "last", state=True).to_dict()
        assert sql(url, "SELECT version_num FROM alembic_version") == [(f"v{SCHEMA_VERSION}",)]
    finally:
        postgres.drop_database(name)


def test_a_newer_schema_is_refused_on_both_backends(history_db):
    Store(history_db).close()
    if isinstance(history_db, Path):
        sql(history_db, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    else:
        sql(history_db, "UPDATE alembic_version SET version_num = :v", v=f"v{SCHEMA_VERSION + 1}")
    with pytest.raises(UsageError, match=f"history schema v{SCHEMA_VERSION + 1} is newer than this umcheck"):
        Store(history_db)


def test_an_empty_postgresql_database_is_not_created_by_readers(postgres):
    name = postgres.create_database()
    try:
        with pytest.raises(UsageError, match="no umcheck history in .* yet"):
            Store(postgres.url(name), create=False)
        assert sql(postgres.url(name), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]
    finally:
        postgres.drop_database(name)


def test_jump_hosts_opening_a_new_shared_history_at_once_create_it_once(postgres):
    name = postgres.create_database()
    url, errors = postgres.url(name), []

    def open_it() -> None:
        try:
            Store(url).close()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    try:
        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        assert sql(url, "SELECT version_num FROM alembic_version") == [(f"v{SCHEMA_VERSION}",)]
    finally:
        postgres.drop_database(name)


def test_cells_from_before_v4_and_pointing_cells_after_it_read_alike(tmp_path):
    """v4 stores new documents compressed and new cells as pointers; rows from before keep their
    text. A re-check after the upgrade mixes both in one host's cells, and both read back."""
    from tests.unit.state.helpers import evaluated, facts, run
    from umcheck.state.merge import merge_host

    path = _sqlite_from("v2.sql", tmp_path / "umcheck.db")
    connectivity = ("connectivity",)
    with Store(path) as store:
        old = store.cells_for(["win-sql-02"])["win-sql-02"]
        assert old and sql(path, "SELECT count(*) FROM cells WHERE seq IS NOT NULL") == [(0,)]
        now = "2026-11-27T04:15:00+00:00"
        fresh = evaluated("win-sql-02", facts("windows-healthy"), connectivity)
        merged = merge_host(fresh, connectivity, old, now=now)
        store.save_run(run("20261127-041500-0001", now, [merged], connectivity, limit="win-sql-02"))
        mixed = store.cells_for(["win-sql-02"])["win-sql-02"]
        rechecked = {o.RuleId for o in fresh.outcomes}
        assert rechecked and set(mixed) == set(old) | rechecked
        for rule_id, cell in mixed.items():
            if rule_id in rechecked:
                assert cell.run_id == "20261127-041500-0001"
                assert cell.outcome == next(o for o in merged.outcomes if o.RuleId == rule_id)
            else:
                assert cell == old[rule_id]
        (stored,) = store.load_run("last").hosts
        assert stored.outcomes == merged.outcomes and stored.readiness == merged.readiness
    assert sql(path, "SELECT count(*) FROM hosts WHERE result_z IS NOT NULL AND result_json = ''") == [(1,)]


def _golden_outcomes(path: Path) -> dict[tuple[str, str], list[list]]:
    """Per (run, host) its ``outcomes`` rows in seq order, as a file before v5 holds them."""
    rows = sql(path, "SELECT run_id, host, rule_id, rule_group_id, check_result, message_id FROM outcomes "
                     "ORDER BY run_id, host, seq")  # fmt: skip
    out: dict[tuple[str, str], list[list]] = {}
    for run_id, host, *rule in rows:
        out.setdefault((run_id, host), []).append(rule)
    return out


def test_v5_moves_every_outcome_row_into_its_hosts_rules_column_and_back(tmp_path):
    """The upgrade writes each host's outcome rows, in order, into ``hosts.rules`` and drops the
    table; a host without rows (a failed scan) gets ``[]``; the downgrade rebuilds the rows."""
    import json

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from umcheck.store.migrate import MIGRATIONS

    before = _golden_outcomes(_sqlite_from("v1.sql", tmp_path / "golden.db"))
    assert len(before) > 20 and sum(map(len, before.values())) > 70
    path = _sqlite_from("v1.sql", tmp_path / "umcheck.db")
    Store(path).close()
    tables = {name for (name,) in sql(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "outcomes" not in tables
    after = {(r, n): json.loads(text) for r, n, text in sql(path, "SELECT run_id, name, rules FROM hosts")}
    assert {k: v for k, v in after.items() if v} == before
    assert {k for k, v in after.items() if not v} == {k for k in after if k not in before} != set()
    with Store(path) as store:  # the diff reads the column: the rules it compares are the rows'
        for (run_id, host), rules in before.items():
            (line,) = [h for h in store.run_lines(run_id).hosts if h.name == host]
            assert [(c.RuleId, c.CheckResult) for c in line.outcomes] == [(r[0], r[2]) for r in rules]

    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        command.downgrade(config, "v4")
    engine.dispose()
    assert _golden_outcomes(path) == before


def test_v5_reads_outcome_rows_in_batches_while_it_fills_the_column_on_both_backends(history_db):
    """More hosts than one batch (``BATCH``): the rows are read through a cursor (server-side on
    PostgreSQL) while earlier batches are written, and every host ends with exactly its rows."""
    import json

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from umcheck.store.migrate import MIGRATIONS
    from umcheck.store.migrations.versions.v5_rules_column import BATCH

    url = history_db if isinstance(history_db, str) else f"sqlite:///{history_db}"
    if isinstance(history_db, Path):
        history_db.parent.mkdir(parents=True, exist_ok=True)
    hosts = BATCH + 1234
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "v4")
        conn.execute(text("INSERT INTO runs (run_id, started, started_ts, hosts_total, ready, disconnected, "
                          "not_configured, unknown, header_json) VALUES ('r1', '2026-12-01T02:00:00+00:00', "
                          "1764554400.0, :n, 0, 0, 0, :n, '{}')"), {"n": hosts})  # fmt: skip
        conn.execute(text("INSERT INTO hosts (run_id, name, seq, status, readiness, result_json) "
                          "VALUES ('r1', :name, :seq, 'ok', 'Unknown', '{}')"),
                     [{"name": f"h{i:05d}", "seq": i} for i in range(hosts)])  # fmt: skip
        conn.execute(text("INSERT INTO outcomes VALUES ('r1', :name, :seq, :rule, 'g', :result, NULL)"),
                     [{"name": f"h{i:05d}", "seq": s, "rule": f"Rule{s}", "result": "Failed" if (i + s) % 7 else "Passed"}
                      for i in range(hosts) for s in range(2)])  # fmt: skip
    engine.dispose()
    Store(history_db).close()
    rules = {name: json.loads(t) for name, t in sql(history_db, "SELECT name, rules FROM hosts")}
    assert len(rules) == hosts
    assert all(rules[f"h{i:05d}"] == [[f"Rule{s}", "g", "Failed" if (i + s) % 7 else "Passed", None] for s in range(2)]
               for i in range(hosts))  # fmt: skip
