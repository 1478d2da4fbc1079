"""Server-side Kerberos for simulated hosts with ``auth: kerberos`` (pyspnego acceptor + keytab).

The host's ``keytab`` holds ``HTTP/<name>@REALM``. MIT krb5 resolves the acceptor keytab from
``KRB5_KTNAME`` when the context accepts, so - as with ``NTLM_USER_FILE`` in ``auth.py`` - the
variable points at the host's own keytab only around the synchronous pyspnego calls, under the
same lock. Tokens: raw Kerberos (pywinrm via pykerberos, pypsrp ``auth=kerberos``) is accepted
with protocol ``kerberos``; SPNEGO (pypsrp ``negotiate``) with protocol ``negotiate``; NTLM is
passed to the normal NTLM acceptor unless the host is Kerberos-only (``kerberos_only``), which
answers 401 as a Windows host with ``WinRM/Service/Auth/Negotiate`` restricted to Kerberos would.
"""

from __future__ import annotations

import base64
import contextlib
import os
from collections import Counter
from collections.abc import Iterator

import spnego

from umcheck.sim.auth import _ENV_LOCK, AuthPolicy, ConnectionAuth, NtlmUserFiles
from umcheck.sim.http import Response

KRB5_OID = bytes.fromhex("06092a864886f712010202")  # 1.2.840.113554.1.2.2
NTLM_OID = bytes.fromhex("060a2b0601040182370202")  # 1.3.6.1.4.1.311.2.2.10
# (keytab, event) -> count; events: "kerberos_ok", "kerberos_rejected", "ntlm_refused", "delegated" (tests)
EVENTS: Counter[tuple[str, str]] = Counter()


@contextlib.contextmanager
def _keytab(path: str) -> Iterator[None]:
    with _ENV_LOCK:
        old = os.environ.get("KRB5_KTNAME")
        os.environ["KRB5_KTNAME"] = f"FILE:{path}"
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("KRB5_KTNAME", None)
            else:
                os.environ["KRB5_KTNAME"] = old


def token_kind(raw: bytes) -> str:
    """'ntlm', 'kerberos' (raw GSS krb5), 'spnego-ntlm' (SPNEGO offering only NTLM), 'spnego' or 'other'."""
    if raw.startswith(b"NTLMSSP\x00"):
        return "ntlm"
    if raw[:1] == b"\x60":
        head = raw[:20]
        if KRB5_OID in head:
            return "kerberos"
        if b"\x2b\x06\x01\x05\x05\x02" in head:  # SPNEGO 1.3.6.1.5.5.2
            return "spnego" if KRB5_OID in raw[:80] or b"\x06\x09\x2a\x86\x48\x82\xf7\x12\x01\x02\x02" in raw[:80] \
                else "spnego-ntlm"
    if raw[:1] == b"\xa1":  # SPNEGO NegTokenResp (a later leg)
        return "spnego-next"
    return "other"


class KerberosAuth(ConnectionAuth):
    """Negotiate/Kerberos with a keytab; NTLM only when the host is not Kerberos-only."""

    def __init__(self, policy: AuthPolicy, files: NtlmUserFiles, cert_hash: bytes | None = None, *,
                 keytab: str, kerberos_only: bool = False):
        super().__init__(policy, files, cert_hash)
        self._keytab_path = keytab
        self.kerberos_only = kerberos_only
        self._krb = False  # the current context is ours (Kerberos), not the NTLM one of the base class

    def check(self, req):  # type: ignore[no-untyped-def]
        authz = req.header("authorization")
        if not authz:
            return super().check(req)
        scheme, _, token = authz.partition(" ")
        if scheme.lower() not in ("negotiate", "kerberos"):
            if scheme.lower() == "ntlm" and self.kerberos_only:
                self.rejected = True
                EVENTS[(self._keytab_path, "ntlm_refused")] += 1
                return _krb_challenge(), []
            return super().check(req)
        try:
            raw = base64.b64decode(token.strip(), validate=True)
        except ValueError:
            return _krb_challenge(), []
        kind = token_kind(raw)
        if kind in ("kerberos", "spnego") or (kind == "spnego-next" and self._krb):
            return self._kerberos(scheme, raw, "kerberos" if kind == "kerberos" else "negotiate")
        if self.kerberos_only:
            self._ctx, self.scheme, self.user, self._krb = None, None, None, False
            self.rejected = True
            EVENTS[(self._keytab_path, "ntlm_refused")] += 1
            return _krb_challenge(), []
        self._krb = False
        return super().check(req)

    def _kerberos(self, scheme: str, raw: bytes, protocol: str):  # type: ignore[no-untyped-def]
        try:
            with _keytab(self._keytab_path):
                if not self._krb or self._ctx is None or raw[:1] == b"\x60":
                    self.scheme, self.user = None, None
                    self._ctx = spnego.server(protocol=protocol, service="HTTP")
                    self._krb = True
                out = self._ctx.step(raw)
        except Exception:  # wrong key (stale keytab), replayed or garbled token: a real 401
            self._ctx, self.scheme, self.user, self._krb = None, None, None, False
            self.rejected = True
            EVENTS[(self._keytab_path, "kerberos_rejected")] += 1
            return _krb_challenge(), []
        header = [("WWW-Authenticate", f"{scheme} {base64.b64encode(out).decode()}")] if out else []
        if not self._ctx.complete:
            return Response(401, headers=header), []
        self.scheme, self.user = "negotiate", str(self._ctx.client_principal or "")
        EVENTS[(self._keytab_path, "kerberos_ok")] += 1
        with contextlib.suppress(Exception):  # the client forwarded its TGT (Kerberos delegation)
            if self._ctx.context_attr & spnego.ContextReq.delegate:
                EVENTS[(self._keytab_path, "delegated")] += 1
        return None, header


def _krb_challenge() -> Response:
    return Response(401, headers=[("WWW-Authenticate", "Negotiate"), ("WWW-Authenticate", "Kerberos")])
