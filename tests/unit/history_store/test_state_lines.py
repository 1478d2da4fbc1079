"""The "changes since" diff read per host and rule from the store's columns gives exactly the diff
of the whole merged states it replaces, on both backends; reports that do not need whole runs do
not read them."""

from __future__ import annotations

from dataclasses import replace

from tests.unit.reports.fleet_fixture import current_fleet, oldest_fleet, previous_fleet
from tests.unit.state.helpers import evaluated, facts, run
from umcheck.reports import from_history
from umcheck.reports.diff import diff_fleets
from umcheck.reports.prometheus import render_prometheus
from umcheck.state.merge import merge_host
from umcheck.store import Store

T0, T1, T2 = "2026-12-01T02:00:00+00:00", "2026-12-01T09:15:00+00:00", "2026-12-02T02:00:00+00:00"
CONNECTIVITY = ("connectivity",)


def _store(history_db) -> Store:
    """The report fixture's three runs, then a partial re-check with carried outcomes, then a full run."""
    store = Store(history_db)
    for fleet in (oldest_fleet(), previous_fleet(), current_fleet()):
        store.save_run(fleet)
    a0, b0 = evaluated("A", facts("windows-tls-disabled")), evaluated("B", facts("windows-healthy"))
    store.save_run(run("r1", T0, [a0, b0]))
    cells = store.cells_for(["A"])
    a1 = merge_host(evaluated("A", facts("windows-healthy"), CONNECTIVITY), CONNECTIVITY, cells["A"], now=T1)
    store.save_run(run("r2", T1, [a1], CONNECTIVITY, limit="A"))
    store.save_run(run("r3", T2, [evaluated("A", facts("windows-healthy")), b0]))
    return store


def test_state_diffs_from_columns_equal_the_whole_state_diffs(history_db):
    with _store(history_db) as store:
        ids = store.run_ids()
        for a, b in zip(ids, ids[1:], strict=False):
            whole = diff_fleets(store.fleet_state(a), store.fleet_state(b), state=True)
            assert store.diff(a, b, state=True) == whole, (a, b)
            assert diff_fleets(store.state_lines(a), store.fleet_state(b), state=True) == whole, (a, b)


def test_run_diffs_from_columns_equal_the_whole_run_diffs(history_db):
    """The runs diff (``umcheck diff`` without --state): carried outcomes are told from the run's
    rule selection, not from the result documents - and the diffs are those of the whole runs."""
    with _store(history_db) as store:
        ids = store.run_ids()
        carried_seen = 0
        for a, b in zip(ids, ids[1:], strict=False):
            whole = diff_fleets(store.load_run(a), store.load_run(b))
            assert store.diff(a, b) == whole, (a, b)
            lines = store.run_lines(b)
            full = store.load_run(b)
            assert [(h.name, [(o.RuleId, o.CheckResult, o.carried is not None) for o in h.outcomes]) for h in lines.hosts] == \
                   [(h.name, [(o.RuleId, o.CheckResult, o.carried is not None) for o in h.outcomes]) for h in full.hosts]  # fmt: skip
            assert lines.scope == full.scope
            carried_seen += sum(o.carried is not None for h in full.hosts for o in h.outcomes)
        assert carried_seen > 0  # the re-check r2 carried outcomes: the case this is about


def test_from_history_reads_whole_runs_only_for_prometheus(history_db, monkeypatch):
    with _store(history_db) as store:
        fleet = store.load_run("last")
        full = from_history(store, fleet)
        loads = []
        for name in ("load_run", "fleet_state"):
            real = getattr(Store, name)
            monkeypatch.setattr(Store, name, lambda self, *a, _real=real, _n=name, **k: loads.append(_n) or _real(self, *a, **k))
        lean = from_history(store, fleet, ("text", "html", "json", "csv"))
        assert loads == [] and lean.diff == full.diff and lean.trend == full.trend
        assert lean.previous is None and lean.state is None and lean.last_full is None
        assert from_history(store, fleet, ("prometheus",)) == replace(full)


