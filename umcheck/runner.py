"""The runner: the only place with concurrency.

Every host of the plan ends in exactly one HostStatus — ok, an error class, ``cancelled`` or
``skipped`` — and appears exactly once in the FleetResult. Per host: a deadline umcheck owns,
retries with backoff for transient connection errors only (never for auth failures), output
capped, and a result value (never an exception) handed to the sinks as soon as it exists.
Cancellation (Ctrl-C / SIGTERM via ``cancel()``) turns running and waiting hosts into
``cancelled`` and still returns a complete FleetResult.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import html
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from umcheck import __version__
from umcheck.crosscheck.compare import compare, failed_cross_check
from umcheck.crosscheck.values import CrossCheck
from umcheck.errors import ExecTimeout, HostError
from umcheck.evaluation import collector_failure, evaluate_output
from umcheck.events import EventSink
from umcheck.inventory.connection import ConnectionSettings
from umcheck.plan import HostTarget, RunOptions
from umcheck.reports.escape import one_line
from umcheck.results import FleetResult, HostResult, HostStatus, Readiness, RunScope
from umcheck.state.cells import Cell
from umcheck.state.merge import merge_host
from umcheck.transports.base import ExecResult, Transport

TransportFactory = Callable[[ConnectionSettings], Transport]
# Transport-level events for ``-vvv``: connections, attempts, retries, output sizes — never data or secrets.
trace = logging.getLogger("umcheck.transport")
DEADLINE_GRACE = 2.0  # seconds a transport gets past the deadline to clean up before we stop waiting
EVALUATION_GRACE = 1.0  # seconds evaluation may take past the deadline (output that came in just in time)
EVALUATION_THREADS = 8  # many, so a healthy host's few ms are not queued behind a hostile host's seconds


def _printable_record(record: logging.LogRecord) -> bool:
    """Log arguments are host names and host-supplied messages: never let them drive a terminal."""
    if isinstance(record.args, tuple):
        record.args = tuple(one_line(a) if isinstance(a, str) else a for a in record.args)
    return True


trace.addFilter(_printable_record)


# Young-generation collections while hosts are in flight. Each host allocates tens of thousands of
# short-lived containers (parsed facts, outcomes, JSON), and with the default threshold (700) the
# collector ran dozens of times per host, re-walking every in-flight host's live objects each
# time: ~0.5 ms of CPU per host, a fifth of umcheck's own work. Garbage is still collected, in
# bigger and far fewer passes; the previous thresholds come back when the last host is done.
GC_YOUNG_THRESHOLD = 20_000


class _FewerCollections:
    """Raises the gen-0 GC threshold while any host of any runner in this process is running."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # runners on several threads' event loops (tests) share it
        self._hosts = 0
        self._saved: tuple[int, int, int] | None = None

    def enter(self) -> None:
        with self._lock:
            self._hosts += 1
            if self._hosts == 1:
                self._saved = gc.get_threshold()
                if 0 < self._saved[0] < GC_YOUNG_THRESHOLD:  # 0: collection is off; leave it off
                    gc.set_threshold(GC_YOUNG_THRESHOLD, *self._saved[1:])

    def leave(self) -> None:
        with self._lock:
            self._hosts -= 1
            if self._hosts == 0 and self._saved is not None:
                gc.set_threshold(*self._saved)
                self._saved = None


_fewer_collections = _FewerCollections()


@functools.cache
def _evaluator() -> ThreadPoolExecutor:
    """Threads for parsing and grading output, off the event loop so no host's output stalls the others."""
    return ThreadPoolExecutor(max_workers=EVALUATION_THREADS, thread_name_prefix="umcheck-evaluate")


