"""Remediation lookup by message id: exact id first, then the RuleId's entry.

The texts live in ``windows_remediation.py``, ``linux_remediation.py`` and the successor pack's ``remediation.py``. Commands in them are
text for the report; a scan never executes them.
"""

from __future__ import annotations

from functools import lru_cache

from umcheck.packs.successor.remediation import SUCCESSOR_REMEDIATION
from umcheck.results import Remediation
from umcheck.rules.linux_remediation import LINUX_REMEDIATION
from umcheck.rules.windows_remediation import WINDOWS_REMEDIATION

CATALOG: dict[str, Remediation] = {**WINDOWS_REMEDIATION, **LINUX_REMEDIATION, **SUCCESSOR_REMEDIATION}


@lru_cache(maxsize=4096)  # a few hundred ids in the catalog; bounded all the same
def remediation_for(message_id: str) -> Remediation | None:
    """Most specific entry: ``R.Failed.Reason``, then ``R.Failed``, then ``R``."""
    parts = message_id.split(".")
    # Linux ids have a dotted RuleId prefix ("Linux.X.Failed.Reason"); try every shorter prefix.
    for end in range(len(parts), 0, -1):
        hit = CATALOG.get(".".join(parts[:end]))
        if hit is not None:
            return hit
    return None
