"""Host ranges (``web[01:50]``, ``[a:f]``, ``[1:10:2]``) and ``host:port`` splitting.

These follow Ansible's inventory rules so the same inventory yields the same host names:
ranges are inclusive, a leading zero on the start pads every number to the start's width,
alphabetic ranges walk ``a..zA..Z``, several ranges multiply (left one outermost) and a
start above the end yields nothing. Unlike Ansible, a malformed range is always a
``RangeError`` (never a crash), and expansion is capped so a typo cannot eat the memory.
"""

from __future__ import annotations

import ipaddress
import re
import string

MAX_EXPANSION = 100_000  # hosts from one host line or key
_LETTERS = string.ascii_letters  # a..z then A..Z, the order Ansible uses


class RangeError(ValueError):
    """A host range that cannot be expanded; the message says why."""


# One [..] range as it may appear inside an address, used only to decide whether a
# "name:port" split is plausible. Empty starts ("[:3]") are deliberately not accepted here:
# Ansible then keeps ":port" as part of the name, and so do we.
_RANGE = r"\[(?:[a-zA-Z]:[a-zA-Z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]"
_HEX_RANGE = r"\[[0-9a-fA-F]+:[0-9a-fA-F]+(?::[0-9]+)?\]"
_LABEL = rf"(?:[\w]|{_RANGE})(?:[\w-]|{_RANGE})*(?<![_-])"
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$", re.UNICODE)
_IPV4_PART = rf"(?:[0-9]{{1,3}}|{_RANGE})"
_IPV4 = re.compile(rf"^(?:{_IPV4_PART}\.){{3}}{_IPV4_PART}$")
_IPV6_PART = rf"(?:[0-9a-fA-F]{{1,4}}|{_HEX_RANGE})"
_IPV6 = re.compile(rf"^(?:{_IPV6_PART}|:)(?::{_IPV6_PART}?)+(?:\.[0-9.]+)?$")
_BRACKETED_PORT = re.compile(r"^\[(.+)\]:([0-9]+)$")
_HOST_PORT = re.compile(r"^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$")


def _is_ipv6(text: str) -> bool:
    if "[" not in text:
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            return False
        return True
    # with ranges inside: require a real IPv6 shape ('::' or eight groups)
    return bool(_IPV6.match(text)) and ("::" in text or text.count(":") == 7)


def _is_address(text: str) -> bool:
    return bool(_IPV4.match(text) or _HOSTNAME.match(text) or (":" in text and _is_ipv6(text)))


def split_port(text: str) -> tuple[str, int | None]:
    """Split ``name:port`` / ``[v6]:port``; anything that is not a clean address keeps its colon."""
    for pattern in (_BRACKETED_PORT, _HOST_PORT):
        m = pattern.match(text)
        if m and _is_address(m.group(1)):
            return m.group(1), int(m.group(2))
    return text, None


def _expand_one(bounds_text: str) -> list[str]:
    """Expand the inside of one ``[..]``."""
    bounds = bounds_text.split(":")
    if len(bounds) not in (2, 3):
        raise RangeError(f"host range [{bounds_text}] must be [start:end] or [start:end:step]")
    start, end = bounds[0] or "0", bounds[1]
    step_text = bounds[2] if len(bounds) == 3 else "1"
    if not end:
        raise RangeError(f"host range [{bounds_text}] has no end value")
    if not step_text.isdigit() or int(step_text) < 1:
        raise RangeError(f"host range [{bounds_text}] step must be a positive integer")
    step = int(step_text)
    if start in _LETTERS and end in _LETTERS and len(start) == 1 and len(end) == 1:
        i, j = _LETTERS.index(start), _LETTERS.index(end)
        if i > j:
            raise RangeError(f"host range [{bounds_text}]: '{start}' comes after '{end}' (order is a..z, A..Z)")
        return list(_LETTERS[i : j + 1 : step])
    if not (start.isascii() and start.isdigit() and end.isascii() and end.isdigit()):
        raise RangeError(f"host range [{bounds_text}] must be numeric or single letters")
    lo, hi = int(start), int(end)
    if hi >= lo and (hi - lo) // step + 1 > MAX_EXPANSION:
        raise RangeError(f"host range [{bounds_text}] expands to more than {MAX_EXPANSION} hosts")
    if start.startswith("0") and len(start) > 1:
        if len(start) != len(end):
            raise RangeError(f"host range [{bounds_text}]: zero-padded start and end must have the same width")
        return [str(n).zfill(len(start)) for n in range(lo, hi + 1, step)]
    return [str(n) for n in range(lo, hi + 1, step)]


def expand_ranges(name: str) -> list[str]:
    """Expand every ``[..]`` in ``name``; the leftmost range varies slowest."""
    if "[" not in name and "]" not in name:
        return [name]
    open_at, close_at = name.find("["), name.find("]")
    if open_at < 0 or close_at < 0 or close_at < open_at:
        raise RangeError(f"unbalanced brackets in host name '{name}'")
    head, inner, tail = name[:open_at], name[open_at + 1 : close_at], name[close_at + 1 :]
    results: list[str] = []
    for item in _expand_one(inner):
        for expanded in expand_ranges(head + item + tail):
            results.append(expanded)
            if len(results) > MAX_EXPANSION:
                raise RangeError(f"host name '{name}' expands to more than {MAX_EXPANSION} hosts")
    return results


def expand_host_pattern(text: str) -> tuple[list[str], int | None]:
    """Turn one inventory host key/line head into host names and the port they share."""
    text = text.strip()
    if not text:
        raise RangeError("empty host name")
    name, port = split_port(text)
    if port is None and text.endswith(":"):
        raise RangeError(f"host '{text}' ends with ':' but has no port number")
    return expand_ranges(name), port


def is_single_address(text: str) -> bool:
    """True when ``text`` is one host address (maybe with ranges and a port), as patterns need."""
    name, _ = split_port(text)
    return _is_address(name)
