"""Equal strings of parsed JSON made one object.

Parsed JSON has a fresh copy of every rule message and remediation text per host, where results
made in this process share the catalog's: without this, 10,000 results read back (from Celery
workers, or from the history for ``umcheck report``) held ~50 KB per host more than local ones.
"""

from __future__ import annotations

from typing import Any

STRING_SHARE_MAX = 4096  # characters: longer texts are rarely repeated across hosts
STRING_MEMO_SIZE = 200_000  # distinct strings remembered per memo (host names and addresses included)


def share_strings(value: Any, memo: dict[str, str]) -> Any:
    """``value`` with equal strings made one object (``memo`` remembers them across calls)."""
    if isinstance(value, str):
        if len(value) > STRING_SHARE_MAX:
            return value
        found = memo.get(value)
        if found is None:
            if len(memo) >= STRING_MEMO_SIZE:
                return value
            memo[value] = found = value
        return found
    if isinstance(value, dict):
        return {share_strings(k, memo): share_strings(v, memo) for k, v in value.items()}
    if isinstance(value, list):
        return [share_strings(v, memo) for v in value]
    return value
