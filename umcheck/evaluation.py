"""From one host's raw collector output to its HostResult: parse, validate, evaluate, grade.

Shared by ``umcheck evaluate`` (saved files) and the runner (live output), so a saved facts
file and a live scan of the same machine give the same result. Bad output never raises: it
becomes a ``collector_error`` HostResult naming what was wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from umcheck import envelope
from umcheck.compat import OfficialOutputError, parse_official
from umcheck.facts import Facts, FactsError
from umcheck.packs.successor.migration import with_migration
from umcheck.reports.escape import one_line
from umcheck.results import HostResult, HostStatus, Readiness, RuleOutcome
from umcheck.rules.base import RuleContext
from umcheck.rules.catalog import evaluate_host, select_rules
from umcheck.rules.readiness import readiness
from umcheck.state.merge import rule_ids


def graded(base: HostResult, outcomes: list[RuleOutcome], family: str, selectors: Iterable[str] | None,
           *, migrating: bool = True) -> HostResult:  # fmt: skip
    """Grade what was evaluated; rules the selection left out count as missing (the runner then
    carries earlier results into them, see umcheck/state/merge.py)."""
    selected = set(rule_ids(family, tuple(selectors or ())))
    missing = [r for r in rule_ids(family) if r not in selected]
    verdict = readiness(outcomes, missing)
    base = replace(base, status=HostStatus.OK, outcomes=outcomes, readiness=verdict.state,
                   readiness_reason=verdict.reason, os_family=family, missing_rules=missing)  # fmt: skip
    return with_migration(base, migrating=migrating)


def evaluate_facts(
    base: HostResult, facts: Facts, ctx: RuleContext, selectors: Iterable[str] | None = None
) -> HostResult:
    outcomes = evaluate_host(facts, ctx, selectors)
    errors = [f"{e.section}: {e.message}"[:300] for e in facts.collector.errors]
    graded_host = graded(base, outcomes, facts.os_family, selectors, migrating=ctx.migrating)
    return replace(graded_host, collector_errors=errors)


def collector_failure(base: HostResult, message: str) -> HostResult:
    """The host's collector_error; ``message`` may quote host data, so it is made one printable line."""
    return replace(
        base,
        status=HostStatus.COLLECTOR_ERROR,
        readiness=Readiness.UNKNOWN,
        readiness_reason="the collector's output could not be used",
        error=one_line(message),
        error_kind="collector_error",
    )


def _facts_document(text: str, max_bytes: int) -> dict[str, Any] | None:
    """The facts document in ``text`` (envelope or bare JSON), or None when it holds none.

    Raises EnvelopeError when the markers are there but the document between them is unusable.
    """
    if envelope.END in text or envelope.BEGIN in text:
        return envelope.parse(text, max_bytes=max_bytes)
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) and "facts_version" in doc else None


def evaluate_output(
    base: HostResult,
    raw: bytes | str,
    ctx: RuleContext,
    selectors: Iterable[str] | None = None,
    *,
    max_bytes: int = envelope.MAX_ENVELOPE_BYTES,
) -> HostResult:
    """Grade one host from collector output (envelope), a bare facts document, or official JSON.

    Linear in the output's size whatever it holds (the runner runs it in a worker thread bounded
    by the host's deadline), and never raises: a host's bad output is its own collector_error.
    """
    text = envelope.decode(raw) if isinstance(raw, bytes) else raw
    if len(text) > max_bytes:
        return collector_failure(base, f"collector output is over the {max_bytes}-byte cap")
    try:
        doc = _facts_document(text, max_bytes)
        if doc is not None:
            return evaluate_facts(base, Facts.from_dict(doc), ctx, selectors)
        family, outcomes = parse_official(text)
    except envelope.EnvelopeError as exc:
        return collector_failure(base, str(exc))
    except FactsError as exc:
        return collector_failure(base, f"invalid facts: {exc}")
    except OfficialOutputError as exc:
        return collector_failure(
            base, f"output is neither umcheck facts nor official troubleshooter JSON ({exc})"
        )
    except Exception as exc:  # a bug in a rule on data we did not foresee: this host's error, not the run's
        return collector_failure(
            base, f"facts could not be evaluated ({exc.__class__.__name__}: {exc})"[:300]
        )
    wanted = {r.rule_id for r in select_rules(selectors, family)}
    if selectors:
        outcomes = [o for o in outcomes if o.RuleId in wanted]
    return graded(base, outcomes, family, selectors)
