"""Helpers to point the WinRM/PSRP/SSH transports at a fleet simulator host."""

from __future__ import annotations

import itertools
import os
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from umcheck.inventory.connection import ConnectionSettings
from umcheck.sim import Fleet, HostSpec, Ports

_BLOCKS = itertools.count(1)


def first_address() -> str:
    """A loopback /24 of our own (the simulator's own tests use 127.100-249.x.x)."""
    return f"127.{40 + os.getpid() % 50}.{next(_BLOCKS) % 250 + 1}.2"


@asynccontextmanager
async def fleet_of(*specs: HostSpec):
    async with Fleet(list(specs), first_address=first_address(), ports=Ports.ephemeral()) as fleet:
        yield fleet


def settings_for(fleet: Fleet, name: str, **overrides: Any) -> ConnectionSettings:
    """ConnectionSettings as the inventory would resolve them for simulator host ``name``."""
    h = fleet.host(name)
    auth = h.spec.client_auth
    https = h.spec.https
    common: dict[str, Any] = dict(name=h.name, host=h.address, port=h.port, user=h.credentials.user,
                                  password=h.credentials.password, os=h.os)
    if h.os == "linux":
        s = ConnectionSettings(connection="ssh", connect_timeout=5.0, **common)
    elif h.transport.startswith("winrm"):
        transport = "ssl" if (auth == "basic" and https) else auth
        s = ConnectionSettings(connection="winrm", scheme="https" if https else "http", winrm_transport=(transport,),
                               ca_trust_path=str(fleet.ca_file) if https else None, read_timeout=8.0,
                               operation_timeout=3.0, **common)
    else:
        s = ConnectionSettings(connection="psrp", scheme="https" if https else "http", psrp_auth=auth,
                               ca_trust_path=str(fleet.ca_file) if https else None,
                               message_encryption="never" if (auth == "basic" and not https) else "auto",
                               read_timeout=8.0, operation_timeout=3.0, connect_timeout=5.0, **common)
    return replace(s, **overrides)
