"""The runner with an in-process fake transport: statuses, retries, deadlines, cancellation, journal."""

from __future__ import annotations

import asyncio
import json

import pytest

from umcheck import envelope
from umcheck.errors import AuthFailed, ExecTimeout, Unreachable
from umcheck.events import JournalSink
from umcheck.inventory.connection import ConnectionSettings
from umcheck.journal import Journal, read_journal
from umcheck.plan import RunOptions, Timeouts, target_for
from umcheck.results import HostStatus, Readiness
from umcheck.runner import Runner
from umcheck.transports.base import ExecResult, TransportBase

FACTS = {"facts_version": 1, "os_family": "windows", "host": {"hostname": "h"},
         "windows": {"os": {"version": "10.0.17763"}}}  # fmt: skip
GOOD = envelope.build(FACTS).encode()
CANARY = "CANARY-pw-8c1f"


class Script:
    """Per-host behaviour: a list of steps, one per attempt (ExecResult, exception, or delay)."""

    def __init__(self, *steps):
        self.steps = list(steps)
        self.calls = 0


class FakeTransport(TransportBase):
    name = "fake"

    def __init__(self, script: Script):
        self.script = script

    async def run(self, invocation, *, deadline, max_output):
        step = self.script.steps[min(self.script.calls, len(self.script.steps) - 1)]
        self.script.calls += 1
        if isinstance(step, float):
            await asyncio.sleep(step)
            return ExecResult(0, GOOD)
        if isinstance(step, BaseException):
            raise step
        if len(step.stdout) > max_output:
            return ExecResult(step.rc, step.stdout[:max_output], truncated=True)
        return step


def settings(name: str) -> ConnectionSettings:
    return ConnectionSettings(name=name, host=f"127.0.0.{len(name)}", connection="winrm", os="windows",
                              user="admin", password=CANARY)  # fmt: skip


def make(scripts: dict[str, Script], **opts):
    options = RunOptions(forks=opts.pop("forks", 10), retry_backoff=0.01, timeouts=Timeouts(host=opts.pop("host", 5.0)), **opts)
    targets = [target_for(settings(n), options) for n in scripts]
    runner = Runner(options, lambda s: FakeTransport(scripts[s.name]))
    return runner, targets


async def test_every_host_once_with_its_status() -> None:
    scripts = {
        "good": Script(ExecResult(0, GOOD)),
        "noisy": Script(ExecResult(0, b"profile noise\r\n" + GOOD + b"bye")),
        "refused": Script(Unreachable("connection refused")),
        "badpw": Script(AuthFailed(f"401 for admin:{CANARY}")),
        "garbage": Script(ExecResult(0, b"<html>not facts</html>")),
        "crashed": Script(ExecResult(1, b"", b"powershell: access denied\nmore")),
        "slow": Script(ExecTimeout("host deadline reached")),
        "huge": Script(ExecResult(0, b"x" * 5000)),
    }
    runner, targets = make(scripts, max_output=4096, retries=1)
    fleet = await runner.run(targets, {"run_id": "t1"})
    by = {h.name: h for h in fleet.hosts}
    assert [h.name for h in fleet.hosts] == list(scripts)
    assert by["good"].status == HostStatus.OK and by["noisy"].status == HostStatus.OK
    assert by["refused"].status == HostStatus.UNREACHABLE and by["refused"].attempts == 2  # retried once
    assert by["badpw"].status == HostStatus.AUTH_FAILED and by["badpw"].attempts == 1  # never retried
    assert by["garbage"].status == HostStatus.COLLECTOR_ERROR
    assert by["crashed"].status == HostStatus.COLLECTOR_ERROR and "code 1: powershell: access denied" in by["crashed"].error
    assert by["slow"].status == HostStatus.TIMEOUT
    assert by["huge"].status == HostStatus.COLLECTOR_ERROR and "cut off" in by["huge"].error
    for h in fleet.hosts:
        if h.status != HostStatus.OK:
            assert h.readiness == Readiness.UNKNOWN
    assert CANARY not in json.dumps(fleet.to_dict(), default=str)


async def test_transient_error_then_success() -> None:
    scripts = {"flaky": Script(Unreachable("reset"), ExecResult(0, GOOD))}
    runner, targets = make(scripts, retries=2)
    fleet = await runner.run(targets, {})
    assert fleet.hosts[0].status == HostStatus.OK and fleet.hosts[0].attempts == 2


