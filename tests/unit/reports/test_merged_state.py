"""Every format shows the merged state: the run's scope, carried-forward outcomes with their age,
partial hosts' missing rules, and what a diff compared — and host data stays escaped there too."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import datetime

import pytest

from tests.unit.reports.fleet_fixture import (
    ATTR_BREAKER,
    HOSTILE_MISSING,
    HOSTILE_RUN,
    PARTIAL_MISSING,
    PARTIAL_RUN,
    RECHECK_RUN,
    XSS_NAME,
    current_fleet,
    hostile_fleet,
    html_host_data,
    oldest_fleet,
    partial_fleet,
    previous_fleet,
)
from umcheck.reports import write_reports
from umcheck.reports.carried import carried_note, carried_prefix, rule_label, state_sentence
from umcheck.reports.csv_report import COLUMNS, render_csv
from umcheck.reports.diff import diff_fleets
from umcheck.reports.html import render_html
from umcheck.reports.json_report import REPORT_VERSION, render_json
from umcheck.reports.junit import MISSING_MESSAGE, render_junit
from umcheck.reports.markdown import render_markdown
from umcheck.reports.prometheus import render_prometheus
from umcheck.reports.summary import summarize
from umcheck.reports.text import render_diff, render_summary
from umcheck.results import FleetResult

SCOPE = "partial: rules AutomationAgentServiceConnectivityCheck1; limit win-sql-02:win-new-08; 2 hosts"
NIGHT = "20261126-041500-ab12"


def _tls(fleet: FleetResult):
    sql = next(h for h in fleet.hosts if h.name == "win-sql-02")
    return next(o for o in sql.outcomes if o.RuleId == "TlsVersionCheck")


# --- the shared figures ----------------------------------------------------------------------


def test_summary_counts_carried_outcomes_and_partial_hosts():
    s = summarize(partial_fleet())
    assert (s.scope, s.partial_run) == (SCOPE, True)
    assert (s.carried_outcomes, s.hosts_with_carried, s.oldest_carried_age_seconds) == (3, 1, 18000)
    assert [h.name for h in s.partial_hosts] == ["win-new-08"]
    (tls,) = s.failing_rules  # a carried failure is still the state: it is ranked, and marked
    assert (tls.rule_id, tls.hosts, tls.carried_hosts) == (
        "TlsVersionCheck",
        ("win-sql-02",),
        ("win-sql-02",),
    )
    d = s.to_dict()
    assert d["failing_rules"] == [
        {"rule_id": "TlsVersionCheck", "rule_name": "TLS 1.2", "hosts": 1, "carried_hosts": 1}
    ]
    assert {k: d[k] for k in ("scope", "partial_run", "carried_outcomes", "hosts_with_carried")} == {
        "scope": SCOPE,
        "partial_run": True,
        "carried_outcomes": 3,
        "hosts_with_carried": 1,
    }
    assert (d["oldest_carried_age_seconds"], d["partial_hosts"]) == (18000, 1)


def test_summary_of_a_full_run_and_of_a_run_without_scope():
    s = summarize(current_fleet())
    assert (s.scope, s.partial_run, s.carried_outcomes, s.oldest_carried_age_seconds) == (
        "full (9 hosts)",
        False,
        0,
        None,
    )
    assert s.partial_hosts == () and all(g.carried_hosts == () for g in s.failing_rules)
    assert summarize(replace(current_fleet(), scope=None)).scope == "unrecorded"
    assert state_sentence(s) is None


def test_carried_wording():
    tls = _tls(partial_fleet())
    assert carried_note(tls) == f"carried from run {RECHECK_RUN}, 2h old"
    assert carried_prefix(tls) == f"[carried from run {RECHECK_RUN}, 2h old] "
    assert rule_label(tls) == "TlsVersionCheck [2h old]"
    now = _tls(current_fleet())
    assert (carried_note(now), carried_prefix(now), rule_label(now)) == (None, "", "TlsVersionCheck")
    assert state_sentence(summarize(partial_fleet())) == (
        "3 rule results on 1 host carried forward from earlier runs, oldest 5h; "
        "1 host partial (rules with no result now and none earlier)"
    )


# --- each format -----------------------------------------------------------------------------


def test_text_shows_scope_carried_line_and_ages():
    out = render_summary(partial_fleet(), width=120)
    assert f"Scope: {SCOPE}" in out
    assert "3 rule results on 1 host carried forward from earlier runs, oldest 5h; 1 host partial" in out
    assert "TlsVersionCheck [2h old]" in out
    assert "  1  TlsVersionCheck       1*" in out and "* includes failures carried forward" in out
    full = render_summary(current_fleet())
    assert "Scope: full (9 hosts)" in full and "carried" not in full


def test_text_wraps_new_lines_to_the_width():
    fleet = partial_fleet()
    for width in (60, 80, 100):
        out = render_summary(fleet, width=width, diff=diff_fleets(current_fleet(), fleet, state=True))
        assert max(len(line) for line in out.splitlines()) <= width, width
        assert "win-sql-02:win-new-08" in out, "hyphenated words are not split"


def test_text_diff_says_what_was_compared():
    fleet = partial_fleet()
    runs = render_diff(diff_fleets(current_fleet(), fleet))
    assert runs.startswith(f"Changes since run {NIGHT} (now {PARTIAL_RUN})")
    assert "Compared: rules evaluated in both runs (carried-forward results are not compared)." in runs
    state = render_diff(diff_fleets(current_fleet(), fleet, state=True))
    assert state.startswith(f"Changes since the fleet state after run {NIGHT} (now {PARTIAL_RUN})")
    assert "Compared: merged fleet states" in state


def test_markdown_shows_scope_carried_note_and_ages():
    fleet = partial_fleet()
    md = render_markdown(fleet, diff=diff_fleets(current_fleet(), fleet, state=True))
    assert f"Scope: {SCOPE}" in md
    assert "> **Merged state:** 3 rule results on 1 host carried forward from earlier runs, oldest 5h" in md
    assert "| win-sql-02 | Disconnected | windows | TlsVersionCheck \\[2h old\\] |" in md
    assert "– 1 host(s), 1 carried forward: win-sql-02 (carried)" in md
    assert f"## Changes since the fleet state after run {NIGHT}" in md
    assert "Compared: merged fleet states" in md
    assert "Merged state" not in render_markdown(current_fleet())


def _page(fleet: FleetResult | None = None) -> str:
    fleet = fleet or partial_fleet()
    return render_html(fleet, diff=diff_fleets(current_fleet(), fleet, state=True))


def test_html_marks_carried_outcomes_with_run_and_age():
    page = _page()
    assert f"<dt>Scope</dt><dd>{SCOPE}</dd>" in page
    assert f"carried from <code>{RECHECK_RUN}</code> · 2h old</div>" in page
    assert page.count(f"carried from <code>{NIGHT}</code> · 5h old</div>") == 2
    assert page.count('class="outcome outcome-failed outcome-carried"') == 1
    assert page.count(' outcome-carried">') == 3
    assert 'id="merged-state"' in page and "<strong>Merged state:</strong> 3 rule results" in page
    assert (
        '<code>TlsVersionCheck</code><span class="age" title="carried from run 20261126-071500-ef56">2h old</span>'
        in page
    )
    assert '<span class="carried-count">1 carried forward</span>' in page
    assert 'class="host-chip host-chip-carried"' in page


def test_html_lists_partial_hosts_missing_rules():
    page = _page()
    assert html_host_data(page)["win-new-08"]["missing"] == PARTIAL_MISSING  # the detail shows them on demand
    assert "partial: 3 rules without a result" in page
    assert 'data-search="win-new-08 windows winrm unknown ok  partial"' in page


def test_html_diff_heading_states_the_mode():
    fleet = partial_fleet()
    state = _page(fleet)
    assert f"<h2>Changes since the fleet state after run <code>{NIGHT}</code></h2>" in state
    assert "Compared: merged fleet states" in state
    runs = render_html(fleet, diff=diff_fleets(current_fleet(), fleet))
    assert f"<h2>Changes since run <code>{NIGHT}</code></h2>" in runs
    assert "Compared: rules evaluated in both runs" in runs


def test_html_full_run_has_no_merged_state_banner_and_keeps_the_csp():
    page = render_html(current_fleet())
    assert (
        'id="merged-state"' not in page and ' outcome-carried">' not in page and 'class="carried"' not in page
    )
    assert "<dt>Scope</dt><dd>full (9 hosts)</dd>" in page
    for p in (page, _page()):
        assert " style=" not in p and p.count("<script") == 2 and p.count('<script type="application/json" id="host-data">') == 1 and p.count("<style>") == 1


def _csv_rows(fleet: FleetResult) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(render_csv(fleet).lstrip("\ufeff"), newline="")))


def test_csv_appends_carried_columns():
    assert COLUMNS[-4:-2] == ("carried_from_run", "result_age_seconds")
    assert COLUMNS[-2:] == ("migration", "migration_reason")  # appended after them
    assert COLUMNS.index("remediation") == 16, "existing columns keep their positions"
    rows = {(r["host"], r["rule_id"]): r for r in _csv_rows(partial_fleet())}
    tls = rows[("win-sql-02", "TlsVersionCheck")]
    assert (tls["check_result"], tls["carried_from_run"], tls["result_age_seconds"]) == (
        "Failed",
        RECHECK_RUN,
        "7200",
    )
    assert rows[("win-sql-02", "OperatingSystemCheck")]["carried_from_run"] == NIGHT
    now = rows[("win-sql-02", "AutomationAgentServiceConnectivityCheck1")]
    assert (now["carried_from_run"], now["result_age_seconds"]) == ("", "")
    assert all(len(r) == len(COLUMNS) for r in _csv_rows(current_fleet()))


def test_junit_says_carried_and_skips_missing_rules():
    root = ET.fromstring(render_junit(partial_fleet()))
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("8", "1", "3")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    props = {p.get("name"): p.get("value") for p in suites["win-sql-02"].iter("property")}
    assert props["scope"] == SCOPE
    failure = next(c for c in suites["win-sql-02"].iter("failure"))
    prefix = f"[carried from run {RECHECK_RUN}, 2h old] "
    assert failure.get("message") == prefix + "TLS 1.2 is not explicitly enabled."
    assert failure.text.startswith(prefix) and "Evaluated at: 2026-11-26T07:15:01+00:00" in failure.text
    outs = [c.find("system-out") for c in suites["win-sql-02"].iter("testcase")]
    assert (
        sum(1 for o in outs if o is not None and o.text.startswith(f"[carried from run {NIGHT}, 5h old] "))
        == 2
    )
    missing = [c for c in suites["win-new-08"].iter("testcase") if c.get("name").endswith(": no result")]
    assert [c.get("name").split(":")[0] for c in missing] == PARTIAL_MISSING
    assert all(c.find("skipped").get("message") == MISSING_MESSAGE for c in missing)


def _samples(text: str) -> dict[str, float]:
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def test_prometheus_partial_and_carried_gauges():
    text = render_prometheus(partial_fleet())
    samples = _samples(text)
    assert samples["umcheck_run_partial"] == 1
    assert samples["umcheck_carried_outcomes"] == 3
    assert samples["umcheck_carried_oldest_age_seconds"] == 18000
    assert samples["umcheck_hosts_partial"] == 1
    assert samples['umcheck_rule_failures{rule_id="TlsVersionCheck"}'] == 1
    assert "# HELP umcheck_hosts Hosts of the fleet by Update Management readiness after the last run" in text
    full = _samples(render_prometheus(current_fleet()))
    assert (full["umcheck_run_partial"], full["umcheck_carried_outcomes"], full["umcheck_hosts_partial"]) == (
        0,
        0,
        0,
    )
    assert "umcheck_carried_oldest_age_seconds" not in full, "no age without a carried result"


def test_json_report_version_2_fields_and_round_trip():
    fleet = partial_fleet()
    data = json.loads(render_json(fleet, diff=diff_fleets(current_fleet(), fleet, state=True)))
    assert data["report_version"] == REPORT_VERSION == 2
    assert data["scope"]["kind"] == "partial" and data["scope"]["limit"] == "win-sql-02:win-new-08"
    sql, new = data["hosts"]
    tls = next(o for o in sql["outcomes"] if o["RuleId"] == "TlsVersionCheck")
    assert tls["carried"] == {
        "run_id": RECHECK_RUN,
        "evaluated_at": "2026-11-26T07:15:01+00:00",
        "age_seconds": 7200,
    }
    assert next(o for o in sql["outcomes"] if o["RuleId"].startswith("Automation"))["carried"] is None
    assert new["missing_rules"] == PARTIAL_MISSING
    assert data["summary"]["scope"] == SCOPE and data["summary"]["partial_hosts"] == 1
    assert data["diff"]["mode"] == "state"
    assert FleetResult.from_dict(data) == fleet


def test_write_reports_after_a_nightly_run(tmp_path, store):
    """End to end through the store: the re-check's reports compare with the state before it."""
    store.save_run(current_fleet())
    paths = write_reports(partial_fleet(), tmp_path / "run", store=store)
    text = paths["text"].read_text(encoding="utf-8")
    assert f"Changes since the fleet state after run {NIGHT}" in text and "TlsVersionCheck [2h old]" in text
    html = paths["html"].read_text(encoding="utf-8")
    assert f"carried from <code>{RECHECK_RUN}</code> · 2h old" in html
    assert json.loads(paths["json"].read_text(encoding="utf-8"))["diff"]["mode"] == "state"


