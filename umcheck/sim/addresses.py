"""Where simulated hosts live: one loopback address each, and the open-file budget that allows it.

Linux routes all of 127.0.0.0/8 to ``lo``, so every host can bind its own address on the
standard ports, and an inventory of simulated hosts looks like a real one.
"""

from __future__ import annotations

import ipaddress
import resource
from collections.abc import Iterator

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
FDS_PER_HOST = 4  # listeners plus a few client connections in flight
FDS_RESERVE = 256


class CapacityError(RuntimeError):
    """The fleet does not fit this machine (addresses or open files)."""


def loopback_addresses(first: str = "127.0.0.2") -> Iterator[str]:
    """127.0.0.2, 127.0.0.3, ... 127.0.0.254, 127.0.1.2, ...: last octets 0, 1 and 255 are skipped."""
    addr = ipaddress.ip_address(first)
    if addr not in LOOPBACK:
        raise CapacityError(f"{first} is not a loopback address (127.0.0.0/8)")
    while addr in LOOPBACK:
        if int(addr) & 0xFF not in (0, 1, 255):
            yield str(addr)
        addr += 1
    raise CapacityError("ran out of 127.0.0.0/8 addresses")


def raise_open_file_limit(hosts: int) -> tuple[int, int]:
    """Raise RLIMIT_NOFILE's soft limit to the hard limit; (soft, needed). Raises CapacityError if too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = hosts * FDS_PER_HOST + FDS_RESERVE
    target = hard if hard != resource.RLIM_INFINITY else max(soft, needed)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft < needed:
        raise CapacityError(
            f"{hosts} simulated hosts need about {needed} open files, but this process may open only {soft} "
            f"(hard limit {hard}); raise it (ulimit -n) or simulate at most {max(0, (soft - FDS_RESERVE) // FDS_PER_HOST)} hosts"
        )
    return soft, needed
