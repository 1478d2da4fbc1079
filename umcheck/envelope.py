"""The collector output envelope: one JSON facts document between two fixed marker lines.

Remote shells print profile noise, banners, warnings and progress records around whatever a
script writes; some hosts answer in UTF-16 or with a BOM, or with CRLF line ends. The markers let
the controller find the document regardless. The simulator, both collectors and the controller
all use the marker text defined here.
"""

from __future__ import annotations

import json
from typing import Any

BEGIN = "<<<UMCHECK-FACTS-BEGIN>>>"
END = "<<<UMCHECK-FACTS-END>>>"
MAX_ENVELOPE_BYTES = 8 * 1024 * 1024


class EnvelopeError(ValueError):
    """Output did not contain one complete, parseable facts document."""


def build(doc: dict[str, Any]) -> str:
    """Wrap a facts document for printing (what collectors and the simulator emit)."""
    return f"{BEGIN}\n{json.dumps(doc, separators=(',', ':'))}\n{END}\n"


def decode(raw: bytes | str) -> str:
    """Text of collector output, whatever encoding a Windows console chose."""
    if isinstance(raw, str):
        text = raw
    elif raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        text = raw.decode("utf-16", errors="replace")
    elif len(raw) >= 4 and raw[1:2] == b"\x00" and raw[3:4] == b"\x00":  # UTF-16-LE without BOM
        text = raw.decode("utf-16-le", errors="replace")
    else:
        text = raw.decode("utf-8-sig", errors="replace")
    return text.replace("\ufeff", "")


def parse(raw: bytes | str, *, max_bytes: int = MAX_ENVELOPE_BYTES) -> dict[str, Any]:
    """Extract the facts document; raise EnvelopeError with a one-line reason."""
    if len(raw) > max_bytes:
        raise EnvelopeError(f"collector output is {len(raw)} bytes, over the {max_bytes}-byte cap")
    text = decode(raw)
    end = text.rfind(END)
    if end < 0:
        if BEGIN in text:
            raise EnvelopeError("collector output is truncated (end marker missing)")
        raise EnvelopeError("collector output has no facts document (begin marker missing)")
    start = text.rfind(BEGIN, 0, end)
    if start < 0:
        raise EnvelopeError("collector output has an end marker but no begin marker")
    body = text[start + len(BEGIN) : end].strip()
    # A console may have wrapped the one-line JSON at its width: CR/LF inside JSON strings
    # are never legal, so joining lines back is safe.
    body = body.replace("\r", "").replace("\n", "")
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise EnvelopeError(f"facts document is not valid JSON ({exc.__class__.__name__}: {exc})"[:300]) from None
    if not isinstance(doc, dict):
        raise EnvelopeError("facts document is not a JSON object")
    return doc
