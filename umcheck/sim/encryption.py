"""WinRM HTTP message encryption (MS-WSMV 2.2.9.1) with an NTLM/SPNEGO security context.

Over plain HTTP, NTLM clients seal every body after the handshake. The multipart framing is
whitespace-exact (TAB-indented inner headers, quoted boundary, trailing boundary line) because
both clients cut it apart with literal string operations.
"""

from __future__ import annotations

import re
import struct
from typing import Any

PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
KERBEROS_PROTOCOL = "application/HTTP-Kerberos-session-encrypted"  # pypsrp auth=kerberos (kerberos.py hosts)
CONTENT_TYPE = f'multipart/encrypted;protocol="{PROTOCOL}";boundary="Encrypted Boundary"'
_BOUNDARY = b"--Encrypted Boundary\r\n"
_END = b"--Encrypted Boundary--\r\n"
_OCTET = b"\tContent-Type: application/octet-stream\r\n"
_LENGTH = re.compile(rb"Length=(\d+)")


class DecryptError(ValueError):
    """The body cannot be unsealed with this connection's context (answer 400)."""


def is_encrypted(content_type: str) -> bool:
    ct = content_type.lower()
    return ct.startswith("multipart/encrypted") and (PROTOCOL.lower() in ct or KERBEROS_PROTOCOL.lower() in ct)


def protocol_of(content_type: str) -> str:
    """The request's protocol string; the response must use the same one."""
    return KERBEROS_PROTOCOL if KERBEROS_PROTOCOL.lower() in content_type.lower() else PROTOCOL


def content_type(protocol: str) -> str:
    return f'multipart/encrypted;protocol="{protocol}";boundary="Encrypted Boundary"'


def unwrap(ctx: Any, body: bytes) -> bytes:
    """Plaintext of an encrypted request body; ``ctx`` is a completed pyspnego context."""
    start = body.find(_OCTET)
    end = body.rfind(_END)
    m = _LENGTH.search(body, 0, start if start >= 0 else len(body))
    if start < 0 or end < 0 or m is None:
        raise DecryptError("not a multipart/encrypted body")
    payload = body[start + len(_OCTET) : end]
    if len(payload) < 4:
        raise DecryptError("encrypted payload too short")
    sig_len = struct.unpack("<I", payload[:4])[0]
    if sig_len > len(payload) - 4:
        raise DecryptError("bad signature length")
    header, data = payload[4 : 4 + sig_len], payload[4 + sig_len :]
    try:
        plain = ctx.unwrap_winrm(header, data)
    except Exception as exc:  # pyspnego raises several types for a wrong seal
        raise DecryptError(f"cannot unseal: {exc.__class__.__name__}") from None
    if len(plain) != int(m.group(1)):
        raise DecryptError("decrypted length does not match Length=")
    return plain


def wrap(ctx: Any, plaintext: bytes, protocol: str = PROTOCOL) -> bytes:
    """An encrypted response body for ``plaintext`` (a SOAP envelope)."""
    res = ctx.wrap_winrm(plaintext)
    length = len(plaintext) + res.padding_length
    return b"".join(
        [
            _BOUNDARY,
            b"\tContent-Type: " + protocol.encode() + b"\r\n",
            b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + str(length).encode() + b"\r\n",
            _BOUNDARY,
            _OCTET,
            struct.pack("<I", len(res.header)),
            res.header,
            res.data,
            _END,
        ]
    )
