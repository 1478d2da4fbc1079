"""Run references: ``last``, ``previous``, ``last~N``, a full run id or a unique prefix.

One grammar for the history store and for run folders, so ``umcheck diff last~2 last`` and
``umcheck report 20261126 --reports-dir reports`` mean the same thing everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from umcheck.errors import UsageError

_RELATIVE = re.compile(r"^(?:last|latest)(?:~(\d+))?$")


def resolve_ref(ref: str, run_ids: Sequence[str], *, where: str) -> str:
    """The run id ``ref`` names among ``run_ids`` (oldest first); UsageError if none or ambiguous."""
    ref = (ref or "").strip()
    if not run_ids:
        raise UsageError(f"no runs recorded in {where}")
    if not ref:
        raise UsageError(
            "empty run reference (use a run id, a unique prefix, 'last', 'previous' or 'last~N')"
        )
    back: int | None = None
    if ref.lower() == "previous":
        back = 1
    elif m := _RELATIVE.match(ref.lower()):
        back = int(m.group(1) or 0)
    if back is not None:
        if back >= len(run_ids):
            raise UsageError(f"run reference '{ref}' goes back {back} runs but {where} holds {len(run_ids)}")
        return run_ids[-1 - back]
    if ref in run_ids:
        return ref
    matches = [r for r in run_ids if r.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(f"no run '{ref}' in {where} (try 'umcheck history')")
    shown = ", ".join(matches[:5]) + (", …" if len(matches) > 5 else "")
    raise UsageError(f"run reference '{ref}' is ambiguous in {where}: {len(matches)} runs match ({shown})")
