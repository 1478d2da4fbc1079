"""Server-side HTTP authentication for the WS-Man listeners: Basic, and NTLM/Negotiate via pyspnego.

NTLM authenticates the TCP connection, not the request, so one ``ConnectionAuth`` lives per
connection. pyspnego's acceptor reads the user's hash from the file named by the process-wide
``NTLM_USER_FILE`` at construction and at the AUTHENTICATE step; both are synchronous calls on
the event loop thread, so the variable is pointed at the host's own file only around them (under a
lock, in case a second fleet runs in another thread). The files hold NT hashes (smbpasswd format),
never plaintext passwords, in a private directory removed when the fleet stops.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import spnego
from spnego.channel_bindings import GssChannelBindings

from umcheck.sim.http import Request, Response

_ENV_LOCK = threading.Lock()


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str = field(repr=False)


def _nt_hash(password: str) -> bytes:
    # pyspnego ships a pure-Python MD4 (OpenSSL 3 may lack it); one adapter keeps the private import here.
    from spnego._ntlm_raw.crypto import ntowfv1

    return ntowfv1(password)


class NtlmUserFiles:
    """One smbpasswd-style credential file per distinct (user, password) pair, for the acceptor."""

    def __init__(self, directory: Path):
        self._dir = directory
        self._paths: dict[tuple[str, str], str] = {}

    def path_for(self, creds: Credentials) -> str:
        key = (creds.user, creds.password)
        path = self._paths.get(key)
        if path is None:
            nt = binascii.hexlify(_nt_hash(creds.password)).decode().upper()
            user = creds.user.split("\\")[-1]
            path = str(self._dir / f"ntlm-{len(self._paths):04d}.txt")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(f"{user}:0:{'0' * 32}:{nt}:[U]:LCT-00000000\n")
            self._paths[key] = path
        return path


@contextlib.contextmanager
def _user_file(path: str) -> Iterator[None]:
    with _ENV_LOCK:
        old = os.environ.get("NTLM_USER_FILE")
        os.environ["NTLM_USER_FILE"] = path
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("NTLM_USER_FILE", None)
            else:
                os.environ["NTLM_USER_FILE"] = old


@dataclass(frozen=True)
class AuthPolicy:
    """What one host accepts. ``accepted`` may differ from what the inventory says (auth-failure fault)."""

    accepted: Credentials
    basic: bool = True
    negotiate: bool = True
    cbt_strict: bool = False  # Windows CbtHardeningLevel=Strict: require channel binding on HTTPS


def _challenge(policy: AuthPolicy) -> Response:
    headers = []
    if policy.negotiate:
        headers.append(("WWW-Authenticate", "Negotiate"))
    if policy.basic:
        headers.append(('WWW-Authenticate', 'Basic realm="WSMAN"'))
    return Response(401, headers=headers)


def _is_initial(token: bytes) -> bool:
    return token.startswith(b"NTLMSSP\x00\x01\x00\x00\x00") or token[:1] == b"\x60"


class ConnectionAuth:
    """Authentication state of one TCP connection."""

    def __init__(self, policy: AuthPolicy, files: NtlmUserFiles, cert_hash: bytes | None = None):
        self.policy = policy
        self._files = files
        self._cert_hash = cert_hash
        self._ctx: Any = None
        self.user: str | None = None
        self.scheme: str | None = None
        self.rejected = False  # the last check refused credentials that were offered

    @property
    def security_context(self) -> Any:
        """The completed NTLM/SPNEGO context (for message encryption), or None."""
        return self._ctx if self.scheme == "negotiate" else None

    def check(self, req: Request) -> tuple[Response | None, list[tuple[str, str]]]:
        """(401 response to send, or None when authenticated; extra headers for the final response)."""
        authz = req.header("authorization")
        self.rejected = False
        if not authz:
            if self.scheme == "negotiate":
                return None, []
            return _challenge(self.policy), []
        scheme, _, token = authz.partition(" ")
        kind = scheme.lower()
        if kind == "basic" and self.policy.basic:
            return self._basic(token.strip()), []
        if kind in ("negotiate", "ntlm") and self.policy.negotiate:
            return self._negotiate(scheme, token.strip())
        return _challenge(self.policy), []

    def _basic(self, token: str) -> Response | None:
        try:
            user, _, password = base64.b64decode(token, validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return _challenge(self.policy)
        want = self.policy.accepted
        user_ok = user.split("\\")[-1].casefold() == want.user.split("\\")[-1].casefold()
        if user_ok and hmac.compare_digest(password.encode(), want.password.encode()):
            if self.scheme != "negotiate":
                self.scheme, self.user = "basic", user
            return None
        self.rejected = True
        return _challenge(self.policy)

    def _negotiate(self, scheme: str, token: str) -> tuple[Response | None, list[tuple[str, str]]]:
        try:
            raw = base64.b64decode(token, validate=True)
        except ValueError:
            return _challenge(self.policy), []
        path = self._files.path_for(self.policy.accepted)
        try:
            with _user_file(path):
                if self._ctx is None or _is_initial(raw):
                    self.scheme, self.user = None, None
                    bindings = None
                    if self.policy.cbt_strict and self._cert_hash is not None:
                        bindings = GssChannelBindings(application_data=b"tls-server-end-point:" + self._cert_hash)
                    self._ctx = spnego.server(protocol="negotiate", service="WSMAN", channel_bindings=bindings)
                out = self._ctx.step(raw)
        except Exception:  # bad password, bad MIC, missing channel binding, garbage token: a real 401
            self._ctx, self.scheme, self.user = None, None, None
            self.rejected = True
            return _challenge(self.policy), []
        header = [("WWW-Authenticate", f"{scheme} {base64.b64encode(out).decode()}")] if out else []
        if not self._ctx.complete:
            return Response(401, headers=header), []
        self.scheme, self.user = "negotiate", str(self._ctx.client_principal or "")
        return None, header
