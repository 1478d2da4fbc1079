"""WinRM/WinRS transport on pywinrm 0.5.0's ``Protocol``: shell, command, stdin, our receive loop.

Why not ``Session.run_cmd``: it has no stdin, re-polls forever on operation timeouts
(diyan/pywinrm#274) and opens a new connection plus NTLM handshake per command. Here each host
gets one ``Protocol`` (one requests session, one NTLM context, not shared between threads), every
Receive asks the host to answer within the time left before the deadline, and output is read
only up to the cap. HTTPS goes through the run's shared ``SSLContext`` (see ``tls.py``).

Connection cost is counted in ``Timings.connect_ms`` (shell creation includes authentication and
the encryption set-up POST); ``open()`` itself does no network I/O.
"""

from __future__ import annotations

import ssl
import time
from typing import Any, ClassVar

import requests
import winrm.exceptions as wexc
import winrm.transport
from winrm.protocol import Protocol

from umcheck.collectors.invocation import Invocation
from umcheck.errors import AuthFailed, ExecTimeout, HostError, ProtocolError
from umcheck.inventory.connection import ConnectionSettings
from umcheck.transports import kerberos, tls
from umcheck.transports.base import ExecResult, Timings, TransportBase
from umcheck.transports.blocking import BlockingClient
from umcheck.transports.capture import CappedBuffer
from umcheck.transports.neterrors import http_error, one_line, wrap
from umcheck.transports.shared import Shared

STDIN_CHUNK = 96 * 1024  # raw bytes per Send; base64 keeps it under the 153,600-byte envelope
CODEPAGE_UTF8 = 65001
MIN_OPERATION_TIMEOUT = 1


def map_error(exc: BaseException, *, answered: bool = True, secrets: tuple[str | None, ...] = ()) -> HostError:
    """pywinrm / requests / XML exception -> umcheck error (one line, no secret, ``__cause__`` kept).

    A read timeout means "the host stopped answering": before any answer at all it is
    ``Unreachable`` (something accepts TCP but no WinRM service speaks, e.g. a black hole), later
    it is ``ExecTimeout``.
    """
    if isinstance(exc, HostError):
        error: HostError = exc
    elif isinstance(exc, wexc.InvalidCredentialsError):
        error = AuthFailed(f"credentials rejected by the host ({exc})")
    elif isinstance(exc, wexc.AuthenticationError):
        error = AuthFailed(f"authentication failed: {exc}")
    elif isinstance(exc, wexc.WinRMTransportError):
        if exc.code == 401:
            error = AuthFailed("credentials rejected by the host (HTTP 401)")
        elif exc.code == 400:
            error = ProtocolError("HTTP 400 from the WinRM service (request rejected or message encryption out of step)")
        else:
            error = ProtocolError(f"HTTP {exc.code} from the WinRM service")
    elif isinstance(exc, wexc.WinRMOperationTimeoutError):
        error = ExecTimeout("the WinRM service reported an operation timeout")
    elif isinstance(exc, wexc.WSManFaultError):
        code = exc.wsman_fault_code or exc.wmierror_code or exc.fault_subcode or exc.code
        error = ProtocolError(f"WS-Man fault {code}: {exc.reason}")
    elif isinstance(exc, wexc.WinRMError):
        text = str(exc)
        error = AuthFailed(text) if "requires a" in text or "auth" in text.lower() else ProtocolError(text)
    else:
        error = http_error(exc, answered=answered) or ProtocolError(f"{exc.__class__.__name__}: {exc}")
    return wrap(error, exc, secrets)


def _auth_available(name: str) -> bool:
    if name == "kerberos":
        return winrm.transport.HAVE_KERBEROS
    if name == "credssp":
        return winrm.transport.HAVE_CREDSSP
    return True


def choose_auth(settings: ConnectionSettings) -> str:
    """The first of the host's ``ansible_winrm_transport`` list this controller can do."""
    wanted = settings.winrm_transport or (("ssl",) if settings.scheme == "https" else ("plaintext",))
    for name in wanted:
        if _auth_available(name):
            return name
    need = {"kerberos": "pykerberos (pywinrm[kerberos])", "credssp": "requests-credssp (pywinrm[credssp])"}
    missing = ", ".join(f"{n} needs {need[n]}" for n in wanted if n in need)
    raise AuthFailed(f"no usable WinRM auth method on this controller: {missing}")


