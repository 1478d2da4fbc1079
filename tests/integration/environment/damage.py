"""History databases broken in the ways a real one breaks: empty, random bytes, garbage pages, truncated."""

from __future__ import annotations

import random
from pathlib import Path

from umcheck.results import FleetResult, HostResult, Readiness
from umcheck.store import Store

CASES = ("empty", "random", "garbage_pages", "truncated")


def good_db(path: Path, runs: int = 3) -> Path:
    """A real history with ``runs`` runs of 40 hosts (enough pages to damage)."""
    with Store(path) as store:
        for i in range(runs):
            hosts = [HostResult(f"host{n:03d}", os_family="linux", readiness=Readiness.READY, error="x" * 200)
                     for n in range(40)]  # fmt: skip
            store.save_run(FleetResult(f"20261201-0{i}0000-ab12", f"2026-12-01T0{i}:00:00+00:00",
                                       f"2026-12-01T0{i}:00:05+00:00", hosts))  # fmt: skip
    return path


def damaged_db(path: Path, case: str) -> Path:
    """``path`` as the ``case`` of CASES."""
    rng = random.Random(case)
    if case == "empty":
        path.write_bytes(b"")
    elif case == "random":
        path.write_bytes(rng.randbytes(64 * 1024))
    else:
        data = bytearray(good_db(path).read_bytes())
        if case == "garbage_pages":  # the header and schema page are valid, every other page is noise
            data[4096:] = rng.randbytes(len(data) - 4096)
        else:  # truncated: a third of the file, as a full disk or a killed copy leaves it
            data = data[: len(data) // 3]
        path.write_bytes(bytes(data))
    return path
