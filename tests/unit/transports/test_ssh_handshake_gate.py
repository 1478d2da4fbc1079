"""SSH handshakes wait their turn (shared.SSH_HANDSHAKES per process), so a thousand hosts started
together on a busy jump host do not all outlive their connect timeout; the connect timeout starts
when a host's turn comes, and the host deadline bounds the wait.

The peer is a real TCP listener on loopback that accepts and never answers (an SSH server stuck
before its banner): it counts the connections open at once.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from umcheck.inventory.connection import ConnectionSettings
from umcheck.transports import shared as shared_module
from umcheck.transports.base import ExecTimeout
from umcheck.transports.neterrors import Unreachable
from umcheck.transports.shared import Shared
from umcheck.transports.ssh import SSHTransport


async def _scene(gate: int, hosts: int, connect_timeout: float, deadline_s: float) -> tuple[int, int, list]:
    open_now = peak = accepted = 0
    closed = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal open_now, peak, accepted
        open_now += 1
        accepted += 1
        peak = max(peak, open_now)
        try:
            await reader.read()  # until the client gives up on us
        finally:
            open_now -= 1
            writer.close()
            closed.set()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    shared = Shared(default_known_hosts="/nonexistent/known_hosts", ssh_agent=False)
    assert shared.ssh_handshakes._value == gate
    transports = [SSHTransport(ConnectionSettings(name=f"h{i}", host="127.0.0.1", port=port, connection="ssh",
                                                  user="u", connect_timeout=connect_timeout), shared)
                  for i in range(hosts)]  # fmt: skip
    for t in transports:
        await t.open()
    deadline = time.monotonic() + deadline_s
    outcomes = await asyncio.gather(*(t._connect(deadline) for t in transports), return_exceptions=True)
    server.close()
    await server.wait_closed()
    return peak, accepted, outcomes


@pytest.mark.parametrize("gate", [2, 3])
def test_no_more_handshakes_than_the_gate_and_each_gets_its_full_connect_timeout(monkeypatch, gate):
    monkeypatch.setattr(shared_module, "SSH_HANDSHAKES", gate)
    peak, accepted, outcomes = asyncio.run(_scene(gate, hosts=7, connect_timeout=0.3, deadline_s=60))
    assert accepted == 7 and peak <= gate
    assert all(isinstance(o, Unreachable) for o in outcomes), outcomes
    assert all("timed out after 0.3s" in str(o) for o in outcomes)  # not shortened by the wait


def test_the_host_deadline_bounds_the_wait_for_a_turn(monkeypatch):
    monkeypatch.setattr(shared_module, "SSH_HANDSHAKES", 1)
    peak, accepted, outcomes = asyncio.run(_scene(1, hosts=4, connect_timeout=1.0, deadline_s=1.5))
    assert peak == 1 and accepted < 4  # the last hosts never got a turn before their deadline
    kinds = [type(o) for o in outcomes]
    assert kinds[0] is Unreachable and ExecTimeout in kinds  # a timeout of the host, not "unreachable"
