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
import re
from collections import deque
from collections.abc import Iterator
from typing import Any

from umcheck.envelope import decode
from umcheck.results import CheckResult, RuleOutcome
from umcheck.rules.catalog import ALL_RULES
from umcheck.rules.remediation import remediation_for
from umcheck.typed_load import MAX_LIST, MAX_STR, describe

_SPECS = {r.rule_id: r for r in ALL_RULES}
_RESULTS = {c.value for c in CheckResult} | {"Information"}


class OfficialOutputError(ValueError):
    """The text holds no troubleshooter JSON we can read."""


# Bounds of the official-JSON search, so that hostile output costs time linear in its size.
_MAX_LINE_TRIES = 16  # lines starting with "[" or "{" tried as a whole document, last first
_MAX_SPAN_TRIES = 10_000  # bracket spans handed to the JSON parser (spans are disjoint: linear in all)
_ROWS_START = re.compile(r"\[\s*(?:\{|\])|\{\s*[\"}]")  # how a list of rows (or one row) begins
_MAX_DEPTH = 256  # deeper nesting is not troubleshooter output (its rows are 3 levels deep)
_TOKEN = re.compile(r'\\.|["\[\]{}\n]')
_CLOSER = {"[": "]", "{": "}"}


def _loads(text: str) -> tuple[bool, Any]:
    try:
        return True, json.loads(text)
    except (ValueError, RecursionError):
        return False, None


def _spans(text: str) -> Iterator[tuple[int, int]]:
    """The outermost balanced ``[...]``/``{...}`` spans of ``text``, in order, from one linear scan.

    Brackets inside JSON strings do not count (a string ends at its quote, or at a newline, which
    JSON strings cannot hold). A bracket in the noise that never closes, or closes with the
    wrong kind, does not hide what follows: the balanced spans inside it are candidates too. The
    outermost of more than _MAX_DEPTH open brackets is dropped as noise, which bounds the work
    per bracket; a parser retried at every bracket instead was quadratic.
    """
    # each open bracket: (its closer, where it opened, the balanced spans closed directly inside it)
    stack: deque[tuple[str, int, list[tuple[int, int]]]] = deque()
    in_string = False
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if in_string:
            in_string = tok not in ('"', "\n")
        elif tok == '"':
            in_string = bool(stack)  # quotes in the noise between documents mean nothing
        elif tok in _CLOSER:
            stack.append((_CLOSER[tok], m.start(), []))
            if len(stack) > _MAX_DEPTH:
                yield from stack.popleft()[2]
        elif stack and tok == stack[-1][0]:
            start = stack.pop()[1]
            if stack:
                stack[-1][2].append((start, m.end()))
            else:
                yield start, m.end()
        # anything else (a newline, an escape pair, a stray closer in the noise) changes nothing
    for _closer, _start, inside in stack:  # brackets never closed: the spans inside them, in order
        yield from inside


def _find_json(text: str) -> Any:
    """The troubleshooter's JSON in ``text``: the whole text, else a line, else the first span that parses.

    Each step is linear in the text's size and the number of attempts is capped: the output of
    one host must not cost the controller more than a few passes over it.
    """
    text = text.strip()
    ok, doc = _loads(text)
    if ok:
        return doc
    tries = 0
    for line in reversed(text.splitlines()):  # Linux: the last line starting with "["
        line = line.strip()
        if line.startswith(("[", "{")):
            ok, doc = _loads(line)
            if ok:
                return doc
            tries += 1
            if tries >= _MAX_LINE_TRIES:
                break
    if '"RuleId"' not in text:  # every row has one: text without it is not worth a scan
        raise OfficialOutputError("no troubleshooter JSON found in the output")
    tries = 0
    for start, end in _spans(text):  # Windows: pretty-printed, with noise around
        if not _ROWS_START.match(text, start):  # "[INFO]" and the like: not worth a parse
            continue
        ok, doc = _loads(text[start:end])
        if ok:
            return doc
        tries += 1
        if tries >= _MAX_SPAN_TRIES:
            break
    raise OfficialOutputError("no troubleshooter JSON found in the output")


_ROW_TEXT = ("RuleId", "RuleGroupId", "RuleName", "RuleGroupName", "RuleDescription", "CheckResult",
             "CheckResultMessage", "CheckResultMessageId")  # fmt: skip


def _typed_row(row: dict[str, Any], index: int) -> dict[str, Any]:
    """``row`` with its text fields checked and cut to MAX_STR, or OfficialOutputError naming the field.

    The official JSON comes from the host like umcheck's own facts: a list where text belongs
    must be a one-line error at the border, not a surprise in a report renderer.
    """
    out = dict(row)
    for key in _ROW_TEXT:
        value = row.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise OfficialOutputError(f"official[{index}].{key}: expected a string, got {describe(value)}")
        out[key] = value[:MAX_STR]
    args = row.get("CheckResultMessageArguments")
    if isinstance(args, list):
        out["CheckResultMessageArguments"] = args[:MAX_LIST]
    return out


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
    outcomes = _multiple_workspaces(_outcome(_typed_row(r, i)) for i, r in enumerate(data))
    family = "linux" if all(o.RuleId.startswith("Linux.") for o in outcomes) else "windows"
    return family, outcomes
