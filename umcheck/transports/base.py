"""The transport contract: run one command on one host and return its output as a value.

Each transport module (winrm, psrp, ssh, local, fake) implements ``Transport`` and maps its
library's exceptions onto ``umcheck.errors`` in ONE function (``map_error``), keeping the
original as ``__cause__``. Blocking libraries (pywinrm, pypsrp) run in the bounded thread pool
of ``umcheck.transports.pool``; their client objects are per host (not thread safe, and NTLM
is bound to the TCP connection). Deadlines belong to the caller: ``run`` must return or raise
``ExecTimeout`` by ``deadline`` (a ``time.monotonic()`` value) even if the library would re-poll
forever, and must clean up the remote shell when it can.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, runtime_checkable

from umcheck.collectors.invocation import Invocation
from umcheck.errors import ExecTimeout


@dataclass(frozen=True)
class Timings:
    connect_ms: int = 0
    run_ms: int = 0


@dataclass(frozen=True)
class ExecResult:
    """What one command produced. ``rc`` is -1 when unknown (output cut at the cap before the end).

    Each of stdout and stderr holds at most ``max_output`` bytes; ``truncated`` says one was cut.
    ``timings.connect_ms`` is 0 when the run reused an open connection/shell.
    """

    rc: int
    stdout: bytes
    stderr: bytes = b""
    timings: Timings = field(default_factory=Timings)
    truncated: bool = False  # output exceeded the cap and was cut


@runtime_checkable
class Transport(Protocol):
    """One host, one connection. Use as ``async with transport: await transport.run(...)``."""

    name: ClassVar[str]
    supports_stdin: ClassVar[bool]

    async def open(self) -> None: ...

    async def run(self, invocation: Invocation, *, deadline: float, max_output: int) -> ExecResult: ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> Transport: ...

    async def __aexit__(self, *exc: object) -> None: ...


class TransportBase:
    """Shared context-manager plumbing and deadline helpers."""

    name: ClassVar[str] = "base"
    supports_stdin: ClassVar[bool] = True

    async def open(self) -> None:  # pragma: no cover - overridden
        return None

    async def close(self) -> None:  # pragma: no cover - overridden
        return None

    async def __aenter__(self):
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @staticmethod
    def remaining(deadline: float) -> float:
        """Seconds left before ``deadline``; raises ExecTimeout when none are."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise ExecTimeout("host deadline reached")
        return left
