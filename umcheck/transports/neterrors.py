"""Classification helpers for the error borders of the transports.

Each transport keeps its own ``map_error``; what they share is reading a wrapped socket error
(requests wraps urllib3 wraps ``OSError``) and turning any library text into one safe line. Every
message passes through ``one_line``, which removes the password even if a library echoed it.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterable, Iterator

from umcheck.errors import AuthFailed, ExecTimeout, HostError, ProtocolError, TlsError, Unreachable

MAX_MESSAGE = 300
_UNREACHABLE_ERRNOS = {
    errno.ECONNREFUSED: "connection refused",
    errno.EHOSTUNREACH: "no route to host",
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTDOWN: "host is down",
    errno.ETIMEDOUT: "connect timed out",
}
_DROPPED_ERRNOS = {errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE}


def one_line(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` on one line, at most MAX_MESSAGE characters, with every secret replaced.

    Secrets shorter than 3 characters are left alone: replacing every "p" would garble the
    message and protect nothing.
    """
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes/contexts and urllib3's ``reason``/args wrappers, each once."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        cur = todo.pop(0)
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        for nxt in (cur.__cause__, cur.__context__, getattr(cur, "reason", None), *cur.args):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def socket_error(exc: BaseException) -> HostError | None:
    """Unreachable / TlsError / ProtocolError for socket-level causes anywhere in the chain."""
    for cur in chain(exc):
        if isinstance(cur, ssl.SSLCertVerificationError):
            detail = getattr(cur, "verify_message", None) or getattr(cur, "reason", None) or "verify failed"
            return TlsError(f"TLS certificate not trusted: {detail}")
        if isinstance(cur, ssl.SSLError):
            return TlsError(f"TLS handshake failed: {getattr(cur, 'reason', None) or cur.__class__.__name__}")
        if isinstance(cur, socket.gaierror):
            return Unreachable(f"name resolution failed: {cur.strerror or cur}")
        if type(cur).__name__ == "NameResolutionError":  # urllib3 wraps gaierror
            return Unreachable("name resolution failed")
        if isinstance(cur, OSError) and cur.errno in _UNREACHABLE_ERRNOS:
            return Unreachable(_UNREACHABLE_ERRNOS[cur.errno])
        if isinstance(cur, ConnectionRefusedError):
            return Unreachable("connection refused")
    for cur in chain(exc):
        if (isinstance(cur, OSError) and cur.errno in _DROPPED_ERRNOS) or type(cur).__name__ in (
            "RemoteDisconnected", "IncompleteRead", "ProtocolError", "ConnectionResetError"):
            return ProtocolError("connection dropped by the host")
    return None


def http_error(exc: BaseException, *, answered: bool) -> HostError | None:
    """What WinRM and PSRP share below their own protocol: requests/socket/XML failures.

    A read timeout before the host ever answered means something accepts TCP but no WinRM
    service speaks (``Unreachable``); after an answer it is ``ExecTimeout``.
    """
    import xml.etree.ElementTree as ET

    import requests

    if type(exc).__module__.startswith("requests_credssp"):  # CredSSP refused (NTStatusException: SEC_E_LOGON_DENIED)
        status = getattr(exc, "status", None)
        names = {0x8009030C: "SEC_E_LOGON_DENIED", 0xC000006D: "STATUS_LOGON_FAILURE"}
        detail = names.get(status, f"status 0x{status:08x}") if isinstance(status, int) else exc.__class__.__name__
        return AuthFailed(f"credentials rejected by the host (CredSSP: {detail})")
    if isinstance(exc, PermissionError):  # requests_ntlm: "Access denied: ... no NTLM challenge"
        return AuthFailed(f"authentication failed: {exc}")
    if isinstance(exc, requests.exceptions.SSLError):
        return socket_error(exc) or TlsError("TLS handshake failed")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Unreachable("connect timed out")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return (ExecTimeout("the WinRM service stopped answering (read timeout)") if answered
                else Unreachable("connected, but the WinRM service never answered (read timeout)"))
    if isinstance(exc, (requests.exceptions.ConnectionError, OSError)):
        return socket_error(exc) or (ProtocolError("connection dropped by the host") if answered
                                     else Unreachable("cannot connect to the WinRM service"))
    if isinstance(exc, ET.ParseError):
        return ProtocolError("malformed XML from the WinRM service")
    if isinstance(exc, (StopIteration, AssertionError, KeyError, ValueError, TypeError, AttributeError, IndexError)):
        return ProtocolError(f"unexpected WS-Man response ({exc.__class__.__name__})")
    return None


def wrap(error: HostError, cause: BaseException, secrets: Iterable[str | None] = ()) -> HostError:
    """Give ``error`` a safe one-line message and ``cause`` as its ``__cause__``."""
    safe = type(error)(one_line(str(error), secrets))
    safe.__cause__ = cause
    return safe
