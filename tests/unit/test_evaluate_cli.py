"""``umcheck evaluate`` end to end on the shipped sample facts: output, readiness, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from umcheck.cli import main
from umcheck.rules.catalog import ALL_RULES

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
FACTS = GOLDEN / "facts"


def test_healthy_hosts_exit_0(capsys) -> None:
    rc = main(["evaluate", str(FACTS / "windows-healthy.json"), str(FACTS / "linux-healthy.json")])
    out = capsys.readouterr().out
    assert rc == 0
    assert "windows-healthy: Ready" in out and "linux-healthy: Ready" in out
    assert "2 Ready" in out


def test_failing_host_exit_1_with_remediation(capsys) -> None:
    rc = main(["evaluate", str(FACTS / "windows-tls-disabled.json")])
    out = capsys.readouterr().out
    assert rc == 1
    assert "TlsVersionCheck.Failed" in out and "SchUseStrongCrypto" in out


def test_json_format(capsys) -> None:
    rc = main(["evaluate", "--format", "json", str(FACTS / "windows-not-configured.json")])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1
    host = doc["hosts"][0]
    assert host["readiness"] == "Not configured"
    assert {o["RuleId"] for o in host["outcomes"]} >= {"OperatingSystemCheck", "LAOmsEndpointConnectivity"}


def test_rule_selection(capsys) -> None:
    main(["evaluate", "--format", "json", "--rules", "connectivity", str(FACTS / "windows-healthy.json")])
    doc = json.loads(capsys.readouterr().out)
    assert {o["RuleGroupId"] for o in doc["hosts"][0]["outcomes"]} == {"connectivity"}


def test_official_output_accepted(capsys) -> None:
    rc = main(["evaluate", str(GOLDEN / "official" / "linux.txt")])
    assert rc == 1
    assert "Linux.OMSAgentStatusCheck.Failed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["evaluate", "/nonexistent/facts.json"], "cannot read"),
        (["evaluate", "--rules", "NoSuchRule", "x.json"], "unknown rule or group"),
        (["rules", "--group", "nosuchgroup"], "unknown rule group"),
    ],
)
def test_usage_errors_one_line_exit_2(argv, needle, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_garbage_file_is_reported_and_good_files_still_print(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"facts_version": 1, "os_family": "windows"')  # truncated
    rc = main(["evaluate", str(FACTS / "linux-healthy.json"), str(bad)])
    captured = capsys.readouterr()
    assert rc == 2
    assert "linux-healthy: Ready" in captured.out
    assert "bad.json" in captured.err and "Traceback" not in captured.err


def test_rules_catalog_lists_every_rule(capsys) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert len(ALL_RULES) == 92  # 37 legacy + 55 successor specs (its 35 rule ids, one spec per OS)
    assert "92 rule(s)" in out and "Linux.HybridWorkerPackgeCheck" in out and "SR.Arc.Connected" in out
    assert main(["rules", "--pack", "legacy"]) == 0
    assert "37 rule(s)" in capsys.readouterr().out
