"""Transports: run one collector invocation on one host (see ``base.py`` for the contract).

``make_transport`` picks the module by ``settings.connection``; each module maps its library's
exceptions onto ``umcheck.errors`` in its own ``map_error``. ``docs/transports.md`` describes
auth options, certificate/host-key validation and what each error class means for the admin.
"""

from __future__ import annotations

from umcheck.errors import UsageError
from umcheck.inventory.connection import ConnectionSettings
from umcheck.transports.base import ExecResult, Timings, Transport, TransportBase
from umcheck.transports.shared import Shared


def make_transport(settings: ConnectionSettings, shared: Shared) -> Transport:
    """A new, unopened transport for one host (imports the client library it needs lazily)."""
    kind = settings.connection
    if kind == "winrm":
        from umcheck.transports.winrm import WinRMTransport

        return WinRMTransport(settings, shared)
    if kind == "psrp":
        from umcheck.transports.psrp import PSRPTransport

        return PSRPTransport(settings, shared)
    if kind == "ssh":
        from umcheck.transports.ssh import SSHTransport

        return SSHTransport(settings, shared)
    if kind == "local":
        from umcheck.transports.local import LocalTransport

        return LocalTransport(settings, shared)
    if kind == "fake":  # benches and tests: the simulator answers in this process
        from umcheck.transports.simulated import SimulatedTransport

        return SimulatedTransport(settings)
    raise UsageError(f"{settings.name}: unsupported connection '{kind}' (use winrm, psrp, ssh or local)")


__all__ = ["ExecResult", "Shared", "Timings", "Transport", "TransportBase", "make_transport"]
