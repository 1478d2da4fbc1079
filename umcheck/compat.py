"""Read the output of Microsoft's own troubleshooters into umcheck's outcome model.

``UM_Windows_Troubleshooter_Offline.ps1 -returnAsJson`` prints one JSON array (full form, or
the compact form with ``-returnCompactFormat``); ``UM_Linux_Troubleshooter_Offline.py <dir> True``
prints a banner and maybe error text first, then one JSON line. Either way umcheck fills the
display fields the output lacks from its own catalog, attaches remediation, and so can put
results from the official tools into the same reports.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from umcheck.envelope import decode
from umcheck.results import CheckResult, RuleOutcome
from umcheck.rules.catalog import ALL_RULES
from umcheck.rules.remediation import remediation_for

_SPECS = {r.rule_id: r for r in ALL_RULES}
_RESULTS = {c.value for c in CheckResult} | {"Information"}


class OfficialOutputError(ValueError):
    """The text holds no troubleshooter JSON we can read."""


def _find_json(text: str) -> Any:
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    for line in reversed(text.splitlines()):  # Linux: the last line starting with "["
        line = line.strip()
        if line.startswith(("[", "{")):
            try:
                return json.loads(line)
            except ValueError:
                continue
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch in "[{":
            try:
                return decoder.raw_decode(text, i)[0]
            except ValueError:
                continue
    raise OfficialOutputError("no troubleshooter JSON found in the output")


def _arg(value: Any) -> Any:
    # ConvertTo-Json renders W3's System.Version as an object; show it as "5.1.17763.1".
    if isinstance(value, dict) and "Major" in value and "Minor" in value:
        parts = [value.get(k) for k in ("Major", "Minor", "Build", "Revision")]
        return ".".join(str(p) for p in parts if isinstance(p, int) and p >= 0)
    return value if isinstance(value, str | int | float | bool) or value is None else json.dumps(value)[:200]


def _outcome(row: dict[str, Any]) -> RuleOutcome:
    rule_id = str(row.get("RuleId") or "")
    result = str(row.get("CheckResult") or "")
    if not rule_id or result not in _RESULTS:
        raise OfficialOutputError(f"row without RuleId/CheckResult: {json.dumps(row)[:120]}")
    spec = _SPECS.get(rule_id)
    mid = row.get("CheckResultMessageId") or f"{rule_id}.{result}"
    args = row.get("CheckResultMessageArguments")
    args = [_arg(a) for a in args] if isinstance(args, list) else (None if args is None else [_arg(args)])
    return RuleOutcome(
        RuleId=rule_id,
        RuleGroupId=str(row.get("RuleGroupId") or (spec.group_id if spec else "")),
        RuleName=str(row.get("RuleName") or (spec.name if spec else rule_id)),
        RuleGroupName=str(row.get("RuleGroupName") or (spec.group_name if spec else "")),
        RuleDescription=row.get("RuleDescription") or (spec.description if spec else None),
        CheckResult=result,
        CheckResultMessage=row.get("CheckResultMessage"),
        CheckResultMessageId=str(mid),
        CheckResultMessageArguments=args,
        reason="reported by the official troubleshooter script",
        evidence={"source": "official"},
        remediation=remediation_for(str(mid)) if result in ("Failed", "PassedWithWarning") else None,
    )


_BARE_LINKED_WORKSPACE_FAILED = "LinkedWorkspaceCheck.Failed"
_NO_REGISTRATION = "AutomationAgentServiceConnectivityCheck1.Failed.NoRegistrationFound"


def _multiple_workspaces(outcomes: Any) -> list[RuleOutcome]:
    """Give official rows the multi-workspace reason umcheck's own rules give (quirk Q-W7).

    The official script emits a bare ``LinkedWorkspaceCheck.Failed`` (no reason suffix) only when
    several workspaces carry the Updates solution; every other failure of that rule is
    ``LinkedWorkspaceCheck.Failed.NoWorkspace`` (Q-W2). In that case its
    ``...Failed.NoRegistrationFound`` means "several workspaces", not "never registered", so the
    row gets the reason ``MultipleWorkspaces`` and readiness grades the host Disconnected, the
    same as from umcheck facts.
    """
    outcomes = list(outcomes)
    multiple = any(
        o.RuleId == "LinkedWorkspaceCheck" and o.CheckResult == "Failed"
        and o.CheckResultMessageId == _BARE_LINKED_WORKSPACE_FAILED
        for o in outcomes
    )
    if not multiple:
        return outcomes
    return [
        dataclasses.replace(
            o,
            reason="MultipleWorkspaces (official output: bare LinkedWorkspaceCheck.Failed, "
            "several workspaces have the Updates solution)",
        )
        if o.CheckResultMessageId == _NO_REGISTRATION
        else o
        for o in outcomes
    ]


def parse_official(raw: str | bytes) -> tuple[str, list[RuleOutcome]]:
    """(os_family, outcomes) from an official script's JSON output."""
    data = _find_json(decode(raw))
    if isinstance(data, dict):
        data = [data]  # ConvertTo-Json renders a one-element array as an object
    if not isinstance(data, list) or not data or not all(isinstance(r, dict) for r in data):
        raise OfficialOutputError("troubleshooter JSON is not a list of result rows")
    outcomes = _multiple_workspaces(_outcome(r) for r in data)
    family = "linux" if all(o.RuleId.startswith("Linux.") for o in outcomes) else "windows"
    return family, outcomes
