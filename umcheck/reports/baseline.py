"""The comparison baseline ("changes since": the merged fleet state before this run), read from the
history while the hosts are being scanned rather than after.

The controller mostly waits on the network during a scan; reading the previous state (half a
million per-rule rows at 10,000 hosts, ≈ 2 s) then costs the user nothing, where after the scan it
delayed the reports. Its own thread and its own database connection; any failure just means the
reports read it after recording, as without it. ``from_history`` uses it only if the run recorded
just before this one is still the run it was read for (another jump host may have recorded one
meanwhile).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from umcheck.reports.diff import FleetLines

log = logging.getLogger("umcheck.reports")


class Baseline(threading.Thread):
    """Reads ``(previous run id, its merged state as the diff sees it)`` for ``run_id``."""

    def __init__(self, db: Path | str, run_id: str, timeout: float) -> None:
        super().__init__(name="umcheck-baseline", daemon=True)  # never holds the process up
        self.db, self.run_id, self.timeout = db, run_id, timeout
        self.found: tuple[str | None, FleetLines | None] | None = None

    def run(self) -> None:
        from umcheck.store import Store

        try:
            with Store(self.db, create=False, timeout=self.timeout) as store:
                previous = store.previous_of(self.run_id)
                self.found = (previous, store.state_lines(previous) if previous else None)
        except Exception as exc:  # noqa: BLE001 - the reports read it after recording instead
            log.debug("comparison baseline not read ahead (%s: %s)", type(exc).__name__, exc)

    def result(self) -> tuple[str | None, FleetLines | None] | None:
        """What was read, waiting for it if need be; None if it could not be read. Handed over once:
        the state of 10,000 hosts is megabytes, freed once the diff is computed from it."""
        self.join()
        found, self.found = self.found, None
        return found
