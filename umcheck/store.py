"""Run history in SQLite: every run with its hosts and outcomes, and the fleet state.

Normalised tables (runs, hosts, outcomes) answer the questions cheaply ("which hosts failed
TlsVersionCheck last night?"); each host row also keeps the full HostResult JSON, so any run can
be rebuilt exactly and every report regenerated. ``cells`` is the fleet state: per host and
rule, the latest outcome with the run and time it came from, which partial runs (re-checks)
update cell by cell and carry forward (``umcheck/state/``). The schema version lives in ``PRAGMA
user_version``; older databases are migrated in place, newer ones refused rather than misread.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from umcheck.errors import EnvironmentProblem, InputError, UsageError
from umcheck.reports.atomic import PRIVATE, Modes, make_folder
from umcheck.reports.diff import FleetDiff, diff_fleets
from umcheck.reports.runref import resolve_ref
from umcheck.reports.summary import READINESS_ORDER, duration_seconds, parse_time
from umcheck.results import FleetResult, HostStatus, Readiness, RuleOutcome, RunScope
from umcheck.state.cells import Cell
from umcheck.state.scope import scope_for
from umcheck.typed_load import ShapeError, dump, load_dataclass

SCHEMA_VERSION = 2
DEFAULT_DB = Path("reports") / "umcheck.db"
LOCK_TIMEOUT = 30.0  # seconds to wait for another process's write lock before giving up
SIDE_FILES = ("-journal", "-wal", "-shm")  # SQLite's own companions: they move with the database

# v2: the fleet state. outcome_json is NULL for a rule that was evaluated and emits no row.
_CELLS = """
CREATE TABLE IF NOT EXISTS cells (
    host          TEXT NOT NULL,
    rule_id       TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    evaluated_at  TEXT NOT NULL,
    evaluated_ts  REAL NOT NULL,
    check_result  TEXT,
    outcome_json  TEXT,
    PRIMARY KEY (host, rule_id)
);
"""

_SCHEMA = (
    """
CREATE TABLE runs (
    run_id          TEXT PRIMARY KEY,
    started         TEXT NOT NULL,
    started_ts      REAL,
    finished        TEXT,
    duration_s      REAL,
    interrupted     INTEGER NOT NULL DEFAULT 0,
    umcheck_version TEXT,
    hosts_total     INTEGER NOT NULL,
    ready           INTEGER NOT NULL,
    disconnected    INTEGER NOT NULL,
    not_configured  INTEGER NOT NULL,
    unknown         INTEGER NOT NULL,
    header_json     TEXT NOT NULL,
    scope_kind      TEXT,
    scope_json      TEXT
);
CREATE TABLE hosts (
    run_id      TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    status      TEXT NOT NULL,
    readiness   TEXT NOT NULL,
    os_family   TEXT,
    address     TEXT,
    transport   TEXT,
    error       TEXT,
    error_kind  TEXT,
    started     TEXT,
    elapsed_ms  INTEGER,
    result_json TEXT NOT NULL,
    PRIMARY KEY (run_id, name)
);
CREATE TABLE outcomes (
    run_id        TEXT NOT NULL,
    host          TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    rule_id       TEXT NOT NULL,
    rule_group_id TEXT,
    check_result  TEXT NOT NULL,
    message_id    TEXT,
    PRIMARY KEY (run_id, host, seq),
    FOREIGN KEY (run_id, host) REFERENCES hosts(run_id, name) ON DELETE CASCADE
);
CREATE INDEX runs_order ON runs(started_ts, run_id);
CREATE INDEX outcomes_rule ON outcomes(run_id, rule_id, check_result);
CREATE INDEX hosts_name ON hosts(name);
"""
    + _CELLS
)


_ORDER = "ORDER BY started_ts, run_id"


@dataclass(frozen=True)
class RunSummary:
    """One line of ``umcheck history`` and one point of the trend chart.

    ``readiness`` counts the run's own hosts; ``state`` (trend points only) counts the merged
    fleet state after the run: every host's latest result, this run's or an earlier one's.
    """

    run_id: str
    started: str
    finished: str | None
    duration_s: float | None
    interrupted: bool
    hosts: int
    readiness: dict[str, int] = field(default_factory=dict)
    scope: RunScope | None = None
    state: dict[str, int] | None = None
    migration: dict[str, int] = field(default_factory=dict)  # the run's hosts by migration grade

    @property
    def scope_label(self) -> str:
        return self.scope.label if self.scope else "unrecorded (run from before scopes)"

    def to_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "started": self.started,
            "finished": self.finished,
            "duration_seconds": self.duration_s,
            "interrupted": self.interrupted,
            "hosts": self.hosts,
            "readiness": dict(self.readiness),
            "migration": dict(self.migration),
            "scope": dump(self.scope) if self.scope else None,
            "scope_label": self.scope_label,
        }


def _ts(value: str | None) -> float:
    t = parse_time(value)
    return t.timestamp() if t and t.tzinfo else 0.0


def _scope_of(fleet: FleetResult) -> RunScope:
    """The recorded scope, or for a run from before scopes the one its rules and limit imply."""
    return fleet.scope or scope_for(fleet.rules, limit=fleet.limit, hosts=len({h.name for h in fleet.hosts}))


# --- when the database itself is the problem ---------------------------------------------------


class DamagedHistory(InputError):
    """The file is not (or no longer) a readable umcheck history database."""


class LockedHistory(UsageError):
    """Another process holds the database's lock for longer than LOCK_TIMEOUT."""


