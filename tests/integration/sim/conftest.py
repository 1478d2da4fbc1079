"""Fixtures for simulator tests: a fleet on its own loopback /24 with ephemeral ports, and bounded clients.

Every client call runs in a thread with short client-side timeouts and an outer ``asyncio.wait_for``,
so a simulator bug fails a test instead of hanging the suite.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from umcheck.sim import Credentials, Fleet, HostSpec, Ports

T = TypeVar("T")
PASSWORD = "Sim-Passw0rd!"
USER = "simadmin"
CREDS = Credentials(USER, PASSWORD)
_BLOCKS = itertools.count(1)


def first_address() -> str:
    """A loopback /24 of our own per fleet (parallel test runs and a running `umcheck sim` do not collide)."""
    return f"127.{100 + os.getpid() % 150}.{next(_BLOCKS) % 250 + 1}.2"


def spec(name: str, transport: str = "winrm", **kw: Any) -> HostSpec:
    kw.setdefault("credentials", CREDS)
    return HostSpec(name, transport, **kw)


async def in_thread(fn: Callable[..., T], *args: Any, timeout: float = 60, **kw: Any) -> T:
    return await asyncio.wait_for(asyncio.to_thread(fn, *args, **kw), timeout)


@pytest.fixture
async def make_fleet():
    """``await make_fleet([specs])`` starts a fleet in the test's loop; it is stopped after the test."""
    fleets: list[Fleet] = []

    async def start(specs: list[HostSpec], **kw: Any) -> Fleet:
        fleet = Fleet(specs, first_address=first_address(), ports=Ports.ephemeral(), **kw)
        await fleet.start()
        fleets.append(fleet)
        return fleet

    yield start
    for f in fleets:
        await f.stop()


def winrm_session(host: Any, transport: str = "ntlm", *, https: bool = False, ca: str | None = None,
                  password: str = PASSWORD, op: int = 3, read: int = 8, **kw: Any):  # fmt: skip
    import winrm

    scheme, port = ("https", host.ports["winrm_https"]) if https else ("http", host.ports["winrm_http"])
    if https:
        kw.setdefault("server_cert_validation", "validate")
    kw.setdefault("ca_trust_path", ca)  # explicit: never the environment's bundle
    return winrm.Session(f"{scheme}://{host.address}:{port}/wsman", auth=(USER, password), transport=transport,
                         operation_timeout_sec=op, read_timeout_sec=read, **kw)  # fmt: skip


def psrp_client(host: Any, auth: str = "ntlm", *, https: bool = False, ca: str | None = None,
                password: str = PASSWORD, **kw: Any):  # fmt: skip
    from pypsrp.client import Client

    port = host.ports["winrm_https"] if https else host.ports["winrm_http"]
    return Client(host.address, port=port, username=USER, password=password, ssl=https, auth=auth,
                  cert_validation=ca if https else False, connection_timeout=5, read_timeout=10,
                  operation_timeout=4, **kw)  # fmt: skip
