"""What a rule is and how one is evaluated.

A rule is a ``RuleSpec``: the official identity fields plus a pure ``check(facts, ctx)`` that
returns a ``Verdict``. ``evaluate`` turns a verdict into a ``RuleOutcome`` with the official
message id (``<RuleId>.<CheckResult>[.<Reason>]``), attaches remediation, and converts a
missing input (``NotCollected``) into ``NotEvaluated`` — never a guess, never an exception.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from umcheck.facts import Facts, NotCollected
from umcheck.results import CheckResult, RuleOutcome


@dataclass(frozen=True)
class RuleContext:
    """What the controller knows that the host does not: cloud, account region, the time."""

    cloud: str = "public"  # public | usgov | china
    location: str | None = None  # Automation account ARM location, e.g. "westeurope"
    is_azure: bool | None = None  # None = unknown (decided from facts where possible)
    wants_hrw: bool | None = None  # successor pack: umcheck_wants_hrw (None = decided from the host)
    hrw_account_url: str | None = None  # umcheck_hrw_account_url: the account's AutomationHybridServiceUrl
    migrating: bool = True  # umcheck_migration: false -> the migration grade is "Not applicable"
    hrw_runas_user: str | None = None  # umcheck_hrw_runas_user: the worker group's custom run-as account
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class Verdict:
    """A check's decision, before it is dressed as an official outcome.

    ``suffix`` is the official reason appended to the message id (``NoWorkspace``); ``reason`` is
    umcheck's own explanation, kept even where the official id carries none (quirk Q-W2).
    ``args`` is ``None`` where the official script emits null arguments.
    """

    result: CheckResult
    message: str
    suffix: str | None = None
    args: list[Any] | None = field(default_factory=list)
    reason: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    description: str | None = None  # overrides the spec's description for this outcome


Check = Callable[[Facts, RuleContext], Verdict | None]


@dataclass(frozen=True)
class RuleSpec:
    rule_id: str
    group_id: str
    group_name: str
    name: str
    description: str
    os_family: str  # windows | linux
    message_ids: tuple[str, ...]  # every id this rule can emit (catalog, golden coverage)
    check: Check
    needs: tuple[str, ...] = ()  # facts sections read; a connectivity re-check collects only these

    @classmethod
    def of(cls, rule_id: str, os_family: str, group: tuple[str, str], name: str, description: str,
           outcomes: Iterable[str], check: Check, needs: Iterable[str]) -> RuleSpec:  # fmt: skip
        """A spec whose message ids are ``<rule_id>.<outcome>`` (``Passed``, ``Failed.NoWorkspace``)."""
        return cls(rule_id, group[0], group[1], name, description, os_family,
                   tuple(f"{rule_id}.{o}" for o in outcomes), check, tuple(needs))  # fmt: skip


_SHARED_TEXT = 200  # characters: a message or evidence value up to this long is held once per process


def _shared(value: Any) -> Any:
    """Equal short strings as one object: 10,000 hosts mostly say the same things (``Operating
    system version 10.0.17763 is supported.``), and each host's copy would be kept for the run."""
    return sys.intern(value) if type(value) is str and len(value) <= _SHARED_TEXT else value


def message_id(rule_id: str, result: str, suffix: str | None) -> str:
    # interned: a few hundred distinct ids, held once each by 10,000 hosts' outcomes
    return sys.intern(f"{rule_id}.{result}" + (f".{suffix}" if suffix else ""))


def evaluate(spec: RuleSpec, facts: Facts, ctx: RuleContext) -> RuleOutcome | None:
    """Run one rule; ``None`` means the rule emits no row for this host (e.g. a US Gov-only id)."""
    from umcheck.rules.remediation import remediation_for  # catalog imports rules; avoid a cycle

    try:
        verdict = spec.check(facts, ctx)
    except NotCollected as exc:
        verdict = Verdict(
            CheckResult.NOT_EVALUATED,
            f"Not evaluated: the '{exc.section}' facts were not collected ({exc.reason}).",
            args=[],
            reason=f"{exc.section}: {exc.reason}",
        )
    if verdict is None:
        return None
    mid = message_id(spec.rule_id, verdict.result, verdict.suffix)
    remediation = None
    if verdict.result in (CheckResult.FAILED, CheckResult.WARNING):
        remediation = remediation_for(mid)
    return RuleOutcome(
        RuleId=spec.rule_id,
        RuleGroupId=spec.group_id,
        RuleName=spec.name,
        RuleGroupName=spec.group_name,
        RuleDescription=verdict.description if verdict.description is not None else spec.description,
        CheckResult=sys.intern(str(verdict.result)),
        CheckResultMessage=_shared(verdict.message),
        CheckResultMessageId=mid,
        CheckResultMessageArguments=[_shared(a) for a in verdict.args] if verdict.args else verdict.args,
        reason=_shared(verdict.reason),
        evidence={k: _shared(v) for k, v in verdict.evidence.items()} if verdict.evidence else verdict.evidence,
        remediation=remediation,
    )
