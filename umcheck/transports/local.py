"""Local transport: run the collector on the jump host itself (``ansible_connection=local``).

The command line is split with ``shlex`` and executed without a shell, stdin piped. The child
gets its own session so the deadline can kill it together with anything it started.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import signal
import time
from typing import ClassVar

from umcheck.collectors.invocation import Invocation
from umcheck.errors import CollectorError, ExecTimeout, HostError, ProtocolError
from umcheck.inventory.connection import ConnectionSettings
from umcheck.transports.base import ExecResult, Timings, TransportBase
from umcheck.transports.capture import CappedBuffer, all_of
from umcheck.transports.neterrors import wrap
from umcheck.transports.shared import Shared

READ_CHUNK = 64 * 1024


def map_error(exc: BaseException) -> HostError:
    """Process-start failures -> CollectorError (the jump host lacks the interpreter, etc.)."""
    if isinstance(exc, HostError):
        error: HostError = exc
    elif isinstance(exc, FileNotFoundError):
        error = CollectorError(f"command not found on this machine: {exc.filename or exc}")
    elif isinstance(exc, PermissionError):
        error = CollectorError(f"not allowed to run the command: {exc.filename or exc}")
    elif isinstance(exc, ValueError):
        error = CollectorError(f"cannot parse the command line: {exc}")
    elif isinstance(exc, OSError):
        error = CollectorError(f"cannot start the command: {exc.strerror or exc}")
    else:
        error = ProtocolError(f"{exc.__class__.__name__}: {exc}")
    return wrap(error, exc)


class LocalTransport(TransportBase):
    name: ClassVar[str] = "local"
    supports_stdin: ClassVar[bool] = True

    def __init__(self, settings: ConnectionSettings | None = None, shared: Shared | None = None):
        self.settings = settings

    async def run(self, invocation: Invocation, *, deadline: float, max_output: int) -> ExecResult:
        started = time.monotonic()
        try:
            argv = shlex.split(invocation.command)
            if not argv:
                raise ValueError("empty command")
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, start_new_session=True,
            )
        except (OSError, ValueError) as exc:
            raise map_error(exc) from exc
        out, err = CappedBuffer(max_output), CappedBuffer(max_output)
        try:
            await asyncio.wait_for(all_of(_feed(proc, invocation.stdin), _pump(proc, proc.stdout, out),
                                          _pump(proc, proc.stderr, err)), self.remaining(deadline))  # fmt: skip
            if out.truncated or err.truncated:
                await _reap(proc)
            await asyncio.wait_for(proc.wait(), self.remaining(deadline))
        except (TimeoutError, ExecTimeout) as exc:
            await _reap(proc)
            raise ExecTimeout("the host deadline passed before the command finished") from exc
        rc = -1 if (out.truncated or err.truncated) else (proc.returncode if proc.returncode is not None else -1)
        return ExecResult(rc=rc, stdout=out.value(), stderr=err.value(),
                          timings=Timings(0, int((time.monotonic() - started) * 1000)),
                          truncated=out.truncated or err.truncated)

    async def close(self) -> None:
        return None


def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


async def _reap(proc: asyncio.subprocess.Process) -> None:
    """Kill the group and drain the pipes to EOF so no transport outlives the event loop."""
    _kill(proc)
    try:
        await asyncio.wait_for(proc.communicate(), 5)
    except (TimeoutError, ValueError, OSError):
        pass


async def _feed(proc: asyncio.subprocess.Process, data: bytes | None) -> None:
    assert proc.stdin is not None
    try:
        if data:
            proc.stdin.write(data)
            await proc.stdin.drain()
        proc.stdin.close()
    except (BrokenPipeError, ConnectionResetError):
        pass  # exited without reading all of stdin; the exit status tells


async def _pump(proc: asyncio.subprocess.Process, stream: asyncio.StreamReader | None, buf: CappedBuffer) -> None:
    assert stream is not None
    while data := await stream.read(READ_CHUNK):
        if not buf.add(data):
            _kill(proc)
            return


__all__ = ["LocalTransport", "map_error"]

