"""One scan from request to reports: select hosts, plan, run, journal, report, remember.

Shared by ``umcheck scan``, ``umcheck run PLAYBOOK`` and ``umcheck demo``. Ordering matters for
"nothing gathered is lost": the journal is written host by host while the run goes; reports
and history are written from the FleetResult afterwards, also for an interrupted run.
"""

from __future__ import annotations

import asyncio
import gc
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from umcheck.errors import UsageError
from umcheck.events import EventSink, JournalSink
from umcheck.inventory import Inventory, load_inventory
from umcheck.inventory.connection import ConnectionDefaults
from umcheck.inventory.vault import VaultSecrets
from umcheck.journal import JOURNAL_NAME, Journal, read_journal
from umcheck.plan import DEFAULT_FORKS, DEFAULT_MAX_OUTPUT, RunOptions, Timeouts, target_for
from umcheck.progress import make_progress
from umcheck.results import FleetResult, HostStatus
from umcheck.rules.catalog import GROUPS, select_rules
from umcheck.runner import Runner, new_run_id
from umcheck.state.scope import scope_for
from umcheck.transports import make_transport
from umcheck.transports.pool import configure as configure_pool
from umcheck.transports.shared import Shared
from umcheck.typed_load import dump

DEFAULT_FORMATS = ("text", "html", "json", "csv")


@dataclass
class ScanRequest:
    inventory: list[str]
    pattern: str = "all"
    limit: str | None = None
    selectors: tuple[str, ...] = ()
    forks: int = DEFAULT_FORKS
    timeouts: Timeouts = field(default_factory=Timeouts)
    retries: int = 2
    max_output: int = DEFAULT_MAX_OUTPUT
    formats: tuple[str, ...] = DEFAULT_FORMATS
    reports_dir: Path = Path("reports")
    db: Path | None = None  # default: <reports_dir>/umcheck.db
    history: bool = True
    keep_runs: int | None = None
    resume: str | None = None
    rerun_failed: str | None = None  # a run reference ("last", an id, ...)
    failed_rule: str | None = None
    extra_vars: dict[str, Any] = field(default_factory=dict)
    password: str | None = None
    vault: VaultSecrets | None = None  # vault passwords, read once for every play of a run
    defaults: ConnectionDefaults | None = None  # -u, --private-key, ansible.cfg: below every host variable
    verbosity: int = 0
    probe_overrides: tuple[tuple[str, str], ...] = ()
    environ: dict[str, str] | None = None
    official: tuple[tuple[str, str], ...] = ()

    @property
    def db_path(self) -> Path:
        return self.db or self.reports_dir / "umcheck.db"


@dataclass
class ScanOutcome:
    fleet: FleetResult
    run_dir: Path
    reports: dict[str, Path]


class NothingToDo(Exception):
    """A re-check found no host to re-check: a scheduled job with nothing to do is not broken."""


def exit_code(fleet: FleetResult) -> int:
    if fleet.interrupted:
        return 130
    return 0 if fleet.all_ready else 1


def _open_store(req: ScanRequest, *, create: bool = True):
    from umcheck.store import Store

    return Store(req.db_path, create=create)


FDS_PER_HOST = 4  # a socket, maybe a TLS/NTLM reconnect, pipes for local runs
FDS_RESERVED = 64  # journal, reports, database, libraries


