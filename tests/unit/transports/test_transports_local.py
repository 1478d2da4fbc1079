"""Local transport: a real child process on this machine."""

from __future__ import annotations

import sys
import time

import pytest

from umcheck.collectors.invocation import Invocation
from umcheck.errors import CollectorError, ExecTimeout
from umcheck.inventory.connection import ConnectionSettings
from umcheck.transports import make_transport
from umcheck.transports.local import LocalTransport
from umcheck.transports.shared import Shared

PY = sys.executable


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def inv(command: str, stdin: bytes | None = None) -> Invocation:
    return Invocation(command=command, stdin=stdin, script=None, os_family="linux")


async def test_stdin_stdout_stderr_rc():
    code = "import sys; d=sys.stdin.buffer.read(); sys.stdout.buffer.write(d[::-1]); sys.stderr.write('e'); sys.exit(4)"
    async with LocalTransport() as t:
        res = await t.run(inv(f'{PY} -c "{code}"', b"abc"), deadline=time.monotonic() + 20, max_output=1000)
    assert res.rc == 4 and res.stderr == b"e" and res.stdout == b"cba" and not res.truncated


async def test_stdin_reaches_the_command():
    payload = b"x" * 300_000 + b"end"
    async with LocalTransport() as t:
        res = await t.run(inv("cat", payload), deadline=time.monotonic() + 20, max_output=1 << 20)
    assert res.stdout == payload and res.rc == 0 and not res.truncated


async def test_deadline_kills_the_process_group(tmp_path):
    pidfile = tmp_path / "pid"
    cmd = f"sh -c 'sleep 30 & echo $! > {pidfile}; wait'"
    start = time.monotonic()
    async with LocalTransport() as t:
        with pytest.raises(ExecTimeout):
            await t.run(inv(cmd), deadline=start + 0.7, max_output=100)
    assert time.monotonic() - start < 3
    grandchild = int(pidfile.read_text())
    for _ in range(50):  # the grandchild got SIGKILL with its group (a zombie counts as dead)
        if not _alive(grandchild):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the command's child process survived the deadline")


async def test_output_cap():
    async with LocalTransport() as t:
        res = await t.run(inv("yes"), deadline=time.monotonic() + 20, max_output=50_000)
    assert res.truncated and len(res.stdout) == 50_000 and res.rc == -1


async def test_missing_program_is_a_collector_error():
    async with LocalTransport() as t:
        with pytest.raises(CollectorError, match="not found"):
            await t.run(inv("/nonexistent/python9 -"), deadline=time.monotonic() + 5, max_output=10)


def test_factory_builds_local():
    s = ConnectionSettings(name="localhost", host="localhost", connection="local")
    assert isinstance(make_transport(s, Shared()), LocalTransport)
