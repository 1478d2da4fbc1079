"""The Celery app both sides build: at-least-once delivery, JSON only, no result backend.

* ``task_acks_late`` + ``task_reject_on_worker_lost``: a chunk is acknowledged only after its
  hosts were pushed, so a worker killed mid-chunk leaves it unacknowledged and the broker hands
  it out again (Redis: once the visibility timeout has passed since it was delivered).
* ``worker_prefetch_multiplier=1``: a busy worker holds no chunks another worker could run.
* The visibility timeout must exceed the longest chunk (hosts x host timeout / forks), or a
  healthy chunk would be delivered twice (harmless for the report, since the controller keeps
  the first result per host and a re-delivered chunk skips finished hosts, but wasted work).
* No result backend: results stream through ``keys.results`` host by host instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from umcheck.dispatch.celery import keys
from umcheck.dispatch.celery.broker import Broker

if TYPE_CHECKING:
    from celery import Celery

RESTORE_INTERVAL = 10  # seconds between a worker's sweeps for chunks whose worker died (one ZRANGE)
DEFAULT_VISIBILITY_TIMEOUT = 3600.0  # seconds; far above a chunk of 50 hosts at the default 120 s deadline


def make_app(broker: Broker, *, visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT) -> Celery:
    from celery import Celery

    app = Celery("umcheck", broker=broker.url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        result_backend=None,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=keys.queue("default"),
        task_create_missing_queues=True,
        broker_transport_options={
            "visibility_timeout": visibility_timeout,
            # kombu 5.7 sweeps for expired unacked messages every interval x throttle seconds
            # (10 x 10 by default): a dead worker's chunk would wait 100 s past its timeout.
            "unacked_restore_interval": RESTORE_INTERVAL,
            "unacked_restore_throttle": 1,
        },
        broker_use_ssl=broker.celery_ssl(),
        broker_connection_timeout=10,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        worker_enable_remote_control=False,  # no pidbox fan-out per worker: the heartbeat keys say who listens
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    return app
