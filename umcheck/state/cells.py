"""One (host, rule) cell of the fleet state: its latest outcome and the run and time it came from."""

from __future__ import annotations

from dataclasses import dataclass

from umcheck.results import RuleOutcome


@dataclass(frozen=True)
class Cell:
    host: str
    rule_id: str
    run_id: str  # the run that evaluated it
    evaluated_at: str  # ISO 8601
    outcome: RuleOutcome | None  # None: the rule was evaluated and emits no row for this host
