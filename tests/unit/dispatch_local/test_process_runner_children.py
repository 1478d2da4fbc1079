"""ProcessRunner against children that misbehave: real child processes, scripted to break.

Each scripted child reads its real ChildJob from stdin and then does what ``MODE`` says for its
worker number; the parent must keep every host exactly once, in plan order, and turn a broken
child's unfinished hosts into one-line errors after one retry — never lose one, never hang.
"""

from __future__ import annotations

import asyncio
import sys

import pytest

from umcheck.dispatch.local import ProcessRunner
from umcheck.events import NullSink
from umcheck.inventory.connection import ConnectionSettings
from umcheck.plan import RunOptions, target_for
from umcheck.results import HostResult, HostStatus

CHILD = r"""
import os, sys, time
from umcheck.dispatch.lines import DONE_LINE, finished_line, read_job, started_line
from umcheck.results import HostResult
job = read_job(sys.stdin.buffer)
mode = {MODES!r}.get(job.index, "good")
out = sys.stdout.buffer
def host(t):
    out.write(started_line(t.name))
    out.write(finished_line(HostResult(name=t.name, status="ok", readiness="Ready", attempts=1,
                                       error=f"forks={{job.options.forks}}")))
    out.flush()
if mode == "exit":
    sys.stderr.write("umcheck: warning: \x1b[31mred\x1b]0;title\x07 alert\n")
    sys.exit(3)
host(job.targets[0])
if mode == "garbage":
    out.write(b"\x1b[2J{{{{ not json\n"); out.flush(); time.sleep(60)
elif mode == "stranger":
    out.write(finished_line(HostResult(name="not-in-my-share"))); out.flush(); time.sleep(60)
elif mode == "twice":
    host(job.targets[0]); time.sleep(60)
elif mode == "early_done":
    out.write(DONE_LINE); out.flush(); time.sleep(60)
elif mode == "silent_exit":
    os._exit(0)
elif mode == "torn":
    out.write(b'{{"t": "f", "r": {{"name": '); out.flush(); os._exit(0)
else:
    for t in job.targets[1:]:
        host(t)
    out.write(DONE_LINE); out.flush()
"""


class Events(NullSink):
    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[HostResult] = []

    def host_started(self, name: str) -> None:
        self.started.append(name)

    def host_finished(self, result: HostResult) -> None:
        self.finished.append(result)


def _targets(n: int):
    options = RunOptions()
    return [target_for(ConnectionSettings(name=f"h{i:02d}", host="127.0.0.1", connection="ssh"), options)
            for i in range(n)]  # fmt: skip


async def _run(modes: dict[int, str], hosts: int = 6, workers: int = 2, forks: int = 4):
    events = Events()
    runner = ProcessRunner(workers, RunOptions(forks=forks), lambda s: None, [events])  # type: ignore[arg-type,return-value]
    runner.command = [sys.executable, "-c", CHILD.format(MODES=modes)]
    todo = _targets(hosts)
    results = await asyncio.wait_for(runner.execute(todo), 60)
    assert [r.name for r in results] == [t.name for t in todo]  # plan order, every host once
    assert sorted(r.name for r in events.finished) == sorted(t.name for t in todo)  # each emitted once
    return results


async def test_well_behaved_children_share_the_plan_and_the_forks():
    results = await _run({}, hosts=7, workers=2, forks=5)
    assert {r.status for r in results} == {HostStatus.OK}
    assert sorted(r.error for r in results) == ["forks=2"] * 3 + ["forks=3"] * 4  # 5 forks: 3 + 2


@pytest.mark.parametrize("mode", ["garbage", "stranger", "twice", "early_done", "silent_exit", "torn"])
async def test_a_broken_childs_hosts_become_errors_and_the_others_are_fine(mode):
    results = await _run({1: mode}, hosts=6)
    by = {r.name: r for r in results}
    # worker 1 has h00, h02, h04 (round robin). Its first host it reported properly, before it broke,
    # in both its attempts: the retry starts with h02, which it reports, then breaks again.
    assert by["h00"].status == HostStatus.OK and by["h02"].status == HostStatus.OK
    bad = by["h04"]
    assert (bad.status, bad.error_kind, bad.readiness) == (HostStatus.PROTOCOL_ERROR, "internal", "Unknown")
    assert bad.error.startswith("worker process ") and bad.error.endswith(" before this host finished")
    assert "\n" not in bad.error and "\x1b" not in bad.error
    assert all(by[n].status == HostStatus.OK for n in ("h01", "h03", "h05"))  # the other worker: fine


async def test_a_child_that_never_works_ends_its_hosts_as_errors_after_one_retry(caplog):
    results = await _run({1: "exit"}, hosts=4)
    by = {r.name: r for r in results}
    for name in ("h00", "h02"):
        assert by[name].status == HostStatus.PROTOCOL_ERROR
        assert by[name].error == "worker process exited with code 3 before this host finished"
    assert by["h01"].status == by["h03"].status == HostStatus.OK
    forwarded = [r.getMessage() for r in caplog.records if "red" in r.getMessage()]
    assert len(forwarded) == 1  # the child's warning, printed once for its two attempts
    assert forwarded[0].startswith("worker 1: ") and "\x1b" not in forwarded[0] and "\x07" not in forwarded[0]
    assert any("exited with code 3, 2 host(s) unfinished: retrying" in r.getMessage() for r in caplog.records)


async def test_cancel_before_any_child_runs_cancels_every_host():
    events = Events()
    runner = ProcessRunner(2, RunOptions(forks=4), lambda s: None, [events])  # type: ignore[arg-type,return-value]
    runner.cancel()
    results = await asyncio.wait_for(runner.execute(_targets(4)), 30)
    assert {(r.status, r.error_kind) for r in results} == {(HostStatus.CANCELLED, "cancelled")}
    assert len(events.finished) == 4
