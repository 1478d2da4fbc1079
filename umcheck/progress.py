"""Progress display: a live rich bar on a terminal, one plain line per host otherwise (cron).

Verbosity: -q prints nothing per host, default prints problems (and a live bar on a TTY),
-v prints every host.
"""

from __future__ import annotations

import heapq
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from umcheck.events import NullSink
from umcheck.reports.escape import one_line
from umcheck.results import FleetResult, HostResult, HostStatus, Readiness

if TYPE_CHECKING:  # rich is imported only when a terminal shows the live bar
    from rich.console import Console
    from rich.text import Text


def _line(result: HostResult) -> str:
    """One printable line: names, reasons and errors come from hosts and may carry escape sequences."""
    head = f"{one_line(result.name)}: {result.status}"
    if result.status == HostStatus.OK:
        head += f" {result.readiness}"
        if result.readiness != Readiness.READY and result.readiness_reason:
            head += f" ({one_line(result.readiness_reason)})"
    elif result.error:
        head += f" — {one_line(result.error)}"
    return f"{head} [{result.elapsed_ms / 1000:.1f}s]"


class PlainProgress(NullSink):
    """For logs: a line per finished host (problems only unless verbose)."""

    def __init__(self, stream: TextIO | None = None, verbosity: int = 0):
        self.stream = stream or sys.stderr
        self.verbosity = verbosity

    def run_started(self, header: dict[str, Any], total: int) -> None:
        if self.verbosity >= 0:
            print(
                f"umcheck: run {header.get('run_id')}: scanning {total} host(s)", file=self.stream, flush=True
            )

    def host_finished(self, result: HostResult) -> None:
        problem = result.status != HostStatus.OK or result.readiness != Readiness.READY
        if self.verbosity > 0 or (self.verbosity == 0 and problem):
            print(_line(result), file=self.stream, flush=True)


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


BAR_MIN, BAR_MAX = 10, 40
LABEL = "scanning "


@dataclass(frozen=True)
class StatusLine:
    """The parts of the bar line that fit: ``bar`` is the bar's width in cells (0: none)."""

    label: str
    bar: int
    essential: str  # done/total and elapsed
    counts: str

    @property
    def plain(self) -> str:
        bar = "━" * self.bar + " " if self.bar else ""
        return f"{self.label}{bar}{self.essential}" + (f" {self.counts}" if self.counts else "")


def status_parts(done: int, total: int, elapsed: float, counts: dict[str, int], width: int) -> StatusLine:
    """What fits on the bar line at ``width``.

    The least important part goes first on a narrow terminal: the label, then the bar's length
    (down to BAR_MIN), then the counts (one entry at a time), then the bar; done/total and the
    elapsed time survive any width.
    """
    essential = f"{done}/{total} {_clock(elapsed)}"
    room = width - len(essential)
    bar = BAR_MIN if room >= BAR_MIN + 1 else 0  # a short bar before the counts, if it fits at all
    room -= bar + 1 if bar else 0
    shown = ""
    for key, value in sorted(counts.items()):
        entry = f"{key}: {value}"
        candidate = f"{shown}  {entry}" if shown else entry
        if len(candidate) + 1 <= room:  # a later, shorter entry may still fit
            shown = candidate
    room -= len(shown) + 1 if shown else 0
    if bar:  # what is left widens the bar, then makes room for the label
        grow = min(BAR_MAX - bar, max(0, room))
        bar, room = bar + grow, room - grow
    label = LABEL if room >= len(LABEL) else ""
    return StatusLine(label, bar, essential, shown)


class LiveProgress(NullSink):
    """For terminals: a bar with counts by status and the slowest hosts still running.

    Rendered afresh on every refresh (twice a second), not only when a host finishes, so the
    elapsed time and the ages of hung hosts keep moving; it fits the terminal's width.
    """

    def __init__(self, console: Console | None = None, verbosity: int = 0, clock=time.monotonic):
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.verbosity = verbosity
        self.clock = clock
        self.counts: Counter[str] = Counter()
        self.running: dict[str, float] = {}
        self.total = 0
        self.done = 0
        self.started_at = clock()
        self.live: Any = None

    def __rich_console__(self, console: Console, options: Any):
        yield from self.lines(options.max_width)

    def lines(self, width: int) -> list[Text]:
        """The bar line and, while hosts run, the slowest of them with their ages now."""
        from rich.text import Text

        now = self.clock()
        parts = status_parts(self.done, self.total, now - self.started_at, dict(self.counts), width)
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(parts.label, style="bold")
        if parts.bar:
            filled = min(parts.bar, round(parts.bar * self.done / self.total)) if self.total else parts.bar
            line.append("━" * filled, style="green")
            line.append("━" * (parts.bar - filled) + " ", style="grey37")
        line.append(parts.essential)
        if parts.counts:
            line.append(" " + parts.counts)
        out = [line]
        slow = heapq.nsmallest(3, self.running.items(), key=lambda kv: kv[1])  # of up to --forks hosts
        if slow:
            text = "slowest: " + ", ".join(f"{one_line(n)} ({now - t:.0f}s)" for n, t in slow)
            out.append(Text(text, no_wrap=True, overflow="ellipsis"))
        for t in out:
            t.truncate(width, overflow="ellipsis")
        return out

    def run_started(self, header: dict[str, Any], total: int) -> None:
        from rich.live import Live

        self.total = total
        self.started_at = self.clock()
        self.live = Live(self, console=self.console, refresh_per_second=2, transient=True)
        self.live.start()

    def host_started(self, name: str) -> None:
        self.running[name] = self.clock()

    def host_finished(self, result: HostResult) -> None:
        self.running.pop(result.name, None)
        key = str(result.readiness) if result.status == HostStatus.OK else str(result.status)
        self.counts[key] += 1
        self.done += 1
        if self.verbosity > 0 or (result.status != HostStatus.OK and self.verbosity == 0):
            self.console.print(_line(result), markup=False, highlight=False)
        # No redraw here: Live redraws twice a second on its own, and a redraw per finished host
        # (a full render, hundreds a second on a big fleet) cost more CPU than the host's scan.

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
