"""Driving one host's synchronous client (pywinrm, pypsrp) from asyncio, deadline first.

A per-host lock serialises every call on that host's client object: the libraries are not
thread safe, and after the caller gave up waiting (deadline) the abandoned call is still running
in its pool thread, so the clean-up that follows must queue behind it rather than race it.
Results cross the thread boundary boxed, so a library's ``TimeoutError`` or ``StopIteration`` is
never confused with the caller's own timeout (or mangled by ``concurrent.futures``).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from umcheck.errors import ExecTimeout, HostError, Unreachable
from umcheck.transports import pool

CLOSE_GRACE = 1.5  # seconds close() waits for best-effort clean-up (the runner allows 2 s past the deadline)


class BlockingClient:
    """Mixin: ``await self.call(fn, *args, deadline=...)`` runs ``fn`` in the pool under the host lock."""

    answered: bool  # the host has answered at least one request (decides Unreachable vs ExecTimeout)

    def _init_blocking(self) -> None:
        self._host_lock = threading.Lock()
        self.answered = False
        self._pending: asyncio.Future[None] | None = None

    def _guarded(self, fn: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
        with self._host_lock:
            try:
                return True, fn(*args)
            except BaseException as exc:  # boxed: re-raised on the event loop side
                return False, exc

    def map_exception(self, exc: BaseException) -> HostError:  # pragma: no cover - overridden
        raise NotImplementedError

    async def call(self, fn: Callable[..., Any], *args: Any, deadline: float) -> Any:
        left = deadline - time.monotonic()
        if left <= 0:
            raise self._deadline_error()
        try:
            ok, value = await asyncio.wait_for(pool.run_blocking(self._guarded, fn, *args), left)
        except TimeoutError:
            raise self._deadline_error() from None
        if not ok:
            raise self.map_exception(value) from value
        self.answered = True
        return value

    def _deadline_error(self) -> HostError:
        if self.answered:
            return ExecTimeout("the host deadline passed before the command finished")
        return Unreachable("the host did not answer before the deadline")

    async def best_effort(self, fn: Callable[..., Any], *args: Any, grace: float = CLOSE_GRACE) -> None:
        """Run a clean-up call; never raises, waits at most ``grace`` seconds for it."""
        try:
            await asyncio.wait_for(pool.run_blocking(self._guarded, fn, *args), grace)
        except (TimeoutError, RuntimeError):
            # Still queued behind an abandoned call (it finishes on its socket timeout), or the
            # pool is shutting down at the end of the run.
            pass

    def background(self, fn: Callable[..., Any], *args: Any) -> None:
        """Start a clean-up call now without waiting for it (``settle`` awaits it briefly)."""
        self._pending = asyncio.ensure_future(self.best_effort(fn, *args))

    async def settle(self) -> bool:
        """Wait (at most the grace) for a clean-up started by ``background``; True if there was one."""
        pending, self._pending = self._pending, None
        if pending is None:
            return False
        await pending
        return True

    @staticmethod
    def grace(deadline: float) -> float:
        """How long a normal clean-up may take: the time left, within [0.5 s, CLOSE_GRACE]."""
        return max(0.5, min(CLOSE_GRACE, deadline - time.monotonic()))
