"""The controller's side: chunks per segment to Celery queues, results back from a Redis stream.

``CeleryRunner`` replaces only ``Runner.execute`` (and ``cancel``): header, skipped hosts,
journal, progress, reports and history stay in this process exactly as for a local scan. Before
the journal is started, ``preflight`` refuses what would fail or leak: an unreachable broker, a
segment with no worker listening, a password written in clear text in the inventory.

Results are read from the run's stream without consuming it destructively: an entry is deleted
only after its host was journaled, so a controller killed in between finds it again on
``--resume``. The first result per host wins; later ones (a re-delivered chunk) are dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from umcheck.dispatch.celery import keys
from umcheck.dispatch.celery.app import RESTORE_INTERVAL
from umcheck.dispatch.celery.broker import Broker, broker_from, scrub
from umcheck.dispatch.celery.wire import (
    Chunk,
    HostWork,
    NoVaultPassword,
    earlier_cells,
    literal_password,
    options_json,
    pack,
)
from umcheck.errors import UsageError
from umcheck.events import EventSink
from umcheck.plan import HostTarget, RunOptions, target_for
from umcheck.results import FleetResult, HostResult, HostStatus
from umcheck.runner import DEADLINE_GRACE, Runner, TransportFactory, new_run_id
from umcheck.shared_strings import share_strings
from umcheck.state.cells import Cell
from umcheck.typed_load import dump

log = logging.getLogger("umcheck.dispatch")
CHUNK_SIZE = 50  # hosts per task (UMCHECK_DISPATCH_CHUNK): small enough to spread, large enough to amortise
WORKER_WAIT = 30.0  # seconds to wait for a worker on each segment's queue (UMCHECK_DISPATCH_WORKER_WAIT)
CANCEL_DRAIN = 2.0  # seconds after Ctrl-C in which results still in flight are taken
ORPHAN_AFTER = 120.0  # seconds a segment may have pending hosts and no worker at all before they fail
BROKER_OUTAGE = 120.0  # seconds the controller waits for a lost broker (UMCHECK_BROKER_OUTAGE) before it stops
BROKER_PING = 5.0  # seconds one ping of a lost broker may take (a stopped server accepts and never answers)
SLACK = 60.0
READ_BATCH = 500


@dataclass
class WorkerInfo:
    worker: str
    concurrency: int = 1
    forks: int | None = None
    visibility_timeout: float = 3600.0


@dataclass
class Segment:
    name: str
    targets: list[HostTarget] = field(default_factory=list)
    workers: list[WorkerInfo] = field(default_factory=list)

    @property
    def queue(self) -> str:
        return keys.queue(self.name)


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        raise UsageError(f"{name}={os.environ.get(name)!r}: give a number") from None


def group_by_segment(targets: Iterable[HostTarget]) -> dict[str, Segment]:
    """Targets per segment, in plan order."""
    out: dict[str, Segment] = {}
    for t in targets:
        seg = getattr(t.settings, "segment", "default") or "default"
        out.setdefault(seg, Segment(seg)).targets.append(t)
    return out


def chunk_sizes(hosts: int, slots: int, limit: int = CHUNK_SIZE) -> int:
    """Hosts per chunk: at most ``limit``, and small enough that every worker slot gets one."""
    return max(1, min(limit, math.ceil(hosts / max(1, slots))))


def split(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class Dedup:
    """The first result per host wins; anything for a host not pending is dropped."""

    def __init__(self, names: Iterable[str]) -> None:
        self.pending = set(names)
        self.started: set[str] = set()
        self.results: dict[str, HostResult] = {}

    def start(self, name: str) -> bool:
        if name in self.pending and name not in self.started:
            self.started.add(name)
            return True
        return False

    def finish(self, result: HostResult) -> bool:
        if result.name not in self.pending:
            return False
        self.pending.discard(result.name)
        self.results[result.name] = result
        return True


class CeleryRunner(Runner):
    def __init__(
        self,
        dispatch: Any,
        options: RunOptions,
        factory: TransportFactory,
        sinks: Iterable[EventSink] = (),
        earlier: Mapping[str, Mapping[str, Cell]] | None = None,
        *,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(options, factory, sinks, earlier)
        context = context or {}
        self.inventory = context.get("inventory")
        self.request = context.get("request")
        self.broker: Broker = broker_from(dispatch.broker, ca_file=os.environ.get("UMCHECK_BROKER_CA") or None)
        self.chunk_limit = int(_env_number("UMCHECK_DISPATCH_CHUNK", CHUNK_SIZE))
        self.worker_wait = _env_number("UMCHECK_DISPATCH_WORKER_WAIT", WORKER_WAIT)
        self.outage = _env_number("UMCHECK_BROKER_OUTAGE", BROKER_OUTAGE)
        self.run_id = ""
        self.segments: dict[str, Segment] = {}
        self._strings: dict[str, str] = {}
        self.lost: str | None = None  # why the broker was given up on, mid-run

    # -- before the run ----------------------------------------------------------------------
    async def run(self, targets: list[HostTarget], header: dict[str, Any], *, done: dict[str, HostResult] | None = None,
                  skipped: dict[str, str] | None = None) -> FleetResult:  # fmt: skip
        self.run_id = header.setdefault("run_id", new_run_id())
        targets, skipped = self._rescue(targets, dict(skipped or {}), done or {})
        todo = [t for t in targets if t.name not in (done or {})]
        if not targets and not done:
            first = next(iter(skipped.values()), "no host selected")
            raise UsageError(f"no host can be scanned ({first})")
        if todo:
            await self.preflight(todo)
        return await super().run(targets, header, done=done, skipped=skipped)

    def _rescue(self, targets: list[HostTarget], skipped: dict[str, str], done: Mapping[str, HostResult]):
        """Hosts unusable here only because a value (a password from ``lookup('env', …)``) cannot be
        resolved on the controller are sent anyway: the worker resolves it in its own environment."""
        if self.inventory is None:
            return targets, skipped
        from umcheck.inventory.connection import DeferredProblem, build_connection
        from umcheck.inventory.templating import TemplateRenderer

        renderer = TemplateRenderer(getattr(self.request, "environ", None))
        defaults = getattr(self.request, "defaults", None)
        rescued = []
        for name in list(skipped):
            try:
                host = self.inventory.get(name)
            except UsageError:
                continue
            if name in done or host.settings is not None or host.invalid or host.implicit:
                continue
            magic = {"inventory_hostname": name, "inventory_hostname_short": name.split(".")[0],
                     "group_names": list(host.groups)}  # fmt: skip
            try:  # a stand-in password: an unresolvable password variable is then the worker's to resolve
                settings = build_connection(name, renderer.host_vars(host.vars, {}, magic), {}, "\0", defaults)
            except (DeferredProblem, UsageError):
                continue
            rescued.append(target_for(replace(settings, password=None), self.options))
            del skipped[name]
        return targets + rescued, skipped

    async def preflight(self, todo: list[HostTarget]) -> None:
        """Refuse now, in one line, what would fail or leak later; learn who listens where."""
        if self.options.official or self.options.cross_check:
            raise UsageError("--script and --cross-check cannot be combined with --dispatch yet "
                             "(the scripts would have to be on every worker)")  # fmt: skip
        self._check_literals(todo)
        self.segments = group_by_segment(todo)
        client = self.broker.aredis()
        try:
            try:
                await asyncio.wait_for(client.ping(), 15)
            except Exception as exc:  # noqa: BLE001 - every way of not reaching it is one line
                raise UsageError(f"cannot reach the broker {self.broker.masked}: "
                                 f"{scrub(_reason(exc), self.broker)}") from None  # fmt: skip
            try:
                await self._find_workers(client)
            except BROKER_ERRORS as exc:
                raise UsageError(f"lost the broker {self.broker.masked} before the run started: "
                                 f"{scrub(_reason(exc), self.broker)}") from None  # fmt: skip
        finally:
            await client.aclose()

    def _check_literals(self, todo: list[HostTarget]) -> None:
        if self.inventory is None:
            return
        bad = []
        for t in todo:
            var = literal_password(self.inventory.get(t.name).vars)
            if var is not None:
                bad.append((t.name, var))
        if bad:
            name, var = bad[0]
            more = f" (and {len(bad) - 1} more host(s))" if len(bad) > 1 else ""
            raise UsageError(
                f"host {name}: {var} is a password written in clear text in the inventory{more}; with --dispatch "
                "it would cross the broker: encrypt it (ansible-vault encrypt_string) or write "
                "\"{{ lookup('env', 'NAME') }}\" and set NAME on the workers (or give them --password-env)"
            )

    async def _find_workers(self, client: Any) -> None:
        deadline = time.monotonic() + self.worker_wait
        while True:
            missing = []
            for seg in self.segments.values():
                seg.workers = await self._listening(client, seg.queue)
                if not seg.workers:
                    missing.append(seg)
            if not missing or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.5)
        if missing:
            seg = missing[0]
            others = f" (also: {', '.join(s.name for s in missing[1:])})" if len(missing) > 1 else ""
            raise UsageError(
                f"no umcheck worker is listening on queue {seg.queue} (segment '{seg.name}', {len(seg.targets)} "
                f"host(s)) after {self.worker_wait:g}s{others}; on a jump host in that segment run: umcheck worker "
                f"--queue {seg.name} --broker {self.broker.masked}"
            )

    @staticmethod
    async def _listening(client: Any, queue: str) -> list[WorkerInfo]:
        found = []
        async for key in client.scan_iter(match=keys.heartbeat_pattern(queue), count=1000):
            raw = await client.get(key)
            if raw is None:
                continue
            try:
                info = json.loads(raw)
                found.append(WorkerInfo(str(info["worker"]), int(info.get("concurrency") or 1), info.get("forks"),
                                        float(info.get("visibility_timeout") or 3600)))  # fmt: skip
            except (ValueError, KeyError, TypeError):
                continue
        return found

    # -- the run -----------------------------------------------------------------------------
    def cancel(self) -> None:
        self._cancelled = True  # the collecting loop sees it within a second

    def _payloads(self) -> list[tuple[str, list[str], dict[str, Any]]]:
        vault = getattr(self.request, "vault", None)
        defaults = getattr(self.request, "defaults", None)
        options = options_json(self.options)
        out = []
        for seg in self.segments.values():
            slots = sum(w.concurrency for w in seg.workers)
            size = chunk_sizes(len(seg.targets), slots, self.chunk_limit)
            for part in split(seg.targets, size):
                hosts = []
                for t in part:
                    host = self.inventory.get(t.name) if self.inventory is not None else None
                    try:
                        packed = {k: pack(v, vault) for k, v in (host.vars if host else {}).items()}
                    except NoVaultPassword as exc:
                        raise UsageError(f"host {t.name}: {exc}") from None
                    hosts.append(HostWork(t.name, packed, list(host.groups) if host else [],
                                          earlier_cells(self.earlier.get(t.name))))  # fmt: skip
                chunk = Chunk(self.run_id, seg.name, options, hosts, dump(defaults) if defaults else None)
                out.append((seg.queue, [t.name for t in part], chunk.to_json()))
        return out

    def _send(self, payloads: list[tuple[str, list[str], dict[str, Any]]]) -> None:
        from umcheck.dispatch.celery.app import make_app

        app = make_app(self.broker)
        try:
            for queue, _names, payload in payloads:
                app.send_task(keys.TASK, args=[payload], queue=queue, retry=True,
                              retry_policy={"max_retries": 5, "interval_start": 0.5, "interval_step": 1})  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - kombu/redis errors: one line
            raise UsageError(f"cannot send the hosts to the broker {self.broker.masked}: "
                             f"{scrub(_reason(exc), self.broker)}") from None  # fmt: skip
        finally:
            app.close()

    def budget(self) -> float:
        """Seconds the controller waits for results: every wave of chunks at the full host deadline,
        plus one visibility timeout (a dead worker's chunk) and slack. Generous, never infinite."""
        worst, visibility = 0.0, 0.0
        for seg in self.segments.values():
            slots = max(1, sum(w.concurrency for w in seg.workers))
            forks = min([w.forks for w in seg.workers if w.forks] or [self.options.forks])
            size = chunk_sizes(len(seg.targets), slots, self.chunk_limit)
            chunks = math.ceil(len(seg.targets) / size)
            waves = math.ceil(chunks / slots) * math.ceil(size / max(1, forks))
            host = max(t.timeouts.host for t in seg.targets) + DEADLINE_GRACE
            worst = max(worst, waves * host)
            visibility = max([visibility, *(w.visibility_timeout for w in seg.workers)])
        return worst + visibility + RESTORE_INTERVAL + SLACK

    async def execute(self, todo: list[HostTarget]) -> list[HostResult]:
        if not todo:
            return []
        client = self.broker.aredis()
        stream = keys.results(self.run_id)
        seen = Dedup(t.name for t in todo)
        try:
            try:
                await client.delete(keys.cancelled(self.run_id))
                await client.set(keys.live(self.run_id), "1", ex=keys.RUN_TTL)
            except BROKER_ERRORS as exc:  # lost between the preflight and now: nothing was sent
                raise UsageError(f"lost the broker {self.broker.masked} before any host was sent "
                                 f"({scrub(_reason(exc), self.broker)}); run the scan again with "
                                 f"--resume {self.run_id}") from None  # fmt: skip
            if not self._cancelled:
                payloads = self._payloads()
                await asyncio.to_thread(self._send, payloads)
            deadline = time.monotonic() + self.budget()
            await self._collect(client, stream, seen, deadline)
            for t in todo:
                if t.name in seen.pending:
                    result = self._unfinished(t)
                    seen.finish(result)
                    self._emit("host_finished", result)
            if self.lost is None:
                try:
                    await client.set(keys.cancelled(self.run_id), "1", ex=keys.CANCEL_TTL)  # leftovers: no-ops
                    await client.delete(keys.live(self.run_id))
                    if not self._cancelled:
                        await client.delete(stream, keys.done(self.run_id))
                except BROKER_ERRORS as exc:  # the results are in; what is left expires on the broker
                    log.warning("could not tidy up the run on the broker %s (%s); its keys expire in %gh",
                                self.broker.masked, scrub(_reason(exc), self.broker), keys.RUN_TTL / 3600)  # fmt: skip
        finally:
            with contextlib.suppress(Exception):  # a lost broker's connection may not even close cleanly
                await client.aclose()
        if self.lost is not None:
            left = sum(1 for t in todo if seen.results[t.name].status == HostStatus.CANCELLED)
            log.error("%s; %d host(s) not scanned: finish the run with --resume %s once the broker serves "
                      "again (workers keep what they finish meanwhile)", self.lost, left, self.run_id)  # fmt: skip
        return [seen.results[t.name] for t in todo]

    async def _collect(self, client: Any, stream: str, seen: Dedup, deadline: float) -> None:
        last = "0-0"
        drain_until: float | None = None
        orphaned_since: dict[str, float] = {}
        next_check = time.monotonic() + 10
        while seen.pending:
            now = time.monotonic()
            if now >= deadline or (drain_until is not None and now >= drain_until):
                return
            try:
                if self._cancelled and drain_until is None:
                    drain_until = now + CANCEL_DRAIN
                    await client.set(keys.cancelled(self.run_id), "1", ex=keys.CANCEL_TTL)
                last = await self._read(client, stream, last, seen, max(1, int(min(1.0, deadline - now) * 1000)))
                if now >= next_check and drain_until is None:
                    next_check = now + 10
                    await self._check_orphans(client, seen, orphaned_since)
            except BROKER_ERRORS as exc:
                if not await self._reconnect(client, exc, deadline):
                    return

    async def _read(self, client: Any, stream: str, last: str, seen: Dedup, block: int) -> str:
        """One batch of the run's stream, consumed; returns the last entry id read."""
        reply = await client.xread({stream: last}, count=READ_BATCH, block=block)
        consumed = []
        for _key, entries in reply or []:
            for entry_id, fields in entries:
                last = entry_id
                consumed.append(entry_id)
                self._consume(fields, seen)
        if consumed:  # journaled by now (the journal sink fsyncs in host_finished)
            await client.xdel(stream, *consumed)
        return last

    async def _reconnect(self, client: Any, exc: BaseException, deadline: float) -> bool:
        """The broker went away mid-run: wait up to ``self.outage`` seconds for it (results the
        workers push meanwhile wait in the stream). False, with ``self.lost`` and the run cancelled,
        if it stays away or comes back without the run's data (or Ctrl-C comes first): the pending
        hosts end ``cancelled``, so the report is written now and ``--resume`` scans them later."""
        reason = scrub(_reason(exc), self.broker)
        log.warning("lost the broker %s (%s); waiting up to %gs for it", self.broker.masked, reason, self.outage)
        give_up = min(deadline, time.monotonic() + self.outage)
        while not self._cancelled and time.monotonic() < give_up:
            try:
                await asyncio.wait_for(client.ping(), BROKER_PING)
                live = await asyncio.wait_for(client.exists(keys.live(self.run_id)), BROKER_PING)
            except (*BROKER_ERRORS, TimeoutError) as again:
                reason = scrub(_reason(again), self.broker)
                await asyncio.sleep(1)
                continue
            if not live:  # restarted empty: nothing will come
                self.lost = (f"the broker {self.broker.masked} came back without this run's queued hosts and "
                             "results (it keeps no data across restarts: run Redis with appendonly yes)")  # fmt: skip
                self._cancelled = True
                return False
            log.warning("the broker %s is back; the run goes on", self.broker.masked)
            return True
        if not self._cancelled:
            self.lost = f"lost the broker {self.broker.masked} for {self.outage:g}s ({reason})"
            self._cancelled = True
        return False

    def _consume(self, fields: Mapping[Any, Any], seen: Dedup) -> None:
        raw = fields.get(b"e", fields.get("e"))
        try:
            event = json.loads(raw)
            if event.get("t") == "started":
                if seen.start(str(event["name"])):
                    self._emit("host_started", str(event["name"]))
                return
            result = HostResult.from_dict(share_strings(event["host"], self._strings))
        except Exception as exc:  # noqa: BLE001 - a malformed entry must not stop the run
            log.warning("ignored a malformed result on the broker (%s)", exc.__class__.__name__)
            return
        if seen.finish(result):
            self._emit("host_finished", result)

    async def _check_orphans(self, client: Any, seen: Dedup, since: dict[str, float]) -> None:
        """A segment whose workers have all gone for ORPHAN_AFTER seconds: its pending hosts fail now."""
        now = time.monotonic()
        for seg in self.segments.values():
            pending = [t for t in seg.targets if t.name in seen.pending]
            if not pending:
                continue
            if await self._listening(client, seg.queue):
                since.pop(seg.name, None)
                continue
            since.setdefault(seg.name, now)
            if now - since[seg.name] >= ORPHAN_AFTER:
                for t in pending:
                    result = self._failure(self._base(t), HostStatus.TIMEOUT,
                                           f"no umcheck worker left on queue {seg.queue} for {ORPHAN_AFTER:g}s",
                                           "timeout", t)  # fmt: skip
                    seen.finish(result)
                    self._emit("host_finished", result)

    def _unfinished(self, target: HostTarget) -> HostResult:
        if self._cancelled:
            why = f"{self.lost} before this host finished" if self.lost else "run interrupted before this host finished"
            return self._failure(self._base(target), HostStatus.CANCELLED, why, "cancelled", target)
        seg = getattr(target.settings, "segment", "default")
        return self._failure(self._base(target), HostStatus.TIMEOUT,
                             f"no result from any worker on queue {keys.queue(seg)} within the dispatch deadline",
                             "timeout", target)  # fmt: skip


def _broker_errors() -> tuple[type[BaseException], ...]:
    """What a broker that went away raises: redis-py's connection and timeout errors, or the OS's."""
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # without the dispatch extra there is no broker to lose
        return (OSError,)
    return (RedisConnectionError, RedisTimeoutError, OSError)


BROKER_ERRORS = _broker_errors()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return " ".join(text.split())[:200]
