"""What a run will do, decided before any connection: hosts, rules, timeouts, collector params.

The plan is built once from the inventory and the options (CLI or playbook); the runner only
executes it. Collector parameters are built once per distinct (cloud, location, rules) — not
once per host — since a fleet usually shares one Automation account.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache

from umcheck.collectors.invocation import (
    CollectorParams,
    Invocation,
    linux,
    params_for,
    windows_psrp,
    windows_winrm,
)
from umcheck.collectors.official import official_linux, official_windows_psrp, official_windows_winrm
from umcheck.inventory.connection import ConnectionSettings
from umcheck.rules.base import RuleContext
from umcheck.rules.catalog import select_rules

DEFAULT_FORKS = 100
DEFAULT_TIMEOUT = 120.0
DEFAULT_CONNECT_TIMEOUT = 15.0
DEFAULT_MAX_OUTPUT = 4 * 1024 * 1024


@dataclass(frozen=True)
class Timeouts:
    """Every deadline umcheck owns: per connect, per host in total, and the collector's probes."""

    connect: float = DEFAULT_CONNECT_TIMEOUT
    host: float = DEFAULT_TIMEOUT
    probe: float = 5.0


@dataclass(frozen=True)
class HostTarget:
    name: str
    settings: ConnectionSettings
    context: RuleContext
    invocation: Invocation
    timeouts: Timeouts
    cross_check: Invocation | None = None  # the official script, run after the collector (--cross-check)

    def connection(self) -> ConnectionSettings:
        """The settings a transport opens with: the run's connect timeout where the host sets none.
        Made per connection, not kept for the run (a copy per host held 8 MB at 10,000 hosts)."""
        s = self.settings
        return s if s.connect_timeout is not None else replace(s, connect_timeout=self.timeouts.connect)


@dataclass(frozen=True)
class RunOptions:
    forks: int = DEFAULT_FORKS
    timeouts: Timeouts = field(default_factory=Timeouts)
    retries: int = 2  # extra attempts for transient connection errors only
    retry_backoff: float = 1.0
    max_output: int = DEFAULT_MAX_OUTPUT
    selectors: tuple[str, ...] = ()
    probe_overrides: tuple[tuple[str, str], ...] = ()  # tests: point probes at loopback listeners
    official: tuple[tuple[str, str], ...] = ()  # ("windows"|"linux", path): run Microsoft's script instead
    cross_check: tuple[tuple[str, str], ...] = ()  # ("windows"|"linux", path): run it too, and compare
    arc_check: bool = False  # --arc-check: the collector runs `azcmagent check` (contacts Azure)


@cache
def _params(selectors: tuple[str, ...], cloud: str, location: str | None, probe: float,
            overrides: tuple[tuple[str, str], ...], arc_check: bool = False) -> CollectorParams:  # fmt: skip
    rules = select_rules(selectors) if selectors else None
    return params_for(rules, cloud, location, probe_timeout=probe, overrides=dict(overrides), arc_check=arc_check)


@cache
def _invocation(key: tuple, os_family: str, connection: str) -> Invocation:
    params = _params(*key)
    if os_family == "linux":
        return linux(params)
    return windows_psrp(params) if connection == "psrp" else windows_winrm(params)


@cache
def _official_invocation(path: str, os_family: str, connection: str, location: str | None) -> Invocation:
    if os_family == "linux":
        return official_linux(path)
    if connection == "psrp":
        return official_windows_psrp(path, location)
    return official_windows_winrm(path, location)


def target_for(settings: ConnectionSettings, options: RunOptions) -> HostTarget:
    t = options.timeouts
    timeouts = Timeouts(
        connect=settings.connect_timeout or t.connect,
        host=settings.timeout or t.host,
        probe=settings.probe_timeout or t.probe,
    )
    key = (options.selectors, settings.cloud, settings.automation_account_location, timeouts.probe, options.probe_overrides,
           options.arc_check)
    ctx = RuleContext(cloud=settings.cloud, location=settings.automation_account_location, is_azure=settings.is_azure,
                      wants_hrw=settings.wants_hrw, hrw_account_url=settings.hrw_account_url,
                      migrating=settings.migrating, hrw_runas_user=settings.hrw_runas_user)  # fmt: skip
    official = dict(options.official).get(settings.os)
    if official:
        invocation = _official_invocation(official, settings.os, settings.connection, settings.automation_account_location)
    else:
        invocation = _invocation(key, settings.os, settings.connection)
    cross = dict(options.cross_check).get(settings.os)
    check = None
    if cross:  # two scripts in one host deadline: it covers both (docs/cross-check.md)
        check = _official_invocation(cross, settings.os, settings.connection, settings.automation_account_location)
        timeouts = replace(timeouts, host=timeouts.host * 2)
    return HostTarget(settings.name, settings, ctx, invocation, timeouts, check)
