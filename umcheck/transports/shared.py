"""Expensive host-independent objects, built once per run and cached by their inputs.

A 1000-host scan needs one ``ssl.SSLContext`` per distinct trust setting (usually one or two),
and one asyncssh options object per distinct (known_hosts, keys, agent) combination, not one per
host: loading a CA bundle, a known_hosts file or a private key is file I/O plus parsing. Host
specific values (address, user, password) never enter these objects, so sharing them cannot leak
one host's credentials into another's connection.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from umcheck.errors import UsageError

# SSH key exchanges and logins in flight at once, per process. Each costs ≈ 5-10 ms of CPU; a
# thousand started together on a busy 2-core jump host shared the CPU until every one of them
# outlived its 15 s connect timeout, and healthy hosts were reported unreachable. Queued here,
# they complete one batch after another; the connect timeout starts when a host's turn comes
# (its host deadline keeps running while it waits). 256 keeps a 1 s-RTT WAN at ≈ 250
# handshakes per second, about what two cores can do anyway.
SSH_HANDSHAKES = 256


@dataclass(frozen=True)
class SshOptionsKey:
    """What an asyncssh options object is built from; ``known_hosts`` None = no host key check."""

    known_hosts: str | None
    client_keys: tuple[str, ...] = ()
    agent: bool = True


class Shared:
    """Per-run cache handed to every transport by ``make_transport``.

    ``default_known_hosts`` applies to SSH hosts that name no file of their own;
    ``ssh_agent`` lets key-less hosts use ``SSH_AUTH_SOCK``.
    """

    def __init__(self, *, default_known_hosts: str | None = None, ssh_agent: bool = True):
        self.default_known_hosts = default_known_hosts or str(Path("~/.ssh/known_hosts").expanduser())
        self.ssh_agent = ssh_agent
        self._lock = threading.Lock()
        self._contexts: dict[tuple[bool, str | None, tuple[str, str] | None], ssl.SSLContext] = {}
        self._ssh: dict[SshOptionsKey, Any] = {}
        self.ssh_handshakes = asyncio.Semaphore(SSH_HANDSHAKES)

    def ssl_context(self, verify: bool, ca_path: str | None = None,
                    client_cert: tuple[str, str] | None = None) -> ssl.SSLContext:
        """One context per (verify, CA path, client certificate); a bad CA file is a UsageError."""
        from umcheck.transports.tls import build_context  # imports requests: only scans that need TLS pay

        key = (verify, ca_path if verify else None, client_cert)
        with self._lock:
            ctx = self._contexts.get(key)
            if ctx is None:
                try:
                    ctx = build_context(verify, key[1], client_cert)
                except (OSError, ssl.SSLError) as exc:
                    what = f"CA trust path {ca_path}" if ca_path else "TLS client certificate"
                    raise UsageError(f"cannot load {what}: {exc.__class__.__name__}: {exc}"[:300]) from None
                self._contexts[key] = ctx
            return ctx

    def ssh_options(self, key: SshOptionsKey) -> Any:
        """An ``asyncssh.SSHClientConnectionOptions`` with known_hosts and keys already loaded."""
        import asyncssh

        with self._lock:
            opts = self._ssh.get(key)
            if opts is not None:
                return opts
            kwargs: dict[str, Any] = {"known_hosts": None}
            try:
                if key.known_hosts is not None:
                    path = Path(key.known_hosts).expanduser()
                    # A missing file means "trust nothing", exactly like an empty one.
                    kwargs["known_hosts"] = (asyncssh.read_known_hosts(str(path)) if path.is_file()
                                             else asyncssh.import_known_hosts(""))
                if key.client_keys:
                    kwargs["client_keys"] = asyncssh.load_keypairs([os.path.expanduser(k) for k in key.client_keys])
            except (OSError, ValueError, asyncssh.KeyImportError) as exc:
                raise UsageError(f"cannot load SSH known_hosts or key files: {exc.__class__.__name__}: {exc}"[:300]) \
                    from None
            if not key.agent:
                kwargs["agent_path"] = None
            opts = asyncssh.SSHClientConnectionOptions(**kwargs)
            self._ssh[key] = opts
            return opts

    def stats(self) -> dict[str, int]:
        """How many objects were built (what the tests and the bench check)."""
        with self._lock:
            return {"ssl_contexts": len(self._contexts), "ssh_options": len(self._ssh)}
