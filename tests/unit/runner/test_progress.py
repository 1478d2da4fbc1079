"""Progress sinks: plain lines for logs (problems only unless -v), a live bar on terminals."""

from __future__ import annotations

import io

from rich.console import Console

from umcheck.progress import LiveProgress, PlainProgress, make_progress
from umcheck.results import FleetResult, HostResult, HostStatus, Readiness

READY = HostResult("good", readiness=Readiness.READY, elapsed_ms=1200)
BAD = HostResult("bad", status=HostStatus.AUTH_FAILED, error="credentials rejected", elapsed_ms=300)
DISC = HostResult("disc", readiness=Readiness.DISCONNECTED, readiness_reason="onboarded but failing: X")


def test_plain_progress_prints_problems_only_by_default() -> None:
    out = io.StringIO()
    sink = PlainProgress(out, verbosity=0)
    sink.run_started({"run_id": "r1"}, 3)
    for r in (READY, BAD, DISC):
        sink.host_finished(r)
    lines = out.getvalue().splitlines()
    assert lines[0] == "umcheck: run r1: scanning 3 host(s)"
    assert lines[1:] == ["bad: auth_failed — credentials rejected [0.3s]",
                         "disc: ok Disconnected (onboarded but failing: X) [0.0s]"]  # fmt: skip


def test_plain_progress_verbose_and_quiet() -> None:
    loud, quiet = io.StringIO(), io.StringIO()
    for stream, level in ((loud, 1), (quiet, -1)):
        sink = PlainProgress(stream, verbosity=level)
        sink.run_started({"run_id": "r"}, 1)
        sink.host_finished(READY)
    assert "good: ok Ready [1.2s]" in loud.getvalue()
    assert quiet.getvalue() == ""


def test_live_progress_counts_by_status() -> None:
    out = io.StringIO()
    sink = LiveProgress(Console(file=out, force_terminal=True, width=100), verbosity=0)
    sink.run_started({"run_id": "r"}, 3)
    sink.host_started("good")
    sink.host_started("bad")
    sink.host_finished(READY)
    sink.host_finished(BAD)
    assert sink.counts == {"Ready": 1, "auth_failed": 1}
    assert "bad" not in sink.running
    sink.run_finished(FleetResult("r", "now"))
    assert "auth_failed" in out.getvalue()


def test_make_progress_picks_plain_when_not_a_tty() -> None:
    assert isinstance(make_progress(0, io.StringIO()), PlainProgress)
