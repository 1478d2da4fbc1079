"""Data-driven rule tests: one test per tests/golden/rules/<RuleId>/<case>.json.

Each fixture holds a facts document, a rule context and the expected outcome. Coverage tests
make sure every message id every rule can emit, and every deviation listed in
docs/deviations.md, has at least one fixture.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from umcheck.facts import Facts
from umcheck.rules import ALL_RULES, RuleContext, evaluate

ROOT = Path(__file__).resolve().parents[1] / "golden" / "rules"
DOCS = Path(__file__).resolve().parents[2] / "docs"
FIXTURES = sorted(ROOT.glob("*/*.json"))
# A RuleId may exist for both OSes (the successor pack): the fixture's facts os_family picks the spec.
SPECS = {(r.rule_id, r.os_family): r for r in ALL_RULES}


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _context(raw: dict) -> RuleContext:
    raw = dict(raw or {})
    if "now" in raw:
        raw["now"] = datetime.fromisoformat(raw["now"].replace("Z", "+00:00"))
    return RuleContext(**raw)


@pytest.mark.parametrize("path", FIXTURES, ids=[f"{p.parent.name}/{p.stem}" for p in FIXTURES])
def test_golden_rule(path: Path) -> None:
    case = _load(path)
    rule_id = case.get("rule", path.parent.name)
    spec = SPECS[(rule_id, case["facts"]["os_family"])]
    outcome = evaluate(spec, Facts.from_dict(case["facts"]), _context(case.get("context")))
    expected = case["expected"]
    if expected.get("no_row"):
        assert outcome is None
        return
    assert outcome is not None
    assert outcome.CheckResult == expected["CheckResult"]
    assert outcome.CheckResultMessageId == expected["CheckResultMessageId"]
    if "CheckResultMessageArguments" in expected:
        assert outcome.CheckResultMessageArguments == expected["CheckResultMessageArguments"]
    if "reason" in expected:
        assert expected["reason"] in (outcome.reason or "")
    for key, value in expected.get("evidence", {}).items():
        assert outcome.evidence.get(key) == value, key
    if outcome.CheckResult in ("Failed", "PassedWithWarning"):
        assert outcome.remediation is not None and outcome.remediation.summary


def test_every_message_id_has_a_fixture() -> None:
    covered = {(_load(p).get("rule", p.parent.name), _load(p)["expected"].get("CheckResultMessageId")) for p in FIXTURES}
    missing = [(r.rule_id, m) for r in ALL_RULES for m in r.message_ids if (r.rule_id, m) not in covered]
    assert ALL_RULES, "no rules registered"
    assert not missing, f"message ids without a golden fixture: {missing}"


def test_every_documented_deviation_has_a_fixture() -> None:
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("deviations.md")))
    documented = set(re.findall(r"\b(Q-[WL]\d+[a-z]?)\b", text))
    covered = {d for p in FIXTURES for d in _load(p).get("deviations", [])}
    assert documented, "docs/deviations.md lists no deviations"
    assert documented <= covered, f"deviations without a fixture: {sorted(documented - covered)}"


def test_every_failure_has_remediation() -> None:
    from umcheck.rules.remediation import remediation_for

    for rule in ALL_RULES:
        for mid in rule.message_ids:
            if ".Failed" in mid or ".PassedWithWarning" in mid:
                assert remediation_for(mid) is not None, mid


OFFICIAL_NOTED = [p for p in FIXTURES if "official" in _load(p)]


@pytest.mark.parametrize("path", OFFICIAL_NOTED, ids=[f"{p.parent.name}/{p.stem}" for p in OFFICIAL_NOTED])
def test_official_verdict_noted_and_cited(path: Path) -> None:
    """Fixtures that note the official script's verdict cite where its logic decides it, and
    differ from umcheck's only under a documented deviation."""
    case = _load(path)
    official = case["official"]
    assert official["source"].strip() and official["verdict"].startswith(path.parent.name + ".")
    if official["verdict"] != case["expected"]["CheckResultMessageId"]:
        assert case.get("deviations"), "a different verdict needs a documented deviation"


def test_proxy_answer_fixtures_note_the_official_verdict() -> None:
    names = {f"{p.parent.name}/{p.stem}" for p in OFFICIAL_NOTED}
    assert {
        "IMDSConnectivity/failed-proxy-502-direct-200",
        "HttpsConnection/warning-proxy-502-direct-200",
        "HttpsConnection/failed-proxy-502-direct-refused",
        "HttpsConnection/warning-proxy-403-connect-direct-200",
        "HttpsConnection/failed-proxy-connect-403-direct-refused",
        "HttpsConnection/warning-proxy-connect-407-direct-200",
        "IMDSConnectivity/failed-proxy-407-direct-200",
        "IMDSConnectivity/failed-proxy-error-502-direct-200",
        "Linux.ImdsCheck/passed-proxy-502-direct-200",
        "Linux.ImdsCheck/failed-proxy-502-direct-refused",
    } <= names
