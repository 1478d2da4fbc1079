"""The store's fleet state: cells updated only where evaluated, diffs that never invent fixes,
trend points of merged state, re-check selection from merged state."""

from __future__ import annotations

from tests.postgres import sql
from umcheck.results import Readiness
from umcheck.state.merge import merge_host, rule_ids
from umcheck.store import Store

from .helpers import evaluated, facts, run

T0, T1, T2 = "2026-12-01T02:00:00+00:00", "2026-12-01T09:15:00+00:00", "2026-12-02T02:00:00+00:00"
CONNECTIVITY = ("connectivity",)


def _jrds_blocked(doc):
    """The same machine with the JRDS probe failing (a firewall change not yet made)."""
    for p in doc["windows"]["probes"]:
        if p["name"] in ("jrds", "jrds_recorded"):
            p.update(ok=False, error="timeout")
    return doc


def _sequence(history_db) -> Store:
    """full (A: TLS + JRDS failing, B: JRDS failing, C: healthy) -> connectivity re-check of A and B
    after the firewall fix -> the next full scan (A still has TLS off)."""
    store = Store(history_db)
    a0 = evaluated("A", _jrds_blocked(facts("windows-tls-disabled")))
    b0 = evaluated("B", _jrds_blocked(facts("windows-healthy")))
    c0 = evaluated("C", facts("windows-healthy"))
    store.save_run(run("r1", T0, [a0, b0, c0]))
    cells = store.cells_for(["A", "B"])
    a1 = merge_host(evaluated("A", facts("windows-tls-disabled"), CONNECTIVITY), CONNECTIVITY, cells["A"], now=T1)
    b1 = merge_host(evaluated("B", facts("windows-healthy"), CONNECTIVITY), CONNECTIVITY, cells["B"], now=T1)
    store.save_run(run("r2", T1, [a1, b1], CONNECTIVITY, limit="A,B"))
    store.save_run(run("r3", T2, [evaluated(n, facts(f)) for n, f in
                                  (("A", "windows-tls-disabled"), ("B", "windows-healthy"), ("C", "windows-healthy"))]))  # fmt: skip
    return store


def test_the_probe_edit_makes_jrds_fail():
    host = evaluated("A", _jrds_blocked(facts("windows-healthy")))
    assert [o.RuleId for o in host.failed_rules] == ["AutomationJobRuntimeDataServiceConnectivityCheck"]


def test_recheck_grades_on_merged_state(history_db):
    store = _sequence(history_db)
    r2 = {h.name: h for h in store.load_run("r2").hosts}
    assert r2["B"].readiness == Readiness.READY
    assert r2["A"].readiness == Readiness.DISCONNECTED and "TlsVersionCheck [7h old]" in r2["A"].readiness_reason
    tls = next(o for o in r2["A"].outcomes if o.RuleId == "TlsVersionCheck")
    assert tls.failed and tls.carried.run_id == "r1" and tls.carried.age_seconds == 26100


def test_cells_change_only_where_evaluated(history_db):
    _sequence(history_db).close()
    rows = dict(sql(history_db, "SELECT rule_id, run_id FROM cells WHERE host = 'C'"))
    assert set(rows.values()) == {"r3"} and set(rows) == set(rule_ids("windows"))
    store2 = Store(history_db)
    cells = store2.cells_for(["A"])["A"]
    assert cells["TlsVersionCheck"].run_id == "r3"
    # Re-saving an older run never overwrites newer cells.
    store2.save_run(store2.load_run("r1"))
    assert store2.cells_for(["A"])["A"]["TlsVersionCheck"].run_id == "r3"


def test_diff_compares_only_rules_evaluated_in_both(history_db):
    store = _sequence(history_db)
    d = store.diff("r1", "r2")
    assert [c.name for c in d.fixed] == ["B"]
    assert d.fixed[0].resolved == ("AutomationJobRuntimeDataServiceConnectivityCheck",)
    a = next(c for c in d.changed if c.name == "A") if d.changed else None
    assert a is None or "TlsVersionCheck" not in a.resolved + a.new_failures
    everything = [c for bucket in (d.fixed, d.changed, d.newly_failing) for c in bucket]
    assert all("TlsVersionCheck" not in c.resolved + c.new_failures for c in everything)
    assert d.removed == (), "a 2-host re-check does not remove the third host"
    after = store.diff("r2", "r3")
    assert not after.regressions and not after.newly_failing, "no false alarm after the next full scan"


def test_state_diff_and_trend_use_merged_state(history_db):
    store = _sequence(history_db)
    d = store.diff("r1", "r2", state=True)
    assert d.mode == "state" and [c.name for c in d.fixed] == ["B"] and not d.removed
    points = store.trend(10)
    assert [p.run_id for p in points] == ["r1", "r2", "r3"]
    assert [p.state for p in points] == [
        {"Ready": 1, "Disconnected": 2, "Not configured": 0, "Unknown": 0},
        {"Ready": 2, "Disconnected": 1, "Not configured": 0, "Unknown": 0},
        {"Ready": 2, "Disconnected": 1, "Not configured": 0, "Unknown": 0},
    ]
    assert points[1].hosts == 2 and points[1].scope.kind == "partial"
    assert points[1].scope_label == "partial: rules connectivity; limit A,B; 2 hosts"


def test_rerun_selection_reads_merged_state(history_db):
    store = _sequence(history_db)
    assert store.select_rerun("r2") == ["A"]
    assert store.select_rerun("r2", failed_rule="TlsVersionCheck") == ["A"], "carried failures still count"
    assert store.select_rerun("r2", failed_rule="AutomationJobRuntimeDataServiceConnectivityCheck") == []
