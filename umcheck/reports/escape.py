"""Escaping host-supplied text for each output format.

Everything a host returns (names, messages, paths, evidence) is untrusted. Each format has its
own dangerous characters; the helpers here are the only place that knows them, so a renderer
never has to remember which rule applies.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# C0 and C1 controls (ESC starts ANSI/OSC sequences, 0x9b is a one-byte CSI), line and paragraph
# separators, and the bidirectional overrides that make a terminal show text in another order.
_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u2028\\u2029{_BIDI}]")
_CONTROL_ALL = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029{_BIDI}]")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#~!])")
_CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def one_line(value: object, limit: int | None = None) -> str:
    """Printable single line for terminals: control characters (ANSI escapes too) become spaces."""
    text = "" if value is None else str(value)
    text = _CONTROL_ALL.sub(" ", text).strip()
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    return text


def printable(value: object) -> str:
    """Like one_line but keeps newlines and tabs (multi-line blocks such as commands)."""
    return _CONTROL.sub(" ", "" if value is None else str(value))


def xml_text(value: object) -> str:
    """Drop characters XML 1.0 cannot carry at all (ElementTree escapes the rest)."""
    return _XML_INVALID.sub("\ufffd", "" if value is None else str(value))


def md_inline(value: object) -> str:
    """Markdown inline text: no table breaks, links, code spans, emphasis or raw HTML."""
    text = one_line(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_fence(code: str) -> str:
    """A fence longer than any backtick run in ``code``, so the block cannot be closed early."""
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


def csv_cell(value: object) -> str:
    """Neutralise spreadsheet formula triggers (CSV injection) with a leading apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(_CSV_TRIGGERS):
        return "'" + text
    return text


def prom_label(value: object) -> str:
    """Prometheus exposition label value: escape backslash, double quote and newline."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def safe_url(url: object) -> str | None:
    """The URL if it is an absolute http(s) URL with a host; otherwise None (never a link)."""
    if not isinstance(url, str) or _CONTROL_ALL.search(url) or " " in url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url
    return None
