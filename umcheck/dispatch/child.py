"""A ``--workers`` child process: one share of the plan through a plain in-process Runner.

Started by ``local.ProcessRunner`` with SIGINT and SIGTERM recorded, not raised, until its event
loop's handlers are in place (a Ctrl-C during start-up prints no traceback and is not lost); reads its ChildJob from stdin and writes one line per
event to stdout (``lines.py``). SIGINT/SIGTERM — from the terminal, the parent, or both — cancel
its runner, which reports the rest of the share as ``cancelled``; the end of stdin (the parent is
gone) does the same. The child builds its own per-process state: transport caches (``Shared``),
the blocking-I/O pool, and any managed Kerberos ticket cache.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
import threading
from typing import IO, Any

from umcheck.dispatch.lines import DONE_LINE, ChildJob, finished_line, read_job, started_line
from umcheck.events import NullSink
from umcheck.reports.escape import one_line
from umcheck.results import HostResult
from umcheck.runner import Runner


class LineSink(NullSink):
    """Each event as one flushed line on the protocol pipe; a broken pipe (parent gone) cancels."""

    def __init__(self, out: IO[bytes], on_broken: Any) -> None:
        self.out = out
        self.on_broken = on_broken
        self.broken = False

    def _write(self, data: bytes) -> None:
        if self.broken:
            return
        try:
            self.out.write(data)
            self.out.flush()
        except OSError:
            self.broken = True
            self.on_broken()

    def host_started(self, name: str) -> None:
        self._write(started_line(name))

    def host_finished(self, result: HostResult) -> None:
        self._write(finished_line(result))

    def done(self) -> None:
        self._write(DONE_LINE)


def _quiet(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """As scan._quiet_cancellations: cancelled library futures are not news."""
    if not isinstance(context.get("exception"), asyncio.CancelledError):
        loop.default_exception_handler(context)


def _trace_to_stderr() -> None:
    log = logging.getLogger("umcheck.transport")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("umcheck: transport: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False


def _watch_parent(loop: asyncio.AbstractEventLoop, cancel: Any) -> None:
    """The parent holds our stdin open for the whole share: its end means the parent is gone."""
    try:
        while sys.stdin.buffer.read(65536):
            pass
    except (OSError, ValueError):
        pass
    loop.call_soon_threadsafe(cancel)


async def run_share(job: ChildJob, out: IO[bytes], early: list[int] | None = None) -> None:
    """Run the share; ``early``: signals that arrived before the loop's handlers (cancel at once)."""
    from umcheck.transports import make_transport
    from umcheck.transports.pool import configure as configure_pool
    from umcheck.transports.shared import Shared

    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_quiet)
    configure_pool(job.options.forks)
    shared = Shared()
    sink = LineSink(out, lambda: loop.call_soon(runner.cancel))
    runner = Runner(job.options, lambda s: make_transport(s, shared), [sink], job.earlier)
    if job.started:
        runner._started = job.started  # carried outcomes age from the run's start, as in one process
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, runner.cancel)
    if early:
        runner.cancel()
    threading.Thread(target=_watch_parent, args=(loop, runner.cancel), daemon=True).start()
    gc.collect()
    gc.freeze()  # as scan.run_scan: the plan lives for the whole share
    await runner.execute(job.targets)
    sink.done()


def main(early: list[int] | None = None) -> None:
    """Entry point (``local.child_command``); never returns, never prints a traceback.

    ``early``: the signals the bootstrap recorded while the modules were being imported.
    """
    early = early if early is not None else []
    for sig in (signal.SIGINT, signal.SIGTERM):  # still recording until the loop takes over
        signal.signal(sig, lambda n, _f: early.append(n))
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library's stray print goes to stderr, never into the protocol
    rc = 0
    try:
        from umcheck.warnings_sink import install

        install()
        job = read_job(sys.stdin.buffer)
        if job.trace:
            _trace_to_stderr()
        # Not asyncio.run: it would wait for the executors' threads (a DNS look-up, a socket read)
        # after the last line is out; os._exit below ends them.
        asyncio.new_event_loop().run_until_complete(run_share(job, out, early))
    except BaseException as exc:  # noqa: BLE001 - one line for the parent, which retries the share
        if not isinstance(exc, KeyboardInterrupt | SystemExit):
            sys.stderr.write(f"umcheck: error: {one_line(f'{exc.__class__.__name__}: {exc}', 300)}\n")
        rc = 1
    try:
        out.flush()
        sys.stderr.flush()
    except OSError:
        pass
    _cleanup()
    os._exit(rc)  # blocked library threads (a socket read) must not hold the child after its last line


def _cleanup() -> None:
    """What atexit would do that matters: the private Kerberos ticket cache of a managed kinit."""
    kerberos = sys.modules.get("umcheck.transports.kerberos")
    if kerberos is not None:
        try:
            kerberos.reset()
        except OSError:
            pass


if __name__ == "__main__":
    main()
