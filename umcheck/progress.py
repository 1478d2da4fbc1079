"""Progress display: a live rich bar on a terminal, one plain line per host otherwise (cron).

Verbosity: -q prints nothing per host, default prints problems (and a live bar on a TTY),
-v prints every host.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import TYPE_CHECKING, Any, TextIO

from umcheck.events import NullSink
from umcheck.results import FleetResult, HostResult, HostStatus, Readiness

if TYPE_CHECKING:  # rich is imported only when a terminal shows the live bar
    from rich.console import Console
    from rich.table import Table


def _line(result: HostResult) -> str:
    head = f"{result.name}: {result.status}"
    if result.status == HostStatus.OK:
        head += f" {result.readiness}"
        if result.readiness != Readiness.READY and result.readiness_reason:
            head += f" ({result.readiness_reason})"
    elif result.error:
        head += f" — {result.error}"
    return f"{head} [{result.elapsed_ms / 1000:.1f}s]"


class PlainProgress(NullSink):
    """For logs: a line per finished host (problems only unless verbose)."""

    def __init__(self, stream: TextIO | None = None, verbosity: int = 0):
        self.stream = stream or sys.stderr
        self.verbosity = verbosity

    def run_started(self, header: dict[str, Any], total: int) -> None:
        if self.verbosity >= 0:
            print(f"umcheck: run {header.get('run_id')}: scanning {total} host(s)", file=self.stream, flush=True)

    def host_finished(self, result: HostResult) -> None:
        problem = result.status != HostStatus.OK or result.readiness != Readiness.READY
        if self.verbosity > 0 or (self.verbosity == 0 and problem):
            print(_line(result), file=self.stream, flush=True)


class LiveProgress(NullSink):
    """For terminals: a bar with counts by status and the slowest hosts still running."""

    def __init__(self, console: Console | None = None, verbosity: int = 0):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console or Console(stderr=True)
        self.verbosity = verbosity
        self.counts: Counter[str] = Counter()
        self.running: dict[str, float] = {}
        self.progress = Progress(
            TextColumn("[bold]scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.description}"), console=self.console,
        )  # fmt: skip
        self.task = None
        self.live: Any = None

    def _render(self) -> Table:
        from rich.table import Table

        grid = Table.grid()
        grid.add_row(self.progress)
        now = time.monotonic()
        slow = sorted(self.running.items(), key=lambda kv: kv[1])[:3]
        if slow:
            grid.add_row("slowest: " + ", ".join(f"{n} ({now - t:.0f}s)" for n, t in slow))
        return grid

    def run_started(self, header: dict[str, Any], total: int) -> None:
        from rich.live import Live

        self.task = self.progress.add_task("", total=total)
        self.live = Live(self._render(), console=self.console, refresh_per_second=4, transient=True)
        self.live.start()

    def host_started(self, name: str) -> None:
        self.running[name] = time.monotonic()

    def host_finished(self, result: HostResult) -> None:
        self.running.pop(result.name, None)
        key = str(result.readiness) if result.status == HostStatus.OK else str(result.status)
        self.counts[key] += 1
        desc = "  ".join(f"{k}: {v}" for k, v in sorted(self.counts.items()))
        self.progress.update(self.task, advance=1, description=desc)
        if self.verbosity > 0 or (result.status != HostStatus.OK and self.verbosity == 0):
            self.console.print(_line(result), markup=False, highlight=False)
        if self.live:
            self.live.update(self._render())

    def run_finished(self, fleet: FleetResult) -> None:
        if self.live:
            self.live.stop()


def make_progress(verbosity: int, stream: TextIO | None = None) -> NullSink:
    stream = stream or sys.stderr
    if verbosity < 0:
        return NullSink()
    if stream.isatty():
        from rich.console import Console

        return LiveProgress(Console(file=stream), verbosity)
    return PlainProgress(stream, verbosity)
