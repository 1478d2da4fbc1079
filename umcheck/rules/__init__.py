"""The troubleshooter rules, evaluated on the controller as pure functions of facts.

The catalog names are loaded on first use: the successor pack's rules import ``rules.base``, and
the catalog imports them, so importing this package must not pull the catalog in eagerly.
"""

from typing import Any

from umcheck.rules.base import RuleContext, RuleSpec, Verdict, evaluate

_CATALOG_NAMES = ("ALL_RULES", "evaluate_host", "known_selector", "select_rules")

__all__ = ["RuleContext", "RuleSpec", "Verdict", "evaluate", *_CATALOG_NAMES]


def __getattr__(name: str) -> Any:
    if name in _CATALOG_NAMES:
        from umcheck.rules import catalog

        return getattr(catalog, name)
    raise AttributeError(f"module 'umcheck.rules' has no attribute {name!r}")
