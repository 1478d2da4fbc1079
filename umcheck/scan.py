"""One scan from request to reports: select hosts, plan, run, journal, report, remember.

Shared by ``umcheck scan``, ``umcheck run PLAYBOOK`` and ``umcheck demo``. Ordering matters for
"nothing gathered is lost": the journal is written host by host while the run goes; reports
and history are written from the FleetResult afterwards, also for an interrupted run.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from umcheck.background import BackgroundCall
from umcheck.dispatch import Dispatch, make_runner
from umcheck.errors import EnvironmentProblem, UsageError
from umcheck.events import EventSink, JournalSink
from umcheck.inventory import Inventory, load_inventory
from umcheck.inventory.connection import ConnectionDefaults
from umcheck.inventory.vault import VaultSecrets
from umcheck.journal import JOURNAL_NAME, Journal, read_journal
from umcheck.plan import DEFAULT_FORKS, DEFAULT_MAX_OUTPUT, RunOptions, Timeouts, target_for
from umcheck.progress import make_progress
from umcheck.reports.atomic import Modes, check_writable, remove_leftovers
from umcheck.reports.baseline import Baseline
from umcheck.results import FleetResult, HostStatus
from umcheck.rules.catalog import GROUPS, select_rules
from umcheck.runner import new_run_id
from umcheck.state.scope import scope_for
from umcheck.transports import make_transport
from umcheck.transports.pool import configure as configure_pool
from umcheck.transports.shared import Shared
from umcheck.typed_load import dump

DEFAULT_FORMATS = ("text", "html", "json", "csv")
log = logging.getLogger("umcheck.history")


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
    db: Path | str | None = None  # a SQLite file or a postgresql:// URL; default: <reports_dir>/umcheck.db
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
    cross_check: tuple[tuple[str, str], ...] = ()  # run the official script too and compare (--cross-check)
    group_readable: bool = False  # run folders 0750 and files 0640 instead of 0700/0600
    dispatch: Dispatch = field(default_factory=Dispatch)  # --workers / --dispatch (umcheck.dispatch)
    arc_check: bool = False  # --arc-check: collectors run `azcmagent check` (contacts Azure; opt-in)

    @property
    def db_path(self) -> Path | str:
        """The history: a SQLite file (``Path``) or a PostgreSQL URL (``str``, never shown unmasked)."""
        from umcheck.store.url import db_location

        return db_location(self.db) if self.db else self.reports_dir / "umcheck.db"

    @property
    def modes(self) -> Modes:
        return Modes.for_group(self.group_readable)


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

    return Store(req.db_path, create=create, modes=req.modes)


def _check_folders(req: ScanRequest) -> None:
    """Unwritable report or database folders fail now, in one line, not after the scan."""
    check_writable(Path(req.resume) if req.resume and Path(req.resume).is_dir() else req.reports_dir)
    if req.history and isinstance(req.db_path, Path):
        check_writable(req.db_path.parent, "create the history database in")


PREFLIGHT_LOCK_TIMEOUT = 2.0  # before the scan a lock only postpones the check; the end waits longer


def _open_history(req: ScanRequest, *, timeout: float | None = None, check: bool = True):
    """The history store for recording this run; a LockedHistory; or None (the run is not recorded).

    The scan is the job, history a side effect: a damaged database is set aside
    (``umcheck.db.damaged-<UTC time>``) and a new one started; one the machine refuses (or from a
    newer umcheck) is left alone and this run not recorded. One warning line each, never a failed
    scan. A lock is the caller's to judge (before the scan: try again at the end).
    """
    from umcheck.store import LOCK_TIMEOUT, DamagedHistory, LockedHistory, Store, history_problem, set_aside

    path = req.db_path
    for _attempt in range(2):
        try:
            store = Store(path, modes=req.modes, timeout=LOCK_TIMEOUT if timeout is None else timeout)
            try:
                if check:
                    store.check()
            except BaseException:
                store.close()
                raise
            return store
        except LockedHistory as exc:
            return exc
        except DamagedHistory as exc:  # a SQLite file: a server keeps its own pages whole
            if not isinstance(path, Path) or not path.exists():
                break
            try:
                moved = set_aside(path)
            except OSError as err:
                log.warning("history database %s is damaged and could not be moved aside (%s): this run is not "
                            "recorded", path, err.strerror)  # fmt: skip
                return None
            log.warning("history database %s is damaged (%s): moved aside to %s, starting a new one",
                        path, _cause(exc), moved.name)  # fmt: skip
        except (UsageError, sqlite3.Error) as exc:
            problem = history_problem(path, exc) if isinstance(exc, sqlite3.Error) else exc
            log.warning("%s: this run is not recorded in the history", problem)
            return None
    return None


def _cause(exc: BaseException) -> str:
    """The SQLite reason inside a DamagedHistory message."""
    text = str(exc)
    start, end = text.find("("), text.find(")")
    return text[start + 1 : end] if 0 <= start < end else text


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
            raise NothingToDo(
                f"no selected host {what} as of run {req.rerun_failed or 'last'}: nothing to re-check"
            )
    return hosts


def _earlier_cells(req: ScanRequest, hosts: list[str], run_id: str) -> dict:
    """The hosts' latest cells from history, carried into a partial run (none without history)."""
    if not req.history or (isinstance(req.db_path, Path) and not req.db_path.exists()):
        return {}
    from umcheck.store import history_problem

    try:
        store = _open_store(req, create=False)
    except UsageError as exc:
        log.warning("%s: no earlier results are carried into this run", exc)
        return {}
    try:
        return store.cells_for(hosts, exclude_run=run_id)
    except (sqlite3.Error, UsageError) as exc:  # a server's problems already are one masked line
        problem = history_problem(req.db_path, exc) if isinstance(exc, sqlite3.Error) else exc
        log.warning("%s: no earlier results are carried into this run", problem)
        return {}
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
    for leftover in remove_leftovers(run_dir):  # a report whose writing was killed
        log.info("removed %s, left by the interrupted run", leftover)
    return run_dir, contents.header, done