async def test_host_deadline_cuts_a_stuck_transport() -> None:
    scripts = {"stuck": Script(30.0), "fine": Script(ExecResult(0, GOOD))}
    runner, targets = make(scripts, host=0.2)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    fleet = await runner.run(targets, {})
    assert loop.time() - t0 < 5
    assert {h.name: h.status for h in fleet.hosts} == {"stuck": HostStatus.TIMEOUT, "fine": HostStatus.OK}


async def test_forks_bound_concurrency() -> None:
    running = 0
    peak = 0

    class Counting(FakeTransport):
        async def run(self, invocation, *, deadline, max_output):
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1
            return ExecResult(0, GOOD)

    options = RunOptions(forks=3)
    targets = [target_for(settings(f"h{i}"), options) for i in range(20)]
    fleet = await Runner(options, lambda s: Counting(Script())).run(targets, {})
    assert peak == 3 and len(fleet.hosts) == 20


async def test_cancel_gives_complete_partial_result(tmp_path) -> None:
    scripts = {f"h{i}": Script(ExecResult(0, GOOD) if i < 2 else 30.0) for i in range(6)}
    runner, targets = make(scripts, forks=4, host=60)
    journal = Journal(tmp_path / "journal.jsonl")
    runner.sinks.append(JournalSink(journal))
    task = asyncio.ensure_future(runner.run(targets, {"run_id": "c1"}))
    await asyncio.sleep(0.2)
    runner.cancel()
    fleet = await asyncio.wait_for(task, 5)
    journal.close()
    statuses = {h.name: h.status for h in fleet.hosts}
    assert fleet.interrupted
    assert statuses["h0"] == statuses["h1"] == HostStatus.OK
    assert all(statuses[f"h{i}"] == HostStatus.CANCELLED for i in range(2, 6))
    contents = read_journal(tmp_path)
    assert set(contents.hosts) == set(scripts) and contents.end["interrupted"] is True


async def test_resume_runs_only_missing_hosts(tmp_path) -> None:
    scripts = {f"h{i}": Script(ExecResult(0, GOOD)) for i in range(4)}
    runner, targets = make(scripts)
    journal = Journal(tmp_path / "journal.jsonl")
    runner.sinks.append(JournalSink(journal))
    header = {"run_id": "r1", "plan_hosts": list(scripts)}
    first = await runner.run(targets[:2], dict(header))
    journal.close()
    assert len(first.hosts) == 2
    # simulate a kill -9 mid-write, then resume
    with open(tmp_path / "journal.jsonl", "a") as fh:
        fh.write('{"type":"host","name":"h2","sta')
    contents = read_journal(tmp_path)
    done = {n: r for n, r in contents.hosts.items() if r.status != HostStatus.CANCELLED}
    runner2, targets2 = make(scripts)
    journal2 = Journal(tmp_path / "journal.jsonl")
    runner2.sinks.append(JournalSink(journal2, resumed=True))
    fleet = await runner2.run(targets2, dict(contents.header), done=done)
    journal2.close()
    assert [h.name for h in fleet.hosts] == list(scripts)
    assert sum(s.calls for s in scripts.values()) == 4  # no host scanned twice
    again = read_journal(tmp_path).to_fleet()
    assert [h.name for h in again.hosts] == list(scripts)


@pytest.mark.parametrize("forks", [1, 50])
async def test_skipped_hosts_are_reported(forks: int) -> None:
    runner, targets = make({"a": Script(ExecResult(0, GOOD))}, forks=forks)
    fleet = await runner.run(targets, {"plan_hosts": ["a", "b"]}, skipped={"b": "no password available"})
    assert {h.name: h.status for h in fleet.hosts} == {"a": HostStatus.OK, "b": HostStatus.SKIPPED}


def test_forks_fit_the_open_file_limit(monkeypatch, capsys) -> None:
    import resource

    from umcheck.scan import fit_forks

    monkeypatch.setattr(resource, "getrlimit", lambda _: (1024, 1024))
    assert fit_forks(100) == 100
    assert fit_forks(5000) == (1024 - 64) // 4
    assert "raise 'ulimit -Hn'" in capsys.readouterr().err