def test_prometheus_of_a_recheck_counts_the_whole_fleet_and_the_last_full_run(tmp_path, store):
    """A 2-host re-check must not make the fleet look 2 hosts big, nor reset the staleness alert."""
    store.save_run(current_fleet())
    paths = write_reports(partial_fleet(), tmp_path / "run", ["prometheus"], store=store)
    samples = _samples(paths["prometheus"].read_text(encoding="utf-8"))
    hosts = sum(v for k, v in samples.items() if k.startswith("umcheck_hosts{"))
    # The 9 hosts of the nightly run plus the re-check's new host, each on its latest result.
    assert hosts == len({h.name for h in current_fleet().hosts} | {"win-new-08"}) == 10
    assert samples['umcheck_hosts{readiness="Unknown"}'] >= 1 and samples["umcheck_run_partial"] == 1
    nightly_end = datetime.fromisoformat(current_fleet().finished).timestamp()
    assert samples["umcheck_last_full_success_timestamp_seconds"] == nightly_end
    assert samples["umcheck_last_success_timestamp_seconds"] > nightly_end


@pytest.mark.parametrize("fleet", [oldest_fleet, previous_fleet, current_fleet])
def test_full_runs_have_no_marks(fleet):
    f = fleet()
    assert "[carried" not in render_junit(f) and "no result" not in render_junit(f)
    assert "old]" not in render_summary(f) and "Merged state" not in render_markdown(f)


