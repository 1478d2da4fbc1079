"""Rule packs: ``legacy`` (the 37 Update Management troubleshooter rules, umcheck/rules) and
``successor`` (Azure Update Manager, Azure Arc and the extension-based worker,
umcheck/packs/successor). ``registry`` selects them (``--pack legacy|successor|all``)."""

SUCCESSOR_PREFIX = "SR."


def is_successor(rule_id: str) -> bool:
    """The one test of which pack a rule id belongs to (ids are stable: docs/successor.md)."""
    return rule_id.startswith(SUCCESSOR_PREFIX)
