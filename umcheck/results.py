"""Result values: one RuleOutcome per rule, one HostResult per host, one FleetResult per run.

Every host of a plan ends in exactly one ``HostStatus``; nothing is ever missing from a
FleetResult. These values are what reports, the journal and the history store read, and their
JSON form (``to_dict``/``from_dict``) is the stable schema documented in docs/report-schema.md.
"""

from __future__ import annotations

import json
import zlib
from array import array
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from umcheck.crosscheck.values import CrossCheck
from umcheck.typed_load import dump, load_dataclass

_ENCODE = json.JSONEncoder(separators=(",", ":"), default=str).encode  # one encoder, built once


class CheckResult(StrEnum):
    PASSED = "Passed"
    WARNING = "PassedWithWarning"
    FAILED = "Failed"
    NOT_EVALUATED = "NotEvaluated"  # umcheck's own: the rule's input was not collected
    NOT_APPLICABLE = "NotApplicable"  # successor pack: outside the host's scope (never evidence of Ready)


class HostStatus(StrEnum):
    """Closed set: how the attempt to check one host ended."""

    OK = "ok"  # facts collected and evaluated
    UNREACHABLE = "unreachable"
    AUTH_FAILED = "auth_failed"
    TLS_ERROR = "tls_error"
    PROTOCOL_ERROR = "protocol_error"
    TIMEOUT = "timeout"
    COLLECTOR_ERROR = "collector_error"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


class Readiness(StrEnum):
    READY = "Ready"
    DISCONNECTED = "Disconnected"
    NOT_CONFIGURED = "Not configured"
    UNKNOWN = "Unknown"  # the scan itself failed for this host


@dataclass(frozen=True)
class Remediation:
    summary: str
    commands: list[str] = field(default_factory=list)
    shell: str = "powershell"  # powershell | sh | text
    verify: str | None = None
    links: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Carried:
    """Where a carried-forward outcome came from: it was not evaluated in this run."""

    run_id: str  # the run that evaluated it
    evaluated_at: str  # when (ISO 8601), so its age is always known
    age_seconds: int  # at the start of the run that carried it


@dataclass(frozen=True, slots=True)  # slots: ≈ 70 of them per host, 10,000 hosts in a run
class RuleOutcome:
    """The official troubleshooter fields plus umcheck's reason, evidence and remediation."""

    RuleId: str
    RuleGroupId: str
    RuleName: str
    RuleGroupName: str
    RuleDescription: str | None
    CheckResult: str
    CheckResultMessage: str | None
    CheckResultMessageId: str | None
    CheckResultMessageArguments: list[Any] | None
    reason: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    remediation: Remediation | None = None
    carried: Carried | None = None  # None: evaluated in this run

    @property
    def evaluated_now(self) -> bool:
        """Evaluated in this run (not carried forward) and actually evaluated (not NotEvaluated)."""
        return self.carried is None and self.CheckResult != CheckResult.NOT_EVALUATED

    @property
    def failed(self) -> bool:
        return self.CheckResult == CheckResult.FAILED

    @property
    def warning(self) -> bool:
        return self.CheckResult == CheckResult.WARNING


@dataclass(frozen=True)
class HostResult:
    name: str
    status: str = HostStatus.OK
    readiness: str = Readiness.UNKNOWN
    readiness_reason: str | None = None
    os_family: str | None = None
    address: str | None = None
    transport: str | None = None
    error: str | None = None  # one line, never a credential
    error_kind: str | None = None
    outcomes: list[RuleOutcome] = field(default_factory=list)
    started: str | None = None
    elapsed_ms: int = 0
    attempts: int = 0
    collector_errors: list[str] = field(default_factory=list)
    missing_rules: list[str] = field(default_factory=list)  # no result now and none earlier
    cross_check: CrossCheck | None = None  # --cross-check: the official script's verdicts compared
    # Migration readiness (successor pack; umcheck/packs/successor/migration.py): the second grade.
    migration: str = "Unknown"
    migration_reason: str | None = None
    migration_blockers: list[str] = field(default_factory=list)
    worker: str | None = None  # the process or Celery worker that scanned it (umcheck.dispatch); None: this one

    @property
    def carried_rules(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if o.carried is not None]

    @property
    def failed_rules(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if o.failed]

    @property
    def _packed(self) -> tuple[bytes, array | None]:
        """The JSON form, encoded once and kept compressed: the journal, report.json and the
        history store all write it, and 10,000 hosts' dicts would take ≈ 36 KB each (≈ 8 KB so).
        With it, where each outcome's text starts and ends, so the store takes them as they are."""
        if "_packed" not in self.__dict__:
            self._pack()
        return self.__dict__["_packed"]

    def _pack(self) -> str:
        """Encode, keep compressed, and return the text (its first caller, the journal, writes it)."""
        text, spans = self._encode()
        self.__dict__["_packed"] = (zlib.compress(text.encode("ascii"), 1), spans)
        return text

    def _encode(self) -> tuple[str, array]:
        doc = dump(self)
        keys = list(doc)
        cut = keys.index("outcomes")
        head = _ENCODE({k: doc[k] for k in keys[:cut]})[:-1] + ',"outcomes":['
        parts, spans, pos = [head], array("I"), len(head)
        for i, outcome in enumerate(doc["outcomes"]):
            text = _ENCODE(outcome)  # ASCII: characters and bytes count alike
            if i:
                parts.append(",")
                pos += 1
            parts.append(text)
            spans.extend((pos, pos + len(text)))
            pos += len(text)
        parts.append("]," + _ENCODE({k: doc[k] for k in keys[cut + 1 :]})[1:])
        return "".join(parts), spans

    def json_text(self) -> str:
        """The host as one line of compact ASCII JSON (what the journal and report.json hold)."""
        if "_packed" not in self.__dict__:
            return self._pack()
        return zlib.decompress(self._packed[0]).decode("ascii")

    def json_bytes(self) -> bytes:
        """``json_text()`` as ASCII bytes, for files: not decoded only to be encoded again."""
        if "_packed" not in self.__dict__:
            return self._pack().encode("ascii")
        return zlib.decompress(self._packed[0])

    def adopt_json(self, packed: bytes) -> None:
        """Take ``packed`` (zlib of this host's JSON as an earlier ``json_text`` wrote it: read back
        from the history by the same umcheck version) as the encoded form, so a host read back is
        not encoded again. The outcome offsets are worked out only if asked for."""
        self.__dict__["_packed"] = (packed, None)

    def json_z(self) -> bytes:
        """``json_text()`` zlib-compressed, as kept (the history store writes it as it is)."""
        return self._packed[0]

    def outcome_texts(self) -> list[str]:
        """Each outcome's compact JSON text, in the order of ``outcomes``."""
        if self._packed[1] is None:  # adopted text: encode once more for the offsets
            self._pack()
        text, spans = self.json_text(), self._packed[1]
        return [text[spans[i] : spans[i + 1]] for i in range(0, len(spans), 2)]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form as a new dict (decoded from the packed text: for the few callers that
        want values, not text)."""
        return json.loads(self.json_text())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HostResult:
        return load_dataclass(cls, data, capped=False)


@dataclass(frozen=True)
class RunScope:
    """What a run set out to check: every rule on every host ("full"), or a part of that.

    A partial run updates only the cells it evaluated; its hosts are graded on merged state.
    """

    kind: str = "full"  # full | partial
    rules: list[str] = field(default_factory=list)  # selectors; empty = every rule
    pattern: str = "all"
    limit: str | None = None
    rerun: str | None = None  # "not Ready in RUN" / "RULE failed in RUN" for re-checks
    hosts: int = 0  # hosts in the plan

    @property
    def all_rules(self) -> bool:
        return not self.rules

    @property
    def all_hosts(self) -> bool:
        return self.pattern == "all" and not self.limit and not self.rerun

    @property
    def label(self) -> str:
        """One short line for ``umcheck history`` and report headers."""
        if self.kind == "full":
            return f"full ({self.hosts} hosts)"
        parts = ["rules " + ",".join(self.rules)] if self.rules else []
        if self.pattern != "all":
            parts.append(f"hosts {self.pattern}")
        if self.limit:
            parts.append(f"limit {self.limit}")
        if self.rerun:
            parts.append(self.rerun)
        parts.append(f"{self.hosts} hosts")
        return "partial: " + "; ".join(parts)

    @classmethod
    def from_header(cls, header: dict[str, Any]) -> RunScope | None:
        """The scope a journal or history header records (None for runs from before scopes)."""
        value = header.get("scope")
        try:
            return load_dataclass(cls, value, "$.scope", capped=False) if isinstance(value, dict) else None
        except ValueError:  # a damaged header: the run still loads, without its scope
            return None

    @property
    def key(self) -> tuple:
        """Runs with equal keys checked the same thing ("previous run of the same scope")."""
        return (tuple(self.rules), self.pattern, self.limit, self.rerun)


@dataclass(frozen=True)
class FleetResult:
    run_id: str
    started: str
    finished: str | None = None
    hosts: list[HostResult] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # rule selection, empty = all
    inventory: list[str] = field(default_factory=list)
    limit: str | None = None
    interrupted: bool = False
    umcheck_version: str = ""
    schema_version: int = 2
    scope: RunScope | None = None  # None only in runs written before schema 2

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: dump(getattr(self, f.name)) for f in fields(self) if f.name != "hosts"}
        out["hosts"] = [h.to_dict() for h in self.hosts]
        return {k: out[k] for k in (f.name for f in fields(self))}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FleetResult:
        return load_dataclass(cls, data, capped=False)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for h in self.hosts:
            out[h.readiness] = out.get(h.readiness, 0) + 1
        return out

    @property
    def all_ready(self) -> bool:
        return bool(self.hosts) and all(h.readiness == Readiness.READY for h in self.hosts)