_LOCKED = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_ENVIRONMENT = {3, 8, 10, 13, 14}  # PERM, READONLY, IOERR, FULL, CANTOPEN: the machine, not the file
_SHORT_READ = 522  # SQLITE_IOERR_SHORT_READ: a truncated file, i.e. damage


def recover_hint(path: Path | str) -> str:
    return f'sqlite3 {path} ".recover" | sqlite3 recovered.db'


def history_problem(path: Path | str, exc: sqlite3.Error) -> UsageError:
    """One line saying what is wrong with the history database and what to do about it."""
    code = getattr(exc, "sqlite_errorcode", None) or 0
    text = str(exc) or exc.__class__.__name__
    if code & 0xFF in _LOCKED or "locked" in text:
        return LockedHistory(f"{path}: the history database is locked by another process "
                             "(another umcheck recording a run?)")  # fmt: skip
    if code != _SHORT_READ and (code & 0xFF in _ENVIRONMENT or "unable to open" in text):
        return EnvironmentProblem(f"cannot use the history database {path}: {text} "
                                  "(check the folder's space and permissions, or pass --db PATH)")  # fmt: skip
    return DamagedHistory(f"not a usable umcheck history database ({text}); the next scan sets it aside and starts "
                          f"a new one; to recover what is readable: {recover_hint(path)}", path=str(path))  # fmt: skip


@contextlib.contextmanager
def reading(path: Path | str) -> Iterator[None]:
    """Turn SQLite errors while using the database at ``path`` into one-line UsageErrors."""
    try:
        yield
    except LockedHistory as exc:
        raise LockedHistory(f"{exc}; try again when it has finished") from None
    except sqlite3.Error as exc:
        problem = history_problem(path, exc)
        if isinstance(problem, LockedHistory):
            problem = LockedHistory(f"{problem}; try again when it has finished")
        raise problem from None


def set_aside(path: Path | str, now: datetime | None = None) -> Path:
    """Rename a damaged database (and its -journal/-wal) to ``<name>.damaged-<UTC time>``.

    The side files move too: a hot journal left next to a new database would be replayed into it.
    """
    path = Path(path)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    os.replace(path, target)
    for side in SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            os.replace(f"{path}{side}", f"{target}{side}")
    return target


