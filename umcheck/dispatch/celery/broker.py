"""The broker URL: checked, completed with a password from the environment, masked for every message.

The password belongs in ``UMCHECK_BROKER_PASSWORD`` (or a ``--broker-password-env`` variable), not
on a command line where ``ps`` and shell history would keep it; one written into the URL still
works but is never printed. ``rediss://`` verifies the server's certificate (``ssl_cert_reqs``
required) against ``--broker-ca`` or the system's trust store.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from umcheck.errors import UsageError

PASSWORD_ENV = "UMCHECK_BROKER_PASSWORD"
MASK = "****"
PATIENT_RETRIES = 15  # with the backoff below: 0.5 + 1 + 2 + 4 + 8 + 10 x 10 ≈ 2 minutes of retrying
PATIENT_BACKOFF_CAP = 10.0


@dataclass(frozen=True)
class Broker:
    """A usable broker URL (password included, never shown) and its TLS trust."""

    url: str = field(repr=False)
    masked: str
    ca_file: str | None = None

    @property
    def tls(self) -> bool:
        return self.url.startswith("rediss://")

    def celery_ssl(self) -> dict[str, Any] | None:
        if not self.tls:
            return None
        return {"ssl_cert_reqs": ssl.CERT_REQUIRED, "ssl_ca_certs": self.ca_file}

    def redis_options(self) -> dict[str, Any]:
        """Keyword arguments for ``redis.Redis.from_url`` (sync and asyncio clients alike)."""
        options: dict[str, Any] = {"socket_connect_timeout": 10, "socket_timeout": 60, "health_check_interval": 30}
        if self.tls:
            options |= {"ssl_cert_reqs": "required", "ssl_ca_certs": self.ca_file}
        return options

    def redis(self, *, patient: bool = False):
        """A client; ``patient`` (a worker pushing results) rides out a broker restart of about two
        minutes with redis-py's own retries instead of failing the host it was reporting."""
        import redis

        options = self.redis_options()
        if patient:
            from redis.backoff import ExponentialBackoff
            from redis.retry import Retry

            options["retry"] = Retry(ExponentialBackoff(cap=PATIENT_BACKOFF_CAP, base=0.5), PATIENT_RETRIES)
        return redis.Redis.from_url(self.url, **options)

    def aredis(self):
        import redis.asyncio

        return redis.asyncio.Redis.from_url(self.url, **self.redis_options())


def mask(url: str) -> str:
    """The URL with any password replaced by ``****`` (and no query string, which may hold options)."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
    except ValueError:
        return "<unparsable URL>"
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{hostport}" if ":" in userinfo or user else f"{MASK}@{hostport}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def broker_from(
    url: str, *, ca_file: str | None = None, password_env: str = PASSWORD_ENV, environ: Mapping[str, str] | None = None
) -> Broker:
    """Check ``url`` (redis:// or rediss://HOST[:PORT][/DB]) and add the password from ``password_env``."""
    environ = os.environ if environ is None else environ
    shown = mask(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        host = parts.hostname
    except ValueError as exc:
        raise UsageError(f"broker URL {shown}: {exc}") from None
    if parts.scheme not in ("redis", "rediss"):
        raise UsageError(f"broker URL {shown}: give redis://HOST:PORT/DB or rediss://HOST:PORT/DB")
    if not host:
        raise UsageError(f"broker URL {shown}: no host name")
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise UsageError(f"broker URL {shown}: the path must be a database number (/0), not /{db}")
    if ca_file is not None:
        if parts.scheme != "rediss":
            raise UsageError(f"--broker-ca is for rediss:// brokers; {shown} is not TLS")
        if not os.path.isfile(ca_file):
            raise UsageError(f"--broker-ca {ca_file}: no such file")
    netloc = parts.netloc
    password = environ.get(password_env)
    if password and "@" not in netloc:
        netloc = f":{quote(password, safe='')}@{netloc}"
    full = urlunsplit((parts.scheme, netloc, parts.path or "/0", "", ""))
    return Broker(full, mask(full), ca_file)


def scrub(text: str, broker: Broker) -> str:
    """A library's message with the broker password (if any) masked: errors quote URLs."""
    try:
        password = urlsplit(broker.url).password
    except ValueError:
        password = None
    text = text.replace(broker.url, broker.masked)
    if password:
        from urllib.parse import unquote

        for form in {password, unquote(password)}:
            if len(form) >= 3:
                text = text.replace(form, MASK)
    return text
