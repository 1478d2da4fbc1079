"""SSH transport on asyncssh: native asyncio, so no thread pool and real cancellation.

Host keys are checked by default against the host's known_hosts file (``Shared`` loads each
file once per run); a host that sets ``ansible_ssh_host_key_checking: false`` skips the check.
Linux hosts get ``python3 - --params <blob>`` with the collector on stdin; Windows hosts running
OpenSSH get the same PowerShell command line and stdin as over WinRM. Output is read from the
channel incrementally so the cap holds however much the host prints, and the deadline closes the
channel (which ends the remote process) instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

import asyncssh

from umcheck.collectors.invocation import Invocation
from umcheck.errors import AuthFailed, ExecTimeout, HostError, ProtocolError, TlsError, Unreachable
from umcheck.inventory.connection import ConnectionSettings
from umcheck.transports.base import ExecResult, Timings, TransportBase
from umcheck.transports.capture import CappedBuffer, all_of
from umcheck.transports.neterrors import socket_error, wrap
from umcheck.transports.shared import Shared, SshOptionsKey

READ_CHUNK = 64 * 1024
CLOSE_GRACE = 1.5


def map_error(exc: BaseException, *, secrets: tuple[str | None, ...] = ()) -> HostError:
    """asyncssh / socket exception -> umcheck error (one line, no secret, ``__cause__`` kept)."""
    if isinstance(exc, HostError):
        error: HostError = exc
    elif isinstance(exc, asyncssh.PermissionDenied):
        error = AuthFailed("SSH authentication failed (permission denied)")
    elif isinstance(exc, asyncssh.HostKeyNotVerifiable):
        error = TlsError("host key not trusted (not in known_hosts, or changed)")
    elif isinstance(exc, (asyncssh.KeyExchangeFailed, asyncssh.ProtocolNotSupported)):
        error = TlsError(f"SSH key exchange failed: {exc.reason}")
    elif isinstance(exc, asyncssh.ConnectionLost):
        error = ProtocolError(f"SSH connection lost: {exc.reason}")
    elif isinstance(exc, asyncssh.DisconnectError):
        error = ProtocolError(f"SSH disconnect: {exc.reason}")
    elif isinstance(exc, asyncssh.ChannelOpenError):
        error = ProtocolError(f"SSH channel refused: {exc.reason}")
    elif isinstance(exc, TimeoutError):
        error = Unreachable("SSH connect timed out")
    elif isinstance(exc, OSError):
        error = socket_error(exc) or Unreachable(f"cannot connect: {exc.strerror or exc.__class__.__name__}")
    else:
        error = ProtocolError(f"{exc.__class__.__name__}: {exc}")
    return wrap(error, exc, secrets)


def options_key(settings: ConnectionSettings, shared: Shared) -> SshOptionsKey:
    """Which shared options object a host uses: its known_hosts file (or none) and key file."""
    known: str | None = None
    if settings.ssh_host_key_checking:
        known = settings.known_hosts or shared.default_known_hosts
    keys = (settings.ssh_private_key_file,) if settings.ssh_private_key_file else ()
    return SshOptionsKey(known_hosts=known, client_keys=keys, agent=shared.ssh_agent)


class SSHTransport(TransportBase):
    name: ClassVar[str] = "ssh"
    supports_stdin: ClassVar[bool] = True

    def __init__(self, settings: ConnectionSettings, shared: Shared):
        self.settings = settings
        self._shared = shared
        self._conn: asyncssh.SSHClientConnection | None = None
        self._options: Any = None

    def _map(self, exc: BaseException) -> HostError:
        return map_error(exc, secrets=(self.settings.password,))

    async def open(self) -> None:
        if self._options is None:
            self._options = self._shared.ssh_options(options_key(self.settings, self._shared))

    async def _connect(self, deadline: float) -> asyncssh.SSHClientConnection:
        s = self.settings
        kwargs: dict[str, Any] = {"options": self._options}
        if s.user:
            kwargs["username"] = s.user
        if s.password is not None:
            kwargs["password"] = s.password
        async with self._shared.ssh_handshakes:  # shared.SSH_HANDSHAKES at once: see there why
            limit = min(s.connect_timeout or 10.0, self.remaining(deadline))
            try:
                return await asyncio.wait_for(asyncssh.connect(s.host, s.port or 22, **kwargs), limit)
            except TimeoutError as exc:
                raise Unreachable(f"SSH connect timed out after {limit:.1f}s") from exc
            except (OSError, asyncssh.Error) as exc:
                raise self._map(exc) from exc

    async def run(self, invocation: Invocation, *, deadline: float, max_output: int) -> ExecResult:
        await self.open()
        started = time.monotonic()
        connect_ms = 0
        if self._conn is None:
            self._conn = await self._connect(deadline)
            connect_ms = int((time.monotonic() - started) * 1000)
        run_start = time.monotonic()
        out, err = CappedBuffer(max_output), CappedBuffer(max_output)
        proc: asyncssh.SSHClientProcess | None = None
        try:
            proc = await asyncio.wait_for(self._conn.create_process(invocation.command, encoding=None),
                                          self.remaining(deadline))
            await asyncio.wait_for(all_of(self._feed(proc, invocation.stdin), self._pump(proc, proc.stdout, out),
                                          self._pump(proc, proc.stderr, err)), self.remaining(deadline))  # fmt: skip
            if out.truncated or err.truncated:
                rc = -1
            else:
                await asyncio.wait_for(proc.wait_closed(), self.remaining(deadline))
                rc = proc.exit_status if proc.exit_status is not None else -1
        except (TimeoutError, ExecTimeout) as exc:
            if proc is not None:
                proc.close()
            raise ExecTimeout("the host deadline passed before the command finished") from exc
        except (OSError, asyncssh.Error) as exc:
            raise self._map(exc) from exc
        return ExecResult(rc=rc, stdout=out.value(), stderr=err.value(),
                          timings=Timings(connect_ms, int((time.monotonic() - run_start) * 1000)),
                          truncated=out.truncated or err.truncated)

    @staticmethod
    async def _feed(proc: asyncssh.SSHClientProcess, data: bytes | None) -> None:
        try:
            if data:
                proc.stdin.write(data)
                await proc.stdin.drain()
            proc.stdin.write_eof()
        except (BrokenPipeError, ConnectionError, asyncssh.Error):
            pass  # the command exited without reading all of its input; its exit status tells

    @staticmethod
    async def _pump(proc: asyncssh.SSHClientProcess, stream: Any, buf: CappedBuffer) -> None:
        while True:
            try:
                data = await stream.read(READ_CHUNK)
            except (asyncssh.Error, BrokenPipeError, ConnectionError):
                return
            if not data:
                return
            if not buf.add(data):
                proc.close()  # over the cap: stop the command and the other reader
                return

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
            try:
                await asyncio.wait_for(conn.wait_closed(), CLOSE_GRACE)
            except (TimeoutError, OSError, asyncssh.Error):
                pass


__all__ = ["SSHTransport", "map_error", "options_key"]

