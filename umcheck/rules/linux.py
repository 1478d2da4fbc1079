"""Linux rules (stub: filled in by the rules work)."""

from umcheck.rules.base import RuleSpec

LINUX_RULES: list[RuleSpec] = []
