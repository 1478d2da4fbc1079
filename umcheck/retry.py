"""``failed.txt``: the hosts to re-check, in the form ``--limit @failed.txt`` reads (Ansible style).

One host name per line, in run order. Names are written as the inventory spelt them; a name
with a line break (impossible in a valid inventory) is dropped rather than split into two.
"""

from __future__ import annotations

from pathlib import Path

from umcheck.reports.atomic import write_atomic
from umcheck.results import FleetResult, Readiness


def write_retry_file(fleet: FleetResult, path: Path) -> list[str]:
    """Write the hosts that are not Ready (including unreachable ones); returns them."""
    hosts = list(
        dict.fromkeys(
            h.name
            for h in fleet.hosts
            if h.readiness != Readiness.READY and h.name.strip() and not any(c in h.name for c in "\r\n\x00")
        )
    )
    write_atomic(Path(path), "".join(f"{name}\n" for name in hosts))
    return hosts
