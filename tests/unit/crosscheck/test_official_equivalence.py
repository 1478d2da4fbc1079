"""Readiness from umcheck facts equals readiness from the official JSON of the same verdicts.

For every simulator state of both OSes, the machine is graded once from its facts and once from
the official script's JSON carrying the same message ids (full form, and the Windows compact form
``-returnCompactFormat``: RuleId, RuleGroupId, CheckResult, CheckResultMessageId, arguments only,
tests/golden/official/windows-compact.json). docs/readiness.md promises both are graded the same
way; issue 13 found the multi-workspace case graded Disconnected from facts and Not configured from
the official JSON (fixed in compat.py by reading the bare LinkedWorkspaceCheck.Failed signal).
"""

from __future__ import annotations

import json

import pytest

from umcheck.envelope import build
from umcheck.evaluation import evaluate_output
from umcheck.results import HostResult
from umcheck.rules.base import RuleContext
from umcheck.sim.collector import CollectorRequest, facts_document
from umcheck.sim.machines import STATES, Machine
from umcheck.sim.official import official_output, rendered_rows
from umcheck.sim.probes import default_templates

CASES = [(os_family, state) for os_family, states in STATES.items() for state in states]
CTX = RuleContext(cloud="public", location="westeurope")
COMPACT = ("RuleId", "RuleGroupId", "CheckResult", "CheckResultMessageId", "CheckResultMessageArguments")


def _from_facts(m: Machine) -> HostResult:
    request = CollectorRequest(None, default_templates(m) if m.os == "windows" else None)
    return evaluate_output(HostResult(m.hostname), build(facts_document(m, request)), CTX)


@pytest.mark.parametrize(("os_family", "state"), CASES, ids=[f"{o}-{s}" for o, s in CASES])
def test_facts_and_official_json_grade_the_same(os_family: str, state: str) -> None:
    m = Machine("h1", os_family, (state,))
    facts = _from_facts(m)
    rows = rendered_rows(m)
    forms = {"full": rows}
    if os_family == "windows":
        forms["compact"] = [{k: r[k] for k in COMPACT} for r in rows]
    for form, data in forms.items():
        text = json.dumps(data) if os_family == "windows" else "Processing Information...\n" + json.dumps(data)
        official = evaluate_output(HostResult(m.hostname), text, CTX)
        assert official.status == "ok", official.error
        assert (official.readiness, form) == (facts.readiness, form), (state, official.readiness_reason)
        assert {o.RuleId: o.CheckResultMessageId for o in official.outcomes} == {
            o.RuleId: o.CheckResultMessageId for o in facts.outcomes
            if o.CheckResult != "NotEvaluated" and not o.RuleId.startswith("SR.")  # official rows: legacy only
        }


@pytest.mark.parametrize(("os_family", "state"), CASES, ids=[f"{o}-{s}" for o, s in CASES])
def test_the_simulated_official_answer_grades_the_same_state(os_family: str, state: str) -> None:
    """What the simulator prints for the official script (with the official logic's own answers,
    e.g. Q-W6b on proxy_denies_tunnel) leads to the same readiness for every state it has."""
    m = Machine("h1", os_family, (state,))
    official = evaluate_output(HostResult("h1"), official_output(m), CTX)
    assert official.readiness == _from_facts(m).readiness
