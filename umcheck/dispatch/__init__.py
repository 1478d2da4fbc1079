"""Fan-out beyond one process: worker processes on this machine, Celery workers per segment.

``runner.Runner`` is the only place with per-host concurrency inside one process; a dispatcher
is a Runner whose ``execute`` hands shares of the plan to other processes (``local``) or to
Celery workers on other jump hosts (``celery``) and emits each HostResult as it streams back,
so the journal, progress, reports and history stay in the controller exactly as for one process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from umcheck.events import EventSink
from umcheck.plan import RunOptions
from umcheck.runner import Runner, TransportFactory
from umcheck.state.cells import Cell


@dataclass(frozen=True)
class Dispatch:
    """How a scan fans out: ``workers`` processes here, or Celery through ``broker`` (a URL)."""

    workers: int | None = None  # None: choose from the usable cores and the fleet's size
    broker: str | None = None  # redis:// or rediss:// — the scan goes to ``umcheck worker``s


def make_runner(
    dispatch: Dispatch,
    options: RunOptions,
    factory: TransportFactory,
    sinks: Iterable[EventSink],
    earlier: Mapping[str, Mapping[str, Cell]] | None,
    *,
    hosts: int,
    context: Mapping[str, Any] | None = None,
) -> Runner:
    """The runner for this scan: in this process, in worker processes, or through Celery.

    ``context``: what a Celery dispatch needs besides the plan — ``inventory`` (the loaded
    Inventory, whose unrendered variables travel instead of credentials) and ``request`` (the
    ScanRequest).
    """
    if dispatch.broker:
        from umcheck.dispatch.celery import require_celery

        require_celery("--dispatch")
        from umcheck.dispatch.celery.controller import CeleryRunner

        return CeleryRunner(dispatch, options, factory, sinks, earlier, context=context)
    workers = dispatch.workers if dispatch.workers is not None else auto_workers(hosts)
    if workers > 1:
        from umcheck.dispatch.local import ProcessRunner

        return ProcessRunner(workers, options, factory, sinks, earlier)
    return Runner(options, factory, sinks, earlier)


def auto_workers(hosts: int) -> int:
    """Default ``--workers``: the usable cores, but one process while the fleet is too small to gain."""
    import os

    from umcheck.dispatch.local import HOSTS_PER_EXTRA_WORKER

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, hosts // HOSTS_PER_EXTRA_WORKER))


__all__ = ["Dispatch", "auto_workers", "make_runner"]
