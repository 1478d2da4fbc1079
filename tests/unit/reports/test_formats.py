"""Format contracts that golden bytes alone do not explain: parseability, counts, widths, atomicity."""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET

from tests.unit.reports.fleet_fixture import current_fleet, previous_fleet
from umcheck.reports.csv_report import COLUMNS, render_csv
from umcheck.reports.diff import diff_fleets
from umcheck.reports.json_report import REPORT_VERSION, render_json
from umcheck.reports.junit import render_junit
from umcheck.reports.prometheus import render_prometheus, write_prometheus
from umcheck.reports.summary import summarize
from umcheck.reports.text import render_summary
from umcheck.results import FleetResult


def test_summary_ranks_failing_rules_by_host_count():
    s = summarize(current_fleet())
    assert s.failing_rules[0].rule_id == "TlsVersionCheck"
    assert s.failing_rules[0].hosts == ("win-dc-03", "win-sql-02")
    assert [f.message_id for f in s.failing_rules[0].fixes] == [
        "TlsVersionCheck.Failed.ExplicitlyDisabled",
        "TlsVersionCheck.Failed.NotExplicitlyEnabled",
    ]
    assert s.readiness == {"Ready": 2, "Disconnected": 2, "Not configured": 1, "Unknown": 4}
    assert {f.status for f in s.scan_failures} == {"unreachable", "auth_failed", "timeout", "collector_error"}
    assert s.duration_s == 372.0


def test_json_report_round_trips_to_a_fleet_result():
    fleet = current_fleet()
    data = json.loads(render_json(fleet, diff=diff_fleets(previous_fleet(), fleet)))
    assert data["report_version"] == REPORT_VERSION
    assert data["summary"]["readiness"]["Unknown"] == 4
    assert data["summary"]["failing_rules"][0] == {
        "rule_id": "TlsVersionCheck",
        "rule_name": "TLS 1.2",
        "hosts": 2,
        "carried_hosts": 0,
    }
    assert data["summary"]["scope"] == "full (9 hosts)" and data["summary"]["carried_outcomes"] == 0
    assert data["diff"]["mode"] == "runs"
    assert [c["name"] for c in data["diff"]["newly_unreachable"]] == ["lnx-batch-03", "win-old-04"]
    assert FleetResult.from_dict(data) == fleet


def test_csv_is_excel_friendly_and_has_a_row_per_host_and_rule():
    fleet = current_fleet()
    raw = render_csv(fleet).encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf")
    body = raw[3:].decode("utf-8")
    assert "\r\n" in body and "\n" not in body.replace("\r\n", "")
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    expected = sum(max(len(h.outcomes), 1) for h in fleet.hosts)
    assert len(rows) == expected and list(rows[0]) == list(COLUMNS)
    tls = [r for r in rows if r["host"] == "win-sql-02" and r["rule_id"] == "TlsVersionCheck"][0]
    assert tls["check_result"] == "Failed" and tls["remediation"].startswith("Enable TLS 1.2")
    unreachable = [r for r in rows if r["host"] == "win-old-04"]
    assert (
        len(unreachable) == 1
        and unreachable[0]["status"] == "unreachable"
        and unreachable[0]["rule_id"] == ""
    )


def test_junit_counts_failures_skips_and_scan_errors():
    root = ET.fromstring(render_junit(current_fleet()))
    assert root.tag == "testsuites"
    assert (root.get("failures"), root.get("errors"), root.get("skipped")) == ("7", "4", "2")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert len(suites) == 9
    old = suites["win-old-04"]
    (case,) = old.iter("testcase")
    assert case.find("error").get("type") == "unreachable"
    sql = suites["win-sql-02"]
    failed = [c for c in sql.iter("testcase") if c.find("failure") is not None]
    assert {c.get("name").split(":")[0] for c in failed} == {
        "TlsVersionCheck",
        "AutomationAgentServiceConnectivityCheck1",
    }
    assert "Fix: Enable TLS 1.2" in failed[0].find("failure").text
    skipped = [c for c in suites["lnx-web-01"].iter("testcase") if c.find("skipped") is not None]
    assert [c.get("name") for c in skipped] == ["Linux.ImdsCheck: IMDS connectivity check"]


def _samples(text: str) -> dict[str, float]:
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def test_prometheus_metrics():
    samples = _samples(render_prometheus(current_fleet()))
    assert samples['umcheck_hosts{readiness="Not configured"}'] == 1
    assert samples['umcheck_host_status{status="auth_failed"}'] == 1
    assert samples['umcheck_rule_failures{rule_id="TlsVersionCheck"}'] == 2
    assert samples["umcheck_scan_duration_seconds"] == 372
    assert samples["umcheck_last_success_timestamp_seconds"] == 1795666872  # 2026-11-26T04:21:12Z


def test_prometheus_interrupted_run_keeps_the_previous_success_time():
    from dataclasses import replace

    cut = replace(current_fleet(), interrupted=True)
    samples = _samples(render_prometheus(cut, previous=previous_fleet()))
    assert samples["umcheck_run_interrupted"] == 1
    assert samples["umcheck_last_success_timestamp_seconds"] == 1795580412  # previous run's finish
    assert "umcheck_last_success_timestamp_seconds" not in render_prometheus(cut)


def test_prometheus_textfile_is_written_atomically_and_readable(tmp_path):
    target = tmp_path / "textfile"
    target.mkdir()
    (target / "umcheck.prom").write_text("old\n")
    path = write_prometheus(current_fleet(), target)
    assert path == target / "umcheck.prom"
    assert path.read_text().startswith("# HELP umcheck_hosts")
    assert oct(os.stat(path).st_mode & 0o777) == "0o644"
    assert sorted(p.name for p in target.iterdir()) == ["umcheck.prom"]


def test_text_summary_fits_the_width_and_colours_only_when_asked():
    fleet = current_fleet()
    diff = diff_fleets(previous_fleet(), fleet)
    for width in (80, 100):
        plain = render_summary(fleet, width=width, diff=diff)
        assert max(len(line) for line in plain.splitlines()) <= width
    assert "\x1b[" not in plain
    coloured = render_summary(fleet, color=True)
    assert "\x1b[32mReady\x1b[0m" in coloured
    assert "TlsVersionCheck" in plain and "Enable TLS 1.2" in plain
    assert plain.index("TlsVersionCheck") < plain.index("LinkedWorkspaceCheck"), "ranked by host count"


def test_text_summary_of_an_all_ready_fleet():
    fleet = FleetResult(run_id="r1", started="2026-01-01T00:00:00+00:00", hosts=[current_fleet().hosts[0]])
    out = render_summary(fleet)
    assert "Every host is Ready." in out and "Nothing to fix" in out
