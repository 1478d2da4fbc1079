"""Request counters of a running fleet (for tests, benchmarks and the CLI summary)."""

from __future__ import annotations

import collections
from collections.abc import Callable

Counter = Callable[..., None]  # count(key, n=1)


class Stats:
    """Totals and per-host counts: connections, http_requests, auth_rejected, shells, commands,
    collector_runs, psrp_pipelines, ssh_connections, ssh_execs, ..."""

    def __init__(self) -> None:
        self.totals: collections.Counter[str] = collections.Counter()
        self.hosts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)

    def counter(self, host: str) -> Counter:
        per_host = self.hosts[host]

        def count(key: str, n: int = 1) -> None:
            self.totals[key] += n
            per_host[key] += n

        return count

    def __getitem__(self, key: str) -> int:
        return self.totals[key]

    def snapshot(self) -> dict[str, int]:
        return dict(self.totals)
