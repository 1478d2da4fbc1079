"""``ansible_connection: fake``: hosts answered in-process by the simulator, for benches and tests.

No network and no child process: the collector invocation goes to ``umcheck.sim.behaviour.reply_for``,
the very code a simulated WinRM/SSH host runs, for a machine in the states ``umcheck_fake_state``
names (default ``healthy``). It measures umcheck's own work (planning, parsing, rules, journal,
reports, history) without the cost of a transport library. It is never a real scan: every result
says transport ``fake``, the first use logs a warning, and the HTML report shows a banner.
"""

from __future__ import annotations

import asyncio
import logging
from typing import ClassVar

from umcheck.collectors.invocation import Invocation
from umcheck.inventory.connection import ConnectionSettings
from umcheck.sim.behaviour import reply_for
from umcheck.sim.hosts import HostSpec
from umcheck.transports.base import ExecResult, TransportBase

log = logging.getLogger("umcheck.transport")
_warned = False


def _warn_once() -> None:
    global _warned
    if not _warned:
        _warned = True
        log.warning("ansible_connection fake: hosts are answered by the built-in simulator in this process "
                    "(benches and tests only) - this is not a scan of real machines")  # fmt: skip


def host_spec(settings: ConnectionSettings) -> HostSpec:
    """The simulated host behind a fake connection: Windows speaks WinRS, Linux SSH (same answers)."""
    transport = "winrm" if settings.os == "windows" else "ssh"
    return HostSpec(settings.name, transport=transport, states=settings.fake_states or ("healthy",))


class SimulatedTransport(TransportBase):
    name: ClassVar[str] = "fake"
    supports_stdin: ClassVar[bool] = True

    def __init__(self, settings: ConnectionSettings):
        _warn_once()
        self.spec = host_spec(settings)

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def run(self, invocation: Invocation, *, deadline: float, max_output: int) -> ExecResult:
        self.remaining(deadline)
        await asyncio.sleep(0)  # let other hosts, progress and the journal run, as a real transport would
        command = invocation.script if invocation.script is not None else invocation.command
        reply = reply_for(self.spec, command, invocation.stdin)
        stdout, stderr = reply.stdout, reply.stderr
        if len(stdout) > max_output or len(stderr) > max_output:
            return ExecResult(rc=-1, stdout=stdout[:max_output], stderr=stderr[:max_output], truncated=True)
        return ExecResult(rc=reply.rc, stdout=stdout, stderr=stderr)


__all__ = ["SimulatedTransport", "host_spec"]