def _load(req: ScanRequest) -> Inventory:
    return load_inventory(req.inventory, extra_vars=req.extra_vars, password=req.password, environ=req.environ,
                          vault=req.vault, defaults=req.defaults)  # fmt: skip


def select_hosts(req: ScanRequest) -> list[str]:
    """The host names a scan of ``req`` would check (``--list-hosts``), re-check selection included."""
    return [h.name for h in _select(req, _load(req))]


def _quiet_cancellations(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Ctrl-C cancels every host's I/O; a library future whose CancelledError nobody retrieved is
    not news (asyncio would print "exception was never retrieved" and a traceback for each)."""
    if isinstance(context.get("exception"), asyncio.CancelledError):
        return
    loop.default_exception_handler(context)


async def run_scan(req: ScanRequest, extra_sinks: list[EventSink] | None = None) -> ScanOutcome:
    _check_folders(req)
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
                         selectors=selectors, probe_overrides=req.probe_overrides, official=req.official,
                         cross_check=req.cross_check, arc_check=req.arc_check)  # fmt: skip
    usable = [h for h in hosts if h.settings is not None]
    skipped = {h.name: f"not scanned: {h.problem}" for h in hosts if h.settings is None} | gone
    if not usable and not done and not req.dispatch.broker:  # --dispatch: workers may resolve what cannot be here
        first = next(iter(skipped.values()), "no host selected")
        raise UsageError(f"no host can be scanned ({first})")
    targets = [target_for(h.settings, options) for h in usable]
    if req.verbosity >= 2:
        _print_plan(targets, options)
    if req.verbosity >= 3:
        _trace_transports()

    recording = checked = False
    if req.history:  # damage is dealt with before any host is contacted
        store = _open_history(req, timeout=PREFLIGHT_LOCK_TIMEOUT)
        recording = store is not None
        if store is not None and not isinstance(store, UsageError):  # open: close it, recorded at the end
            checked = True
            store.close()
    baseline = None
    if checked:  # the comparison's baseline is read while the hosts are scanned (reports/baseline.py)
        baseline = Baseline(req.db_path, header["run_id"], PREFLIGHT_LOCK_TIMEOUT)
        baseline.start()
    configure_pool(forks)
    # Everything loaded so far (modules, inventory, plan) lives for the whole run: keep the
    # cyclic GC from re-scanning it while thousands of connection objects come and go.
    gc.collect()
    gc.freeze()
    shared = Shared()
    journal = Journal(run_dir / JOURNAL_NAME, req.modes)
    sinks: list[EventSink] = [JournalSink(journal, resumed=bool(req.resume)), make_progress(req.verbosity)]
    earlier = _earlier_cells(req, [t.name for t in targets], header["run_id"]) if selectors else {}
    runner = make_runner(req.dispatch, options, lambda s: make_transport(s, shared), sinks + list(extra_sinks or []),
                         earlier, hosts=len(targets), context={"inventory": inventory, "request": req})  # fmt: skip
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_quiet_cancellations)  # kept: those futures are collected after the run too
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, runner.cancel)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests) or no signals
            pass
    try:
        fleet = await runner.run(targets, header, done=done, skipped=skipped)
    except UsageError:  # refused before the run began (--dispatch preflight): leave no empty run behind
        journal.close()
        if not req.resume:
            _discard_unstarted(run_dir)
        raise
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.remove_signal_handler(sig)
            except (NotImplementedError, RuntimeError):
                pass
        journal.close()
    reports = finish_run(req, fleet, run_dir, history=recording, checked=checked, baseline=baseline)
    if journal.error is not None:  # disk full mid-run: the reports made it, the journal did not
        raise EnvironmentProblem(
            f"{journal.error}; the reports are in {run_dir}, but this run cannot be resumed"
        )
    return ScanOutcome(fleet, run_dir, reports)


def _discard_unstarted(run_dir: Path) -> None:
    """Remove a run folder whose journal is still empty (nothing was sent, scanned or decided)."""
    journal = run_dir / JOURNAL_NAME
    try:
        if journal.stat().st_size == 0:
            journal.unlink()
            run_dir.rmdir()  # only if nothing else is in it
    except OSError:
        pass


def _print_plan(targets: list, options: RunOptions) -> None:
    """``-vv``: what will be done to whom, before any connection (never a secret)."""
    import sys

    from umcheck.inventory.describe import render

    rules = ", ".join(options.selectors) or "all rules"
    print(f"umcheck: plan: {len(targets)} host(s), {rules}, --forks {options.forks}, "
          f"--timeout {options.timeouts.host:g}s, --retries {options.retries}", file=sys.stderr)  # fmt: skip
    for t in targets:
        print(render(t.connection()), file=sys.stderr)


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


def finish_run(
    req: ScanRequest, fleet: FleetResult, run_dir: Path, *, history: bool | None = None, checked: bool = False,
    baseline: Baseline | None = None,
) -> dict[str, Path]:
    """Reports, retry file (failed.txt), history and retention — also for an interrupted run.

    ``history`` (default ``req.history``) records the run; whatever happens to the database then,
    every report is still written (without the comparison and trend if the history failed).
    ``checked``: the database passed its page check before this scan, so it is not read whole again;
    ``baseline``: the comparison's baseline, being read since the scan started.
    """
    from umcheck.reports import write_reports
    from umcheck.retention import prune_runs

    recording = req.history if history is None else history
    inputs = None
    if recording:  # recorded while the reports that need nothing from the history are written
        inputs = BackgroundCall(lambda: _record(req, fleet, checked=checked, baseline=baseline), "umcheck-record")
        inputs.start()
    paths = write_reports(fleet, run_dir, list(req.formats), inputs=inputs, modes=req.modes)
    if req.keep_runs:
        prune_runs(req.reports_dir, req.keep_runs)
    return paths


def _record(req: ScanRequest, fleet: FleetResult, *, checked: bool = False, baseline: Baseline | None = None):
    """Save the run and read what the reports need from the history; empty inputs if it fails.

    Damage found only now (a page the check did not reach, another writer's crash) is handled as
    before the scan: set aside, and the run recorded in a new database. The page check itself
    (``PRAGMA quick_check`` reads the whole file: ≈ 1 s per GB) runs here only if it did not
    before the scan; damage it would find shows as an SQLite error while saving, handled alike.
    """
    from umcheck.reports import HistoryInputs, from_history
    from umcheck.store import DamagedHistory, LockedHistory, history_problem, set_aside

    for attempt in range(2):
        store = _open_history(req, check=not (checked and attempt == 0))
        if store is None:
            return HistoryInputs()
        if isinstance(store, LockedHistory):
            log.warning("%s: this run is not recorded in the history (its reports are complete)", store)
            return HistoryInputs()
        try:
            store.save_run(fleet)
            ahead = baseline.result() if baseline is not None and attempt == 0 else None
            return from_history(store, fleet, req.formats, baseline=ahead)
        except (sqlite3.Error, UsageError) as exc:
            problem = history_problem(req.db_path, exc) if isinstance(exc, sqlite3.Error) else exc
            if not isinstance(problem, DamagedHistory):
                log.warning("%s: this run is not recorded in the history", problem)
                return HistoryInputs()
            store.close()
            try:
                moved = set_aside(req.db_path)
            except OSError:
                log.warning("%s: this run is not recorded in the history", problem)
                return HistoryInputs()
            log.warning("history database %s is damaged (%s): moved aside to %s, starting a new one",
                        req.db_path, _cause(problem), moved.name)  # fmt: skip
        finally:
            store.close()
    return HistoryInputs()
