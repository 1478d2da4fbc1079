"""The worker's side of a chunk: render and decrypt here, run the ordinary Runner, push each result.

Variables are rendered with this jump host's environment, vault passwords and ``--password-env``
(and Kerberos cache), so credentials exist only where they are used. Each finished host is added
to the run's stream and done set in one transaction (result first: a kill in between can cost a
re-scan, never a lost host). Cancelled hosts are not pushed (the controller decides about those,
and a later ``--resume`` must be able to send them again).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from umcheck.dispatch.celery import keys
from umcheck.dispatch.celery.broker import Broker
from umcheck.dispatch.celery.wire import Chunk, HostWork, unpack
from umcheck.errors import InputError
from umcheck.events import NullSink
from umcheck.inventory.vault import VaultSecrets
from umcheck.results import HostResult, HostStatus, Readiness

CANCEL_POLL = 1.0  # seconds between checks of the run's cancel key while a chunk runs


@dataclass
class WorkerConfig:
    """What this worker brings: the broker, its own secrets and capacity."""

    broker: Broker
    vault: VaultSecrets | None = None
    password: str | None = field(default=None, repr=False)  # --password-env on the worker
    forks: int | None = None
    environ: Mapping[str, str] | None = None  # None: os.environ (lookup('env', …))


_config: WorkerConfig | None = None
_clients: dict[int, Any] = {}


def configure(config: WorkerConfig) -> None:
    """Set before the pool starts, so prefork children inherit it."""
    global _config
    _config = config


def _redis() -> Any:
    """One client per process (prefork children must not share the parent's sockets)."""
    pid = os.getpid()
    if pid not in _clients:
        assert _config is not None, "umcheck worker: task ran before configure()"
        _clients[pid] = _config.broker.redis(patient=True)
    return _clients[pid]


def register(app: Any) -> Any:
    @app.task(name=keys.TASK, bind=True, acks_late=True, reject_on_worker_lost=True)
    def scan_chunk(self: Any, payload: dict[str, Any]) -> dict[str, int]:
        worker = self.request.hostname or "celery@unknown"
        try:
            return run_chunk(payload, worker)
        except Exception as exc:
            _fail_chunk(payload, worker, exc)
            raise

    return scan_chunk


def _fail_chunk(payload: dict[str, Any], worker: str, exc: BaseException) -> None:
    """A chunk that broke (a bug, a payload from another version): its hosts end now, in one line
    each, instead of at the controller's deadline. Hosts already finished keep their results."""
    try:
        run_id = str(payload["run_id"])
        names = [str(h["name"]) for h in payload["hosts"]]
        client = _redis()
        finished = client.smismember(keys.done(run_id), names) if names else []
        sink = PushSink(client, run_id, worker)
        reason = " ".join(f"{exc.__class__.__name__}: {exc}".split())[:300]
        for name, seen in zip(names, finished, strict=True):
            if not seen:
                sink.host_finished(replace(not_scanned(name, f"worker {worker} failed on this chunk: {reason}"),
                                           status=HostStatus.PROTOCOL_ERROR, error_kind="internal"))  # fmt: skip
    except Exception:  # noqa: BLE001, S110 - nothing more to report with; the controller's deadline ends them
        pass


class PushSink(NullSink):
    """Streams started/finished events of one run to the controller, and records finished hosts."""

    def __init__(self, client: Any, run_id: str, worker: str) -> None:
        self.client, self.run_id, self.worker = client, run_id, worker
        self.pushed = 0

    def host_started(self, name: str) -> None:
        self.client.xadd(keys.results(self.run_id), {"e": json.dumps({"t": "started", "name": name})})

    def host_finished(self, result: HostResult) -> None:
        if result.status == HostStatus.CANCELLED:
            return
        result = replace(result, worker=self.worker)
        event = '{"t":"result","host":' + result.json_text() + "}"
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(keys.results(self.run_id), {"e": event})
        pipe.sadd(keys.done(self.run_id), result.name)
        pipe.expire(keys.results(self.run_id), keys.RUN_TTL)
        pipe.expire(keys.done(self.run_id), keys.RUN_TTL)
        pipe.execute()
        self.pushed += 1


def not_scanned(name: str, reason: str) -> HostResult:
    return HostResult(name=name, status=HostStatus.SKIPPED, readiness=Readiness.UNKNOWN, readiness_reason=reason,
                      error=reason, error_kind="skipped")  # fmt: skip


def build_targets(hosts: list[HostWork], chunk: Chunk, config: WorkerConfig, options: Any, worker: str):
    """Targets for the hosts this worker can reach, and a result for each it cannot even configure."""
    from umcheck.inventory.connection import DeferredProblem, build_connection
    from umcheck.inventory.templating import TemplateRenderer
    from umcheck.plan import target_for

    renderer = TemplateRenderer(config.environ)
    defaults = chunk.connection_defaults()
    targets, failed = [], []
    for h in hosts:
        try:
            values = {k: unpack(v, config.vault) for k, v in h.vars.items()}
            magic = {"inventory_hostname": h.name, "inventory_hostname_short": h.name.split(".")[0],
                     "group_names": list(h.groups)}  # fmt: skip
            settings = build_connection(h.name, renderer.host_vars(values, {}, magic), {}, config.password, defaults)
        except (DeferredProblem, InputError) as exc:
            failed.append(not_scanned(h.name, f"not scanned by {worker}: {exc}"))
            continue
        targets.append(target_for(settings, options))
    return targets, failed


def run_chunk(payload: dict[str, Any], worker: str) -> dict[str, int]:
    """Scan one chunk; returns counts (for the worker's log; nobody waits for them)."""
    from umcheck.runner import Runner
    from umcheck.transports import make_transport
    from umcheck.transports.pool import configure as configure_pool
    from umcheck.transports.shared import Shared

    assert _config is not None
    chunk = Chunk.from_json(payload)
    client = _redis()
    if client.exists(keys.cancelled(chunk.run_id)):
        return {"hosts": len(chunk.hosts), "scanned": 0}
    names = [h.name for h in chunk.hosts]
    finished = client.smismember(keys.done(chunk.run_id), names) if names else []
    todo = [h for h, seen in zip(chunk.hosts, finished, strict=True) if not seen]
    options = chunk.run_options()
    if _config.forks:
        options = replace(options, forks=_config.forks)
    sink = PushSink(client, chunk.run_id, worker)
    targets, failed = build_targets(todo, chunk, _config, options, worker)
    for result in failed:
        sink.host_finished(result)
    if targets:
        configure_pool(options.forks)
        shared = Shared()
        runner = Runner(options, lambda s: make_transport(s, shared), [sink], chunk.earlier())
        asyncio.run(_execute(runner, targets, client, chunk.run_id))
    return {"hosts": len(chunk.hosts), "scanned": sink.pushed}


async def _execute(runner: Any, targets: list, client: Any, run_id: str) -> None:
    async def watch() -> None:
        while True:
            await asyncio.sleep(CANCEL_POLL)
            if await asyncio.to_thread(client.exists, keys.cancelled(run_id)):
                runner.cancel()
                return

    watcher = asyncio.ensure_future(watch())
    try:
        await runner.execute(targets)
    finally:
        watcher.cancel()
