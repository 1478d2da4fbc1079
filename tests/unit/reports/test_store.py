"""History store: three saved runs, diffs between them, re-check selection and run references."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest

from tests.postgres import sql
from tests.unit.reports.fleet_fixture import current_fleet, oldest_fleet, previous_fleet
from umcheck.errors import InputError, UsageError
from umcheck.store import SCHEMA_VERSION, Store

OLD, PREV, CUR = "20261124-041500-1a2b", "20261125-041500-9f3c", "20261126-041500-ab12"


def test_runs_are_listed_newest_first_with_counts(full_store):
    runs = full_store.runs()
    assert [r.run_id for r in runs] == [CUR, PREV, OLD]
    assert runs[0].readiness == {"Ready": 2, "Disconnected": 2, "Not configured": 1, "Unknown": 4}
    assert runs[0].hosts == 9 and runs[0].duration_s == 372.0 and not runs[0].interrupted
    assert [r.run_id for r in full_store.runs(limit=1)] == [CUR]


def test_load_run_rebuilds_the_exact_fleet(full_store):
    assert full_store.load_run("last") == current_fleet()
    assert full_store.load_run("previous") == previous_fleet()
    assert full_store.load_run("last~2") == oldest_fleet()


def test_tables_are_normalised(full_store, history_db):
    if not full_store.sqlite:
        assert sql(history_db, "SELECT version_num FROM alembic_version") == [(f"v{SCHEMA_VERSION}",)]
    else:
        assert sql(history_db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert sql(history_db, "SELECT COUNT(*) FROM hosts WHERE run_id = :r", r=CUR) == [(9,)]
    # docs/reports.md's query for "which hosts failed TlsVersionCheck in run R", per backend
    if full_store.sqlite:
        query = ("SELECT h.name FROM hosts h, json_each(h.rules) r WHERE h.run_id = :r "
                 "AND r.value ->> 0 = 'TlsVersionCheck' AND r.value ->> 2 = 'Failed' ORDER BY h.name")  # fmt: skip
    else:
        query = ("SELECT h.name FROM hosts h, jsonb_array_elements(CAST(h.rules AS jsonb)) r WHERE h.run_id = :r "
                 "AND r ->> 0 = 'TlsVersionCheck' AND r ->> 2 = 'Failed' ORDER BY h.name")  # fmt: skip
    failed = sql(history_db, query, r=CUR)
    assert failed == [("win-dc-03",), ("win-sql-02",)]


def test_saving_a_run_again_replaces_it(full_store, history_db):
    fixed = replace(current_fleet(), hosts=current_fleet().hosts[:2])
    full_store.save_run(fixed)
    assert len(full_store.runs()) == 3
    assert [h.name for h in full_store.load_run(CUR).hosts] == ["win-app-01", "win-sql-02"]
    assert sql(history_db, "SELECT COUNT(*) FROM hosts WHERE run_id = :r AND name = 'win-dc-03'", r=CUR) == [(0,)]


def test_diff_of_the_last_two_runs(full_store):
    d = full_store.diff()  # previous -> last
    assert (d.old_run, d.new_run) == (PREV, CUR)
    assert [c.name for c in d.newly_failing] == ["win-sql-02"]
    # The agent connectivity rule has no result in the previous run: not compared, not "newly failing".
    assert d.newly_failing[0].new_failures == ("TlsVersionCheck",)
    assert [c.name for c in d.fixed] == ["lnx-web-01"]
    assert d.fixed[0].resolved == ("Linux.OMSAgentStatusCheck",)
    assert [(c.name, c.after_status) for c in d.newly_unreachable] == [
        ("lnx-batch-03", "timeout"),
        ("win-old-04", "unreachable"),
    ]
    # lnx-db-02's JRDS rule has no result in the previous run either: same readiness, nothing compared.
    assert d.changed == ()
    assert d.added == ("win-fs-06",) and d.removed == ("win-retired-07",)
    assert d.regressions and not d.empty


def test_diff_of_older_runs_by_reference(full_store):
    d = full_store.diff("last~2", "previous")
    assert (d.old_run, d.new_run) == (OLD, PREV)
    assert [c.name for c in d.newly_failing] == ["lnx-db-02", "lnx-web-01"]
    assert [c.name for c in d.newly_unreachable] == ["win-hr-05"]
    assert [(c.name, c.new_failures) for c in d.changed] == [("win-dc-03", ("TlsVersionCheck",))]
    assert not d.fixed
    assert full_store.diff("last", "last").empty


def test_select_rerun_not_ready_hosts(full_store):
    assert full_store.select_rerun() == [
        "win-sql-02",
        "win-dc-03",
        "lnx-db-02",
        "win-old-04",
        "win-hr-05",
        "lnx-batch-03",
        "win-fs-06",
    ]
    assert full_store.select_rerun("previous") == ["win-dc-03", "lnx-web-01", "lnx-db-02", "win-hr-05"]
    assert full_store.select_rerun(OLD) == ["win-dc-03"]


def test_select_rerun_by_failed_rule(full_store):
    assert full_store.select_rerun(failed_rule="TlsVersionCheck") == ["win-sql-02", "win-dc-03"]
    assert full_store.select_rerun("previous", failed_rule="Linux.OMSAgentStatusCheck") == [
        "lnx-web-01",
        "lnx-db-02",
    ]
    assert full_store.select_rerun(failed_rule="WSUSServerConfigured") == [], "a warning is not a failure"
    with pytest.raises(UsageError, match="did you mean TlsVersionCheck"):
        full_store.select_rerun(failed_rule="TlsVersionChek")


def test_run_references(full_store):
    assert full_store.resolve("last") == CUR
    assert full_store.resolve("latest") == CUR
    assert full_store.resolve("previous") == PREV
    assert full_store.resolve("last~1") == PREV
    assert full_store.resolve("last~2") == OLD
    assert full_store.resolve("20261125") == PREV
    assert full_store.resolve(CUR) == CUR
    with pytest.raises(UsageError, match="ambiguous.*3 runs match"):
        full_store.resolve("2026")
    with pytest.raises(UsageError, match="no run 'nope'"):
        full_store.resolve("nope")
    with pytest.raises(UsageError, match="goes back 3 runs but .* holds 3"):
        full_store.resolve("last~3")


def test_trend_is_oldest_first_and_can_stop_at_a_run(full_store):
    assert [p.run_id for p in full_store.trend(10)] == [OLD, PREV, CUR]
    assert [p.run_id for p in full_store.trend(2)] == [PREV, CUR]
    assert [p.run_id for p in full_store.trend(10, until=PREV)] == [OLD, PREV]
    assert full_store.previous_of(CUR) == PREV and full_store.previous_of(OLD) is None


def test_empty_and_missing_databases(tmp_path):
    with pytest.raises(UsageError, match="no history database"):
        Store(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()
    with Store(tmp_path / "new" / "h.db") as s:
        assert s.runs() == []
        with pytest.raises(UsageError, match="no runs recorded"):
            s.load_run("last")


def test_a_file_that_is_not_a_database_is_an_input_error(tmp_path):
    bogus = tmp_path / "umcheck.db"
    bogus.write_text("this is not sqlite\n" * 100)
    with pytest.raises(InputError, match="umcheck.db: not a usable umcheck history database"):
        Store(bogus)


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "h.db"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(UsageError, match="newer than this umcheck"):
        Store(path)
