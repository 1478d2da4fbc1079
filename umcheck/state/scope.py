"""A run's scope, from the request that started it: which rules, which hosts, why."""

from __future__ import annotations

from collections.abc import Iterable

from umcheck.results import RunScope


def scope_for(
    selectors: Iterable[str],
    *,
    pattern: str = "all",
    limit: str | None = None,
    rerun_failed: str | None = None,
    failed_rule: str | None = None,
    hosts: int = 0,
) -> RunScope:
    rules = [s for s in selectors if s.strip() and s.strip().lower() != "all"]
    rerun = None
    if failed_rule:
        rerun = f"{failed_rule} failed in {rerun_failed or 'last'}"
    elif rerun_failed:
        rerun = f"not Ready in {rerun_failed}"
    full = not rules and pattern == "all" and not limit and rerun is None
    return RunScope(
        kind="full" if full else "partial", rules=rules, pattern=pattern, limit=limit, rerun=rerun, hosts=hosts
    )
