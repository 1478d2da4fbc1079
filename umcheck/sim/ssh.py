"""SSH endpoint of one simulated Linux host (asyncssh server): password and key auth, exec, stdin.

Commands that read their program from stdin (``python3 -``, ``sh -s``, ``bash -s``, ``cat``) get
stdin read to EOF before the answer is decided; the collector's SSH invocation is
``python3 - --params <blob>`` with the collector script on stdin.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import re
from typing import Any

import asyncssh

from umcheck.sim.behaviour import play, reply_for
from umcheck.sim.hosts import HostSpec
from umcheck.sim.stats import Counter

_READS_STDIN = re.compile(r"(?:^|[\s/;&|])(?:python3?|sh|bash)\s+-(?:s)?(?:\s|$)|^\s*cat\s*$")
STDIN_LIMIT = 16 * 1024 * 1024


class _Server(asyncssh.SSHServer):
    def __init__(self, host: SshHost):
        self._host = host

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._host.count("ssh_connections")
        self._host.connections.add(conn)
        self._conn = conn

    def connection_lost(self, exc: Exception | None) -> None:
        self._host.connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        ok = self._host.accepts(username) and hmac.compare_digest(
            password.encode(), self._host.spec.credentials.password.encode()
        )
        if not ok:
            self._host.count("auth_rejected")
        return ok

    def public_key_auth_supported(self) -> bool:
        return self._host.client_key is not None

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        want = self._host.client_key
        return bool(want is not None and self._host.accepts(username)
                    and key.public_data == want.public_data)  # fmt: skip


class SshHost:
    def __init__(self, spec: HostSpec, address: str, count: Counter, host_key: asyncssh.SSHKey,
                 client_key: asyncssh.SSHKey | None):  # fmt: skip
        self.spec = spec
        self.address = address
        self.count = count
        self.host_key = host_key
        self.client_key = client_key
        self.port = 0
        self.connections: set[asyncssh.SSHServerConnection] = set()

    def close(self) -> None:
        for conn in list(self.connections):
            conn.abort()
        self.connections.clear()

    def accepts(self, username: str) -> bool:
        return not self.spec.has("auth_failure") and username == self.spec.credentials.user

    async def listen(self, port: int) -> Any:
        """Start the listener; returns an object with ``close()`` and ``wait_closed()``."""
        if self.spec.has("black_hole"):
            return await asyncio.start_server(self._black_hole, self.address, port)
        return await asyncssh.create_server(
            lambda: _Server(self),
            self.address,
            port,
            server_host_keys=[self.host_key],
            process_factory=self._process,
            encoding=None,
            allow_scp=False,
            sftp_factory=None,
            login_timeout=30,
        )

    async def _black_hole(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.count("ssh_connections")
        with contextlib.suppress(ConnectionError, OSError):
            while await reader.read(65536):
                pass
        writer.close()

    async def _process(self, process: asyncssh.SSHServerProcess) -> None:
        self.count("ssh_execs")
        command = process.command or ""
        stdin = b""
        if _READS_STDIN.search(command):
            with contextlib.suppress(asyncssh.Error, ConnectionError):
                stdin = await process.stdin.read(STDIN_LIMIT)
        reply = reply_for(self.spec, command, stdin or None)
        if reply.collector:
            self.count("collector_runs")

        async def write(stream: str, data: bytes) -> None:
            out = process.stderr if stream == "stderr" else process.stdout
            out.write(data)
            await out.drain()

        def finish(rc: int) -> None:
            process.exit(rc)

        task = asyncio.get_running_loop().create_task(play(self.spec, reply, write, finish))
        closed = asyncio.get_running_loop().create_task(process.wait_closed())
        try:
            await asyncio.wait({task, closed}, return_when=asyncio.FIRST_COMPLETED)
        except (asyncssh.Error, ConnectionError):
            pass
        finally:
            for t in (task, closed):
                t.cancel()
            with contextlib.suppress(BaseException):
                await task
