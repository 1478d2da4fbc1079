"""The one bounded thread pool that runs the blocking WinRM/PSRP client calls.

pywinrm and pypsrp are synchronous; asyncio's default executor is only ``min(32, cpu+4)``
threads, which would silently cap a 200-fork scan at 32 hosts. The runner sizes this pool to its
fork count with ``configure`` before the scan starts. A thread blocked in a socket read cannot
be cancelled, so every blocking call is bounded by a socket timeout chosen by its transport;
``asyncio.wait_for`` around ``run_blocking`` only stops *waiting* for it.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

DEFAULT_WORKERS = 16

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_size = DEFAULT_WORKERS


def configure(max_workers: int) -> None:
    """Set the pool size (the runner's forks). Replaces an idle pool; in-flight calls finish."""
    global _executor, _size
    if max_workers < 1:
        raise ValueError("max_workers must be at least 1")
    with _lock:
        old, _executor, _size = _executor, None, max_workers
    if old is not None:
        old.shutdown(wait=False)


def size() -> int:
    return _size


def executor() -> ThreadPoolExecutor:
    """The pool, created on first use."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=_size, thread_name_prefix="umcheck-io")
        return _executor


async def run_blocking(fn: Callable[..., T], *args: object) -> T:
    """Run ``fn(*args)`` in the pool and await its result."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor(), functools.partial(fn, *args))


def shutdown(wait: bool = False) -> None:
    """Drop the pool (tests, end of a run)."""
    global _executor
    with _lock:
        old, _executor = _executor, None
    if old is not None:
        old.shutdown(wait=wait, cancel_futures=True)