class Store:
    """The history database. One connection per instance; not shared between threads.

    A new database is created owner-only (``modes.file``; SQLite gives its journal the same
    permissions). Errors opening it are one line: DamagedHistory, LockedHistory or an
    EnvironmentProblem (``history_problem``).
    """

    def __init__(
        self,
        path: Path | str = DEFAULT_DB,
        *,
        create: bool = True,
        modes: Modes = PRIVATE,
        timeout: float | None = None,
    ):
        self.path = Path(path)
        if not self.path.exists():
            if not create:
                raise UsageError(f"no history database at {self.path} (run a scan first, or pass --db PATH)")
            make_folder(self.path.parent, modes)
            try:
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, modes.file))
                os.chmod(self.path, modes.file)
            except FileExistsError:
                pass  # another process made it meanwhile
            except OSError as exc:
                problem = sqlite3.OperationalError(f"unable to open database file: {exc.strerror}")
                raise history_problem(self.path, problem) from None
        try:
            self._db = sqlite3.connect(self.path, timeout=LOCK_TIMEOUT if timeout is None else timeout)
        except sqlite3.Error as exc:
            raise history_problem(self.path, exc) from None
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.Error as exc:
            self._db.close()
            raise history_problem(self.path, exc) from None

    def check(self) -> None:
        """Every page readable (``PRAGMA quick_check``); DamagedHistory if not, before a scan trusts it."""
        with reading(self.path):
            rows = self._db.execute("PRAGMA quick_check").fetchall()
            if rows != [("ok",)]:
                detail = "; ".join(str(r[0]) for r in rows[:2])
                raise sqlite3.DatabaseError(f"integrity check failed: {detail}")

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UsageError(
                f"{self.path}: history schema v{version} is newer than this umcheck (v{SCHEMA_VERSION})"
            )
        if version == 0:
            with self._db:
                self._db.executescript(
                    "BEGIN;" + _SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                )
        elif version == 1:
            self._migrate_v1()

    def _migrate_v1(self) -> None:
        """v1 -> v2: runs get a scope, and the fleet state is rebuilt by replaying every run in order.

        One transaction: a crash half-way leaves the v1 database as it was.
        """
        self._db.execute("BEGIN")
        try:
            self._db.execute("ALTER TABLE runs ADD COLUMN scope_kind TEXT")
            self._db.execute("ALTER TABLE runs ADD COLUMN scope_json TEXT")
            self._db.execute("CREATE INDEX IF NOT EXISTS hosts_name ON hosts(name)")
            self._db.execute(_CELLS)
            for run_id in self.run_ids():
                try:
                    fleet = self.load_run(run_id)
                except InputError:
                    continue  # a damaged run stays as it was (kept, without scope or cells)
                scope = _scope_of(fleet)
                self._db.execute(
                    "UPDATE runs SET scope_kind = ?, scope_json = ? WHERE run_id = ?",
                    (scope.kind, json.dumps(dump(scope)), run_id),
                )
                self._update_cells(fleet)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -------------------------------------------------------------------------------

    def save_run(self, fleet: FleetResult) -> None:
        """Record a run and update the fleet state with the cells it evaluated.

        Saving the same run id again replaces it (re-saving is harmless).
        """
        hosts = {h.name: h for h in fleet.hosts}  # last result per host wins, as in the journal
        counts = dict.fromkeys(READINESS_ORDER, 0)
        for h in hosts.values():
            counts[h.readiness if h.readiness in counts else Readiness.UNKNOWN] += 1
        header = fleet.to_dict()
        header.pop("hosts")
        scope = _scope_of(fleet)
        with self._db:
            self._db.execute("DELETE FROM runs WHERE run_id = ?", (fleet.run_id,))
            self._db.execute(
                "INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    fleet.run_id,
                    fleet.started,
                    _ts(fleet.started) or None,
                    fleet.finished,
                    duration_seconds(fleet.started, fleet.finished),
                    int(fleet.interrupted),
                    fleet.umcheck_version,
                    len(hosts),
                    counts[Readiness.READY],
                    counts[Readiness.DISCONNECTED],
                    counts[Readiness.NOT_CONFIGURED],
                    counts[Readiness.UNKNOWN],
                    json.dumps(header),
                    scope.kind,
                    json.dumps(dump(scope)),
                ),
            )
            for seq, h in enumerate(hosts.values()):
                self._db.execute(
                    "INSERT INTO hosts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        fleet.run_id,
                        h.name,
                        seq,
                        h.status,
                        h.readiness,
                        h.os_family,
                        h.address,
                        h.transport,
                        h.error,
                        h.error_kind,
                        h.started,
                        h.elapsed_ms,
                        json.dumps(h.to_dict(), default=str),
                    ),
                )
                self._db.executemany(
                    "INSERT INTO outcomes VALUES (?,?,?,?,?,?,?)",
                    [
                        (
                            fleet.run_id,
                            h.name,
                            i,
                            o.RuleId,
                            o.RuleGroupId,
                            o.CheckResult,
                            o.CheckResultMessageId,
                        )
                        for i, o in enumerate(h.outcomes)
                    ],
                )
            self._update_cells(fleet)

    def _update_cells(self, fleet: FleetResult) -> None:
        """Every rule a host was evaluated on in this run replaces its cell, unless the cell is newer."""
        from umcheck.state.merge import rule_ids

        rows = []
        for h in fleet.hosts:
            if h.status != HostStatus.OK or h.os_family not in ("windows", "linux"):
                continue
            at = h.started or fleet.started
            now = {o.RuleId: o for o in h.outcomes if o.carried is None}
            for rule_id in dict.fromkeys([*rule_ids(h.os_family, tuple(fleet.rules)), *now]):
                o = now.get(rule_id)
                rows.append((h.name, rule_id, fleet.run_id, at, _ts(at), o.CheckResult if o else None,
                             json.dumps(dump(o), default=str) if o else None))  # fmt: skip
        self._db.executemany(
            "INSERT INTO cells VALUES (?,?,?,?,?,?,?) ON CONFLICT(host, rule_id) DO UPDATE SET "
            "run_id = excluded.run_id, evaluated_at = excluded.evaluated_at, evaluated_ts = excluded.evaluated_ts, "
            "check_result = excluded.check_result, outcome_json = excluded.outcome_json "
            "WHERE excluded.evaluated_ts >= cells.evaluated_ts",
            rows,
        )

    # --- the fleet state -----------------------------------------------------------------------

    def cells_for(
        self, hosts: Iterable[str], *, exclude_run: str | None = None
    ) -> dict[str, dict[str, Cell]]:
        """Each host's latest cells (host -> rule -> Cell), for carrying into a partial run."""
        wanted = set(hosts)
        out: dict[str, dict[str, Cell]] = {}
        rows = self._db.execute("SELECT host, rule_id, run_id, evaluated_at, outcome_json FROM cells")
        for host, rule_id, run_id, at, outcome_json in rows:
            if host not in wanted or run_id == exclude_run:
                continue
            try:
                outcome = (
                    load_dataclass(RuleOutcome, json.loads(outcome_json), capped=False)
                    if outcome_json
                    else None
                )
            except (ValueError, ShapeError):
                continue  # a damaged cell is as good as none: the rule counts as never checked
            out.setdefault(host, {})[rule_id] = Cell(host, rule_id, run_id, at, outcome)
        return out

    def _latest_rows(self, run_id: str, columns: str) -> list[tuple]:
        """Per host, the row of its latest run up to ``run_id`` — over the hosts seen since the
        newest run up to ``run_id`` that covered every host (so retired hosts drop out)."""
        ids = self.run_ids()
        upto = ids[: ids.index(run_id) + 1]
        kinds = dict(self._db.execute("SELECT run_id, scope_json FROM runs").fetchall())
        start = 0
        for i in range(len(upto) - 1, -1, -1):
            scope = RunScope.from_header({"scope": _loads(kinds.get(upto[i]))})
            if scope is not None and scope.all_hosts:
                start = i
                break
        window = upto[start:]
        rank = {r: i for i, r in enumerate(window)}
        latest: dict[str, tuple[int, tuple]] = {}
        marks = ",".join("?" * len(window))
        for row in self._db.execute(
            f"SELECT run_id, name, {columns} FROM hosts WHERE run_id IN ({marks}) ORDER BY seq", window
        ):
            if row[1] not in latest or rank[row[0]] >= latest[row[1]][0]:
                latest[row[1]] = (rank[row[0]], row[2:])
        return [(name, *cols) for name, (_r, cols) in latest.items()]

    def state_counts(self, run_id: str) -> dict[str, int]:
        """Readiness counts of the merged fleet state right after ``run_id``."""
        counts = dict.fromkeys(READINESS_ORDER, 0)
        for _name, readiness in self._latest_rows(run_id, "readiness"):
            counts[readiness if readiness in counts else Readiness.UNKNOWN] += 1
        return counts

    def fleet_state(self, ref: str = "last") -> FleetResult:
        """The merged fleet state after run ``ref``: every host's latest result, as one FleetResult."""
        run_id = self.resolve(ref)
        rows = self._latest_rows(run_id, "result_json")
        try:
            hosts = [json.loads(result_json) for _name, result_json in rows]
        except ValueError as exc:
            raise InputError(f"fleet state at run {run_id} is damaged: {exc}", path=str(self.path)) from None
        # The run's header with the state's hosts (not the run's own: they would be read for nothing).
        return replace(self.load_run(run_id, hosts=hosts), scope=None)  # a state covers every host it knows

    # --- reading -------------------------------------------------------------------------------

    def run_ids(self) -> list[str]:
        """Every recorded run id, oldest first."""
        return [r[0] for r in self._db.execute(f"SELECT run_id FROM runs {_ORDER}")]

    def resolve(self, ref: str) -> str:
        return resolve_ref(ref, self.run_ids(), where=str(self.path))

    def _summaries(self, where: str = "", params: tuple = ()) -> list[RunSummary]:
        rows = self._db.execute(
            "SELECT run_id, started, finished, duration_s, interrupted, hosts_total, ready, disconnected, "
            f"not_configured, unknown, scope_json FROM runs {where} {_ORDER}",
            params,
        )
        return [
            RunSummary(
                r[0],
                r[1],
                r[2],
                r[3],
                bool(r[4]),
                r[5],
                dict(zip(READINESS_ORDER, r[6:10], strict=True)),
                scope=RunScope.from_header({"scope": _loads(r[10])}),
            )  # fmt: skip
            for r in rows
        ]

    def runs(self, limit: int | None = 20) -> list[RunSummary]:
        """The most recent runs, newest first."""
        out = self._summaries()[::-1]
        out = out[:limit] if limit else out
        counts = self._migration_counts([r.run_id for r in out])
        return [replace(r, migration=counts.get(r.run_id, {})) for r in out]

    def _migration_counts(self, run_ids: list[str]) -> dict[str, dict[str, int]]:
        """Hosts per migration grade for each run, read from the stored host results (runs recorded
        before the successor pack have none: they count as Unknown)."""
        out: dict[str, dict[str, int]] = {}
        for i in range(0, len(run_ids), 500):
            chunk = run_ids[i : i + 500]
            rows = self._db.execute(
                "SELECT run_id, CASE WHEN json_valid(result_json) THEN coalesce(json_extract(result_json, "
                "'$.migration'), 'Unknown') ELSE 'Unknown' END, count(*) FROM hosts "
                f"WHERE run_id IN ({','.join('?' * len(chunk))}) GROUP BY 1, 2",
                chunk,
            ).fetchall()
            for run_id, state, n in rows:
                out.setdefault(run_id, {})[str(state)] = int(n)
        return out

    def trend(self, n: int = 14, until: str | None = None) -> list[RunSummary]:
        """The last ``n`` runs up to and including ``until`` (a run id; default the newest), oldest
        first, each with the merged fleet state after it (``state``)."""
        points = self._summaries()
        if until is not None:
            ids = [p.run_id for p in points]
            if until in ids:
                points = points[: ids.index(until) + 1]
        points = points[-n:] if n > 0 else []
        return [replace(p, state=self.state_counts(p.run_id)) for p in points]

    def previous_of(self, run_id: str) -> str | None:
        """The run recorded just before ``run_id``, if any."""
        ids = self.run_ids()
        if run_id not in ids:
            return ids[-1] if ids else None
        i = ids.index(run_id)
        return ids[i - 1] if i > 0 else None

    def state_before(self, run_id: str) -> FleetResult | None:
        """The merged fleet state just before ``run_id`` (what "changes since" compares with)."""
        prev = self.previous_of(run_id)
        return self.fleet_state(prev) if prev else None

    def last_full_run(self, until: str) -> str | None:
        """The newest complete (not interrupted) full-scope run up to and including ``until``."""
        ids = self.run_ids()
        upto = ids[: ids.index(until) + 1] if until in ids else ids
        rows = dict(
            self._db.execute("SELECT run_id, interrupted FROM runs WHERE scope_kind = 'full'").fetchall()
        )
        return next((r for r in reversed(upto) if r in rows and not rows[r]), None)

    def load_run(self, ref: str = "last", *, hosts: list[dict] | None = None) -> FleetResult:
        """A recorded run; ``hosts`` (host result JSON) replaces its own hosts without reading them."""
        run_id = self.resolve(ref)
        (header_json,) = self._db.execute(
            "SELECT header_json FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        try:
            header = json.loads(header_json)
            if hosts is None:
                rows = self._db.execute(
                    "SELECT result_json FROM hosts WHERE run_id = ? ORDER BY seq", (run_id,)
                )
                hosts = [json.loads(r[0]) for r in rows]
            header["hosts"] = hosts
            return FleetResult.from_dict(header)
        except (ValueError, ShapeError) as exc:
            raise InputError(f"run {run_id} is damaged: {exc}", path=str(self.path)) from None

    def diff(self, a: str = "previous", b: str = "last", *, state: bool = False) -> FleetDiff:
        """Cells evaluated in both runs; with ``state``, the merged fleet states after each run."""
        if state:
            return diff_fleets(self.fleet_state(a), self.fleet_state(b), state=True)
        return diff_fleets(self.load_run(a), self.load_run(b))

    def select_rerun(self, run: str = "last", failed_rule: str | None = None) -> list[str]:
        """Hosts to re-check, from the merged fleet state after ``run``: not Ready, or (with
        ``failed_rule``, a RuleId) where that rule is failing — evaluated then or carried."""
        if failed_rule is not None:
            self._check_rule(failed_rule)
        state = self.fleet_state(run)
        if failed_rule is None:
            return [h.name for h in state.hosts if h.readiness != Readiness.READY]
        return [h.name for h in state.hosts if any(o.RuleId == failed_rule and o.failed for o in h.outcomes)]

    def _check_rule(self, rule_id: str) -> None:
        """A misspelt RuleId would silently select nothing; refuse it with suggestions instead."""
        from umcheck.rules.catalog import ALL_RULES, unknown_rule_message

        seen = {r[0] for r in self._db.execute("SELECT DISTINCT rule_id FROM cells")} | {
            r.rule_id for r in ALL_RULES
        }
        if rule_id not in seen:
            raise UsageError(unknown_rule_message(rule_id))


def _loads(text: str | None) -> object:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None