def now_iso() -> str:
    """Milliseconds: runs started in the same second must still sort in order in the history,
    and a host's start must never read as earlier than its run's."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


_CLIXML_ERROR = re.compile(r'<S S="Error">(.*?)</S>', re.S)
_CLIXML_CODE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _stderr_line(stderr: bytes) -> str | None:
    """The first line a failed collector wrote to stderr; Windows PowerShell over WinRS wraps it in CLIXML."""
    text = stderr[:65536].decode("utf-8", "replace").strip()
    if text.startswith("#< CLIXML"):
        text = html.unescape("".join(_CLIXML_ERROR.findall(text)))
        text = _CLIXML_CODE.sub(lambda m: chr(int(m.group(1), 16)), text).strip()
    return next(iter(text.splitlines()), None)


def _scrub(message: str, settings: ConnectionSettings) -> str:
    """One printable line (hosts write these texts), and never the password even if a library echoed it."""
    line = " ".join(one_line(message).split())[:300]
    if settings.password and len(settings.password) >= 3:
        line = line.replace(settings.password, "********")
    return line


class Runner:
    def __init__(
        self,
        options: RunOptions,
        factory: TransportFactory,
        sinks: Iterable[EventSink] = (),
        earlier: Mapping[str, Mapping[str, Cell]] | None = None,
    ):
        """``earlier``: each host's latest earlier cells (from history), carried into partial runs."""
        self.options = options
        self.factory = factory
        self.sinks = list(sinks)
        self.earlier = earlier or {}
        self._started = now_iso()
        self._cancelled = False
        self._tasks: list[asyncio.Task] = []

    # -- events --------------------------------------------------------------------------
    def _emit(self, method: str, *args: Any) -> None:
        for sink in self.sinks:
            getattr(sink, method)(*args)

    def cancel(self) -> None:
        """Stop the run: waiting hosts never start, running ones are cut off as ``cancelled``."""
        self._cancelled = True
        for task in self._tasks:
            task.cancel()

    # -- one host ------------------------------------------------------------------------
    def _base(self, target: HostTarget) -> HostResult:
        s = target.settings
        return HostResult(name=target.name, address=s.host, transport=s.connection, os_family=s.os, started=now_iso())

    def _failure(self, base: HostResult, status: HostStatus, message: str, kind: str, target: HostTarget) -> HostResult:
        return replace(
            base,
            status=status,
            readiness=Readiness.UNKNOWN,
            readiness_reason=f"scan failed: {status}",
            error=_scrub(message, target.settings),
            error_kind=kind,
        )

    async def _attempt(self, target: HostTarget, base: HostResult, deadline: float) -> HostResult:
        transport = self.factory(target.connection())  # the run's connect timeout filled in
        s = target.settings
        trace.debug("%s: %s to %s:%s as %s", target.name, s.connection, s.host, s.port or "-", s.user or "-")
        t0 = time.monotonic()
        official: ExecResult | str | None = None
        async with transport:
            res = await transport.run(target.invocation, deadline=deadline, max_output=self.options.max_output)
            if target.cross_check is not None and not res.truncated:
                official = await self._run_official(transport, target, deadline)
        trace.debug("%s: collector exited rc=%s, %d bytes out, %d bytes err%s in %.2fs", target.name, res.rc,
                    len(res.stdout), len(res.stderr), " (truncated)" if res.truncated else "",
                    time.monotonic() - t0)  # fmt: skip
        if res.truncated:
            return collector_failure(base, f"collector output exceeded {self.options.max_output} bytes and was cut off")
        result = await self._evaluate(target, base, res.stdout, deadline)
        if result.status == HostStatus.COLLECTOR_ERROR and res.rc != 0:
            detail = _stderr_line(res.stderr)
            msg = f"collector exited with code {res.rc}" + (f": {detail}" if detail else "")
            result = replace(result, error=_scrub(msg, target.settings))
        if official is not None and result.status == HostStatus.OK:
            result = replace(result, cross_check=await self._cross_check(target, base, result, official, deadline))
        return result

    async def _run_official(self, transport: Transport, target: HostTarget, deadline: float) -> ExecResult | str:
        """The official script on the collector's connection; its failure is the cross-check's, not the host's."""
        assert target.cross_check is not None
        try:
            res = await transport.run(target.cross_check, deadline=deadline, max_output=self.options.max_output)
        except (HostError, ExecTimeout) as exc:
            return _scrub(f"{exc.__class__.__name__}: {exc}", target.settings)
        trace.debug("%s: official script exited rc=%s, %d bytes out", target.name, res.rc, len(res.stdout))
        if res.truncated:
            return f"the official script's output exceeded {self.options.max_output} bytes"
        return res

    async def _cross_check(self, target: HostTarget, base: HostResult, mine: HostResult, official: ExecResult | str,
                           deadline: float) -> CrossCheck:  # fmt: skip
        script = "official-" + (mine.os_family or target.settings.os or "windows")
        if isinstance(official, str):
            return failed_cross_check(script, official)
        try:
            theirs = await self._evaluate(target, base, official.stdout, deadline)
        except ExecTimeout as exc:
            return failed_cross_check(script, str(exc))
        if theirs.status == HostStatus.OK and theirs.os_family != mine.os_family:
            return failed_cross_check(script, f"the official output is for {theirs.os_family}, the host is {mine.os_family}")
        if theirs.status != HostStatus.OK and official.rc != 0:
            detail = _stderr_line(official.stderr)
            msg = f"exited with code {official.rc}" + (f": {detail}" if detail else "")
            theirs = replace(theirs, error=_scrub(msg, target.settings))
        selected = {o.RuleId for o in mine.outcomes} if self.options.selectors else None
        return compare(script, mine, theirs, selected)

    async def _evaluate(
        self, target: HostTarget, base: HostResult, out: bytes, deadline: float
    ) -> HostResult:
        """Parse and grade the collector output in a worker thread, bounded by the host's deadline.

        Evaluation is linear in the output's size, but a hostile host can still send megabytes
        of it: on the event loop that would freeze every other host's I/O and deadlines. A thread
        that overruns is abandoned (it finishes in the background) and the host is a timeout.
        """
        loop = asyncio.get_running_loop()
        job = functools.partial(evaluate_output, base, out, target.context, self.options.selectors or None)
        budget = max(0.0, deadline - time.monotonic()) + EVALUATION_GRACE
        try:
            return await asyncio.wait_for(loop.run_in_executor(_evaluator(), job), timeout=budget)
        except TimeoutError:
            raise ExecTimeout(f"the collector's output ({len(out)} bytes) could not be evaluated within "
                              f"the host deadline of {target.timeouts.host:g}s") from None  # fmt: skip

    async def _host(self, target: HostTarget, sem: asyncio.Semaphore) -> HostResult:
        base = HostResult(name=target.name, address=target.settings.host, transport=target.settings.connection,
                          os_family=target.settings.os)  # fmt: skip
        start = None
        _fewer_collections.enter()
        try:
            async with sem:
                if self._cancelled:
                    raise asyncio.CancelledError
                self._emit("host_started", target.name)
                base = self._base(target)
                start = time.monotonic()
                result = await self._with_retries(target, base)
                result = merge_host(result, self.options.selectors, self.earlier.get(target.name, {}), now=self._started)
        except asyncio.CancelledError:
            result = self._failure(base, HostStatus.CANCELLED, "run interrupted before this host finished",
                                   "cancelled", target)  # fmt: skip
            if start is not None:
                result = replace(result, elapsed_ms=int((time.monotonic() - start) * 1000))
        finally:
            _fewer_collections.leave()
        self._emit("host_finished", result)
        return result

    async def _with_retries(self, target: HostTarget, base: HostResult) -> HostResult:
        start = time.monotonic()
        deadline = start + target.timeouts.host
        attempt = 0
        while True:
            attempt += 1
            try:
                result = await asyncio.wait_for(
                    self._attempt(target, base, deadline), timeout=max(0.0, deadline - time.monotonic()) + DEADLINE_GRACE
                )
            except (TimeoutError, ExecTimeout) as exc:
                msg = str(exc) or f"no answer within the host deadline of {target.timeouts.host:g}s"
                result = self._failure(base, HostStatus.TIMEOUT, msg, "timeout", target)
            except HostError as exc:
                left = deadline - time.monotonic()
                backoff = self.options.retry_backoff * 2 ** (attempt - 1)
                if exc.transient and attempt <= self.options.retries and left > backoff + 1:
                    trace.debug("%s: attempt %d: %s (%s), retrying in %gs", target.name, attempt, exc.kind,
                                _scrub(str(exc), target.settings), backoff)  # fmt: skip
                    await asyncio.sleep(backoff)
                    continue
                status = HostStatus(exc.kind) if exc.kind in HostStatus.__members__.values() else HostStatus.PROTOCOL_ERROR
                result = self._failure(base, status, str(exc) or exc.__class__.__name__, exc.kind, target)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug or an unmapped library error: confine it to this host
                result = self._failure(base, HostStatus.PROTOCOL_ERROR, f"unexpected {exc.__class__.__name__}: {exc}",
                                       "internal", target)  # fmt: skip
            elapsed = int((time.monotonic() - start) * 1000)
            return replace(result, attempts=attempt, elapsed_ms=elapsed)

    # -- the run -------------------------------------------------------------------------
    async def execute(self, todo: list[HostTarget]) -> list[HostResult]:
        """Scan ``todo`` in this process: one result per target, in order, each emitted as it ends.

        The seam for fan-out beyond one process (``umcheck.dispatch``): a dispatcher overrides
        this (and ``cancel``) and keeps everything else — header, skipped hosts, the FleetResult.
        """
        sem = asyncio.Semaphore(max(1, self.options.forks))
        self._tasks = [asyncio.ensure_future(self._host(t, sem)) for t in todo]
        if self._cancelled:
            self.cancel()
        results = await asyncio.gather(*self._tasks, return_exceptions=True)
        out = []
        for target, result in zip(todo, results, strict=True):
            if isinstance(result, BaseException):  # cancelled before _host could record it
                result = self._failure(HostResult(name=target.name), HostStatus.CANCELLED, "run interrupted",
                                       "cancelled", target)  # fmt: skip
                self._emit("host_finished", result)
            out.append(result)
        return out

    async def run(
        self,
        targets: list[HostTarget],
        header: dict[str, Any],
        *,
        done: dict[str, HostResult] | None = None,
        skipped: dict[str, str] | None = None,
    ) -> FleetResult:
        """Run every target not already ``done``; ``skipped`` maps host -> reason (no connection)."""
        done = dict(done or {})
        skipped = skipped or {}
        started = self._started = header.setdefault("started", now_iso())
        header.setdefault("run_id", new_run_id())
        header.setdefault("umcheck_version", __version__)
        header.setdefault("plan_hosts", [t.name for t in targets])
        todo = [t for t in targets if t.name not in done]
        self._emit("run_started", header, len(todo))
        for name, reason in skipped.items():
            if name not in done:
                done[name] = HostResult(name=name, status=HostStatus.SKIPPED, readiness=Readiness.UNKNOWN,
                                        readiness_reason=reason, error=reason, error_kind="skipped")  # fmt: skip
                self._emit("host_finished", done[name])
        for target, result in zip(todo, await self.execute(todo), strict=True):
            done[target.name] = result
        order = header["plan_hosts"]
        planned = set(order)  # once: built per host, it cost seconds at 10,000 hosts
        hosts = [done[n] for n in order if n in done] + [r for n, r in done.items() if n not in planned]
        fleet = FleetResult(
            run_id=header["run_id"],
            started=started,
            finished=now_iso(),
            hosts=hosts,
            rules=list(header.get("rules") or []),
            inventory=list(header.get("inventory") or []),
            limit=header.get("limit"),
            interrupted=self._cancelled,
            umcheck_version=__version__,
            scope=RunScope.from_header(header),
        )
        self._emit("run_finished", fleet)
        return fleet
