"""The live bar: ages of hung hosts move with the clock, and done/total plus elapsed fit any width.

Rendered into a rich Console of each width, as the terminal shows it; a fake clock stands for
time passing (no sleeps).
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from umcheck.progress import LiveProgress, status_parts
from umcheck.results import HostResult, HostStatus, Readiness


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _sink(width: int, clock: Clock) -> tuple[LiveProgress, Console]:
    console = Console(file=io.StringIO(), force_terminal=True, width=width, color_system=None)
    return LiveProgress(console, verbosity=-1, clock=clock), console


def _screen(sink: LiveProgress, console: Console) -> list[str]:
    with console.capture() as cap:
        console.print(sink)
    return cap.get().splitlines()


def _busy(sink: LiveProgress, clock: Clock) -> None:
    sink.total = 300
    sink.started_at = clock.now
    for i in range(123):
        sink.host_started(f"host-{i:03d}")
        sink.host_finished(
            HostResult(f"host-{i:03d}", readiness=Readiness.READY if i % 7 else Readiness.DISCONNECTED)
        )
    for name in ("hung-db-primary.corp.example.com", "hung-web-02.corp.example.com", "slow-03"):
        sink.host_started(name)
        clock.now += 1
    sink.host_finished(HostResult("auth", status=HostStatus.AUTH_FAILED))
    clock.now += 62


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_done_total_and_elapsed_survive_every_width(width):
    clock = Clock()
    sink, console = _sink(width, clock)
    _busy(sink, clock)
    lines = _screen(sink, console)
    assert all(len(line) <= width for line in lines), lines
    assert "124/300" in lines[0] and "0:01:05" in lines[0], lines
    assert lines[1].startswith("slowest: hung-db-primary"), lines
    if width >= 80:
        assert "━" in lines[0] and "Ready: 105" in lines[0] and "auth_failed: 1" in lines[0], lines
    if width >= 120:
        assert "Disconnected: 18" in lines[0], lines


def test_the_least_important_parts_go_first():
    counts = {"Ready": 100, "auth_failed": 3, "timeout": 20, "Not configured": 5}
    wide, narrow, tiny = (status_parts(123, 300, 65, counts, w) for w in (160, 60, 10))
    assert wide.label and wide.bar == 40 and wide.counts.count(":") == 4
    assert not narrow.label and 10 <= narrow.bar < 40 and 0 < narrow.counts.count(":") < 4
    assert (tiny.label, tiny.bar, tiny.counts, tiny.essential) == ("", 0, "", "123/300 0:01:05")
    for w in range(16, 200):
        line = status_parts(123, 300, 65, counts, w)
        assert len(line.plain) <= w and "123/300 0:01:05" in line.plain, (w, line)


def test_slowest_hosts_age_while_nothing_finishes():
    """Each refresh (rich's timer calls it twice a second) renders the ages anew."""
    clock = Clock()
    sink, console = _sink(100, clock)
    sink.run_started({"run_id": "r"}, 2)
    try:
        assert sink.live.auto_refresh and sink.live.get_renderable() is sink
        sink.host_started("hung-1")
        clock.now += 21
        sink.live.refresh()
        clock.now += 30  # no host finishes meanwhile
        sink.live.refresh()
    finally:
        sink.run_finished(None)  # type: ignore[arg-type]
    shown = console.file.getvalue()
    assert "slowest: hung-1 (21s)" in shown and "0/2 0:00:21" in shown
    assert "slowest: hung-1 (51s)" in shown and "0/2 0:00:51" in shown


def test_host_names_are_not_read_as_markup():
    clock = Clock()
    sink, console = _sink(100, clock)
    sink.host_started("[bold]web[/bold]")
    assert _screen(sink, console)[1].startswith("slowest: [bold]web[/bold] (")