class _SharedTlsTransport(winrm.transport.Transport):
    """pywinrm's HTTP transport with the run's shared SSLContext mounted before the first request."""

    ssl_context: ssl.SSLContext | None = None

    def build_session(self) -> requests.Session:
        fresh = self.session is None
        session = super().build_session()  # may already have sent the encryption set-up POST
        if fresh:
            self._mount(session)
        return session

    def setup_encryption(self, session: requests.Session) -> None:
        self._mount(session)
        super().setup_encryption(session)

    def _mount(self, session: requests.Session) -> None:
        if self.ssl_context is not None and not isinstance(session.get_adapter("https://"), tls.SharedContextAdapter):
            tls.mount(session, self.ssl_context)


class WinRMTransport(BlockingClient, TransportBase):
    name: ClassVar[str] = "winrm"
    supports_stdin: ClassVar[bool] = True

    def __init__(self, settings: ConnectionSettings, shared: Shared):
        self.settings = settings
        self._shared = shared
        self._proto: Protocol | None = None
        self._shell_id: str | None = None
        self._init_blocking()

    # -- plumbing -------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        s = self.settings
        scheme = s.scheme or ("http" if s.port == 5985 else "https")
        port = s.port or (5985 if scheme == "http" else 5986)
        host = f"[{s.host}]" if ":" in s.host else s.host
        path = s.path or "/wsman"
        return f"{scheme}://{host}:{port}/{path.lstrip('/')}"

    def map_exception(self, exc: BaseException) -> HostError:
        return kerberos.map_host_error(exc, self.settings, self.answered, map_error)

    def _build(self) -> Protocol:
        s = self.settings
        auth = choose_auth(s)
        https = self.endpoint.startswith("https")
        cert = (s.cert_pem, s.cert_key_pem)
        op = max(MIN_OPERATION_TIMEOUT, int(s.operation_timeout or Protocol.DEFAULT_OPERATION_TIMEOUT_SEC))
        read = max(op + 1, int(s.read_timeout or Protocol.DEFAULT_READ_TIMEOUT_SEC))
        kwargs: dict[str, Any] = dict(
            endpoint=self.endpoint, username=s.user, password=s.password,
            ca_trust_path=None, cert_pem=cert[0], cert_key_pem=cert[1],
            server_cert_validation="validate" if s.cert_validation else "ignore",
            message_encryption=s.message_encryption or "auto", proxy=None,
        )
        if auth == "kerberos":  # pykerberos reads KRB5CCNAME; managed mode kinits into a private cache
            kwargs["username"] = kerberos.ensure_ticket(s.user, s.password, s.kinit_mode)
            kwargs.update(kerberos_hostname_override=s.kerberos_hostname_override,
                          kerberos_delegation=s.kerberos_delegation)
        proto = Protocol(transport=auth, read_timeout_sec=read, operation_timeout_sec=op, **kwargs)
        transport = _SharedTlsTransport(auth_method=auth, read_timeout_sec=read, service="HTTP", **kwargs)
        if https:
            client_cert = (cert[0], cert[1]) if cert[0] and cert[1] else None
            transport.ssl_context = self._shared.ssl_context(s.cert_validation, s.ca_trust_path, client_cert)
        proto.transport = transport
        return proto

    def _timeouts(self, deadline: float, *, receive: bool) -> int:
        """Set this request's socket timeouts from the time left; returns the operation timeout."""
        assert self._proto is not None
        left = max(1.0, deadline - time.monotonic())
        s = self.settings
        op = max(MIN_OPERATION_TIMEOUT, min(int(s.operation_timeout or 20), int(left)))
        slack = max(1.0, (s.read_timeout or 30.0) - (s.operation_timeout or 20.0))
        read = (op + min(slack, 10.0)) if receive else min(s.read_timeout or 30.0, left + 1.0)
        connect = min(s.connect_timeout or s.read_timeout or 30.0, left)
        self._proto.operation_timeout_sec = op
        self._proto.transport.read_timeout_sec = (connect, read)  # type: ignore[assignment]  # requests accepts a pair
        return op

    # -- blocking steps (run in the pool, under the host lock) ----------------------------
    def _open_shell(self, deadline: float) -> str:
        assert self._proto is not None
        self._timeouts(deadline, receive=False)
        return self._proto.open_shell(codepage=CODEPAGE_UTF8, noprofile=True)

    def _start(self, command: str, stdin: bytes | None, deadline: float) -> str:
        assert self._proto is not None and self._shell_id is not None
        self._timeouts(deadline, receive=False)
        command_id = self._proto.run_command(self._shell_id, command, console_mode_stdin=stdin is None)
        if stdin is not None:
            chunks = [stdin[i : i + STDIN_CHUNK] for i in range(0, len(stdin), STDIN_CHUNK)] or [b""]
            for i, chunk in enumerate(chunks):
                self._timeouts(deadline, receive=False)
                self._proto.send_command_input(self._shell_id, command_id, chunk, end=i == len(chunks) - 1)
        return command_id

    def _receive(self, command_id: str, deadline: float) -> tuple[bytes, bytes, int, bool]:
        assert self._proto is not None and self._shell_id is not None
        self._timeouts(deadline, receive=True)
        try:
            return self._proto.get_command_output_raw(self._shell_id, command_id)
        except wexc.WinRMOperationTimeoutError:
            return b"", b"", -1, False  # nothing new yet; the caller re-polls while time is left

    def _cleanup(self, command_id: str | None) -> None:
        """Best effort: terminate the command and delete the shell (the host may be gone)."""
        proto, shell = self._proto, self._shell_id
        if proto is None:
            return
        proto.operation_timeout_sec = MIN_OPERATION_TIMEOUT * 5
        proto.transport.read_timeout_sec = (5, 10)  # type: ignore[assignment]
        if shell is not None and command_id is not None:
            try:
                proto.cleanup_command(shell, command_id)
            except Exception:  # noqa: BLE001 - best effort: the host may be gone
                pass
        self._shell_id = None
        try:
            if shell is not None:
                proto.close_shell(shell, close_session=True)
            else:
                proto.transport.close_session()
        except Exception:  # noqa: BLE001
            proto.transport.close_session()

    # -- Transport API ---------------------------------------------------------------------
    async def open(self) -> None:
        if self._proto is None:
            try:
                await kerberos.prepare(self.settings)  # kerberos.py: managed kinit in a thread
                self._proto = self._build()
            except Exception as exc:
                raise self.map_exception(exc) from exc

    def _exchange(self, invocation: Invocation, deadline: float, max_output: int) -> ExecResult:
        """The whole run in one pool call: shell, command, stdin, receive loop, clean-up.

        One hand-off between the event loop and the pool per host instead of one per request
        (under hundreds of busy threads each hand-off waits for the GIL). The loop checks the
        deadline between polls, so a call the caller stopped waiting for still ends by itself,
        and cleans up its shell on every path.
        """
        started = time.monotonic()
        self._shell_id = self._open_shell(deadline)
        connect_ms = int((time.monotonic() - started) * 1000)
        self.answered = True
        run_start = time.monotonic()
        out, err = CappedBuffer(max_output), CappedBuffer(max_output)
        command_id: str | None = None
        rc, done = -1, False
        try:
            command_id = self._start(invocation.command, invocation.stdin, deadline)
            while not done:
                if time.monotonic() >= deadline:
                    raise ExecTimeout("the host deadline passed before the command finished")
                o, e, code, done = self._receive(command_id, deadline)
                kept = out.add(o) & err.add(e)
                if done:
                    rc = code
                elif not kept:
                    break  # over the cap: stop reading, the command is terminated below
        except BaseException:
            self._cleanup(command_id)
            raise
        self._cleanup(command_id)
        return ExecResult(rc=rc, stdout=out.value(), stderr=err.value(),
                          timings=Timings(connect_ms, int((time.monotonic() - run_start) * 1000)),
                          truncated=out.truncated or err.truncated)

    async def run(self, invocation: Invocation, *, deadline: float, max_output: int) -> ExecResult:
        await self.open()
        return await self.call(self._exchange, invocation, deadline, max_output, deadline=deadline)

    async def close(self) -> None:
        # After a finished exchange there is nothing left on the host; after an abandoned one,
        # the pool thread still owns the client and cleans up by itself at its deadline.
        self._proto = None


__all__ = ["WinRMTransport", "choose_auth", "map_error", "one_line"]
