"""Worker processes on this machine (``--workers N``): shares of the plan in child processes.

One process spends all its CPU on one core (the GIL: NTLM, TLS, XML and SSH crypto in Python);
N children use N cores. Each child (``child.py``) runs a plain ``Runner`` over its share and
streams every host's events back (``lines.py``); the parent emits them to its own sinks, so the
journal, progress, resume, reports and history are exactly those of one process. What the
parent adds is bookkeeping: every host of the plan ends exactly once — a child that dies
(kill -9, a crash, a garbled line) has its unfinished hosts retried once in a new child, then
ends them as ``protocol_error``/``internal``; cancellation is forwarded and whatever a child did
not report becomes ``cancelled``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import umcheck
from umcheck.dispatch.lines import LINE_LIMIT, ChildJob, ProtocolError, decode, encode_job
from umcheck.events import EventSink
from umcheck.plan import HostTarget, RunOptions
from umcheck.reports.escape import one_line
from umcheck.results import HostResult, HostStatus
from umcheck.runner import Runner, TransportFactory, trace
from umcheck.state.cells import Cell

# Default --workers: one more process per this many hosts, up to the usable cores. A child needs
# 0.33 s (CPU and wall) until it can run its share, plus 0.2-0.4 s to import the transport libraries
# on first use; one WinRM NTLM host costs 25-40 ms of CPU, so a second process repays its start-up
# from a few dozen hosts on: 50 keeps small fleets (the demo, a 40-host scan) in one process.
HOSTS_PER_EXTRA_WORKER = 50
CANCEL_GRACE = 15.0  # seconds children get after a cancel before they are killed (hosts: cancelled)
EXIT_GRACE = 10.0  # seconds a child that ended its output gets to exit before it is killed
_ROOT = str(Path(umcheck.__file__).resolve().parent.parent)
log = logging.getLogger("umcheck.dispatch")


def child_command() -> list[str]:
    """The child: this interpreter and this umcheck (never a same-named package in the cwd).

    Its first statement records SIGINT/SIGTERM instead of raising KeyboardInterrupt in the middle
    of an import; the child acts on what it recorded once its own handlers are in place.
    """
    boot = ("import signal,sys;early=[];[signal.signal(s,lambda n,f:early.append(n)) for s in (2,15)];"
            f"sys.path.insert(0,{_ROOT!r});from umcheck.dispatch.child import main;main(early)")  # fmt: skip
    return [sys.executable, "-P", "-c", boot]


def split(todo: list[HostTarget], shares: int) -> list[list[HostTarget]]:
    """Round robin: balanced in count and in kind (a plan lists similar hosts together), and every
    child starts at the front of the plan, so hosts still finish roughly in plan order."""
    shares = max(1, min(shares, len(todo)))
    return [todo[i::shares] for i in range(shares)]


def divide_forks(forks: int, shares: int) -> list[int]:
    """``--forks`` stays the bound for the whole run: divided among the children, at least 1 each."""
    base, extra = divmod(max(forks, shares), shares)
    return [base + (1 if i < extra else 0) for i in range(shares)]


@dataclass
class _Share:
    """One share's state across its child and, if that one dies, its one replacement."""

    index: int
    targets: list[HostTarget]
    forks: int
    results: dict[str, HostResult] = field(default_factory=dict)
    attempts: int = 0
    proc: asyncio.subprocess.Process | None = None

    @property
    def pending(self) -> list[HostTarget]:
        return [t for t in self.targets if t.name not in self.results]


