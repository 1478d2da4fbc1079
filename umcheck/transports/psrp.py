"""PSRP transport on pypsrp 0.9.1: ``WSMan`` + ``RunspacePool`` + ``PowerShell.add_script``.

The collector script travels as the pipeline's script text (no stdin, no command-line limit).
Output objects are joined with newlines as stdout, error records become stderr, and rc is 1 when
the pipeline failed (``had_errors``), else 0. Like the WinRM transport we drive the receive loop
ourselves (``poll_invoke`` with an operation timeout no longer than the time left) and turn off
pypsrp's five silent Receive retries after read timeouts, because retries are the runner's job
and they would hold a pool thread far past the host deadline.
"""

from __future__ import annotations

import importlib.util
import time
import xml.etree.ElementTree as ET
from typing import Any, ClassVar

from pypsrp import exceptions as pexc
from pypsrp.complex_objects import PSInvocationState
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import NAMESPACES, WSMan, WSManAction

from umcheck.collectors.invocation import Invocation
from umcheck.errors import (
    AuthFailed,
    CollectorError,
    ExecTimeout,
    HostError,
    ProtocolError,
)
from umcheck.inventory.connection import ConnectionSettings
from umcheck.transports import kerberos, tls
from umcheck.transports.base import ExecResult, Timings, TransportBase
from umcheck.transports.blocking import BlockingClient
from umcheck.transports.capture import CappedBuffer
from umcheck.transports.neterrors import http_error, wrap
from umcheck.transports.shared import Shared

OPERATION_TIMEOUT_FAULT = 2150858793


def map_error(exc: BaseException, *, answered: bool = True, secrets: tuple[str | None, ...] = ()) -> HostError:
    """pypsrp / requests / XML exception -> umcheck error (one line, no secret, ``__cause__`` kept).

    Read timeouts follow the WinRM rule: ``Unreachable`` before the host ever answered, else
    ``ExecTimeout``.
    """
    if isinstance(exc, HostError):
        error: HostError = exc
    elif isinstance(exc, pexc.AuthenticationError):
        error = AuthFailed("credentials rejected by the host (HTTP 401)")
    elif isinstance(exc, pexc.WSManFaultError):
        if exc.code == OPERATION_TIMEOUT_FAULT:
            error = ExecTimeout("the WinRM service reported an operation timeout")
        else:
            code = f" {exc.code}" if exc.code else ""
            error = ProtocolError(f"WS-Man fault{code}: {exc.reason or exc.message}")
    elif isinstance(exc, pexc.WinRMTransportError):
        error = (AuthFailed("credentials rejected by the host (HTTP 401)") if exc.code == 401
                 else ProtocolError(f"HTTP {exc.code} from the WinRM service"))
    elif isinstance(exc, pexc.WinRMError):  # related-id mismatch, broken pool, fragment errors
        error = ProtocolError(f"PSRP error: {exc}")
    else:
        error = http_error(exc, answered=answered) or ProtocolError(f"{exc.__class__.__name__}: {exc}")
    return wrap(error, exc, secrets)


class _DeadlineWSMan(WSMan):
    """WSMan whose Receive is not retried on read timeouts (umcheck owns retries and deadlines)."""

    def receive(self, resource_uri: str, resource: ET.Element, option_set: Any = None,
                selector_set: Any = None, timeout: int | None = None) -> ET.Element:
        res = self.invoke(WSManAction.RECEIVE, resource_uri, resource, option_set, selector_set, timeout,
                          retries_on_read_timeout=0)
        return res.find("s:Body", namespaces=NAMESPACES)  # type: ignore[return-value]


def check_auth(settings: ConnectionSettings) -> str:
    """The PSRP auth to use, or AuthFailed naming the missing controller package."""
    auth = settings.psrp_auth or "negotiate"
    if auth == "kerberos" and not (importlib.util.find_spec("gssapi") or importlib.util.find_spec("krb5")):
        raise AuthFailed("kerberos auth needs the python 'gssapi' or 'krb5' package on the controller")
    if auth == "credssp" and not importlib.util.find_spec("requests_credssp"):
        raise AuthFailed("credssp auth needs the 'requests-credssp' package on the controller")
    return auth


def _record_text(record: Any) -> str:
    for attr in ("_to_string", "message"):
        text = getattr(record, attr, None)
        if text:
            return str(text)
    exc = getattr(record, "exception", None)
    return str(getattr(exc, "message", None) or record)


