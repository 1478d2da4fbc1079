"""Per-host detail of the HTML report, compact: outcome templates plus one JSON data block.

A fleet repeats itself: 10,000 hosts have a few hundred distinct outcome rows (rule, result,
message, remediation) and differ mostly in evidence. Each distinct row is rendered once, by the
autoescaping template, into an inert ``<template>``; each host is a short list of (row, evidence)
indexes in a JSON block whose strings are stored once. The page's script builds a host's detail
only when it is opened, cloning rows and writing host text with ``textContent`` (never as HTML).

The JSON sits in ``<script type="application/json">``: ``<``, ``>``, ``&``, U+2028 and U+2029 are
written as ``\\uXXXX`` escapes, so no host string can close the element or start markup.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from umcheck.reports.charts import state_class
from umcheck.reports.escape import printable
from umcheck.results import CheckResult, FleetResult, HostResult, RuleOutcome

EVIDENCE_LIMIT = 400
_SEVERITY = {
    CheckResult.FAILED: 0,
    CheckResult.WARNING: 1,
    CheckResult.NOT_EVALUATED: 2,
    CheckResult.PASSED: 3,
    CheckResult.NOT_APPLICABLE: 4,
}
_SHOWS_REMEDIATION = (CheckResult.FAILED, CheckResult.WARNING)
_JSON_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                               "\u2028": "\\u2028", "\u2029": "\\u2029"})  # fmt: skip


_ENCODE = json.JSONEncoder(ensure_ascii=False, default=str).encode  # built once: ~23 values per host


def evidence_value(value: Any) -> str:
    text = value if isinstance(value, str) else _ENCODE(value)
    text = printable(text)
    return text if len(text) <= EVIDENCE_LIMIT else text[:EVIDENCE_LIMIT] + "…"


def script_json(data: Any) -> str:
    """JSON that is safe as the content of a ``<script type="application/json">`` element."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_JSON_ESCAPES)


SLICE = 1000  # list items per encoded piece of the data block


def script_json_parts(data: dict[str, Any]) -> Iterator[str]:
    """``script_json(data)`` in pieces (lists a slice at a time), so the page's largest string
    (≈ 8 MB at 10,000 hosts) is never held whole, let alone twice (encoded, then escaped)."""
    for n, (key, value) in enumerate(data.items()):
        yield ("{" if n == 0 else ",") + script_json(key) + ":"
        if not isinstance(value, list) or len(value) <= SLICE:
            yield script_json(value)
            continue
        for i in range(0, len(value), SLICE):
            yield ("[" if i == 0 else ",") + script_json(value[i : i + SLICE])[1:-1]
        yield "]"
    yield "}" if data else "{}"


def _frozen(value: Any) -> tuple:
    """A hashable stand-in for a JSON value that tells apart what renders apart (``True`` is not
    ``1``, a list is not a string); anything else by its ``repr``, as ``default=str`` would differ."""
    if isinstance(value, (str, int, float, bool, type(None))):
        return (type(value), value)
    if isinstance(value, (list, tuple)):
        return (type(value), tuple(_frozen(v) for v in value))
    if isinstance(value, dict):
        return (dict, tuple((k, _frozen(v)) for k, v in value.items()))
    return (type(value), repr(value))


def sorted_outcomes(host: HostResult) -> list[RuleOutcome]:
    return sorted(host.outcomes, key=lambda o: _SEVERITY.get(o.CheckResult, 2))


@dataclass
class _Table:
    """Values stored once, referred to by index."""

    items: list[Any] = field(default_factory=list)
    index: dict[Any, int] = field(default_factory=dict)

    def add(self, key: Any, value: Any = None) -> int:
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.items)
            self.items.append(key if value is None else value)
        return found


@dataclass
class HostDetails:
    """What the template renders: distinct outcome rows, and the data block that refers to them."""

    rows: list[RuleOutcome]  # one representative outcome per distinct row (evidence aside)
    # script_json of {"s": strings, "e": evidence (flat key/value string indexes), "r": lists of rows,
    # "x": lists of evidence (parallel to "r"), "h": hosts (HOST_FIELDS; outcomes = [r index, x index])},
    # in pieces (script_json_parts), encoded as the page is written: never the whole block at once
    data: Iterator[str]


