"""Bounded output capture shared by every transport.

A misbehaving host (or a hostile one) can print without end; the controller keeps at most
``limit`` bytes per stream and remembers that it cut, so the runner can report a truncated
collector run instead of running out of memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable


class CappedBuffer:
    """Accumulates one stream up to ``limit`` bytes; ``truncated`` once anything was dropped."""

    __slots__ = ("limit", "_parts", "_size", "truncated")

    def __init__(self, limit: int):
        self.limit = max(0, limit)
        self._parts: list[bytes] = []
        self._size = 0
        self.truncated = False

    def add(self, data: bytes) -> bool:
        """Append ``data``; returns False once the cap is exceeded (stop reading)."""
        if not data:
            return not self.truncated
        room = self.limit - self._size
        if len(data) > room:
            if room > 0:
                self._parts.append(data[:room])
                self._size += room
            self.truncated = True
            return False
        self._parts.append(data)
        self._size += len(data)
        return True

    @property
    def full(self) -> bool:
        return self.truncated

    def value(self) -> bytes:
        return b"".join(self._parts)

    def __len__(self) -> int:
        return self._size


async def all_of(*aws: Awaitable[object]) -> list[object]:
    """``asyncio.gather`` inside a coroutine of our own, for ``wait_for``: when the deadline or
    Ctrl-C cancels it, the gather's CancelledError is retrieved here instead of being reported
    as "exception was never retrieved" (one dump per stream at Ctrl-C)."""
    return await asyncio.gather(*aws)