class PSRPTransport(BlockingClient, TransportBase):
    name: ClassVar[str] = "psrp"
    supports_stdin: ClassVar[bool] = False  # the script is the pipeline itself

    def __init__(self, settings: ConnectionSettings, shared: Shared):
        self.settings = settings
        self._shared = shared
        self._wsman: WSMan | None = None
        self._pool: RunspacePool | None = None
        self._init_blocking()

    def map_exception(self, exc: BaseException) -> HostError:
        return kerberos.map_host_error(exc, self.settings, self.answered, map_error)

    def _build(self) -> WSMan:
        s = self.settings
        auth = check_auth(s)
        https = (s.scheme or ("http" if s.port == 5985 else "https")) == "https"
        cert = (s.cert_pem, s.cert_key_pem)
        op = max(1, int(s.operation_timeout or 20))
        kwargs: dict[str, Any] = {}
        if auth == "certificate":
            kwargs.update(certificate_pem=cert[0], certificate_key_pem=cert[1])
        user, password = s.user, s.password
        if auth in ("kerberos", "negotiate") and kerberos.wanted(s):  # kerberos.py: ticket from the cache
            user, password = kerberos.ensure_ticket(s.user, s.password, s.kinit_mode), None
            kwargs.update(negotiate_hostname_override=s.kerberos_hostname_override,
                          negotiate_delegate=s.kerberos_delegation or None)
        try:
            wsman = _DeadlineWSMan(
                s.host, port=s.port, username=user, password=password, ssl=https, path=s.path or "wsman",
                auth=auth, cert_validation=bool(s.cert_validation), encryption=s.message_encryption or "auto",
                no_proxy=True, operation_timeout=op, read_timeout=max(op + 1, int(s.read_timeout or 30)),
                connection_timeout=int(s.connect_timeout or 30), reconnection_retries=0, **kwargs,
            )
        except ValueError as exc:  # e.g. basic auth over http with message encryption
            raise AuthFailed(f"PSRP settings cannot work: {exc}") from exc
        if https:
            client_cert = (cert[0], cert[1]) if auth == "certificate" and cert[0] and cert[1] else None
            ctx = self._shared.ssl_context(bool(s.cert_validation), s.ca_trust_path, client_cert)
            # pypsrp builds its session lazily on the first send; build it now so the shared
            # context is in place before any connection exists (one private call, kept here).
            session = wsman.transport._build_session()
            tls.mount(session, ctx)
            wsman.transport.session = session
        return wsman

    def _timeouts(self, deadline: float) -> int:
        assert self._wsman is not None
        left = max(1.0, deadline - time.monotonic())
        op = max(1, min(int(self.settings.operation_timeout or 20), int(left)))
        transport = self._wsman.transport
        transport.read_timeout = min(self.settings.read_timeout or 30.0, left + 1.0)
        transport.connection_timeout = min(self.settings.connect_timeout or 30.0, left)
        return op

    # -- blocking steps ------------------------------------------------------------------
    def _open_pool(self, deadline: float) -> RunspacePool:
        assert self._wsman is not None
        op = self._timeouts(deadline)
        self._wsman.operation_timeout = op
        pool = RunspacePool(self._wsman, configuration_name=self.settings.psrp_configuration_name
                            or "Microsoft.PowerShell")
        pool.open()
        return pool

    def _begin(self, script: str, parameters: tuple[tuple[str, str], ...], deadline: float) -> PowerShell:
        assert self._pool is not None
        self._timeouts(deadline)
        ps = PowerShell(self._pool)
        ps.add_script(script)
        for name, value in parameters:
            ps.add_parameter(name, value)
        ps.begin_invoke()
        return ps

    def _poll(self, ps: PowerShell, deadline: float) -> int:
        op = self._timeouts(deadline)
        ps.poll_invoke(timeout=op)
        return ps.state

    def _cleanup(self, ps: PowerShell | None, close_pool: bool) -> None:
        if self._wsman is not None:
            self._wsman.transport.read_timeout = 10
            self._wsman.transport.connection_timeout = 5
        if ps is not None and ps.state == PSInvocationState.RUNNING:
            try:
                ps.stop()
            except Exception:  # noqa: BLE001 - best effort
                pass
        if close_pool:
            pool, self._pool = self._pool, None
            try:
                if pool is not None:
                    pool.close()
            except Exception:  # noqa: BLE001
                pass
            if self._wsman is not None:
                self._wsman.close()

    # -- Transport API -------------------------------------------------------------------
    async def open(self) -> None:
        if self._wsman is None:
            try:
                await kerberos.prepare(self.settings)  # kerberos.py: managed kinit in a thread
                self._wsman = self._build()
            except Exception as exc:
                raise self.map_exception(exc) from exc

    async def run(self, invocation: Invocation, *, deadline: float, max_output: int) -> ExecResult:
        if not invocation.script:
            raise CollectorError("PSRP needs a script invocation (collectors.invocation.windows_psrp)")
        await self.open()
        started = time.monotonic()
        connect_ms = 0
        if self._pool is None:
            try:
                self._pool = await self.call(self._open_pool, deadline, deadline=deadline)
            except HostError:
                self._wsman = None  # no runspace to clean up; a stuck call ends on its socket timeout
                raise
            connect_ms = int((time.monotonic() - started) * 1000)
        run_start = time.monotonic()
        ps: PowerShell | None = None
        out = CappedBuffer(max_output)
        seen = 0
        try:
            ps = await self.call(self._begin, invocation.script, invocation.parameters, deadline, deadline=deadline)
            state = ps.state
            while state == PSInvocationState.RUNNING:
                state = await self.call(self._poll, ps, deadline, deadline=deadline)
                if not self._drain(ps, out, seen):
                    break
                seen = len(ps.output)
        except HostError:
            self.background(self._cleanup, ps, True)
            raise
        if ps.state == PSInvocationState.RUNNING:  # over the cap
            await self.best_effort(self._cleanup, ps, True, grace=self.grace(deadline))
            rc = -1
        else:
            self._drain(ps, out, seen)
            rc = 1 if ps.had_errors else 0
        err = CappedBuffer(max_output)
        err.add("\n".join(_record_text(r) for r in ps.streams.error).encode("utf-8"))
        return ExecResult(rc=rc, stdout=out.value(), stderr=err.value(),
                          timings=Timings(connect_ms, int((time.monotonic() - run_start) * 1000)),
                          truncated=out.truncated or err.truncated)

    @staticmethod
    def _drain(ps: PowerShell, out: CappedBuffer, seen: int) -> bool:
        """Move new output objects into ``out`` (newline-joined text); False once over the cap."""
        for i, obj in enumerate(ps.output[seen:]):
            text = ("\n" if seen + i else "") + str(obj)
            if not out.add(text.encode("utf-8")):
                return False
        return True

    async def close(self) -> None:
        if not await self.settle() and self._wsman is not None:
            await self.best_effort(self._cleanup, None, True)
        self._wsman = None


__all__ = ["PSRPTransport", "check_auth", "map_error"]
