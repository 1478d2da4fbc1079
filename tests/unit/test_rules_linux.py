"""Linux rules: what the one-rule golden fixtures cannot express.

Whole-host evaluation of the sample facts files, official order and row counts per cloud,
robustness against arbitrary facts (Q-L1), credential redaction, the remediation catalog, and
that the committed fixtures match their generator.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from umcheck.facts import Facts
from umcheck.rules import RuleContext, evaluate, evaluate_host
from umcheck.rules.linux import LINUX_RULES
from umcheck.rules.linux_common import host_of
from umcheck.rules.linux_remediation import LINUX_REMEDIATION
from umcheck.rules.remediation import remediation_for

LEGACY = ("pack:legacy",)  # these tests are about the legacy pack

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CTX = RuleContext(cloud="public", is_azure=True)
OFFICIAL_ORDER = [
    "Linux.OperatingSystemCheck",
    "Linux.DmidecodeCheck",
    "Linux.OMSAgentInstallCheck",
    "Linux.OMSAgentStatusCheck",
    "Linux.MultiHomingCheck",
    "Linux.HybridWorkerPackgeCheck",
    "Linux.HybridWorkerStatusCheck",
    "Linux.ProxyCheck",
    "Linux.ImdsCheck",
    "Linux.InternetConnectionCheck",
    "Linux.AgentServiceConnectivityCheck",
    "Linux.JRDSConnectivityCheck",
    "Linux.LogAnalyticsConnectivityCheck1",
    "Linux.LogAnalyticsConnectivityCheck2",
    "Linux.LogAnalyticsConnectivityCheck3",
    "Linux.LogAnalyticsConnectivityCheck4",
    "Linux.ReposAccessCheck",
]
SECTIONS = ["os", "dmi", "oms_agent", "workspaces", "worker", "current_mof", "proxy", "repos", "probes"]


def _load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("make_linux", GOLDEN / "rules" / "make_linux.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _load_generator()


def _host(name: str) -> Facts:
    return Facts.from_json((GOLDEN / "facts" / f"{name}.json").read_text(encoding="utf-8"))


def _by_id(facts: Facts, ctx: RuleContext = CTX) -> dict[str, Any]:
    return {o.RuleId: o for o in evaluate_host(facts, ctx, LEGACY)}


def test_rules_in_official_order_with_official_groups() -> None:
    assert [r.rule_id for r in LINUX_RULES] == OFFICIAL_ORDER
    groups = {r.rule_id: (r.group_id, r.group_name) for r in LINUX_RULES}
    assert groups["Linux.DmidecodeCheck"] == ("prerequisites", "Prerequisite checks")
    assert groups["Linux.HybridWorkerPackgeCheck"] == (
        "servicehealth",
        "Monitoring agent service health checks",
    )
    assert groups["Linux.ReposAccessCheck"] == ("connectivity", "Connectivity checks")
    for rule in LINUX_RULES:
        assert rule.os_family == "linux" and rule.name and rule.description and rule.needs
        assert all(m.startswith(rule.rule_id + ".") for m in rule.message_ids)
        assert set(rule.needs) <= set(SECTIONS)


def test_healthy_host_passes_every_rule() -> None:
    facts = _host("linux-healthy")
    assert not facts.missing, facts.missing
    outcomes = evaluate_host(facts, CTX, LEGACY)
    assert [o.RuleId for o in outcomes] == [r for r in OFFICIAL_ORDER if not r.endswith(("Check3", "Check4"))]
    assert {o.RuleId: o.CheckResult for o in outcomes if o.CheckResult != "Passed"} == {}
    assert all(o.remediation is None for o in outcomes)


def test_healthy_host_facts_are_the_documented_sample() -> None:
    facts = _host("linux-healthy")
    assert facts.data.os.distro == "ubuntu-20.04"
    assert facts.data.oms_agent.conf["WORKSPACE_ID"] == "11111111-2222-3333-4444-555555555555"
    assert {p.name for p in facts.data.probes} >= {"internet", "agentsvc", "jrds", "la1", "la2", "imds"}


def test_multihomed_host() -> None:
    out = _by_id(_host("linux-multihomed"))
    mh = out["Linux.MultiHomingCheck"]
    assert mh.CheckResultMessageId == "Linux.MultiHomingCheck.Failed"
    assert mh.CheckResultMessageArguments == [
        "['11111111-2222-3333-4444-555555555555', '99999999-8888-7777-6666-555555555555']"
    ]
    hws = out["Linux.HybridWorkerStatusCheck"]
    assert hws.CheckResult == "Failed" and "another workspace" in hws.reason
    failing = {k for k, o in out.items() if o.CheckResult != "Passed"}
    assert failing == {"Linux.MultiHomingCheck", "Linux.HybridWorkerStatusCheck"}


def test_worker_stopped_host() -> None:
    out = _by_id(_host("linux-worker-stopped"))
    failing = {k: o for k, o in out.items() if o.CheckResult != "Passed"}
    assert list(failing) == ["Linux.HybridWorkerStatusCheck"]
    hws = failing["Linux.HybridWorkerStatusCheck"]
    assert hws.CheckResultMessageId == "Linux.HybridWorkerStatusCheck.Failed"
    assert hws.evidence["failed_conditions"] == [
        "worker manager (worker/main.py) is not running as nxautomation",
        "hybrid worker (worker/hybridworker.py) is not running",
    ]
    assert hws.remediation is not None and hws.remediation.shell == "sh"


@pytest.mark.parametrize(("cloud", "rows"), [("public", 15), ("china", 15), ("usgov", 17)])
def test_row_count_per_cloud(cloud: str, rows: int) -> None:
    facts = Facts.from_dict(GEN.facts_doc(GEN.healthy(cloud)))
    outcomes = evaluate_host(
        facts, RuleContext(cloud="public", is_azure=True), LEGACY
    )  # the host's omsadmin.conf decides
    assert len(outcomes) == rows
    assert all(o.CheckResult == "Passed" for o in outcomes), [
        o.RuleId for o in outcomes if o.CheckResult != "Passed"
    ]
    la1 = next(o for o in outcomes if o.RuleId == "Linux.LogAnalyticsConnectivityCheck1")
    assert la1.evidence["cloud"] == cloud


def test_nothing_collected_is_not_evaluated_everywhere() -> None:
    facts = Facts.from_dict(
        {"facts_version": 1, "os_family": "linux", "host": {}, "collector": {}, "linux": {}}
    )
    outcomes = evaluate_host(facts, CTX, LEGACY)
    assert len(outcomes) == 15  # LA3/LA4 have no row in the public cloud even without facts
    assert {o.CheckResult for o in outcomes} == {"NotEvaluated"}
    assert all(o.CheckResultMessageId == f"{o.RuleId}.NotEvaluated" and o.reason for o in outcomes)


def test_windows_facts_select_no_linux_rule() -> None:
    facts = Facts.from_dict(
        {"facts_version": 1, "os_family": "windows", "host": {}, "collector": {}, "windows": {}}
    )
    assert not [o for o in evaluate_host(facts, CTX, LEGACY) if o.RuleId.startswith("Linux.")]


def test_proxy_credentials_never_reach_the_outcome() -> None:
    linux = GEN.healthy("public")
    linux["proxy"] = {
        "env": {"https_proxy": "http://alice:Pa55word@proxy.example:8080", "NO_PROXY": "localhost"},
        "agent_proxy": "https://bob:hunter2@proxy.example:3128",
    }
    facts = Facts.from_dict(GEN.facts_doc(linux))
    outcome = _by_id(facts)["Linux.ProxyCheck"]
    text = json.dumps(dataclasses.asdict(outcome))
    assert "Pa55word" not in text and "hunter2" not in text and "alice" not in text
    assert outcome.evidence["env"] == {"https_proxy": "http://***@proxy.example:8080"}
    assert outcome.CheckResult == "Passed" and "nothing was probed" in outcome.reason


def test_direct_and_proxy_probe_both_failing_reports_every_path() -> None:
    linux = GEN.healthy("public")
    host = "11111111-2222-3333-4444-555555555555.agentsvc.azure-automation.net"
    GEN.with_probe(
        linux,
        "agentsvc",
        GEN.probe("agentsvc", host, False, error="dns"),
        GEN.probe("agentsvc", host, False, via="proxy", error="proxy"),
    )
    outcome = _by_id(Facts.from_dict(GEN.facts_doc(linux)))["Linux.AgentServiceConnectivityCheck"]
    assert outcome.CheckResult == "Failed" and "(dns, proxy)" in outcome.reason
    assert [p["via"] for p in outcome.evidence["probes"]] == ["direct", "proxy"]


def test_skipped_probe_is_not_evaluated_with_its_detail() -> None:
    linux = GEN.healthy("public")
    GEN.with_probe(
        linux, "jrds", GEN.probe("jrds", "x", False, error="skipped", detail="worker.conf unreadable")
    )
    outcome = _by_id(Facts.from_dict(GEN.facts_doc(linux)))["Linux.JRDSConnectivityCheck"]
    assert outcome.CheckResult == "NotEvaluated"
    assert "skipped (worker.conf unreadable)" in outcome.reason


def test_every_failing_id_has_sh_remediation_with_https_links() -> None:
    failing = [m for r in LINUX_RULES for m in r.message_ids if ".Failed" in m]
    assert failing
    for mid in failing:
        rem = remediation_for(mid)
        assert rem is not None and rem is LINUX_REMEDIATION.get(mid, rem), mid
        assert rem.shell == "sh" and rem.commands and rem.verify, mid
        assert "\n" not in rem.summary, mid
        assert rem.links and all(link.startswith("https://") for link in rem.links), mid
    assert set(LINUX_REMEDIATION) <= set(failing), "remediation for an id no rule emits"


def test_committed_fixtures_match_the_generator() -> None:
    generated = GEN.build_cases()
    on_disk = {
        p: json.loads(p.read_text(encoding="utf-8")) for p in (GOLDEN / "rules").glob("Linux.*/*.json")
    }
    assert set(generated) == set(on_disk), "run tests/golden/rules/make_linux.py"
    for path, doc in generated.items():
        assert json.loads(json.dumps(doc)) == on_disk[path], path
    for name, doc in GEN.host_samples().items():
        assert json.loads((GOLDEN / "facts" / f"{name}.json").read_text(encoding="utf-8")) == doc, name


# Arbitrary JSON per section: whatever a broken or hostile collector sends, no rule may raise,
# and every emitted id is one the rule declares (or NotEvaluated).
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 500) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _mutated_sections() -> st.SearchStrategy[dict[str, Any]]:
    healthy = GEN.healthy("public")
    choices = {name: st.sampled_from([healthy[name], None]) | _json for name in SECTIONS}
    return st.fixed_dictionaries({}, optional=choices)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    linux=_mutated_sections(),
    is_azure=st.sampled_from([True, False, None]),
    cloud=st.sampled_from(["public", "usgov", "china"]),
)
def test_no_rule_raises_on_arbitrary_facts(linux: dict[str, Any], is_azure: bool | None, cloud: str) -> None:
    facts = Facts.from_dict(GEN.facts_doc(linux))
    ctx = RuleContext(cloud=cloud, is_azure=is_azure)
    for rule in LINUX_RULES:
        outcome = evaluate(rule, facts, ctx)
        if outcome is None:
            assert rule.rule_id[-1] in "34"
            continue
        assert outcome.CheckResultMessageId in (*rule.message_ids, f"{rule.rule_id}.NotEvaluated")
        assert outcome.CheckResult in ("Passed", "Failed", "NotEvaluated")
        json.dumps(dataclasses.asdict(outcome))  # reports can serialise it


@pytest.mark.parametrize(
    ("value", "host"),
    [
        (
            "https://ws.agentsvc.azure-automation.net/Accounts/ws/Nodes(AgentId='x')",
            "ws.agentsvc.azure-automation.net",
        ),
        (
            "we-jobruntimedata-prod-su1.azure-automation.net/",
            "we-jobruntimedata-prod-su1.azure-automation.net",
        ),
        ("https://[broken/x", None),
        ("", None),
        (None, None),
    ],
)
def test_host_of_untrusted_values(value: str | None, host: str | None) -> None:
    assert host_of(value) == host


def test_malformed_dsc_endpoint_is_unable_to_get_endpoint_not_a_crash() -> None:
    linux = GEN.healthy("public")
    linux["oms_agent"]["conf"] = {"WORKSPACE_ID": "w", "DSC_ENDPOINT": "https://[agentsvc/oops"}
    outcome = _by_id(Facts.from_dict(GEN.facts_doc(linux)))["Linux.AgentServiceConnectivityCheck"]
    assert outcome.CheckResultMessageId == "Linux.AgentServiceConnectivityCheck.Failed.UnableToGetEndpoint"
