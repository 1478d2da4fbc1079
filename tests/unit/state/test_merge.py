"""Partial runs graded on merged state: carried outcomes with their age, partial hosts never Ready."""

from __future__ import annotations

from umcheck.results import CheckResult, Readiness
from umcheck.rules.readiness import KEY_RULES, format_age
from umcheck.state.cells import Cell
from umcheck.state.merge import merge_host, rule_ids
from umcheck.store import Store

from .helpers import evaluated, facts, run

T0, T1 = "2026-12-01T02:00:00+00:00", "2026-12-01T05:30:00+00:00"


def _store_with(history_db, fleet):
    store = Store(history_db)
    store.save_run(fleet)
    return store


def test_a_connectivity_recheck_carries_every_other_rule_with_its_age(history_db):
    full = evaluated("w1", facts("windows-healthy"))
    assert full.readiness == Readiness.READY and not full.carried_rules
    store = _store_with(history_db, run("run-a", T0, [full]))
    partial = evaluated("w1", facts("windows-healthy"), ("connectivity",))
    merged = merge_host(partial, ("connectivity",), store.cells_for(["w1"])["w1"], now=T1)
    assert merged.readiness == Readiness.READY, merged.readiness_reason
    assert [o.RuleId for o in merged.outcomes] == [o.RuleId for o in full.outcomes], "catalog order, nothing lost"
    carried = merged.carried_rules
    connectivity = set(rule_ids("windows", ("connectivity",)))
    assert {o.RuleId for o in carried} == {o.RuleId for o in full.outcomes} - connectivity
    assert all(o.carried.run_id == "run-a" and o.carried.age_seconds == 12600 for o in carried)
    assert "carried forward, oldest 3h" in merged.readiness_reason
    assert not merged.missing_rules


def test_a_carried_failure_keeps_the_host_disconnected_and_names_its_age(history_db):
    full = evaluated("w1", facts("windows-tls-disabled"))
    assert any(o.RuleId == "TlsVersionCheck" and o.failed for o in full.outcomes)
    store = _store_with(history_db, run("run-a", T0, [full]))
    partial = evaluated("w1", facts("windows-healthy"), ("connectivity",))
    assert partial.readiness == Readiness.UNKNOWN, "unmerged, a partial evaluation is never Ready"
    merged = merge_host(partial, ("connectivity",), store.cells_for(["w1"])["w1"], now=T1)
    assert merged.readiness == Readiness.DISCONNECTED
    assert "TlsVersionCheck [3h old]" in merged.readiness_reason


def test_no_earlier_result_means_partial_unknown_never_ready():
    partial = evaluated("w1", facts("windows-healthy"), ("connectivity",))
    merged = merge_host(partial, ("connectivity",), {}, now=T1)
    # readiness is graded on the legacy pack only (the successor pack has the migration grade)
    total, checked = len(rule_ids("windows", ("pack:legacy",))), len(rule_ids("windows", ("connectivity",)))
    assert merged.readiness == Readiness.UNKNOWN
    assert merged.readiness_reason.startswith(f"partial: {checked} of {total} rules checked, no earlier result")
    assert set(merged.missing_rules) == set(rule_ids("windows")) - set(rule_ids("windows", ("connectivity",)))


def test_a_failure_found_by_a_partial_run_is_evidence_on_its_own():
    partial = evaluated("w1", facts("windows-disconnected"), ("connectivity",))
    merged = merge_host(partial, ("connectivity",), {}, now=T1)
    assert merged.readiness == Readiness.DISCONNECTED and merged.missing_rules


def test_a_full_run_is_left_as_graded():
    full = evaluated("w1", facts("windows-healthy"))
    stale = {"TlsVersionCheck": Cell("w1", "TlsVersionCheck", "old", T0, None)}
    assert merge_host(full, (), stale, now=T1) is full


def test_key_rule_not_evaluated_is_unknown_not_ready():
    doc = facts("windows-healthy")
    doc["collector"]["errors"] = [{"section": "services", "message": "Get-Service failed: access denied"}]
    result = evaluated("w1", doc)
    not_evaluated = {o.RuleId for o in result.outcomes if o.CheckResult == CheckResult.NOT_EVALUATED}
    assert not_evaluated & KEY_RULES, "the services section feeds the agent/worker rules"
    assert result.readiness == Readiness.UNKNOWN
    assert result.readiness_reason.startswith("key rule(s) could not be evaluated: ")
    assert "MonitoringAgentServiceRunningCheck" in result.readiness_reason


def test_linux_key_rule_not_evaluated_is_unknown():
    doc = facts("linux-healthy")
    doc["collector"]["errors"] = [{"section": "oms_agent", "message": "permission denied"}]
    result = evaluated("l1", doc)
    assert result.readiness == Readiness.UNKNOWN, result.readiness_reason
    assert "Linux." in result.readiness_reason


def test_format_age():
    assert [format_age(s) for s in (5, 90, 7200, 200000)] == ["5s", "1m", "2h", "2d"]
