"""Starting ``umcheck worker``: a Celery worker on the segment queues, plus a heartbeat per queue.

The solo pool is the default (``--concurrency 1``): a chunk is one ``asyncio.run`` of the
Runner, whose own ``--forks`` concurrency already fills a core with hundreds of connections, and
``kill -9`` of the worker is then exactly "this chunk was lost" (re-delivered after the visibility
timeout). ``--concurrency N`` > 1 switches to the prefork pool, one chunk per child process, for
jump hosts with spare cores. The heartbeat keys (``keys.heartbeat``, with a TTL) are how a
controller knows that a segment's queue is served, without Celery's broadcast remote control.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from dataclasses import dataclass

from umcheck.dispatch.celery import keys
from umcheck.dispatch.celery.app import DEFAULT_VISIBILITY_TIMEOUT, make_app
from umcheck.dispatch.celery.broker import scrub
from umcheck.dispatch.celery.task import WorkerConfig, configure, register
from umcheck.errors import UsageError


@dataclass(frozen=True)
class WorkerOptions:
    queues: tuple[str, ...]
    name: str | None = None
    concurrency: int = 1
    visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT
    loglevel: str = "WARNING"


def node_name(name: str | None) -> str:
    """Celery's ``name@host``; the default carries the pid so two workers on one host differ."""
    name = name or f"umcheck-{os.getpid()}"
    return name if "@" in name else f"{name}@{socket.gethostname()}"


class Heartbeat(threading.Thread):
    """Refreshes one key per queue every TTL/3 seconds until stopped; deletes them on the way out."""

    def __init__(self, config: WorkerConfig, options: WorkerOptions, node: str) -> None:
        super().__init__(name="umcheck-heartbeat", daemon=True)
        self.client = config.broker.redis()
        self.keys = [keys.heartbeat(keys.queue(q), node) for q in options.queues]
        self.value = json.dumps({"worker": node, "pid": os.getpid(), "concurrency": options.concurrency,
                                 "forks": config.forks, "visibility_timeout": options.visibility_timeout})  # fmt: skip
        self.stopped = threading.Event()

    def beat(self) -> None:
        pipe = self.client.pipeline()
        for key in self.keys:
            pipe.set(key, self.value, ex=keys.HEARTBEAT_TTL)
        pipe.execute()

    def run(self) -> None:
        while not self.stopped.wait(keys.HEARTBEAT_TTL / 3):
            try:
                self.beat()
            except Exception:  # noqa: BLE001, S112 - the broker is away: Celery reconnects, we retry next beat
                continue

    def stop(self) -> None:
        self.stopped.set()
        try:
            self.client.delete(*self.keys)
        except Exception:  # noqa: BLE001, S110 - the keys expire anyway
            pass


def run_worker(config: WorkerConfig, options: WorkerOptions) -> int:
    from celery import signals

    broker = config.broker
    try:
        broker.redis().ping()
    except Exception as exc:  # noqa: BLE001 - one line for every way of not reaching it
        reason = " ".join((str(exc) or exc.__class__.__name__).split())[:200]
        raise UsageError(f"cannot reach the broker {broker.masked}: {scrub(reason, broker)}") from None
    configure(config)
    app = make_app(broker, visibility_timeout=options.visibility_timeout)
    register(app)
    node = node_name(options.name)
    heartbeat = Heartbeat(config, options, node)
    queues = [keys.queue(q) for q in options.queues]

    def ready(**_: object) -> None:
        heartbeat.beat()
        heartbeat.start()
        pool = "solo" if options.concurrency == 1 else f"prefork x{options.concurrency}"
        print(f"umcheck worker: {node} ready on {', '.join(queues)} via {broker.masked} "
              f"({pool}, forks {config.forks or 'from the controller'})", file=sys.stderr, flush=True)  # fmt: skip

    def shutdown(**_: object) -> None:
        heartbeat.stop()

    signals.worker_ready.connect(ready, weak=False)
    signals.worker_shutdown.connect(shutdown, weak=False)
    worker = app.Worker(
        hostname=node,
        queues=queues,
        pool_cls="solo" if options.concurrency == 1 else "prefork",
        concurrency=options.concurrency,
        loglevel=options.loglevel,
        quiet=True,
        without_mingle=True,
        without_gossip=True,
        without_heartbeat=True,
        optimization="fair",
    )
    worker.start()
    return int(worker.exitcode or 0)