def fit_forks(forks: int) -> int:
    """Raise the open-file limit to its hard maximum, and lower ``forks`` if even that is too few."""
    import resource
    import sys

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    limit = soft if soft != resource.RLIM_INFINITY else 1 << 20
    fitting = max(1, (limit - FDS_RESERVED) // FDS_PER_HOST)
    if forks > fitting:
        print(f"umcheck: warning: --forks {forks} needs about {forks * FDS_PER_HOST + FDS_RESERVED} open files "
              f"but the limit is {limit}; using --forks {fitting} (raise 'ulimit -Hn' to go higher)",
              file=sys.stderr)  # fmt: skip
        return fitting
    return forks


def _select(req: ScanRequest, inventory: Inventory) -> list:
    hosts = inventory.select(req.pattern, req.limit, check_usable=False)
    if req.rerun_failed or req.failed_rule:
        store, run = _open_store(req, create=False), req.rerun_failed or "last"
        if req.failed_rule:  # a RuleId, or a group: hosts where any of its rules failed
            wanted = {n for r in select_rules([req.failed_rule]) for n in store.select_rerun(run, r.rule_id)}
        else:
            wanted = set(store.select_rerun(run))
        store.close()
        hosts = [h for h in hosts if h.name in wanted]
        if not hosts:
            if req.failed_rule:
                group = req.failed_rule.lower() in {g.lower() for g in GROUPS}
                what = f"is failing {'a ' + req.failed_rule + ' rule' if group else req.failed_rule}"
            else:
                what = "is not Ready"
            raise NothingToDo(f"no selected host {what} as of run {req.rerun_failed or 'last'}: nothing to re-check")
    return hosts


def _earlier_cells(req: ScanRequest, hosts: list[str], run_id: str) -> dict:
    """The hosts' latest cells from history, carried into a partial run (none without history)."""
    if not req.db_path.exists():
        return {}
    store = _open_store(req, create=False)
    try:
        return store.cells_for(hosts, exclude_run=run_id)
    finally:
        store.close()


def _resume_state(req: ScanRequest) -> tuple[Path, dict[str, Any], dict]:
    run_dir = Path(req.resume)
    if not (run_dir / JOURNAL_NAME).exists():
        run_dir = req.reports_dir / req.resume
    if not (run_dir / JOURNAL_NAME).exists():
        raise UsageError(f"--resume {req.resume}: no {JOURNAL_NAME} there or under {req.reports_dir}/")
    contents = read_journal(run_dir)
    done = {n: r for n, r in contents.hosts.items() if r.status != HostStatus.CANCELLED}
    return run_dir, contents.header, done


def _load(req: ScanRequest) -> Inventory:
    return load_inventory(req.inventory, extra_vars=req.extra_vars, password=req.password, environ=req.environ,
                          vault=req.vault, defaults=req.defaults)  # fmt: skip


def select_hosts(req: ScanRequest) -> list[str]:
    """The host names a scan of ``req`` would check (``--list-hosts``), re-check selection included."""
    return [h.name for h in _select(req, _load(req))]


async def run_scan(req: ScanRequest, extra_sinks: list[EventSink] | None = None) -> ScanOutcome:
    inventory = _load(req)
    if req.resume:
        run_dir, header, done = _resume_state(req)
        selectors = tuple(header.get("rules") or ())
        hosts, gone = [], {}
        for name in header.get("plan_hosts", []):
            try:
                hosts.append(inventory.get(name))
            except UsageError:  # removed from the inventory since the run started
                if name not in done:
                    gone[name] = "not scanned: no longer in the inventory"
    else:
        hosts = _select(req, inventory)
        selectors = req.selectors
        run_id = new_run_id()
        run_dir = req.reports_dir / run_id
        scope = scope_for(selectors, pattern=req.pattern, limit=req.limit, rerun_failed=req.rerun_failed,
                          failed_rule=req.failed_rule, hosts=len(hosts))  # fmt: skip
        header = {
            "run_id": run_id,
            "inventory": list(req.inventory),
            "limit": req.limit,
            "pattern": req.pattern,
            "rules": list(selectors),
            "plan_hosts": [h.name for h in hosts],
            "scope": dump(scope),
        }
        done, gone = {}, {}
    forks = fit_forks(req.forks)
    options = RunOptions(forks=forks, timeouts=req.timeouts, retries=req.retries, max_output=req.max_output,
                         selectors=selectors, probe_overrides=req.probe_overrides, official=req.official)  # fmt: skip
    usable = [h for h in hosts if h.settings is not None]
    skipped = {h.name: f"not scanned: {h.problem}" for h in hosts if h.settings is None} | gone
    if not usable and not done:
        first = next(iter(skipped.values()), "no host selected")
        raise UsageError(f"no host can be scanned ({first})")
    targets = [target_for(h.settings, options) for h in usable]
    if req.verbosity >= 2:
        _print_plan(targets, options)
    if req.verbosity >= 3:
        _trace_transports()

    configure_pool(forks)
    # Everything loaded so far (modules, inventory, plan) lives for the whole run: keep the
    # cyclic GC from re-scanning it while thousands of connection objects come and go.
    gc.collect()
    gc.freeze()
    shared = Shared()
    journal = Journal(run_dir / JOURNAL_NAME)
    sinks: list[EventSink] = [JournalSink(journal, resumed=bool(req.resume)), make_progress(req.verbosity)]
    earlier = _earlier_cells(req, [t.name for t in targets], header["run_id"]) if selectors else {}
    runner = Runner(options, lambda s: make_transport(s, shared), sinks + list(extra_sinks or []), earlier)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, runner.cancel)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests) or no signals
            pass
    try:
        fleet = await runner.run(targets, header, done=done, skipped=skipped)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.remove_signal_handler(sig)
            except (NotImplementedError, RuntimeError):
                pass
        journal.close()
    reports = finish_run(req, fleet, run_dir)
    return ScanOutcome(fleet, run_dir, reports)


def _print_plan(targets: list, options: RunOptions) -> None:
    """``-vv``: what will be done to whom, before any connection (never a secret)."""
    import sys

    from umcheck.inventory.describe import render

    rules = ", ".join(options.selectors) or "all rules"
    print(f"umcheck: plan: {len(targets)} host(s), {rules}, --forks {options.forks}, "
          f"--timeout {options.timeouts.host:g}s, --retries {options.retries}", file=sys.stderr)  # fmt: skip
    for t in targets:
        print(render(t.settings), file=sys.stderr)


def _trace_transports() -> None:
    """``-vvv``: the runner's transport events on stderr (connections, attempts, retries, sizes)."""
    import logging
    import sys

    log = logging.getLogger("umcheck.transport")
    if log.handlers:  # a playbook's later plays: already on
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("umcheck: transport: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False


def finish_run(req: ScanRequest, fleet: FleetResult, run_dir: Path) -> dict[str, Path]:
    """Reports, retry file (failed.txt), history and retention — also for an interrupted run."""
    from umcheck.reports import write_reports
    from umcheck.retention import prune_runs

    store = _open_store(req) if req.history else None
    paths = write_reports(fleet, run_dir, list(req.formats), store=store)
    if req.keep_runs:
        prune_runs(req.reports_dir, req.keep_runs)
    return paths
