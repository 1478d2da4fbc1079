"""Windows rules (stub: filled in by the rules work)."""

from umcheck.rules.base import RuleSpec

WINDOWS_RULES: list[RuleSpec] = []