class _Builder:
    def __init__(self) -> None:
        self.strings = _Table()
        self.rows = _Table()
        self.evidence = _Table()
        self.row_lists = _Table()  # hosts in the same state share their list of rows
        self.evidence_lists = _Table()
        self._remediation_keys: dict[int, Any] = {}
        self._evidence_memo: dict[tuple, int] = {}
        self._pair_memo: dict[tuple, tuple[int, int]] = {}

    def s(self, value: str | None) -> int:
        return -1 if value is None else self.strings.add(value)

    def _row_key(self, o: RuleOutcome) -> tuple:
        remediation = None
        if o.remediation is not None and o.CheckResult in _SHOWS_REMEDIATION:
            key = self._remediation_keys.get(id(o.remediation))
            if key is None:  # catalog entries are shared objects: keyed once each
                r = o.remediation
                key = self._remediation_keys[id(r)] = (r.summary, tuple(r.commands), r.shell, r.verify, tuple(r.links))
            remediation = key
        carried = (o.carried.run_id, o.carried.evaluated_at, o.carried.age_seconds) if o.carried else None
        return (o.RuleId, o.RuleName, o.CheckResult, o.CheckResultMessage, o.CheckResultMessageId, o.reason,
                remediation, carried)  # fmt: skip

    def _evidence(self, evidence: dict[str, Any]) -> int:
        if not evidence:
            return -1
        # Most evidence repeats across hosts, lists and dicts too (probe results): look the whole
        # dict up by a hashable copy of its items before rendering any value.
        key = tuple((k, _frozen(v)) for k, v in evidence.items())
        found = self._evidence_memo.get(key)
        if found is not None:
            return found
        flat = tuple(self._pair(k, v, frozen) for (k, frozen), v in zip(key, evidence.values(), strict=True))
        index = self._evidence_memo[key] = self.evidence.add(sum(flat, ()), list(sum(flat, ())))
        return index

    def _pair(self, key: str, value: Any, frozen: tuple) -> tuple[int, int]:
        memo_key = (key, frozen)
        pair = self._pair_memo.get(memo_key)
        if pair is None:
            pair = self._pair_memo[memo_key] = (self.s(printable(key)), self.s(evidence_value(value)))
        return pair

    def host(self, h: HostResult) -> list[Any]:
        ordered = sorted_outcomes(h)
        rows = tuple(self.rows.add(self._row_key(o), o) for o in ordered)
        evidence = tuple(self._evidence(o.evidence) for o in ordered)
        outcomes = [self.row_lists.add(rows, list(rows)), self.evidence_lists.add(evidence, list(evidence))]
        s = self.s
        return [
            s(h.name), s(h.os_family), s(h.transport), s(h.address), s(f"{h.elapsed_ms / 1000:.1f}"),
            s(h.readiness), s(state_class(h.readiness)), s(printable(h.readiness_reason) if h.readiness_reason else None),
            s(h.status), s(h.error_kind), s(printable(h.error) if h.error else None),
            [s(printable(r)) for r in h.missing_rules], [s(printable(e)) for e in h.collector_errors],
            len(h.carried_rules), outcomes, s(h.migration),
            s(printable(h.migration_reason) if h.migration_reason else None),
        ]  # fmt: skip


def host_rows(fleet: FleetResult) -> list[tuple[HostResult, list[RuleOutcome], int, str]]:
    """Per host table row: (host, failed outcomes, warnings, lower-case search text), computed
    here in one pass rather than by template filters (10,000 rows)."""
    rows = []
    for h in fleet.hosts:
        failed = [o for o in h.outcomes if o.CheckResult == CheckResult.FAILED]
        warnings = sum(1 for o in h.outcomes if o.CheckResult == CheckResult.WARNING)
        words = [h.name, h.os_family or "", h.transport or "", h.readiness, h.status, " ".join(o.RuleId for o in failed)]
        search = " ".join(words) + (" carried" if any(o.carried is not None for o in h.outcomes) else "") \
            + (" partial" if h.missing_rules else "")  # fmt: skip
        rows.append((h, failed, warnings, search.lower()))
    return rows


# Positions in a host's list, shared with report.js (HOST_FIELDS there).
HOST_FIELDS = ("name", "os", "transport", "address", "elapsed", "readiness", "readiness_css", "reason",
               "status", "error_kind", "error", "missing", "collector_errors", "carried", "outcomes",
               "migration", "migration_reason")  # fmt: skip


def host_details(fleet: FleetResult | Iterable[HostResult]) -> HostDetails:
    hosts = fleet.hosts if isinstance(fleet, FleetResult) else fleet
    b = _Builder()
    rows = [b.host(h) for h in hosts]
    data = {"v": 1, "fields": HOST_FIELDS, "s": b.strings.items, "e": b.evidence.items,
            "r": b.row_lists.items, "x": b.evidence_lists.items, "h": rows}  # fmt: skip
    return HostDetails(rows=b.rows.items, data=script_json_parts(data))
