"""The troubleshooter rules, evaluated on the controller as pure functions of facts."""

from umcheck.rules.base import RuleContext, RuleSpec, Verdict, evaluate
from umcheck.rules.catalog import ALL_RULES, evaluate_host, known_selector, select_rules

__all__ = [
    "ALL_RULES",
    "RuleContext",
    "RuleSpec",
    "Verdict",
    "evaluate",
    "evaluate_host",
    "known_selector",
    "select_rules",
]
