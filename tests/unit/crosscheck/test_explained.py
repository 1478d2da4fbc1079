"""The deviation table the cross-check names stays in step with the golden fixtures and the docs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from umcheck.crosscheck.compare import compare
from umcheck.crosscheck.explained import EXPLANATIONS, NO_ROW, explain
from umcheck.results import HostResult, HostStatus, RuleOutcome

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = sorted((ROOT / "tests" / "golden" / "rules").glob("*/*.json"))
DIFFERING = [p for p in FIXTURES if (c := json.loads(p.read_text()))
             and "official" in c and c["official"]["verdict"] != c["expected"]["CheckResultMessageId"]]  # fmt: skip


def test_documented_ids_only() -> None:
    documented = set(re.findall(r"\b(Q-[WL]\d+[a-z]?)\b", (ROOT / "docs" / "deviations.md").read_text()))
    assert {e.deviation for e in EXPLANATIONS} <= documented


@pytest.mark.parametrize("path", DIFFERING, ids=[f"{p.parent.name}/{p.stem}" for p in DIFFERING])
def test_every_fixture_where_the_official_verdict_differs_is_explained_by_its_deviation(path: Path) -> None:
    case = json.loads(path.read_text())
    rule = case.get("rule", path.parent.name)
    why = explain(rule, case["expected"]["CheckResultMessageId"], case["official"]["verdict"])
    assert why is not None, f"{rule}: no explanation for {case['expected']['CheckResultMessageId']} vs {case['official']['verdict']}"
    assert why.deviation in case["deviations"], (why.deviation, case["deviations"])


def test_the_table_covers_the_proxy_fixtures() -> None:
    names = {f"{p.parent.name}/{p.stem}" for p in DIFFERING}
    assert "HttpsConnection/warning-proxy-403-connect-direct-200" in names  # Q-W6b
    assert "Linux.ImdsCheck/failed-proxy-502-direct-refused" in names  # Q-L3c


def _outcome(rule: str, result: str, mid: str | None = None) -> RuleOutcome:
    return RuleOutcome(rule, "g", rule, "G", None, result, None, mid or f"{rule}.{result}", None)


def _host(*outcomes: RuleOutcome) -> HostResult:
    return HostResult("h", status=HostStatus.OK, outcomes=list(outcomes), os_family="windows")


def test_compare_names_agreements_explained_and_unexplained_differences() -> None:
    mine = _host(_outcome("OperatingSystemCheck", "Passed"), _outcome("HttpsConnection", "PassedWithWarning"),
                 _outcome("MonitoringAgentServiceRunningCheck", "Passed"), _outcome("IMDSConnectivity", "Passed"))  # fmt: skip
    theirs = _host(_outcome("OperatingSystemCheck", "Passed"), _outcome("HttpsConnection", "Passed"),
                   _outcome("MonitoringAgentServiceRunningCheck", "Failed"))  # fmt: skip
    c = compare("official-windows", mine, theirs)
    assert c.agreed == 1
    by = {d.rule_id: d for d in c.disagreements}
    assert by["HttpsConnection"].deviation == "Q-W6b"
    assert by["MonitoringAgentServiceRunningCheck"].deviation is None
    assert by["IMDSConnectivity"].official == NO_ROW and by["IMDSConnectivity"].deviation is None
    assert [d.rule_id for d in c.unexplained] == ["IMDSConnectivity", "MonitoringAgentServiceRunningCheck"]
    assert "2 not explained" in c.summary


def test_a_failed_official_side_is_an_error_not_a_disagreement() -> None:
    broken = HostResult("h", status=HostStatus.COLLECTOR_ERROR, error="no troubleshooter JSON found\x1b[31m")
    c = compare("official-linux", _host(_outcome("Linux.ProxyCheck", "Passed")), broken)
    assert c.status == "error" and not c.disagreements and "\x1b" not in (c.error or "")
