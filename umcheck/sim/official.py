"""What a simulated host prints when Microsoft's own troubleshooter is run on it.

umcheck runs the official scripts (``--script``, ``--cross-check``) through the bootstraps in
``umcheck.collectors.official``; the simulator recognises those invocations and answers with
the rows the official script would print for the machine. The rows are umcheck's own verdicts
on the machine's facts rendered in the official form (same ids — docs/deviations.md), then
changed where the official logic decides differently for a simulator state
(``OFFICIAL_DIFFERENCES``, each naming its deviation), and finally by the scenario's per-host
``official`` overrides — the way a test makes the official answer disagree on purpose.
"""

from __future__ import annotations

import json
import re
from typing import Any

from umcheck.sim.collector import CollectorRequest, facts_document
from umcheck.sim.machines import Machine
from umcheck.sim.probes import default_templates

# (os, state) -> {RuleId: (official CheckResult, deviation)}: where the official script's own logic
# answers differently from umcheck on that state (docs/deviations.md).
OFFICIAL_DIFFERENCES: dict[tuple[str, str], dict[str, tuple[str, str]]] = {
    # The proxy refuses the tunnel with 403: "Forbidden" in the error text counts as success.
    ("windows", "proxy_denies_tunnel"): {"HttpsConnection": ("Passed", "Q-W6b")},
}
_LINUX_OFFICIAL = re.compile(r"\bpython3?\s+-\s+\S+\s+True\s*$")
LINUX_BANNER = "Processing Information...\n"


def official_kind(command: str, stdin: str) -> str | None:
    """``windows`` / ``linux`` when the command runs an official troubleshooter, else None."""
    if "official-windows" in command:  # the WinRS bootstrap (decoded) or the PSRP script
        return "windows"
    if _LINUX_OFFICIAL.search(command.strip()) and "omsadmin.conf" in stdin:
        return "linux"
    return None


def _row(o: Any) -> dict[str, Any]:
    return {
        "RuleId": o.RuleId, "RuleGroupId": o.RuleGroupId, "RuleName": o.RuleName,
        "RuleGroupName": o.RuleGroupName, "RuleDescription": o.RuleDescription,
        "CheckResult": o.CheckResult, "CheckResultMessage": o.CheckResultMessage,
        "CheckResultMessageId": o.CheckResultMessageId,
        "CheckResultMessageArguments": o.CheckResultMessageArguments,
    }  # fmt: skip


def _override(row: dict[str, Any], result: str) -> dict[str, Any]:
    return {**row, "CheckResult": result, "CheckResultMessageId": f"{row['RuleId']}.{result}",
            "CheckResultMessage": f"(official script) {result}"}  # fmt: skip


def rendered_rows(m: Machine) -> list[dict[str, Any]]:
    """umcheck's verdicts on the machine, in the official row form (NotEvaluated has no official row)."""
    from umcheck.facts import Facts
    from umcheck.rules.base import RuleContext
    from umcheck.rules.catalog import evaluate_host

    request = CollectorRequest(None, default_templates(m) if m.os == "windows" else None)
    facts = Facts.from_dict(facts_document(m, request))
    outcomes = evaluate_host(facts, RuleContext(cloud="public", location=m.location), ("pack:legacy",))
    return [_row(o) for o in outcomes if o.CheckResult != "NotEvaluated"]


def official_rows(m: Machine, overrides: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The rows the official script prints for this machine (``overrides``: RuleId -> CheckResult)."""
    changes = {rule: result for state in m.states for rule, (result, _) in OFFICIAL_DIFFERENCES.get((m.os, state), {}).items()}
    changes.update(overrides or {})
    return [_override(r, changes[r["RuleId"]]) if r["RuleId"] in changes else r for r in rendered_rows(m)]


def official_output(m: Machine, overrides: dict[str, str] | None = None) -> str:
    """Windows: the JSON array ``-returnAsJson`` prints; Linux: a banner, then one JSON line."""
    rows = official_rows(m, overrides)
    if m.os == "windows":
        return json.dumps(rows, indent=2) + "\n"
    return LINUX_BANNER + json.dumps(rows) + "\n"
