"""TLS for the requests-based clients: one ``ssl.SSLContext`` per trust setting, injected.

pywinrm and pypsrp build a fresh ``requests.Session`` per host; left alone, urllib3 would
create a context and load the CA bundle for every new connection, which costs several ms of CPU
per host and dominates a 1000-host scan. ``SharedContextAdapter`` hands urllib3 one prepared,
already-loaded context instead and strips the per-request trust arguments (``ca_certs``,
``cert_file``) that would make urllib3 load files into it again. The pool key still carries
``cert_reqs`` matching the context, because urllib3 writes that value into the context on every
connect.
"""

from __future__ import annotations

import os
import ssl
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from umcheck.errors import AuthFailed

_TRUST_KEYS = ("ca_certs", "ca_cert_dir", "cert_file", "key_file", "key_password")


def build_context(verify: bool, ca_path: str | None = None,
                  client_cert: tuple[str, str] | None = None) -> ssl.SSLContext:
    """A client context: system/certifi trust or ``ca_path`` (file or directory); or no checks.

    With ``verify`` the server name (or IP SAN) is checked as browsers do. Without it the
    connection is still encrypted but anyone can impersonate the host.
    """
    if verify:
        if ca_path is None:
            ca_path = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None
        if ca_path is None:
            ctx = ssl.create_default_context(cafile=requests.certs.where())
        elif os.path.isdir(ca_path):
            ctx = ssl.create_default_context(capath=ca_path)
        else:
            ctx = ssl.create_default_context(cafile=ca_path)
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if client_cert is not None:
        load_client_cert(ctx, client_cert)
    return ctx


def load_client_cert(ctx: ssl.SSLContext, client_cert: tuple[str, str]) -> None:
    """Certificate auth: a certificate/key that cannot be used fails this host (auth_failed), in one line."""
    cert, key = client_cert
    try:
        ctx.load_cert_chain(certfile=cert, keyfile=key)
    except ssl.SSLError as exc:
        if "KEY_VALUES_MISMATCH" in str(exc):
            raise AuthFailed(f"client certificate {cert}: the key in {key} does not match it") from None
        raise AuthFailed(f"cannot use client certificate {cert} with key {key}: "
                         f"{exc.reason or exc.__class__.__name__}") from None  # fmt: skip
    except OSError as exc:
        raise AuthFailed(f"cannot read client certificate {cert} or key {key}: {exc.strerror or exc}") from None


class SharedContextAdapter(HTTPAdapter):
    """An HTTPAdapter whose HTTPS connections all use one given ``SSLContext``."""

    def __init__(self, context: ssl.SSLContext, *, max_retries: Retry | int = 0):
        self.context = context
        self._cert_reqs = "CERT_NONE" if context.verify_mode == ssl.CERT_NONE else "CERT_REQUIRED"
        super().__init__(max_retries=max_retries)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        pool_kwargs["ssl_context"] = self.context
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):  # type: ignore[override]
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        for key in _TRUST_KEYS:
            pool_kwargs.pop(key, None)
        pool_kwargs["ssl_context"] = self.context
        pool_kwargs["cert_reqs"] = self._cert_reqs
        return host_params, pool_kwargs

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        # The context is authoritative: never let requests point urllib3 at a CA file.
        if url.lower().startswith("https"):
            conn.cert_reqs = self._cert_reqs
            conn.ca_certs = None
            conn.ca_cert_dir = None


def mount(session: requests.Session, context: ssl.SSLContext, *, max_retries: Retry | int = 0) -> None:
    """Route the session's HTTPS traffic through the shared context (``verify`` stays as is)."""
    session.mount("https://", SharedContextAdapter(context, max_retries=max_retries))
