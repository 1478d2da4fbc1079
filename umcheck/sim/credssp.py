"""CredSSP for the simulator's HTTPS listener (hosts with ``auth: credssp``), on pyspnego's acceptor.

WinRM's CredSSP runs over HTTP 401 legs: each request carries ``Authorization: CredSSP <token>``,
each intermediate answer is a 401 with ``WWW-Authenticate: CredSSP <token>``, and the request
whose token completes the exchange (the delegated TSCredentials) is served normally. Inside
the CredSSP tokens runs a second TLS session (the acceptor's own self-signed certificate, as
WinRM's CredSSP listener uses) and, inside that, NTLM via SPNEGO — checked against the host's
NT hash file exactly as plain NTLM is (``NTLM_USER_FILE``, see auth.py). A wrong password makes
pyspnego's acceptor answer with a TSRequest errorCode (STATUS_LOGON_FAILURE), which the client
raises; the delegated credentials are then also compared with the host's account.

pyspnego calls its acceptor "a proof of concept and for use with testing"; that is what it is
used for here. Only HTTPS is offered: CredSSP message encryption over HTTP is not simulated.
"""

from __future__ import annotations

import base64
import functools
import hmac
import shutil
import tempfile
from pathlib import Path
from typing import Any

import spnego
import spnego.tls
from spnego.exceptions import SpnegoError

from umcheck.sim.auth import AuthPolicy, ConnectionAuth, NtlmUserFiles, _challenge, _user_file
from umcheck.sim.http import Request, Response

_BARE = {"negotiate", "ntlm", 'basic realm="wsman"', "credssp"}


@functools.cache
def _tls_context() -> spnego.tls.CredSSPTLSContext:
    """One acceptor TLS context per process (generating its RSA key is the slow part)."""
    ctx = spnego.tls.default_tls_context(usage="accept")
    cert_pem, key_pem, public_key = spnego.tls.generate_tls_certificate()
    tmp = Path(tempfile.mkdtemp(prefix="umcheck-credssp-"))
    try:
        (tmp / "cert.pem").write_bytes(cert_pem + key_pem)
        ctx.context.load_cert_chain(str(tmp / "cert.pem"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ctx.public_key = public_key
    return ctx


class _Recording:
    """The inner SPNEGO acceptor, remembering whether a step refused the client (wrong password)."""

    def __init__(self, inner: Any):
        self._inner = inner
        self.failed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def step(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._inner.step(*args, **kwargs)
        except SpnegoError:
            self.failed = True
            raise


def _is_client_hello(raw: bytes) -> bool:
    return len(raw) > 5 and raw[0] == 0x16 and raw[5] == 0x01


class CredSspAuth(ConnectionAuth):
    """ConnectionAuth that also accepts CredSSP (and offers it in every bare 401 challenge)."""

    def __init__(self, policy: AuthPolicy, files: NtlmUserFiles, cert_hash: bytes | None = None):
        super().__init__(policy, files, cert_hash)
        self._credssp: Any = None
        self._inner: _Recording | None = None

    def check(self, req: Request) -> tuple[Response | None, list[tuple[str, str]]]:
        authz = req.header("authorization")
        scheme, _, token = authz.partition(" ")
        if scheme.lower() == "credssp":
            self.rejected = False
            return self._step(token.strip()), []
        if not authz and self.scheme == "credssp":
            return None, []
        resp, extra = super().check(req)
        if resp is not None and resp.status == 401:
            values = [v.lower() for k, v in resp.headers if k.lower() == "www-authenticate"]
            if all(v in _BARE for v in values):
                resp.headers.append(("WWW-Authenticate", "CredSSP"))
        return resp, extra

    def _challenge(self) -> Response:
        resp = _challenge(self.policy)
        resp.headers.append(("WWW-Authenticate", "CredSSP"))
        return resp

    def _step(self, token: str) -> Response | None:
        try:
            raw = base64.b64decode(token, validate=True)
        except ValueError:
            return self._challenge()
        path = self._files.path_for(self.policy.accepted)
        try:
            with _user_file(path):
                if self._credssp is None or _is_client_hello(raw):
                    self.scheme, self.user = None, None
                    self._inner = _Recording(spnego.server(protocol="negotiate", service="WSMAN"))
                    self._credssp = spnego.server(protocol="credssp", credssp_tls_context=_tls_context(),
                                                  credssp_negotiate_context=self._inner)  # fmt: skip
                out = self._credssp.step(raw)
        except Exception:  # garbage, a bad public-key binding, a TLS error inside CredSSP
            return self._reject()
        assert self._inner is not None
        if self._inner.failed:  # out is the TSRequest errorCode the client raises
            self._credssp = self._inner = None
            self.rejected = True
            return Response(401, headers=[("WWW-Authenticate", f"CredSSP {base64.b64encode(out or b'').decode()}")])
        if not self._credssp.complete:
            return Response(401, headers=[("WWW-Authenticate", f"CredSSP {base64.b64encode(out or b'').decode()}")])
        delegated = self._credssp.get_extra_info("client_credential")
        want = self.policy.accepted
        user = str(getattr(delegated, "username", "") or "")
        password = str(getattr(delegated, "password", "") or "")
        if user.casefold() != want.user.split("\\")[-1].casefold() or \
                not hmac.compare_digest(password.encode(), want.password.encode()):  # fmt: skip
            return self._reject()
        domain = str(getattr(delegated, "domain_name", "") or "")
        self.scheme, self.user = "credssp", f"{domain}\\{user}" if domain else user
        self._credssp = self._inner = None
        return None

    def _reject(self) -> Response:
        self._credssp = self._inner = None
        self.scheme, self.user = None, None
        self.rejected = True
        return self._challenge()