# --- hostile data in the new places ----------------------------------------------------------


def test_hostile_carried_run_scope_and_missing_rules_stay_escaped_in_html():
    fleet = hostile_fleet()
    page = render_html(fleet, diff=diff_fleets(current_fleet(), fleet, state=True))
    assert "<script>alert('run')" not in page and "<i>x</i>" not in page and "\x1b" not in page
    assert "carried from <code>=1+1 &lt;script&gt;alert(&#39;run&#39;)&lt;/script&gt;" in page
    missing = [rule for h in html_host_data(page).values() for rule in h["missing"]]
    assert any(m.startswith("=cmd|' /C calc'!A0 <i>x</i> ") for m in missing)  # "<" is written \u003c there
    assert not any("\x1b" in m for m in missing)
    assert "\\u003ci\\u003ex\\u003c/i\\u003e" in page
    scope = page.split("<dt>Scope</dt><dd>", 1)[1].split("</dd>", 1)[0]
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in scope and "<img" not in scope
    assert page.count("<script") == 2 and page.count('<script type="application/json" id="host-data">') == 1


def test_hostile_new_fields_in_markdown_text_csv_junit():
    fleet = hostile_fleet()
    md = render_markdown(fleet)
    scope_line = next(line for line in md.splitlines() if line.startswith("Scope: "))
    assert "<script>" not in scope_line and "&lt;script&gt;" in scope_line and "&gt;&lt;img" in scope_line
    out = render_summary(fleet)
    assert "\x1b" not in out and "[2h old]" in out
    rows = _csv_rows(fleet)
    assert (
        rows[0]["carried_from_run"].startswith("'=1+1 <script>") and "\x1b" not in rows[0]["carried_from_run"]
    )
    root = ET.fromstring(render_junit(fleet))  # well-formed despite the escape character
    failure = next(root.iter("failure"))
    assert failure.get("message").startswith("[carried from run =1+1 <script>alert('run')</script>")
    names = [c.get("name") for c in root.iter("testcase") if (c.get("name") or "").endswith(": no result")]
    assert len(names) == 2 and names[0].startswith("=cmd|' /C calc'!A0 <i>x</i>")
    assert HOSTILE_RUN not in render_prometheus(fleet) and XSS_NAME not in render_prometheus(fleet)
    assert ATTR_BREAKER not in render_prometheus(fleet)
    assert HOSTILE_MISSING.split(" ")[0] not in render_prometheus(fleet)
