"""The successor pack: its golden fixtures (tests/golden/rules/make_successor.py) and the
migration grade (umcheck/packs/successor/migration.py)."""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from umcheck.facts import Facts
from umcheck.packs.successor.migration import BLOCKED, MIGRATED, NOT_APPLICABLE, READY, UNKNOWN, migration
from umcheck.results import CheckResult
from umcheck.rules import RuleContext, evaluate_host, select_rules

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def _load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("make_successor", GOLDEN / "rules" / "make_successor.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _load_generator()
FIXTURES = {p: json.loads(p.read_text(encoding="utf-8")) for p in sorted((GOLDEN / "rules").glob("SR.*/*.json"))}
CTX = RuleContext(now=datetime.fromisoformat(GEN.NOW))


def test_committed_fixtures_match_the_generator() -> None:
    generated = GEN.build_cases()
    assert set(generated) == set(FIXTURES), "run tests/golden/rules/make_successor.py"
    for path, doc in generated.items():
        assert json.loads(json.dumps(doc)) == FIXTURES[path], path


def test_every_message_id_of_every_os_has_a_fixture() -> None:
    """Per OS, not only per RuleId: a spec declares no id its check cannot return for that OS."""
    covered = {(d["rule"], d["facts"]["os_family"], d["expected"]["CheckResultMessageId"]) for d in FIXTURES.values()}
    specs = select_rules(["pack:successor"])
    missing = [(r.rule_id, r.os_family, m) for r in specs for m in r.message_ids if (r.rule_id, r.os_family, m) not in covered]
    assert specs and not missing, missing


def test_every_fixture_cites_its_public_source_and_basis() -> None:
    for path, doc in FIXTURES.items():
        src = doc["source"]
        assert src["urls"] and all(u.startswith(("https://learn.microsoft.com/", "https://github.com/")) for u in src["urls"]), path
        assert src["basis"][0] in "DCIU" and src["reference"].startswith("successor-readiness.md §7"), path
        assert doc["rule"] == path.parent.name and doc["facts"]["os_family"] in ("windows", "linux")


def test_unverified_facts_never_fail_a_host_and_say_so() -> None:
    unverified = {p: d for p, d in FIXTURES.items() if d["source"]["basis"] == "U"}
    assert len(unverified) >= 4
    for path, doc in unverified.items():
        assert doc["expected"]["CheckResult"] != "Failed", path
    # The [U] branches carry their doubt in the evidence.
    for rule, name in (("SR.Arc.Services", "lnx-warning-gateway-arcproxy-not-found"),
                       ("SR.Arc.ExtensionPolicy", "win-warning-monitor-mode"),
                       ("SR.Hrw2.Registration", "win-warning-stale-keys")):  # fmt: skip
        doc = FIXTURES[GOLDEN / "rules" / rule / f"{name}.json"]
        facts = Facts.from_dict(doc["facts"])
        [outcome] = [o for o in evaluate_host(facts, GEN_CTX(doc), [rule])]
        assert "unverified" in outcome.evidence, (rule, outcome.evidence)


def GEN_CTX(doc: dict[str, Any]) -> RuleContext:  # noqa: N802 - reads like the fixture's own context
    raw = dict(doc["context"])
    raw["now"] = datetime.fromisoformat(raw["now"])
    return RuleContext(**raw)


# --------------------------------------------------------------------------------------------
# Migration grade


def _facts(os_family: str, base: str = "migrated", edit: Any = None, version: int = 2) -> Facts:
    sections = copy.deepcopy(GEN.BASES[base](os_family))
    if edit:
        edit(sections, os_family)
    if version == 1:
        sections = {k: v for k, v in sections.items() if k not in ("arc", "azure_vm", "extensions", "hrw2", "linux_updates")}
    return Facts.from_dict(GEN.facts_doc(os_family, sections, version))


def _grade(facts: Facts, ctx: RuleContext = CTX, selectors: tuple[str, ...] = ("pack:successor",), **kw: Any):
    return migration(evaluate_host(facts, ctx, list(selectors)), **kw)


@pytest.mark.parametrize("os_family", ["windows", "linux"])
@pytest.mark.parametrize("base", ["migrated", "azure"])
def test_healthy_on_the_successor_stack_is_migrated(os_family: str, base: str) -> None:
    v = _grade(_facts(os_family, base))
    assert (v.state, v.blockers) == (MIGRATED, ()), v


@pytest.mark.parametrize("os_family", ["windows", "linux"])
def test_legacy_host_with_arc_is_ready_with_leftovers_to_remove(os_family: str) -> None:
    v = _grade(_facts(os_family, "legacy"))
    assert v.state == READY and not v.blockers
    assert "first Update Manager run" in v.reason and "SR.Leg.MmaPresent" in v.reason and "SR.Leg.UpdateManagementActive" in v.reason


def test_not_onboarded_yet_is_ready_not_blocked() -> None:
    """Arc agent and worker extension missing are what a migration installs (NOT_YET)."""
    user = [{"account_id": GEN.ACCOUNT, "group": "ops-workers", "layout": "v1"}]
    v = _grade(_facts("windows", "legacy", GEN.edits(GEN.NOT_INSTALLED, GEN.setter("hrw.registrations", user))))
    assert v.state == READY and not v.blockers
    assert "Arc agent" in v.reason and "extension worker" in v.reason
    assert "SR.Leg.HrwV1Registration" in v.reason  # a V1 user worker Failed: a leftover, not a blocker


def test_blockers_are_the_failed_successor_rules_in_a_stable_order() -> None:
    edit = GEN.edits(GEN.NOT_INSTALLED, GEN.setter("windows_update", {"wu_server": "", "use_wu_server": 1}),
                     GEN.setter("services.wuauserv", {"present": True, "status": "Stopped", "start_type": "Disabled"}))  # fmt: skip
    v = _grade(_facts("windows", "migrated", edit))
    # Arc not installed is "not yet", so only the Windows Update rules block; the NotApplicable Arc rules never do.
    assert v.state == BLOCKED and v.blockers == ("SR.Aum.WsusConfig", "SR.Aum.WuService")
    v = _grade(_facts("linux", "migrated", GEN.edits(GEN.setter("arc.status", "Disconnected"),
                                                      GEN.setter("hrw2.user_present", False),
                                                      GEN.setter("arc.version", "1.50"))))  # fmt: skip
    assert v.state == BLOCKED
    assert v.blockers == ("SR.Arc.AgentVersion", "SR.Arc.Connected", "SR.Hrw2.WorkerService") == tuple(sorted(v.blockers))
    assert v.reason == "blocked by " + ", ".join(v.blockers)


def test_blocked_wins_over_leftovers_and_not_yet() -> None:
    v = _grade(_facts("linux", "legacy", GEN.setter("linux_updates.python", [])))
    assert v.state == BLOCKED and v.blockers == ("SR.Aum.LinuxPrereqs",)


def test_not_applicable_never_counts_as_evidence() -> None:
    # Unknown whether Azure (no azure_vm facts): Arc "not installed" only warns, the guest-agent rule is
    # NotApplicable: nothing proves an agent, so the host is not Migrated even with patching healthy.
    facts = _facts("linux", "migrated", lambda d, o: (d.update(arc={"installed": False}), d.pop("azure_vm"), d.pop("probes")))
    by = {o.RuleId: o.CheckResult for o in evaluate_host(facts, CTX, ["pack:successor"])}
    assert by["SR.Arc.AgentInstalled"] == CheckResult.WARNING and by["SR.AzVm.GuestAgent"] == "NotEvaluated"
    facts = _facts("linux", "migrated", lambda d, o: d.update(arc={"installed": False}))
    outcomes = evaluate_host(facts, CTX, ["pack:successor"])
    by = {o.RuleId: o.CheckResult for o in outcomes}
    assert by["SR.AzVm.GuestAgent"] == CheckResult.NOT_APPLICABLE and by["SR.Arc.AgentInstalled"] == CheckResult.FAILED
    assert migration(outcomes).state == READY
    # Every successor rule NotApplicable (or Passed only where nothing is checked): never Migrated.
    na = [dataclasses.replace(o, CheckResult=CheckResult.NOT_APPLICABLE, CheckResultMessageId=f"{o.RuleId}.NotApplicable")
          for o in evaluate_host(_facts("windows"), CTX, ["pack:successor"])]  # fmt: skip
    assert migration(na).state == READY
    arc_na = [o if o.RuleId != "SR.Arc.AgentInstalled" else
              dataclasses.replace(o, CheckResult=CheckResult.NOT_APPLICABLE, CheckResultMessageId="SR.Arc.AgentInstalled.NotApplicable")
              for o in evaluate_host(_facts("windows"), CTX, ["pack:successor"])]  # fmt: skip
    assert migration(arc_na).state == READY and "Arc agent" in migration(arc_na).reason


@pytest.mark.parametrize("os_family", ["windows", "linux"])
def test_facts_v1_give_unknown(os_family: str) -> None:
    v = _grade(_facts(os_family, "legacy", version=1))
    assert v.state == UNKNOWN and "SR.Arc.AgentInstalled" in v.reason and not v.blockers


def test_a_key_section_not_collected_gives_unknown() -> None:
    doc = GEN.facts_doc("linux", GEN.migrated("linux"))
    doc["collector"]["errors"] = [{"section": "extensions", "message": "permission denied"}]
    v = _grade(Facts.from_dict(doc))
    assert v.state == UNKNOWN and "SR.Aum.PatchExtensions" in v.reason


def test_legacy_pack_only_gives_unknown_and_opt_out_is_not_applicable() -> None:
    facts = _facts("windows")
    assert _grade(facts, selectors=("pack:legacy",)).state == UNKNOWN
    assert _grade(facts, wanted=False).state == NOT_APPLICABLE
    assert _grade(_facts("windows", "legacy", version=1), wanted=False).state == NOT_APPLICABLE
