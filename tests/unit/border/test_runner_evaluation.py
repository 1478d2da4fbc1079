"""The runner evaluates host output off the event loop, within the host's deadline, and prints it safely.

A hostile host's megabyte must not stop other hosts' I/O and deadlines (the event loop keeps
ticking while it is parsed); an evaluation that outlives the deadline makes that host a
``timeout``; what a host wrote to stderr, and the host names in ``-vvv`` log lines, reach the
terminal without control characters.
"""

from __future__ import annotations

import asyncio
import logging
import time

from umcheck import envelope
from umcheck.inventory.connection import ConnectionSettings
from umcheck.plan import RunOptions, Timeouts, target_for
from umcheck.results import HostStatus
from umcheck.runner import Runner
from umcheck.sim.behaviour import clixml_error
from umcheck.transports.base import ExecResult
from umcheck.transports.fake import FakeFleet, FakeHost

FACTS = {"facts_version": 1, "os_family": "windows", "host": {"hostname": "h"},
         "windows": {"os": {"version": "10.0.17763"}}}  # fmt: skip
GOOD = ExecResult(0, envelope.build(FACTS).encode())


def _runner(hosts: dict[str, FakeHost], host_deadline: float = 10.0) -> tuple[Runner, list]:
    options = RunOptions(forks=len(hosts), retries=0, timeouts=Timeouts(host=host_deadline))
    fleet = FakeFleet(hosts)
    targets = [target_for(ConnectionSettings(name=n, host="127.0.0.1", connection="winrm", os="windows"), options)
               for n in hosts]  # fmt: skip
    return Runner(options, fleet.factory), targets


async def _max_lag(stop: asyncio.Event) -> float:
    """The longest the event loop went without running this task (it asks for 10 ms sleeps)."""
    worst, last = 0.0, time.monotonic()
    while not stop.is_set():
        await asyncio.sleep(0.01)
        now = time.monotonic()
        worst, last = max(worst, now - last - 0.01), now
    return worst


async def test_hostile_megabyte_is_parsed_off_the_event_loop() -> None:
    hostile = ExecResult(0, b'"RuleId" ' + b"[{" * (512 * 1024))  # the key makes the parser scan it all
    runner, targets = _runner(
        {"hostile-1": FakeHost(hostile), "hostile-2": FakeHost(hostile), "good": FakeHost(GOOD)}
    )
    stop = asyncio.Event()
    lag = asyncio.create_task(_max_lag(stop))
    fleet = await runner.run(targets, {})
    stop.set()
    by = {h.name: h for h in fleet.hosts}
    assert by["good"].status == HostStatus.OK
    for name in ("hostile-1", "hostile-2"):
        assert by[name].status == HostStatus.COLLECTOR_ERROR and "neither umcheck facts" in by[name].error
    # Parsing takes ~1 s of CPU per host; the loop only ever waits for a GIL switch, not for a parse.
    assert await lag < 0.5


async def test_evaluation_past_the_deadline_is_that_hosts_timeout(monkeypatch) -> None:
    import umcheck.runner as runner_module

    real = runner_module.evaluate_output

    def slow_for_one_host(base, raw, ctx, selectors=None):
        if base.name == "slow":
            time.sleep(3.0)  # a parse that will not finish in time (the thread is abandoned)
        return real(base, raw, ctx, selectors)

    monkeypatch.setattr(runner_module, "evaluate_output", slow_for_one_host)
    runner, targets = _runner({"slow": FakeHost(GOOD), "good": FakeHost(GOOD)}, host_deadline=0.5)
    t0 = time.monotonic()
    fleet = await runner.run(targets, {})
    by = {h.name: h for h in fleet.hosts}
    assert by["good"].status == HostStatus.OK
    assert by["slow"].status == HostStatus.TIMEOUT and "could not be evaluated within" in by["slow"].error
    assert time.monotonic() - t0 < 2.9  # the run did not wait for the abandoned parse


async def test_failed_collectors_stderr_is_one_printable_line_even_in_clixml() -> None:
    hosts = {
        "winrs": FakeHost(
            ExecResult(1, b"", clixml_error("Access \x1b[31mdenied\x1b]0;title\x07 & more\nline 2"))
        ),
        "ssh": FakeHost(ExecResult(2, b"", "boom \x9b2J\x1b[1A\x08 here\nsecond line".encode())),
    }
    runner, targets = _runner(hosts)
    fleet = await runner.run(targets, {})
    by = {h.name: h.error for h in fleet.hosts}
    assert by["winrs"] == "collector exited with code 1: Access [31mdenied ]0;title & more"
    assert by["ssh"] == "collector exited with code 2: boom 2J [1A here"


async def test_transport_log_lines_carry_no_control_characters(caplog) -> None:
    name = "evil\x1bc\x07\x9b2J-host"
    caplog.set_level(logging.DEBUG, logger="umcheck.transport")
    runner, targets = _runner({name: FakeHost(GOOD)})
    await runner.run(targets, {})
    messages = [r.getMessage() for r in caplog.records if r.name == "umcheck.transport"]
    assert messages and all("\x1b" not in m and "\x07" not in m and "\x9b" not in m for m in messages), (
        messages
    )
    assert any("evil c  2J-host" in m for m in messages), messages
