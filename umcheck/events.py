"""Event sinks: who hears about a run as it happens (journal, progress display).

The runner calls every sink from its event loop, in order; a sink must not block for long
(the journal's fsync is the one deliberate exception: durability over speed).
"""

from __future__ import annotations

from typing import Any, Protocol

from umcheck.journal import Journal
from umcheck.results import FleetResult, HostResult


class EventSink(Protocol):
    def run_started(self, header: dict[str, Any], total: int) -> None: ...

    def host_started(self, name: str) -> None: ...

    def host_finished(self, result: HostResult) -> None: ...

    def run_finished(self, fleet: FleetResult) -> None: ...


class NullSink:
    def run_started(self, header: dict[str, Any], total: int) -> None:
        pass

    def host_started(self, name: str) -> None:
        pass

    def host_finished(self, result: HostResult) -> None:
        pass

    def run_finished(self, fleet: FleetResult) -> None:
        pass


class JournalSink(NullSink):
    """Appends each finished host to the run journal the moment it finishes."""

    def __init__(self, journal: Journal, *, resumed: bool = False):
        self.journal = journal
        self.resumed = resumed

    def run_started(self, header: dict[str, Any], total: int) -> None:
        if not self.resumed:
            self.journal.start(header)

    def host_finished(self, result: HostResult) -> None:
        self.journal.host(result)

    def run_finished(self, fleet: FleetResult) -> None:
        self.journal.end(fleet.finished or "", fleet.interrupted)
