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
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from umcheck import __version__
from umcheck.errors import ExecTimeout, HostError
from umcheck.evaluation import collector_failure, evaluate_output
from umcheck.events import EventSink
from umcheck.inventory.connection import ConnectionSettings
from umcheck.plan import HostTarget, RunOptions
from umcheck.results import FleetResult, HostResult, HostStatus, Readiness, RunScope
from umcheck.state.cells import Cell
from umcheck.state.merge import merge_host
from umcheck.transports.base import Transport

TransportFactory = Callable[[ConnectionSettings], Transport]
# Transport-level events for ``-vvv``: connections, attempts, retries, output sizes — never data or secrets.
trace = logging.getLogger("umcheck.transport")
DEADLINE_GRACE = 2.0  # seconds a transport gets past the deadline to clean up before we stop waiting


def now_iso() -> str:
    """Milliseconds: runs started in the same second must still sort in order in the history,
    and a host's start must never read as earlier than its run's."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def _scrub(message: str, settings: ConnectionSettings) -> str:
    """One line, and never the password even if a library echoed it."""
    line = " ".join(str(message).split())[:300]
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
        transport = self.factory(target.settings)
        s = target.settings
        trace.debug("%s: %s to %s:%s as %s", target.name, s.connection, s.host, s.port or "-", s.user or "-")
        t0 = time.monotonic()
        async with transport:
            res = await transport.run(target.invocation, deadline=deadline, max_output=self.options.max_output)
        trace.debug("%s: collector exited rc=%s, %d bytes out, %d bytes err%s in %.2fs", target.name, res.rc,
                    len(res.stdout), len(res.stderr), " (truncated)" if res.truncated else "",
                    time.monotonic() - t0)  # fmt: skip
        if res.truncated:
            return collector_failure(base, f"collector output exceeded {self.options.max_output} bytes and was cut off")
        result = evaluate_output(base, res.stdout, target.context, self.options.selectors or None)
        if result.status == HostStatus.COLLECTOR_ERROR and res.rc != 0:
            detail = res.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
            msg = f"collector exited with code {res.rc}" + (f": {detail[0]}" if detail else "")
            result = replace(result, error=_scrub(msg, target.settings))
        return result

    async def _host(self, target: HostTarget, sem: asyncio.Semaphore) -> HostResult:
        base = HostResult(name=target.name, address=target.settings.host, transport=target.settings.connection,
                          os_family=target.settings.os)  # fmt: skip
        start = None
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
        sem = asyncio.Semaphore(max(1, self.options.forks))
        self._tasks = [asyncio.ensure_future(self._host(t, sem)) for t in todo]
        if self._cancelled:
            self.cancel()
        results = await asyncio.gather(*self._tasks, return_exceptions=True)
        for target, result in zip(todo, results, strict=True):
            if isinstance(result, BaseException):  # cancelled before _host could record it
                result = self._failure(HostResult(name=target.name), HostStatus.CANCELLED, "run interrupted",
                                       "cancelled", target)  # fmt: skip
                self._emit("host_finished", result)
            done[target.name] = result
        order = header["plan_hosts"]
        hosts = [done[n] for n in order if n in done] + [r for n, r in done.items() if n not in set(order)]
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