class ProcessRunner(Runner):
    """A Runner whose ``execute`` hands shares of the plan to ``workers`` child processes."""

    RETRIES = 1  # a share's unfinished hosts get one new child after a child dies

    def __init__(
        self,
        workers: int,
        options: RunOptions,
        factory: TransportFactory,
        sinks: Iterable[EventSink] = (),
        earlier: Mapping[str, Mapping[str, Cell]] | None = None,
    ):
        super().__init__(options, factory, sinks, earlier)
        self.workers = max(1, workers)
        self.command = child_command()  # tests may point this at a misbehaving child
        self._shares: list[_Share] = []
        self._seen_stderr: set[str] = set()
        self._killer: asyncio.TimerHandle | None = None

    def cancel(self) -> None:
        """Forward the interrupt to every child (each reports the rest of its share as cancelled);
        kill what has not ended after CANCEL_GRACE seconds."""
        self._cancelled = True
        for share in self._shares:
            _signal(share.proc, signal.SIGINT)
        if self._killer is None:
            with contextlib.suppress(RuntimeError):
                self._killer = asyncio.get_running_loop().call_later(CANCEL_GRACE, self._kill_all)

    def _kill_all(self) -> None:
        for share in self._shares:
            _signal(share.proc, signal.SIGKILL)

    async def execute(self, todo: list[HostTarget]) -> list[HostResult]:
        parts = split(todo, min(self.workers, max(1, self.options.forks)))
        forks = divide_forks(self.options.forks, len(parts))
        self._shares = [_Share(i + 1, part, f) for i, (part, f) in enumerate(zip(parts, forks, strict=True))]
        try:
            await asyncio.gather(*(self._run_share(s) for s in self._shares))
        finally:
            if self._killer is not None:
                self._killer.cancel()
            self._kill_all()  # nothing may outlive the run (only a child that has not exited)
        done = {n: r for s in self._shares for n, r in s.results.items()}
        return [done[t.name] for t in todo]

    async def _run_share(self, share: _Share) -> None:
        why = ""
        while share.pending and not self._cancelled and share.attempts <= self.RETRIES:
            share.attempts += 1
            why = await self._child(share)
            if why and share.pending and not self._cancelled:
                log.warning("worker %d %s, %d host(s) unfinished%s", share.index, why, len(share.pending),
                            ": retrying them in a new worker" if share.attempts <= self.RETRIES else "")  # fmt: skip
        for target in share.pending:
            if self._cancelled:
                result = self._failure(self._plain(target), HostStatus.CANCELLED,
                                       "run interrupted before this host finished", "cancelled", target)  # fmt: skip
            else:
                result = self._failure(self._plain(target), HostStatus.PROTOCOL_ERROR,
                                       f"worker process {why} before this host finished", "internal", target)  # fmt: skip
            share.results[target.name] = result
            self._emit("host_finished", result)

    @staticmethod
    def _plain(target: HostTarget) -> HostResult:
        s = target.settings
        return HostResult(name=target.name, address=s.host, transport=s.connection, os_family=s.os)

    async def _child(self, share: _Share) -> str:
        """Run one child over the share's pending hosts; "" if it finished them, else what went wrong."""
        todo = share.pending
        job = ChildJob(share.index, todo, _with_forks(self.options, share.forks),
                       {t.name: self.earlier[t.name] for t in todo if t.name in self.earlier},
                       self._started, logging.getLogger("umcheck.transport").isEnabledFor(logging.DEBUG))  # fmt: skip
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, limit=LINE_LIMIT,
            )  # fmt: skip
        except OSError as exc:
            return f"could not start ({exc.strerror or exc})"
        share.proc = proc
        if self._cancelled:  # the interrupt came while it was starting: it hears it too
            _signal(proc, signal.SIGINT)
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        stderr = asyncio.ensure_future(self._forward_stderr(share.index, proc.stderr))
        why = ""
        try:
            proc.stdin.write(encode_job(job))  # credentials: over our own pipe, never argv/env/logs
            with contextlib.suppress(OSError):
                await proc.stdin.drain()
            why = await self._read_events(share, proc.stdout, {t.name for t in todo})
        finally:
            if why != "done":
                _signal(proc, signal.SIGKILL)  # a broken child must not write anything more
            rc = await _reap(proc)
            proc.stdin.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stderr, EXIT_GRACE)
            share.proc = None
        if why == "done":
            return ""
        return why or _exit_reason(rc)

    async def _read_events(self, share: _Share, stdout: asyncio.StreamReader, pending: set[str]) -> str:
        """Emit the child's events until its output ends; "done", "" (EOF) or the protocol fault."""
        while True:
            try:
                line = await stdout.readline()
            except (ValueError, asyncio.LimitOverrunError):
                return "sent a line over the size limit"
            if not line:
                return ""
            if not line.endswith(b"\n"):  # a torn last line: the child died writing it
                return ""
            try:
                event = decode(line, pending)
            except ProtocolError as exc:
                return f"broke the protocol: {exc}"
            if event.kind == "done":
                return "done"
            if event.kind == "started":
                self._emit("host_started", event.name)
            else:
                assert event.result is not None
                pending.discard(event.name)
                share.results[event.name] = event.result
                self._emit("host_finished", event.result)

    async def _forward_stderr(self, index: int, stream: asyncio.StreamReader) -> None:
        """The child's stderr, as one printable line each: transport tracing (-vvv) into this process's
        trace logger, unchanged; warnings (each distinct one once) and anything else with the worker's
        number. A traceback (possible only before the child's own handlers exist) is reduced to its last line.
        """
        in_traceback = False
        while True:
            try:
                raw = await stream.readline()
            except (ValueError, asyncio.LimitOverrunError):
                continue
            if not raw:
                return
            text = raw.decode("utf-8", "replace").rstrip("\r\n")
            if text.startswith("Traceback (most recent call last)"):
                in_traceback = True
                continue
            if in_traceback:
                if text.startswith((" ", "\t")) or not text.strip():
                    continue
                in_traceback = False
                if self._cancelled and text.startswith("KeyboardInterrupt"):
                    continue
            self._stderr_line(index, text)

    def _stderr_line(self, index: int, text: str) -> None:
        if text.startswith("umcheck: transport: "):
            trace.debug("%s", text.removeprefix("umcheck: transport: "))
            return
        line = one_line(text.removeprefix("umcheck: "), 500)
        if not line or line in self._seen_stderr:
            return
        self._seen_stderr.add(line)
        if line.startswith("warning: "):
            log.warning("worker %d: %s", index, line.removeprefix("warning: "))
        else:
            print(f"umcheck: worker {index}: {line}", file=sys.stderr, flush=True)


def _with_forks(options: RunOptions, forks: int) -> RunOptions:
    from dataclasses import replace

    return replace(options, forks=forks)


def _signal(proc: asyncio.subprocess.Process | None, sig: int) -> None:
    """os.kill, not Process.send_signal: Popen.send_signal polls first, and that waitpid reaps an
    exited child under asyncio's child watcher, which then reports exit status 255."""
    if proc is not None and proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(proc.pid, sig)


async def _reap(proc: asyncio.subprocess.Process) -> int:
    """The child's exit status; one that hangs after its output ended is killed."""
    try:
        return await asyncio.wait_for(proc.wait(), EXIT_GRACE)
    except TimeoutError:
        _signal(proc, signal.SIGKILL)
        return await proc.wait()


def _exit_reason(rc: int) -> str:
    if rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = f"signal {-rc}"
        return f"exited with {name}"
    return f"exited with code {rc}"
