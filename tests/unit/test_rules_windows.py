"""Windows rules: official identity table, W-A resolution, section dependencies, samples, robustness.

The per-branch behaviour is covered by the golden fixtures in tests/golden/rules/<RuleId>/; this
file checks what a single fixture cannot: the whole catalog against the official table, that
rules read only the sections they declare, the four sample hosts end to end, and that arbitrary
(hostile or half-broken) facts never raise.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from umcheck.acl import Ace
from umcheck.facts import Facts, WinWorkspaces
from umcheck.rules import RuleContext, evaluate
from umcheck.rules.remediation import remediation_for
from umcheck.rules.windows import WINDOWS_RULES
from umcheck.rules.windows_common import parse_version
from umcheck.rules.windows_permissions import REQUIRED, system_rights
from umcheck.rules.windows_remediation import WINDOWS_REMEDIATION
from umcheck.rules.windows_workspace import resolve_workspace

FACTS_DIR = Path(__file__).resolve().parents[1] / "golden" / "facts"
CTX = RuleContext(
    cloud="public", location="westeurope", is_azure=True, now=datetime(2024, 5, 1, 12, tzinfo=UTC)
)
WS, WS2, WS3 = (f"{c * 8}-2222-3333-4444-555555555555" for c in "136")

# §2.0 of the rules reference: output order, identity fields and every possible message id.
OFFICIAL = [
    ("OperatingSystemCheck", "prerequisites", "Prerequisite Checks", "Operating System", "Passed Failed"),
    ("DotNetFrameworkInstalledCheck", "prerequisites", "Prerequisite Checks", ".Net Framework 4.6.2+", "Passed Failed"),
    ("WindowsManagementFrameworkInstalledCheck", "prerequisites", "Prerequisite Checks", "WMF 5.1",
     "Passed PassedWithWarning Failed"),
    ("AutomationAgentServiceConnectivityCheck1", "connectivity", "connectivity", "Registration endpoint",
     "Passed Failed Failed.NoRegistrationFound"),
    ("AutomationJobRuntimeDataServiceConnectivityCheck", "connectivity", "connectivity", "Operations endpoint",
     "Passed Failed"),
    ("MonitoringAgentServiceRunningCheck", "servicehealth", "VM Service Health Checks", "Monitoring Agent service status",
     "Passed Failed"),
    ("SystemHybridRunbookWorkerRunningCheck", "servicehealth", "VM Service Health Checks", "Hybrid runbook worker status",
     "Passed Failed"),
    ("MonitoringAgentServiceEventsCheck", "servicehealth", "VM Service Health Checks", "Monitoring Agent service events",
     "Passed Failed.EventFound Failed.NoLog"),
    ("LinkedWorkspaceCheck", "servicehealth", "VM Service Health Checks", "VM's Linked Workspace",
     "Passed PassedWithWarning Failed Failed.NoWorkspace"),
    ("CryptoRsaMachineKeysFolderAccessCheck", "permissions", "Access Permission Checks",
     "Crypto RSA MachineKeys Folder Access", "Passed Failed"),
    ("TlsVersionCheck", "prerequisites", "Prerequisite Checks", "TLS 1.2",
     "Passed Failed Passed.EnabledByDefault Failed.NotExplicitlyEnabled Failed.ExplicitlyDisabled Failed.NoDefaultSupport"),
    ("AlwaysAutoRebootCheck", "machineSettings", "Machine Override Checks", "AutoReboot", "Passed PassedWithWarning"),
    ("WSUSServerConfigured", "machineSettings", "Machine Override Checks", "isWSUSServerConfigured",
     "Passed PassedWithWarning"),
    ("AutomaticUpdateCheck", "machineSettings", "Machine Override Checks", "AutoUpdate", "Passed PassedWithWarning"),
    ("HttpsConnection", "connectivity", "connectivity", "Https connection", "Passed PassedWithWarning Failed"),
    ("ProxySettings", "connectivity", "connectivity", "Proxy settings", "Passed PassedWithWarning"),
    ("IMDSConnectivity", "connectivity", "connectivity", "IMDS endpoint connectivity", "Passed Failed PassedWithWarning"),
    ("WUServiceRunningCheck", "servicehealth", "WU Service Health Check", "WU service status", "Passed Failed"),
    ("LAOdsEndpointConnectivity", "connectivity", "connectivity", "LA ODS endpoint", "Passed Failed"),
    ("LAOmsEndpointConnectivity", "connectivity", "connectivity", "LA OMS endpoint", "Passed Failed"),
]  # fmt: skip


def _sample(name: str) -> dict:
    return json.loads((FACTS_DIR / f"{name}.json").read_text(encoding="utf-8"))


def _run(doc: dict, ctx: RuleContext = CTX) -> dict:
    facts = Facts.from_dict(doc)
    return {spec.rule_id: evaluate(spec, facts, ctx) for spec in WINDOWS_RULES}


# ----------------------------------------------------------------------------------------------
# identity


def test_catalog_matches_the_official_table() -> None:
    got = [(r.rule_id, r.group_id, r.group_name, r.name, " ".join(m.split(".", 1)[1] for m in r.message_ids))
           for r in WINDOWS_RULES]  # fmt: skip
    assert got == OFFICIAL


def test_specs_are_well_formed() -> None:
    for r in WINDOWS_RULES:
        assert r.os_family == "windows"
        assert r.description and r.description.strip() == r.description
        assert r.needs, r.rule_id
        assert len(set(r.message_ids)) == len(r.message_ids)
        for mid in r.message_ids:
            assert re.fullmatch(
                rf"{re.escape(r.rule_id)}\.(Passed|PassedWithWarning|Failed)(\.[A-Z][A-Za-z]+)?", mid
            ), mid


def test_remediation_keys_are_real_ids_with_https_links() -> None:
    ids = {m for r in WINDOWS_RULES for m in r.message_ids}
    for key, rem in WINDOWS_REMEDIATION.items():
        assert key in ids, f"remediation for an id no rule emits: {key}"
        assert rem.summary and "\n" not in rem.summary
        assert rem.verify
        assert rem.links and all(link.startswith("https://") for link in rem.links), key
        assert all(isinstance(c, str) and c for c in rem.commands)
    for mid in ids:
        if mid.split(".")[1] in ("Failed", "PassedWithWarning"):
            assert remediation_for(mid) is not None, mid


# ----------------------------------------------------------------------------------------------
# W-A


@pytest.mark.parametrize(
    ("configured", "with_updates", "log", "official", "workspace", "reason"),
    [
        ([WS], [WS], True, "", WS, None),
        ([WS.upper()], [WS], True, "", WS, None),  # PowerShell compares case-blind
        ([WS, WS], [WS, WS], True, "", WS, None),  # duplicates are one workspace
        ([WS, WS2], [WS], True, "MultipleButValid", WS, "MultipleButValid"),
        ([WS, WS2, WS3], [WS3], True, "MultipleButValid", WS3, "MultipleButValid"),
        ([WS, WS2], [WS, WS2], True, "Multiple", None, "MultipleWorkspaces"),
        ([WS], [WS2], True, "None", None, "NoUpdatesSolution"),  # 1210 of a workspace no longer configured
        ([WS], [], True, "None", None, "NoUpdatesSolution"),
        ([], [WS], True, "None", None, "NoWorkspace"),
        ([], [], True, "None", None, "NoWorkspace"),
        ([WS], [WS], False, "None", None, "NoOperationsLog"),  # official: reading the log throws
        ([], [], False, "None", None, "NoWorkspace"),
    ],
)
def test_workspace_resolution(configured, with_updates, log, official, workspace, reason) -> None:
    res = resolve_workspace(WinWorkspaces(configured, with_updates, log))
    assert (res.official, res.workspace, res.reason) == (official, workspace, reason)
    assert res.valid == (workspace is not None)


@pytest.mark.parametrize(
    ("configured", "with_updates", "ids"),
    [
        ([WS, WS2], [WS, WS2], ("Failed.NoRegistrationFound", "Failed", "Failed", "Failed")),
        ([], [], ("Failed.NoRegistrationFound", "Failed.NoWorkspace", "Failed", "Failed")),
        ([WS, WS2], [WS2], ("Passed", "PassedWithWarning", "Passed", "Passed")),
    ],
)
def test_the_four_workspace_rules_agree(configured, with_updates, ids) -> None:
    probes = [{"name": n, "target": f"{w}.{n}.example", "ok": True, "workspace": w} for n in ("agentsvc", "ods", "oms")
              for w in (WS, WS2)]  # fmt: skip
    doc = {"facts_version": 1, "os_family": "windows", "host": {}, "collector": {},
           "windows": {"workspaces": {"configured": configured, "with_updates": with_updates}, "probes": probes}}  # fmt: skip
    out = _run(doc)
    rules = ("AutomationAgentServiceConnectivityCheck1", "LinkedWorkspaceCheck", "LAOdsEndpointConnectivity",
             "LAOmsEndpointConnectivity")  # fmt: skip
    assert tuple(out[r].CheckResultMessageId.split(".", 1)[1] for r in rules) == ids
    if ids[2] == "Passed":  # the probe of the resolved workspace, not of the other one
        assert out["LAOdsEndpointConnectivity"].CheckResultMessageArguments == [f"{WS2}.ods.example"]
    else:
        assert out["AutomationAgentServiceConnectivityCheck1"].RuleDescription  # Q-W3: never empty


# ----------------------------------------------------------------------------------------------
# helpers with semantics of their own


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("6.1.7600", "6.1.7600.16385"),
        ("6.1.8400", "6.1.8400.0"),
        ("6.0.6001", "6.1"),
        ("6.3.9600", "10.0.14393"),
    ],
)
def test_version_order_is_system_version_order(a: str, b: str) -> None:
    assert parse_version(a) < parse_version(b)


@pytest.mark.parametrize("text", ["", None, "ten", "1.2.3.4.5", "6..1", "6.1-rc"])
def test_garbled_versions_are_rejected(text) -> None:
    assert parse_version(text) is None


def test_machine_keys_rights_expand_generic_and_deny_wins() -> None:
    allowed, denied = system_rights([Ace("S-1-5-18", rights=0x10000000)])  # GENERIC_ALL
    assert allowed & REQUIRED == REQUIRED and denied == 0
    allowed, _ = system_rights([Ace("S-1-5-18", rights=0x40000000)])  # GENERIC_WRITE: no list right
    assert REQUIRED & ~allowed == 0x1
    allowed, _ = system_rights([Ace("S-1-5-21-1-2-3-500", rights=0x1F01FF)])  # some user: not SYSTEM
    assert allowed == 0
    allowed, denied = system_rights(
        [Ace("s-1-1-0", rights=0x1F01FF), Ace("S-1-5-18", rights=0x2, allow=False)]
    )
    assert allowed & ~denied & REQUIRED == REQUIRED & ~0x2


# ----------------------------------------------------------------------------------------------
# sections: a rule reads what it declares, and nothing else


def _only(doc: dict, sections) -> dict:
    return {**doc, "windows": {k: v for k, v in doc["windows"].items() if k in sections}}


@pytest.mark.parametrize("spec", WINDOWS_RULES, ids=lambda s: s.rule_id)
def test_rule_needs_only_its_declared_sections(spec) -> None:
    doc = _only(_sample("windows-healthy"), spec.needs)
    outcome = evaluate(spec, Facts.from_dict(doc), CTX)
    assert outcome is not None and outcome.CheckResult == "Passed", (
        outcome.CheckResultMessageId,
        outcome.reason,
    )


OPTIONAL = {("SystemHybridRunbookWorkerRunningCheck", "services")}  # a cross-check skipped when absent


@pytest.mark.parametrize(
    ("spec", "section"),
    [(s, n) for s in WINDOWS_RULES for n in s.needs],
    ids=lambda v: getattr(v, "rule_id", v),
)
def test_a_missing_needed_section_is_not_evaluated(spec, section) -> None:
    doc = _only(_sample("windows-healthy"), set(spec.needs) - {section})
    outcome = evaluate(spec, Facts.from_dict(doc), CTX)
    if (spec.rule_id, section) in OPTIONAL:
        assert outcome.CheckResult == "Passed"
    else:
        assert outcome.CheckResult == "NotEvaluated"
        assert outcome.reason.startswith(f"{section}:")
        assert outcome.remediation is None


# ----------------------------------------------------------------------------------------------
# the four sample hosts


def test_healthy_sample_passes_every_rule() -> None:
    out = _run(_sample("windows-healthy"))
    assert {r: o.CheckResultMessageId for r, o in out.items() if o.CheckResult != "Passed"} == {}
    assert out["TlsVersionCheck"].CheckResultMessageId == "TlsVersionCheck.Passed.EnabledByDefault"
    assert out["AutomationJobRuntimeDataServiceConnectivityCheck"].evidence["source"] == "recorded"


EXPECTED_SAMPLES = {
    "windows-tls-disabled": {
        "TlsVersionCheck": "TlsVersionCheck.Failed.ExplicitlyDisabled",
        "HttpsConnection": "HttpsConnection.Failed",
        "MonitoringAgentServiceEventsCheck": "MonitoringAgentServiceEventsCheck.Failed.EventFound",
    },
    "windows-not-configured": {
        "AutomationAgentServiceConnectivityCheck1": "AutomationAgentServiceConnectivityCheck1.Failed.NoRegistrationFound",
        "MonitoringAgentServiceRunningCheck": "MonitoringAgentServiceRunningCheck.Failed",
        "SystemHybridRunbookWorkerRunningCheck": "SystemHybridRunbookWorkerRunningCheck.Failed",
        "MonitoringAgentServiceEventsCheck": "MonitoringAgentServiceEventsCheck.Failed.NoLog",
        "LinkedWorkspaceCheck": "LinkedWorkspaceCheck.Failed.NoWorkspace",
        "LAOdsEndpointConnectivity": "LAOdsEndpointConnectivity.Failed",
        "LAOmsEndpointConnectivity": "LAOmsEndpointConnectivity.Failed",
    },
    "windows-disconnected": {
        "AutomationAgentServiceConnectivityCheck1": "AutomationAgentServiceConnectivityCheck1.Failed",
        "AutomationJobRuntimeDataServiceConnectivityCheck": "AutomationJobRuntimeDataServiceConnectivityCheck.Failed",
        "MonitoringAgentServiceRunningCheck": "MonitoringAgentServiceRunningCheck.Failed",
        "SystemHybridRunbookWorkerRunningCheck": "SystemHybridRunbookWorkerRunningCheck.Failed",
        "MonitoringAgentServiceEventsCheck": "MonitoringAgentServiceEventsCheck.Failed.EventFound",
        "HttpsConnection": "HttpsConnection.Failed",
        "LAOdsEndpointConnectivity": "LAOdsEndpointConnectivity.Failed",
        "LAOmsEndpointConnectivity": "LAOmsEndpointConnectivity.Failed",
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED_SAMPLES))
def test_problem_samples_fail_exactly_the_expected_rules(name: str) -> None:
    out = _run(_sample(name))
    not_passed = {r: o.CheckResultMessageId for r, o in out.items() if o.CheckResult != "Passed"}
    assert not_passed == EXPECTED_SAMPLES[name]
    for outcome in out.values():
        if outcome.CheckResult == "Failed":
            assert outcome.reason and outcome.remediation is not None


@pytest.mark.parametrize(
    ("name", "state"),
    [("windows-healthy", "Ready"), ("windows-tls-disabled", "Disconnected"),
     ("windows-not-configured", "Not configured"), ("windows-disconnected", "Disconnected")],
)  # fmt: skip
def test_samples_grade_as_their_name_says(name: str, state: str) -> None:
    from umcheck.rules.readiness import readiness

    assert readiness(_run(_sample(name)).values()).state == state


def test_sample_outcomes_are_json_serialisable() -> None:
    for path in sorted(FACTS_DIR.glob("windows-*.json")):
        for outcome in _run(json.loads(path.read_text(encoding="utf-8"))).values():
            json.dumps({"args": outcome.CheckResultMessageArguments, "evidence": outcome.evidence})


# ----------------------------------------------------------------------------------------------
# robustness: whatever the host sends, every rule answers with one of its ids or NotEvaluated

_text = st.one_of(st.none(), st.sampled_from(["", "Running", "Stopped", "Disabled", "Manual", "10.0.17763", "6.1.7601",
                                              "5.1.1", "7.4.0", "x.y", WS, "proxy:8080"]))  # fmt: skip
_int = st.one_of(st.none(), st.sampled_from([0, 1, 3, 4, 15003, 15004, 394802, 0xFFFFFFFF, -1]))
_bool = st.booleans()
_service = st.fixed_dictionaries({}, optional={"present": _bool, "status": _text, "start_type": _text})
_probe = st.fixed_dictionaries(
    {"name": st.sampled_from(["agentsvc", "jrds", "jrds_recorded", "ods", "oms", "https", "https_recorded", "imds"]),
     "target": st.sampled_from(["h.example", "https://h.example"])},
    optional={"via": st.sampled_from(["direct", "proxy"]), "ok": _bool, "status": _int, "workspace": _text,
              "error": st.sampled_from(["dns", "proxy", "timeout", "reset"])},
)  # fmt: skip
_sections = {
    "os": st.fixed_dictionaries({"version": st.sampled_from(["6.0.6001", "6.1.7600", "6.1.7601", "6.2.9200", "10.0.1", "bad"])}),
    "dotnet": st.fixed_dictionaries({}, optional={"release": _int, "subkey_releases": st.lists(st.integers(0, 600000), max_size=3)}),
    "powershell": st.fixed_dictionaries({}, optional={"engine_version": _text, "collector_host_version": _text}),
    "tls": st.fixed_dictionaries({}, optional={k: _int for k in ("client_enabled", "client_disabled_by_default",
                                                                 "server_enabled", "server_disabled_by_default")}),
    "workspaces": st.fixed_dictionaries({}, optional={"configured": st.lists(st.sampled_from([WS, WS2, ""]), max_size=3),
                                                      "with_updates": st.lists(st.sampled_from([WS, WS2]), max_size=3),
                                                      "operations_log_present": _bool}),
    "services": st.fixed_dictionaries({}, optional={"health_service": _service, "wuauserv": _service}),
    "agent_events": st.fixed_dictionaries({}, optional={"operations_log_present": _bool, "events_4502": st.integers(0, 9),
                                                        "events_4502_hybrid": st.integers(0, 9)}),
    "system_worker": st.fixed_dictionaries({}, optional={"sma_log_present": _bool, "last_event_id": _int,
                                                         "last_event_time": st.sampled_from(["2024-04-01T00:00:00Z", "garbage"])}),
    "machine_keys": st.fixed_dictionaries({}, optional={"exists": _bool, "aces": st.lists(st.fixed_dictionaries(
        {"sid": st.sampled_from(["S-1-5-18", "S-1-1-0", "S-1-5-32-545"]), "rights": st.integers(0, 2**32 - 1),
         "allow": _bool}), max_size=4)}),
    "windows_update": st.fixed_dictionaries({}, optional={"wu_server": _text, "use_wu_server": _int, "au_options": _int,
                                                          "no_auto_update": _int, "always_auto_reboot": _int,
                                                          "always_auto_reboot_minutes": _int}),
    "proxy": st.fixed_dictionaries({}, optional={"winhttp_proxy": _text, "agent_proxy": _text}),
    "probes": st.lists(_probe, max_size=6),
}  # fmt: skip
_windows = st.fixed_dictionaries({}, optional=_sections)
_ctx = st.builds(RuleContext, cloud=st.sampled_from(["public", "usgov", "china"]),
                 location=st.sampled_from([None, "westeurope", "swedencentral", "usgovarizona", "East US 2"]),
                 is_azure=st.sampled_from([None, True, False]), now=st.just(CTX.now))  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(windows=_windows, ctx=_ctx)
def test_arbitrary_facts_never_raise(windows: dict, ctx: RuleContext) -> None:
    doc = {"facts_version": 1, "os_family": "windows", "host": {}, "collector": {}, "windows": windows}
    for spec, outcome in zip(WINDOWS_RULES, _run(doc, ctx).values(), strict=True):
        assert outcome is not None
        if outcome.CheckResult == "NotEvaluated":
            assert outcome.reason
            continue
        assert outcome.CheckResultMessageId in spec.message_ids
        if outcome.CheckResult != "Passed":
            assert outcome.reason, outcome.CheckResultMessageId
            assert outcome.remediation is not None
        json.dumps({"args": outcome.CheckResultMessageArguments, "evidence": outcome.evidence})
