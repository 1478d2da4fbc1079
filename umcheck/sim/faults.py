"""The faults a simulated host can be told to show, and where each one bites.

Each fault reproduces what a real broken host does on the wire, so the client raises the same
exception it would in production (see docs/simulator.md for the client-side error of each).
"""

from __future__ import annotations

WINRM_FAULTS: dict[str, str] = {
    "refused": "no listener: the TCP connection is refused",
    "black_hole": "accept the TCP connection and never answer",
    "auth_failure": "reject the password (a real HTTP 401)",
    "http_500": "answer every WS-Man request with HTTP 500 and no SOAP body",
    "soap_fault": "answer the Command request with a WS-Management SOAP fault (HTTP 500)",
    "malformed_xml": "answer Receive with a body that is not XML",
    "drop_mid_command": "close the TCP connection during the first Receive of a command",
    "hang": "the command never finishes (every Receive times out)",
    "slow_output": "trickle the output a few bytes at a time",
    "huge_output": "tens of MB of console noise before the output",
    "invalid_json": "collector output whose JSON document is broken",
    "unknown_ca": "the HTTPS certificate is issued by a CA the client does not trust",
}

SSH_FAULTS: dict[str, str] = {
    "refused": "no listener: the TCP connection is refused",
    "black_hole": "accept the TCP connection and never send the SSH banner",
    "auth_failure": "reject the password and key",
    "hang": "the command never finishes",
    "garbage_output": "the command prints random bytes instead of the facts",
    "slow_output": "trickle the output a few bytes at a time",
    "huge_output": "tens of MB of noise before the output",
    "invalid_json": "collector output whose JSON document is broken",
}

FAULTS = {"windows": WINRM_FAULTS, "linux": SSH_FAULTS}

# Faults that take an argument, written ``name=value`` (any transport). Kept out of the tables
# above, which the one-host-per-fault tests walk, because each needs its value to mean anything.
PARAM_FAULTS: dict[str, str] = {
    "garbage_output": "garbage_output=<bytes>: print <bytes> of bracket-heavy text ('\"RuleId\" [{[{...') and "
    "no facts: the worst case for a parser that retries at every bracket",
    "escapes": "escapes=<rc>: ANSI/OSC escape sequences in the facts' host name, collector errors and probe "
    "details; with <rc> not 0, no facts but one such stderr line, and exit code <rc>",
}
PARAM_LIMITS = {"garbage_output": 64 * 1024 * 1024, "escapes": 255}
# Colour, window title (OSC 0), hyperlink (OSC 8), C1 CSI "clear screen", bell, cursor up, backspace.
ESCAPES = "\x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\ \x9b2J\x07\x1b[1A\x08"


def fault_arg(faults: tuple[str, ...] | list[str], name: str) -> int | None:
    """The value of parametrised fault ``name=<int>`` among ``faults``, or None."""
    for f in faults:
        key, sep, value = f.partition("=")
        if sep and key == name:
            return int(value)
    return None


class UnknownFault(ValueError):
    pass


def check_faults(os_family: str, faults: tuple[str, ...] | list[str]) -> None:
    known = FAULTS[os_family]
    for f in faults:
        key, sep, value = f.partition("=")
        if sep:
            if key not in PARAM_FAULTS or not value.isdigit() or int(value) > PARAM_LIMITS[key]:
                raise UnknownFault(f"bad fault {f!r} (with a value: {'; '.join(PARAM_FAULTS.values())})")
            continue
        if f not in known:
            raise UnknownFault(f"unknown {os_family} fault {f!r} (known: {', '.join(sorted(known))})")
