"""The fake transport, the bounded pool, the output cap and the factory."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from umcheck.collectors.invocation import Invocation
from umcheck.errors import AuthFailed, ExecTimeout, Unreachable, UsageError
from umcheck.inventory.connection import ConnectionSettings
from umcheck.transports import ExecResult, Transport, make_transport, pool
from umcheck.transports.capture import CappedBuffer
from umcheck.transports.fake import FakeFleet, FakeHost, FakeTransport
from umcheck.transports.psrp import PSRPTransport
from umcheck.transports.shared import Shared
from umcheck.transports.ssh import SSHTransport
from umcheck.transports.winrm import WinRMTransport

INV = Invocation(command="python3 -", stdin=b"print(1)", script=None, os_family="linux")


def _settings(name: str, connection: str = "ssh") -> ConnectionSettings:
    return ConnectionSettings(name=name, host="127.0.0.1", connection=connection)


async def test_fake_fleet_scripts_results_errors_and_delays():
    fleet = FakeFleet({
        "ok": FakeHost(result=ExecResult(rc=0, stdout=b"facts")),
        "bad": FakeHost(error=AuthFailed("nope")),
        "slow": FakeHost(delay=5),
        "flaky": FakeHost(result=ExecResult(rc=0, stdout=b"x"), errors_first=(Unreachable("down"),)),
    })
    deadline = time.monotonic() + 0.3
    async with fleet.factory(_settings("ok")) as t:
        assert isinstance(t, Transport)
        assert (await t.run(INV, deadline=deadline, max_output=100)).stdout == b"facts"
    with pytest.raises(AuthFailed):
        await fleet.factory(_settings("bad")).run(INV, deadline=deadline, max_output=100)
    start = time.monotonic()
    with pytest.raises(ExecTimeout):
        await fleet.factory(_settings("slow")).run(INV, deadline=deadline, max_output=100)
    assert time.monotonic() - start < 1
    with pytest.raises(Unreachable):
        await fleet.factory(_settings("flaky")).run(INV, deadline=time.monotonic() + 1, max_output=100)
    assert (await fleet.factory(_settings("flaky")).run(INV, deadline=time.monotonic() + 1, max_output=9)).rc == 0
    assert fleet.attempts("flaky") == 2 and fleet.opened == fleet.closed == 1
    assert fleet.calls[0] == ("ok", INV)


async def test_fake_truncates_like_real_transports():
    t = FakeTransport("h", FakeHost(result=ExecResult(rc=0, stdout=b"y" * 50)))
    res = await t.run(INV, deadline=time.monotonic() + 1, max_output=10)
    assert res.truncated and res.stdout == b"y" * 10


async def test_pool_is_bounded_and_named():
    pool.configure(3)
    active, peak, names = 0, 0, set()
    lock = threading.Lock()

    def work() -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
            names.add(threading.current_thread().name)
        time.sleep(0.05)
        with lock:
            active -= 1

    try:
        await asyncio.gather(*(pool.run_blocking(work) for _ in range(12)))
    finally:
        pool.configure(pool.DEFAULT_WORKERS)
    assert peak == 3 and all(n.startswith("umcheck-io") for n in names)
    with pytest.raises(ValueError):
        pool.configure(0)


def test_capped_buffer():
    buf = CappedBuffer(5)
    assert buf.add(b"abc") and not buf.truncated
    assert not buf.add(b"defg") and buf.truncated and buf.value() == b"abcde" and len(buf) == 5
    assert not buf.add(b"z") and buf.value() == b"abcde"
    exact = CappedBuffer(3)
    assert exact.add(b"abc") and not exact.truncated


def test_factory_picks_by_connection():
    shared = Shared()
    assert isinstance(make_transport(_settings("a", "ssh"), shared), SSHTransport)
    assert isinstance(make_transport(_settings("b", "winrm"), shared), WinRMTransport)
    assert isinstance(make_transport(_settings("c", "psrp"), shared), PSRPTransport)
    with pytest.raises(UsageError, match="unsupported connection"):
        make_transport(_settings("d", "telnet"), shared)
