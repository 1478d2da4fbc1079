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


class UnknownFault(ValueError):
    pass


def check_faults(os_family: str, faults: tuple[str, ...] | list[str]) -> None:
    known = FAULTS[os_family]
    for f in faults:
        if f not in known:
            raise UnknownFault(f"unknown {os_family} fault {f!r} (known: {', '.join(sorted(known))})")
