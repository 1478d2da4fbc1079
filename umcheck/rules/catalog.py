"""All rules in official output order, and selection by RuleId, group or ``all``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cache

from umcheck.facts import Facts
from umcheck.packs import is_successor
from umcheck.packs.successor.rules import SUCCESSOR_RULES
from umcheck.results import RuleOutcome
from umcheck.rules.base import RuleContext, RuleSpec, evaluate
from umcheck.rules.linux import LINUX_RULES
from umcheck.rules.windows import WINDOWS_RULES

LEGACY_RULES: tuple[RuleSpec, ...] = tuple(WINDOWS_RULES) + tuple(LINUX_RULES)
ALL_RULES: tuple[RuleSpec, ...] = LEGACY_RULES + tuple(SUCCESSOR_RULES)
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(r.group_id for r in ALL_RULES))
# Rule packs (docs/successor.md): chosen with --pack, carried in a run's selectors as "pack:<name>".
PACKS: tuple[str, ...] = ("legacy", "successor")
PACK_PREFIX = "pack:"


def pack_of(rule_id: str) -> str:
    return "successor" if is_successor(rule_id) else "legacy"


def pack_selectors(pack: str) -> tuple[str, ...]:
    """``--pack`` as selectors: ``all`` selects nothing extra (a full run)."""
    return () if pack == "all" else (PACK_PREFIX + pack,)


def _matches(rule: RuleSpec, selector: str) -> bool:
    s = selector.strip()
    return s.lower() == "all" or s == rule.rule_id or s.lower() == rule.group_id.lower()


def known_selector(selector: str) -> bool:
    """True when ``selector`` names ``all``, a group id, a RuleId or ``pack:<name>``."""
    if selector.strip().lower().startswith(PACK_PREFIX):
        return selector.strip().lower()[len(PACK_PREFIX):] in PACKS
    return any(_matches(r, selector) for r in ALL_RULES)


def closest(name: str, n: int = 3) -> list[str]:
    """The rule ids and groups nearest to a misspelt ``name`` (case-insensitive), best first."""
    names = {r.rule_id for r in ALL_RULES} | set(GROUPS) | {"all"}
    by_lower = {x.lower(): x for x in names}
    hits = difflib.get_close_matches(name.strip().lower(), list(by_lower), n=n, cutoff=0.6)
    return [by_lower[h] for h in hits]


def unknown_rule_message(name: str, what: str = "rule or group") -> str:
    """``unknown rule or group 'TlsVersion' (did you mean TlsVersionCheck?; see 'umcheck rules')``."""
    near = closest(name)
    hint = f"did you mean {' or '.join(near)}?; " if near else ""
    return f"unknown {what} {name!r} ({hint}see 'umcheck rules')"


def select_rules(selectors: Iterable[str] | None = None, os_family: str | None = None) -> list[RuleSpec]:
    """Rules of ``os_family`` matching any rule/group selector, within the ``pack:`` selectors if any."""
    given = [s.strip() for s in (selectors or []) if s.strip()]
    packs = {s.lower()[len(PACK_PREFIX):] for s in given if s.lower().startswith(PACK_PREFIX)}
    sel = [s for s in given if not s.lower().startswith(PACK_PREFIX)]
    return [
        r
        for r in ALL_RULES
        if (os_family is None or r.os_family == os_family)
        and (not packs or pack_of(r.rule_id) in packs)
        and (not sel or any(_matches(r, s) for s in sel))
    ]


def needed_sections(rules: Iterable[RuleSpec]) -> list[str]:
    """Facts sections the given rules read (what a targeted re-check needs to collect)."""
    return sorted({s for r in rules for s in r.needs})


@cache
def _rules_for(selectors: tuple[str, ...], os_family: str) -> tuple[RuleSpec, ...]:
    """``select_rules`` once per (selection, OS) of a run, not once per host."""
    return tuple(select_rules(selectors, os_family))


def evaluate_host(facts: Facts, ctx: RuleContext, selectors: Iterable[str] | None = None) -> list[RuleOutcome]:
    outcomes = []
    for spec in _rules_for(tuple(selectors or ()), facts.os_family):
        outcome = evaluate(spec, facts, ctx)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes
