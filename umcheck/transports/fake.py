"""A scripted in-process transport for unit tests of the runner and reports.

Each host is configured with what its one run does: return an ``ExecResult``, raise an
exception (any ``HostError`` — or a raw library exception, to test the runner's last-resort
guard), and/or take ``delay`` seconds. It honours the deadline exactly like the real transports
(``ExecTimeout`` when the delay outlasts it) and records what it was asked to run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from umcheck.collectors.invocation import Invocation
from umcheck.errors import ExecTimeout
from umcheck.inventory.connection import ConnectionSettings
from umcheck.transports.base import ExecResult, TransportBase


@dataclass(frozen=True)
class FakeHost:
    """Script for one host; with neither result nor error the run returns rc 0 and no output."""

    result: ExecResult | None = None
    error: BaseException | None = None
    delay: float = 0.0
    errors_first: tuple[BaseException, ...] = ()  # raised by the first attempts, in order (retries)


@dataclass
class FakeFleet:
    """Per-host scripts plus a log of calls; ``factory`` is what the runner takes."""

    hosts: Mapping[str, FakeHost] = field(default_factory=dict)
    default: FakeHost = field(default_factory=FakeHost)
    calls: list[tuple[str, Invocation]] = field(default_factory=list)
    opened: int = 0
    closed: int = 0

    def factory(self, settings: ConnectionSettings) -> FakeTransport:
        return FakeTransport(settings.name, self.hosts.get(settings.name, self.default), self)

    def attempts(self, name: str) -> int:
        return sum(1 for host, _ in self.calls if host == name)


class FakeTransport(TransportBase):
    name: ClassVar[str] = "fake"
    supports_stdin: ClassVar[bool] = True

    def __init__(self, host: str, script: FakeHost, fleet: FakeFleet | None = None):
        self.host = host
        self.script = script
        self.fleet = fleet if fleet is not None else FakeFleet()

    async def open(self) -> None:
        self.fleet.opened += 1

    async def close(self) -> None:
        self.fleet.closed += 1

    async def run(self, invocation: Invocation, *, deadline: float, max_output: int) -> ExecResult:
        attempt = self.fleet.attempts(self.host)
        self.fleet.calls.append((self.host, invocation))
        if self.script.delay:
            left = deadline - time.monotonic()
            if self.script.delay >= left:
                await asyncio.sleep(max(0.0, left))
                raise ExecTimeout("the host deadline passed before the command finished")
            await asyncio.sleep(self.script.delay)
        if attempt < len(self.script.errors_first):
            raise self.script.errors_first[attempt]
        if self.script.error is not None:
            raise self.script.error
        result = self.script.result or ExecResult(rc=0, stdout=b"")
        if len(result.stdout) > max_output or len(result.stderr) > max_output:
            return ExecResult(rc=-1, stdout=result.stdout[:max_output], stderr=result.stderr[:max_output],
                              timings=result.timings, truncated=True)
        return result


__all__ = ["FakeFleet", "FakeHost", "FakeTransport"]
