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
