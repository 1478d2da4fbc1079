"""Official troubleshooter output (Windows full/compact JSON, Linux JSON line) into umcheck outcomes."""

from __future__ import annotations

from pathlib import Path

import pytest

from umcheck.compat import OfficialOutputError, parse_official
from umcheck.results import Readiness
from umcheck.rules.readiness import readiness

OFFICIAL = Path(__file__).resolve().parents[1] / "golden" / "official"


def test_windows_full_form() -> None:
    family, outcomes = parse_official((OFFICIAL / "windows-full.json").read_bytes())
    assert family == "windows"
    assert [o.RuleId for o in outcomes][:2] == ["OperatingSystemCheck", "WindowsManagementFrameworkInstalledCheck"]
    wmf = outcomes[1]
    assert wmf.CheckResultMessageArguments == ["5.1.17763.1"]  # System.Version object normalised
    tls = outcomes[3]
    assert tls.CheckResultMessageId == "TlsVersionCheck.Failed.ExplicitlyDisabled"
    assert tls.remediation is not None and "TLS" in tls.remediation.summary
    assert outcomes[4].CheckResultMessageArguments is None  # null arguments kept
    assert readiness(outcomes).state == Readiness.DISCONNECTED


def test_windows_compact_form_gets_display_fields_from_catalog() -> None:
    family, outcomes = parse_official((OFFICIAL / "windows-compact.json").read_text())
    assert family == "windows"
    assert outcomes[1].RuleName and outcomes[1].RuleGroupName  # filled from umcheck's catalog
    assert readiness(outcomes).state == Readiness.NOT_CONFIGURED


def test_linux_banner_and_noise_before_json() -> None:
    family, outcomes = parse_official((OFFICIAL / "linux.txt").read_bytes())
    assert family == "linux"
    assert [o.CheckResult for o in outcomes] == ["Passed", "Failed"]
    assert outcomes[1].RuleName == "Monitoring Agent status"


def test_single_row_object_and_utf16() -> None:
    text = '{"RuleId":"OperatingSystemCheck","RuleGroupId":"prerequisites","CheckResult":"Failed"}'
    family, outcomes = parse_official(text.encode("utf-16"))
    assert outcomes[0].CheckResultMessageId == "OperatingSystemCheck.Failed"


@pytest.mark.parametrize("text", ["no json here", "[1, 2]", '[{"RuleId": "X", "CheckResult": "Bogus"}]', "[]"])
def test_rejects_non_troubleshooter_output(text: str) -> None:
    with pytest.raises(OfficialOutputError):
        parse_official(text)


def test_multiple_workspaces_is_onboarded_not_unconfigured() -> None:
    from umcheck.results import RuleOutcome

    def row(reason):
        return RuleOutcome("AutomationAgentServiceConnectivityCheck1", "connectivity", "n", "g", None, "Failed", None,
                           "AutomationAgentServiceConnectivityCheck1.Failed.NoRegistrationFound", None, reason=reason)

    assert readiness([row("MultipleWorkspaces")]).state == Readiness.DISCONNECTED
    assert readiness([row("NoRegistrationFound")]).state == Readiness.NOT_CONFIGURED


def test_multiple_workspaces_graded_the_same_from_facts_and_from_official_json() -> None:
    """The same two-workspace machine, from umcheck facts and from the official script's JSON
    (same ids and arguments, no umcheck reasons): both Disconnected (Q-W7, docs/readiness.md)."""
    import json
    from datetime import UTC, datetime

    from umcheck.facts import Facts
    from umcheck.rules import RuleContext, evaluate_host

    doc = json.loads((OFFICIAL.parent / "facts" / "windows-healthy.json").read_text(encoding="utf-8"))
    win = doc["windows"]
    ws = ["11111111-2222-3333-4444-555555555555", "66666666-7777-8888-9999-000000000000"]
    win["workspaces"] = {"configured": ws, "with_updates": ws, "operations_log_present": True}
    ctx = RuleContext(cloud="public", location="westeurope", is_azure=True,
                      now=datetime(2024, 5, 1, 12, tzinfo=UTC))  # fmt: skip
    from_facts = evaluate_host(Facts.from_dict(doc), ctx)
    ids = {o.RuleId: o.CheckResultMessageId for o in from_facts}
    assert ids["LinkedWorkspaceCheck"] == "LinkedWorkspaceCheck.Failed"  # bare: the official multi-workspace id
    assert ids["AutomationAgentServiceConnectivityCheck1"].endswith(".Failed.NoRegistrationFound")

    official = json.dumps([
        {"RuleId": o.RuleId, "RuleGroupId": o.RuleGroupId, "CheckResult": o.CheckResult,
         "CheckResultMessageId": o.CheckResultMessageId, "CheckResultMessageArguments": o.CheckResultMessageArguments}
        for o in from_facts
    ])  # fmt: skip
    family, from_official = parse_official(official)
    assert family == "windows"
    assert readiness(from_facts).state == readiness(from_official).state == Readiness.DISCONNECTED

    # A failure with a reason suffix (no workspace) keeps NoRegistrationFound meaning "not onboarded".
    rows = json.loads(official)
    for r in rows:
        if r["RuleId"] == "LinkedWorkspaceCheck":
            r["CheckResultMessageId"] = "LinkedWorkspaceCheck.Failed.NoWorkspace"
    assert readiness(parse_official(json.dumps(rows))[1]).state == Readiness.NOT_CONFIGURED