def test_prometheus_inputs_read_no_host_back_for_a_run_that_covered_every_host(history_db, monkeypatch):
    """r3 covered every host: its merged state is the run itself, in memory; r2 (a re-check of A)
    is merged from the store. The previous and last full runs are read as headers; the gauges are
    those of the whole runs."""
    with _store(history_db) as store:
        reads: list[str] = []
        real = Store._latest_rows

        def latest_rows(self, run_id, *cols):
            if "result_z" in cols:  # host documents, parsed: what 10,000 hosts must not cost again
                reads.append(run_id)
            return real(self, run_id, *cols)

        monkeypatch.setattr(Store, "_latest_rows", latest_rows)
        for ref, read_back in (("r3", []), ("r2", ["r2"])):
            fleet = store.load_run(ref)
            reads.clear()
            in_memory = store.fleet_state(ref, run=fleet)
            assert reads == read_back
            assert in_memory == store.fleet_state(ref) and reads == [*read_back, ref]
        fleet = store.load_run("r3")
        reads.clear()
        inputs = from_history(store, fleet, ("prometheus",))
        assert reads == [] and inputs.previous.hosts == [] and inputs.last_full.hosts == []  # no host document read
        whole = render_prometheus(fleet, previous=store.load_run("r2"), state=store.fleet_state("r3"),
                                  last_full=store.load_run(store.last_full_run("r3")))  # fmt: skip
        assert render_prometheus(fleet, previous=inputs.previous, state=inputs.state, last_full=inputs.last_full) == whole
        assert "umcheck_last_full_success_timestamp_seconds" in whole and 'umcheck_hosts{readiness="Ready"}' in whole


def test_a_baseline_read_during_the_scan_is_used_only_while_it_is_still_the_previous_run(history_db):
    """``reports/baseline.py`` reads the previous state in its own thread and connection before the
    run is recorded; ``from_history`` takes it when the run recorded just before is still that one,
    and reads it afresh when another run was recorded in between (another jump host)."""
    from umcheck.reports.baseline import Baseline

    with _store(history_db) as store:
        nxt = run("r4", "2026-12-03T02:00:00+00:00", [evaluated("A", facts("windows-tls-disabled"))])
        ahead = Baseline(history_db, "r4", timeout=5)
        ahead.start()
        found = ahead.result()
        assert found is not None and found[0] == "r3" and found[1] == store.state_lines("r3")
        assert ahead.result() is None  # handed over once: megabytes at 10,000 hosts, freed after the diff
        store.save_run(nxt)
        expected = from_history(store, nxt)
        assert from_history(store, nxt, baseline=found) == expected
        assert from_history(store, nxt, baseline=("r3", None)).diff is None  # taken as given: r3 is still previous
        stale = ("r2", store.state_lines("r2"))  # read before r3 was recorded: not the previous run any more
        assert from_history(store, nxt, baseline=stale) == expected


def test_a_baseline_that_cannot_be_read_is_none_and_the_reports_read_it_later(tmp_path):
    from umcheck.reports.baseline import Baseline

    ahead = Baseline(tmp_path / "missing.db", "r1", timeout=1)
    ahead.start()
    assert ahead.result() is None and not (tmp_path / "missing.db").exists()


def test_rerun_selection_reads_the_columns_and_agrees_with_the_whole_state(history_db, monkeypatch):
    """``--rerun-failed`` / ``--failed-rule`` pick hosts from the merged state's columns (10,000
    result documents are not parsed for a list of names), and pick what the whole state would."""
    with _store(history_db) as store:
        expected = {}
        for ref in store.run_ids():
            whole = store.fleet_state(ref)
            expected[ref] = ([h.name for h in whole.hosts if h.readiness != "Ready"],
                             [h.name for h in whole.hosts if any(o.RuleId == "TlsVersionCheck" and o.failed
                                                                 for o in h.outcomes)])  # fmt: skip
        assert any(tls for _, tls in expected.values())  # the case the rule filter is about
        monkeypatch.setattr(Store, "fleet_state", lambda *a, **k: (_ for _ in ()).throw(AssertionError("parsed")))
        for ref, (not_ready, tls) in expected.items():
            assert store.select_rerun(ref) == not_ready, ref
            assert store.select_rerun(ref, failed_rule="TlsVersionCheck") == tls, ref


def test_a_damaged_rules_column_compares_no_rule_of_that_host(history_db):
    """``hosts.rules`` edited by hand into something that is not the array umcheck writes: that
    host's rules are left out of the comparison (never called fixed or failing), the others are not."""
    from sqlalchemy import update

    from umcheck.store.schema import hosts

    with _store(history_db) as store:
        before = store.run_lines("r3")
        store._conn.execute(update(hosts).where(hosts.c.run_id == "r3", hosts.c.name == "A").values(rules="{not json"))
        store._conn.execute(update(hosts).where(hosts.c.run_id == "r3", hosts.c.name == "B").values(rules="[1, 2]"))
        store._conn.commit()
        after = {h.name: h for h in store.run_lines("r3").hosts}
        assert {h.name: h.outcomes for h in before.hosts}["A"] != ()
        assert after["A"].outcomes == () and after["B"].outcomes == ()
        assert after["A"].readiness == {h.name: h for h in before.hosts}["A"].readiness  # the row itself still reads
        d = store.diff("r1", "r3")
        assert [c.name for c in d.fixed] == ["A"]  # Ready now: its row says so, its rules are not compared
        assert all(not c.new_failures and not c.resolved for c in (*d.newly_failing, *d.fixed, *d.changed))
