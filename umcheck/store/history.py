"""The Store: every run with its hosts and outcomes, and the fleet state, on SQLite or PostgreSQL.

Tables (runs, hosts; per host its rule results as a JSON column) answer the questions cheaply
("which hosts failed TlsVersionCheck last night?"); each host row also keeps the full HostResult
JSON, so any run can be rebuilt exactly and every report regenerated. ``cells`` is the fleet
state: per host and rule, the latest outcome with the run and time it came from, which partial
runs (re-checks) update cell by cell and carry forward (``umcheck/state/``). One schema (``schema.py``, SQLAlchemy
Core) and one migration history (``migrate.py``, Alembic) serve both backends.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, delete, func, insert, null, select, update
from sqlalchemy.exc import DBAPIError

from umcheck import __version__
from umcheck.errors import InputError, UsageError
from umcheck.reports.atomic import PRIVATE, Modes
from umcheck.reports.diff import FleetDiff, FleetLines, HostLine, RuleCell, diff_fleets
from umcheck.reports.runref import resolve_ref
from umcheck.reports.summary import READINESS_ORDER, duration_seconds, parse_time
from umcheck.results import FleetResult, HostResult, HostStatus, Readiness, RuleOutcome, RunScope
from umcheck.shared_strings import share_strings
from umcheck.state.cells import Cell
from umcheck.state.scope import scope_for
from umcheck.store import engine as engines
from umcheck.store import sqlite_file
from umcheck.store import url as db_url
from umcheck.store.schema import cells, hosts, runs
from umcheck.typed_load import ShapeError, dump, load_dataclass

LOCK_TIMEOUT = 30.0  # seconds to wait for another process's write lock before giving up
CHUNK = 500  # ids per IN (...) list: SQLite's and PostgreSQL's parameter limits are far above

F = TypeVar("F", bound=Callable[..., Any])


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


def scope_of(fleet: FleetResult) -> RunScope:
    """The recorded scope, or for a run from before scopes the one its rules and limit imply."""
    return fleet.scope or scope_for(fleet.rules, limit=fleet.limit, hosts=len({h.name for h in fleet.hosts}))


def _loads(text: str | None) -> object:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def host_text(result_json: str | None, result_z: bytes | None) -> str:
    """A stored host's JSON text: compressed since v4 (``result_z``), plain in rows from before."""
    if result_z is not None:
        try:
            return zlib.decompress(result_z).decode("ascii")
        except (zlib.error, UnicodeDecodeError) as exc:
            raise ValueError(f"a compressed host document is damaged ({exc})") from None
    return result_json or ""


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _bytewise(conn: Connection, column: Any) -> Any:
    """``column`` compared byte by byte, as SQLite does (a PostgreSQL locale would skip the dashes)."""
    return column.collate("C") if conn.dialect.name == "postgresql" else column


def _order(conn: Connection) -> tuple:
    """Runs oldest first; NULL times first and byte order for ties on both backends."""
    return (runs.c.started_ts.asc().nulls_first(), _bytewise(conn, runs.c.run_id))


# --- functions of a connection: shared by the Store and the migrations ---------------------------


BULK_ROWS = 5000  # rows per executemany: 10,000 hosts x 70 rules must not sit in memory at once
HOST_ROWS = 250  # hosts rows carry the whole host's document (≈ 7 KB compressed) and its rules (≈ 3 KB)
HOST_COLUMNS = ("run_id", "name", "seq", "status", "readiness", "os_family", "address", "transport", "error",
                "error_kind", "started", "elapsed_ms", "result_json", "migration", "result_z", "rules")  # fmt: skip
_RULES = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def rules_text(host: HostResult) -> str:
    """``hosts.rules`` (schema.RULES_JSON): per outcome its rule, group, result and message id."""
    return _RULES([[o.RuleId, o.RuleGroupId, o.CheckResult, o.CheckResultMessageId] for o in host.outcomes])


def _rule_cells(text: str | None, shared: _SharedCells, carried: set[str] | frozenset = frozenset()) -> tuple:
    """The RuleCells of a ``hosts.rules`` text; a damaged one compares no rule (claims nothing)."""
    try:
        return tuple(shared(r[0], r[2], True if r[0] in carried else None) for r in json.loads(text or "[]"))
    except (ValueError, TypeError, IndexError, KeyError):
        return ()


def bulk(conn: Connection, stmt: Any, columns: tuple[str, ...], rows: Iterable[tuple],
         per_batch: int | None = None) -> None:  # fmt: skip
    """Many rows (tuples in ``columns`` order) as ``executemany`` batches (psycopg 3 pipelines them).

    ``rows`` may be a generator: only one batch is built at a time, so the memory a save needs does
    not grow with the fleet. The statement is compiled once by SQLAlchemy for the connection's
    dialect and run with ``exec_driver_sql``: ``execute`` re-processes every row's parameters,
    which cost more than SQLite's own inserts (≈ 1.4 million rows for 10,000 hosts). Values are
    plain (str, int, float, None): no column type needs a bind processor. Multi-row ``VALUES``
    statements were tried for PostgreSQL and were not faster.
    """
    compiled = stmt.compile(dialect=conn.dialect, column_keys=list(columns))
    if compiled.positional:  # SQLite: ? placeholders, in the compiled order
        order = [columns.index(name) for name in compiled.positiontup]
        shape = None if order == list(range(len(columns))) else (lambda row: tuple(row[i] for i in order))
    else:  # psycopg: %(name)s placeholders
        shape = lambda row: dict(zip(columns, row, strict=True))  # noqa: E731
    per_batch = per_batch or BULK_ROWS
    batch: list[Any] = []
    for row in rows:
        batch.append(row if shape is None else shape(row))
        if len(batch) >= per_batch:
            conn.exec_driver_sql(compiled.string, batch)
            batch = []
    if batch:
        conn.exec_driver_sql(compiled.string, batch)


def run_ids(conn: Connection) -> list[str]:
    """Every recorded run id, oldest first."""
    return list(conn.scalars(select(runs.c.run_id).order_by(*_order(conn))))


def load_run(conn: Connection, run_id: str, *, hosts_json: list[dict] | None = None,
             where: str = "the history database", compressed: bool = True) -> FleetResult:  # fmt: skip
    """A recorded run. ``compressed=False``: the schema before v4 (for the v2 migration)."""
    header_json = conn.scalar(select(runs.c.header_json).where(runs.c.run_id == run_id))
    try:
        header = json.loads(header_json)
        if hosts_json is not None:
            header["hosts"] = hosts_json
            return FleetResult.from_dict(header)
        header["hosts"] = []
        fleet = FleetResult.from_dict(header)
        z = hosts.c.result_z if compressed else null()
        rows = conn.execute(select(hosts.c.result_json, z).where(hosts.c.run_id == run_id).order_by(hosts.c.seq))
        same_encoder = fleet.umcheck_version == __version__
        memo: dict[str, str] = {}
        return replace(fleet, hosts=[_stored_host(text, packed, memo, same_encoder) for text, packed in rows])
    except (ValueError, TypeError, ShapeError) as exc:
        raise InputError(f"run {run_id} is damaged: {exc}", path=where) from None


def _stored_host(text: str | None, packed: bytes | None, memo: dict[str, str], same_encoder: bool) -> HostResult:
    """One stored host, converted as it is read (a whole run's parsed JSON is never held at once),
    its repeated texts shared; a document this umcheck version wrote is kept as the encoded form."""
    host = HostResult.from_dict(share_strings(json.loads(host_text(text, packed)), memo))
    if packed is not None and same_encoder:
        host.adopt_json(packed)
    return host


CELL_COLUMNS = ("host", "rule_id", "run_id", "evaluated_at", "evaluated_ts", "check_result", "outcome_json", "seq")
CELL_COLUMNS_V2 = CELL_COLUMNS[:-1]  # before v4: no seq, the outcome's JSON in the cell


def upsert_cells(conn: Connection, fleet: FleetResult, *, pointers: bool = True) -> None:
    """Every rule a host was evaluated on in this run replaces its cell, unless the cell is newer.

    A cell points at its outcome in the host's stored document (``seq``); ``pointers=False``
    writes the outcome's JSON into the cell instead, as the schema before v4 did (the v2
    migration replays old runs with it)."""
    from umcheck.state.merge import rule_ids

    columns = CELL_COLUMNS if pointers else CELL_COLUMNS_V2
    rows: dict[tuple[str, str], tuple] = {}  # one row per cell: a statement may not update a row twice
    stmt = _cells_upsert(conn, columns)
    run_id = fleet.run_id
    empty = (None,) * (len(columns) - 5)  # a rule evaluated with no row: no result, no outcome
    for h in {h.name: h for h in fleet.hosts}.values():  # the result save_run stores: a cell points into it
        if len(rows) >= BULK_ROWS:  # a batch ends between hosts; a later statement may update its rows
            bulk(conn, stmt, columns, rows.values())
            rows.clear()
        if h.status != HostStatus.OK or h.os_family not in ("windows", "linux"):
            continue
        at, at_ts = h.started or fleet.started, _ts(h.started or fleet.started)
        if pointers:
            now = {o.RuleId: (o.CheckResult, None, i) for i, o in enumerate(h.outcomes) if o.carried is None}
        else:
            texts = h.outcome_texts()  # each outcome's JSON, encoded once with the host: not again
            now = {o.RuleId: (o.CheckResult, texts[i]) for i, o in enumerate(h.outcomes) if o.carried is None}
        name = h.name
        for rule_id in dict.fromkeys([*rule_ids(h.os_family, tuple(fleet.rules)), *now]):
            key = (name, rule_id)
            if key in rows and rows[key][4] > at_ts:
                continue  # as the upsert's own rule: a newer cell is kept
            rows[key] = (name, rule_id, run_id, at, at_ts, *now.get(rule_id, empty))
    bulk(conn, stmt, columns, rows.values())


class _SharedCells(dict):
    """One RuleCell per distinct (rule, result, carried): a diff of 10,000 hosts reads half a million
    outcome rows, but they hold only a few hundred distinct values."""

    def __call__(self, rule_id: str, check_result: str, carried: bool | None = None) -> RuleCell:
        key = (rule_id, check_result, carried)
        cell = self.get(key)
        if cell is None:
            cell = self[key] = RuleCell(rule_id, check_result, carried)
        return cell


def _cells_upsert(conn: Connection, columns: tuple[str, ...] = CELL_COLUMNS) -> Any:
    """Insert a cell, or replace it unless the stored one is newer."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    stmt = dialect_insert(cells)
    new = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=[cells.c.host, cells.c.rule_id],
        set_={c: new[c] for c in columns if c not in ("host", "rule_id")},
        where=new.evaluated_ts >= cells.c.evaluated_ts,
    )


# --- the Store ------------------------------------------------------------------------------------


def _db_call(method: F) -> F:
    """One transaction per outermost call (committed on success); a backend's error as umcheck's."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        if self._depth:
            return method(self, *args, **kwargs)
        self._depth += 1
        try:
            result = method(self, *args, **kwargs)
            if self._conn.in_transaction():
                self._conn.commit()
            return result
        except DBAPIError as exc:
            self._rollback()
            raise engines.unwrap(exc, self._url) from None
        except BaseException:
            self._rollback()
            raise
        finally:
            self._depth -= 1

    return wrapper  # type: ignore[return-value]


class Store:
    """The history database. One connection per instance; not shared between threads.

    ``path`` is a SQLite file (created owner-only, ``modes.file``) or a PostgreSQL URL
    (``url.py``; the password never leaves the engine: ``self.path`` shows it masked). Errors opening it are one line: DamagedHistory, LockedHistory or an
    EnvironmentProblem for a file (``sqlite_file.history_problem``), HistoryUnavailable for a server.
    """

    def __init__(
        self,
        path: Path | str = db_url.DEFAULT_DB,
        *,
        create: bool = True,
        modes: Modes = PRIVATE,
        timeout: float | None = None,
    ):
        from umcheck.store import migrate

        self._depth = 0
        self._url = None
        location = db_url.db_location(path)
        if isinstance(location, str):
            self._url = db_url.parse(location)
            self.path: Path | str = db_url.display(self._url)
            self.sqlite = False
            engine = engines.postgres_engine(self._url)
        else:
            self.path, self.sqlite = location, True
            if not location.exists():
                if not create:
                    raise UsageError(f"no history database at {location} (run a scan first, or pass --db PATH)")
                sqlite_file.create_file(location, modes)
            engine = engines.sqlite_engine(location, LOCK_TIMEOUT if timeout is None else timeout)
        self._engine = engine
        try:
            self._conn = engine.connect()
        except DBAPIError as exc:
            engine.dispose()
            raise self._problem(exc) from None
        try:
            migrate.upgrade(self._conn, where=str(self.path), create=create or self.sqlite)
        except DBAPIError as exc:
            self._rollback()
            self.close()
            raise self._problem(exc) from None
        except BaseException:
            self._rollback()
            self.close()
            raise

    def _problem(self, exc: DBAPIError) -> Exception:
        problem = engines.unwrap(exc, self._url)
        if self.sqlite and isinstance(problem, sqlite3.Error):
            return sqlite_file.history_problem(self.path, problem)
        return problem

    def _rollback(self) -> None:
        with contextlib.suppress(Exception):
            if self._conn.in_transaction():
                self._conn.rollback()

    @_db_call
    def check(self) -> None:
        """Every page readable (``PRAGMA quick_check``); DamagedHistory if not, before a scan trusts it.

        SQLite only: a PostgreSQL server keeps its own pages whole.
        """
        if not self.sqlite:
            return
        with sqlite_file.reading(self.path):
            raw = self._conn.connection.driver_connection
            sqlite_file.quick_check(raw)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.close()
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -------------------------------------------------------------------------------

    @_db_call
    def save_run(self, fleet: FleetResult) -> None:
        """Record a run and update the fleet state with the cells it evaluated: one transaction,
        one ``executemany`` per table. Saving the same run id again replaces it."""
        by_name = {h.name: h for h in fleet.hosts}  # last result per host wins, as in the journal
        counts = dict.fromkeys(READINESS_ORDER, 0)
        for h in by_name.values():
            counts[h.readiness if h.readiness in counts else Readiness.UNKNOWN] += 1
        header = replace(fleet, hosts=[]).to_dict()
        header.pop("hosts")
        scope = scope_of(fleet)
        conn = self._conn
        conn.execute(delete(runs).where(runs.c.run_id == fleet.run_id))
        run_row = {
            "run_id": fleet.run_id, "started": fleet.started, "started_ts": _ts(fleet.started) or None,
            "finished": fleet.finished, "duration_s": duration_seconds(fleet.started, fleet.finished),
            "interrupted": int(fleet.interrupted), "umcheck_version": fleet.umcheck_version,
            "hosts_total": len(by_name), "ready": counts[Readiness.READY],
            "disconnected": counts[Readiness.DISCONNECTED], "not_configured": counts[Readiness.NOT_CONFIGURED],
            "unknown": counts[Readiness.UNKNOWN], "header_json": json.dumps(header), "scope_kind": scope.kind,
            "scope_json": json.dumps(dump(scope)),
        }  # fmt: skip
        bulk(conn, insert(runs), tuple(run_row), [tuple(run_row.values())])
        run_id = fleet.run_id
        bulk(conn, insert(hosts), HOST_COLUMNS, (
            (run_id, h.name, seq, h.status, h.readiness, h.os_family, h.address, h.transport, h.error,
             h.error_kind, h.started, h.elapsed_ms, "", h.migration, h.json_z(), rules_text(h))
            for seq, h in enumerate(by_name.values())), min(HOST_ROWS, BULK_ROWS))  # fmt: skip
        upsert_cells(conn, fleet)

    @_db_call
    def forget_runs(self, keep: int) -> list[str]:
        """Delete all but the newest ``keep`` runs (their hosts and outcomes with them), oldest
        first; returns the run ids deleted. A run the kept runs' merged states still read (back to
        the last run that covered every host) is kept too, so the fleet state, the comparison and
        the trend of the kept runs stay what they were. Cells keep their outcome and when it was
        evaluated, whichever run that was (one that pointed into a deleted run's document gets a
        copy of its outcome first)."""
        if not isinstance(keep, int) or isinstance(keep, bool) or keep < 1:
            raise UsageError(f"history retention must keep at least 1 run, got {keep!r}")
        ids = run_ids(self._conn)
        if len(ids) <= keep:
            return []
        # Windows run back to the last full run, so a later run's window never starts earlier:
        # the oldest kept run's window is where what is needed begins.
        doomed = ids[: ids.index(self._window(ids[-keep])[0])]
        self._detach_cells(doomed)
        for chunk in _chunks(doomed):
            self._conn.execute(delete(runs).where(runs.c.run_id.in_(chunk)))  # hosts: ON DELETE CASCADE
        return doomed

    def _detach_cells(self, doomed: list[str]) -> None:
        """Cells still pointing into documents of runs about to go get a copy of their outcome
        (as before v4): a retired host's last results outlive the runs that found them."""
        c = cells.c
        rows = []
        for chunk in _chunks(doomed):
            rows += self._conn.execute(select(c.host, c.rule_id, c.run_id, c.seq)
                                       .where(c.run_id.in_(chunk), c.seq.is_not(None))).all()  # fmt: skip
        if not rows:
            return
        documents = self._outcome_lists({(run_id, host) for host, _rule, run_id, _seq in rows})
        keep, lose = [], []
        for host, rule_id, run_id, seq in rows:
            doc = documents.get((run_id, host))
            if doc is not None and 0 <= seq < len(doc):
                keep.append({"h": host, "r": rule_id, "o": json.dumps(doc[seq], separators=(",", ":"))})
            else:
                lose.append({"h": host, "r": rule_id})  # unreadable: as good as never checked
        where = (c.host == bindparam("h"), c.rule_id == bindparam("r"))
        if keep:
            self._conn.execute(update(cells).where(*where).values(outcome_json=bindparam("o"), seq=None), keep)
        if lose:
            self._conn.execute(delete(cells).where(*where), lose)

    # --- the fleet state -----------------------------------------------------------------------

    @_db_call
    def cells_for(
        self, hosts_: Iterable[str], *, exclude_run: str | None = None
    ) -> dict[str, dict[str, Cell]]:
        """Each host's latest cells (host -> rule -> Cell), for carrying into a partial run."""
        out: dict[str, dict[str, Cell]] = {}
        c = cells.c
        cols = (c.host, c.rule_id, c.run_id, c.evaluated_at, c.outcome_json, c.seq)
        for chunk in _chunks(sorted(set(hosts_))):
            rows = [r for r in self._conn.execute(select(*cols).where(c.host.in_(chunk))) if r[2] != exclude_run]
            documents = self._outcome_lists({(r[2], r[0]) for r in rows if r[5] is not None})
            for host, rule_id, run_id, at, outcome_json, seq in rows:
                try:
                    if seq is not None:  # v4: the outcome inside the host's document of that run
                        doc = documents.get((run_id, host))
                        if doc is None or not 0 <= seq < len(doc):
                            continue  # a damaged or missing document: the rule counts as never checked
                        outcome = load_dataclass(RuleOutcome, doc[seq], capped=False)
                    else:
                        outcome = (load_dataclass(RuleOutcome, json.loads(outcome_json), capped=False)
                                   if outcome_json else None)  # fmt: skip
                except (ValueError, ShapeError):
                    continue  # a damaged cell is as good as none: the rule counts as never checked
                out.setdefault(host, {})[rule_id] = Cell(host, rule_id, run_id, at, outcome)
        return out

    def _outcome_lists(self, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], list]:
        """The ``outcomes`` list of each (run, host) document asked for; damaged ones are left out."""
        out: dict[tuple[str, str], list] = {}
        by_run: dict[str, list[str]] = {}
        for run_id, name in pairs:
            by_run.setdefault(run_id, []).append(name)
        h = hosts.c
        for run_id, names in by_run.items():
            for chunk in _chunks(sorted(names)):
                stmt = select(h.name, h.result_json, h.result_z).where(h.run_id == run_id, h.name.in_(chunk))
                for name, text, packed in self._conn.execute(stmt):
                    try:
                        doc = json.loads(host_text(text, packed))
                    except ValueError:
                        continue
                    outcomes_ = doc.get("outcomes") if isinstance(doc, dict) else None
                    if isinstance(outcomes_, list):
                        out[(run_id, name)] = outcomes_
        return out

    def _window(self, run_id: str) -> list[str]:
        """The runs since the newest run up to ``run_id`` that covered every host (so retired hosts
        drop out of the state), oldest first."""
        ids = run_ids(self._conn)
        upto = ids[: ids.index(run_id) + 1]
        scopes = {r: s for r, s in self._conn.execute(select(runs.c.run_id, runs.c.scope_json))}
        for i in range(len(upto) - 1, -1, -1):
            scope = RunScope.from_header({"scope": _loads(scopes.get(upto[i]))})
            if scope is not None and scope.all_hosts:
                return upto[i:]
        return upto

    def _latest_rows(self, run_id: str, *columns: str) -> list[tuple]:
        """Per host, (name, *columns) of its latest row in the window up to ``run_id``."""
        window = self._window(run_id)
        rank = {r: i for i, r in enumerate(window)}
        latest: dict[str, tuple[int, tuple]] = {}
        for chunk in _chunks(window):
            stmt = select(hosts.c.run_id, hosts.c.name, *(hosts.c[c] for c in columns)).where(hosts.c.run_id.in_(chunk))
            order = (hosts.c.seq, _bytewise(self._conn, hosts.c.run_id), _bytewise(self._conn, hosts.c.name))
            for rid, name, *values in self._conn.execute(stmt.order_by(*order)):
                if name not in latest or rank[rid] >= latest[name][0]:
                    latest[name] = (rank[rid], tuple(values))
        return [(name, *values) for name, (_r, values) in latest.items()]

    @_db_call
    def state_counts(self, run_id: str) -> dict[str, int]:
        """Readiness counts of the merged fleet state right after ``run_id``."""
        counts = dict.fromkeys(READINESS_ORDER, 0)
        for _name, readiness in self._latest_rows(run_id, "readiness"):
            counts[readiness if readiness in counts else Readiness.UNKNOWN] += 1
        return counts

    @_db_call
    def fleet_state(self, ref: str = "last", *, run: FleetResult | None = None) -> FleetResult:
        """The merged fleet state after run ``ref``: every host's latest result, as one FleetResult.

        ``run`` is that run in memory: when it covered every host (its window is itself), the state
        is its own hosts, and 10,000 result documents are not read back and parsed."""
        run_id = self.resolve(ref)
        if run is not None and run.run_id == run_id and self._window(run_id) == [run_id]:
            latest = {h.name: h for h in run.hosts}  # the last result per host, as save_run keeps it
            return replace(run, hosts=list(latest.values()), scope=None)
        rows = self._latest_rows(run_id, "result_json", "result_z")
        memo: dict[str, str] = {}
        try:  # host by host, as load_run: never every parsed document at once (rows of several runs: none adopted)
            state = [_stored_host(text, packed, memo, same_encoder=False) for _name, text, packed in rows]
        except (ValueError, TypeError, ShapeError) as exc:
            raise InputError(f"fleet state at run {run_id} is damaged: {exc}", path=str(self.path)) from None
        # The run's header with the state's hosts (not the run's own: they would be read for nothing).
        return replace(self.load_run(run_id, hosts=[]), hosts=state, scope=None)  # a state covers every host it knows

    @_db_call
    def state_lines(self, ref: str = "last") -> FleetLines:
        """The merged fleet state after ``ref`` as the diff reads it: per host its latest row's
        columns and that row's per-rule results (``hosts.rules``), no result document read."""
        run_id = self.resolve(ref)
        window = self._window(run_id)
        rank = {r: i for i, r in enumerate(window)}
        latest: dict[str, tuple[int, tuple]] = {}
        h = hosts.c
        for chunk in _chunks(window):
            stmt = (select(h.run_id, h.name, h.status, h.readiness, h.error, h.migration).where(h.run_id.in_(chunk))
                    .order_by(h.seq, _bytewise(self._conn, h.run_id), _bytewise(self._conn, h.name)))  # fmt: skip
            for row in self._conn.execute(stmt):
                if row[1] not in latest or rank[row[0]] >= latest[row[1]][0]:
                    latest[row[1]] = (rank[row[0]], tuple(row))
        chosen: dict[str, list[str]] = {}  # run -> its rows that are the latest of their host
        for name, (_r, row) in latest.items():
            chosen.setdefault(row[0], []).append(name)
        rules: dict[str, tuple[RuleCell, ...]] = {}
        shared = _SharedCells()
        for rid, names in chosen.items():  # only the chosen rows' rules: not the whole window's
            for chunk in _chunks(names):
                stmt = select(h.name, h.rules).where(h.run_id == rid, h.name.in_(chunk))
                for name, text in self._conn.execute(stmt):
                    rules[name] = _rule_cells(text, shared)
        lines = [HostLine(name, status, readiness, error, migration or "Unknown", rules.get(name, ()))
                 for name, (_r, (_rid, _n, status, readiness, error, migration)) in latest.items()]  # fmt: skip
        return FleetLines(run_id, lines)

    @_db_call
    def run_lines(self, ref: str = "last") -> FleetLines:
        """One run as the runs diff reads it, from the columns: per host its row and per-rule
        results, each marked carried when the run did not evaluate it. A run carries exactly the
        rules of the catalog its selection left out (``state.merge.merge_host``), so that is read
        off the run's rule selection and the host's OS, not out of 10,000 result documents."""
        from umcheck.state.merge import rule_ids

        run_id = self.resolve(ref)
        header = json.loads(self._conn.scalar(select(runs.c.header_json).where(runs.c.run_id == run_id)) or "{}")
        selectors = tuple(header.get("rules") or ())
        scope = RunScope.from_header(header)
        carried_by_os = {os: set(rule_ids(os)) - set(rule_ids(os, selectors)) for os in ("windows", "linux")}
        h = hosts.c
        shared = _SharedCells()
        no_rules: set[str] = set()
        stmt = select(h.name, h.status, h.readiness, h.error, h.migration, h.os_family, h.rules)
        lines = [HostLine(name, status, readiness, error, migration or "Unknown",
                          _rule_cells(text, shared, carried_by_os.get(os_family, no_rules) if status == HostStatus.OK
                                      else no_rules))
                 for name, status, readiness, error, migration, os_family, text
                 in self._conn.execute(stmt.where(h.run_id == run_id).order_by(h.seq))]  # fmt: skip
        return FleetLines(run_id, lines, scope)

    # --- reading -------------------------------------------------------------------------------

    @_db_call
    def run_ids(self) -> list[str]:
        """Every recorded run id, oldest first."""
        return run_ids(self._conn)

    @_db_call
    def resolve(self, ref: str) -> str:
        return resolve_ref(ref, run_ids(self._conn), where=str(self.path))

    def _summaries(self) -> list[RunSummary]:
        c = runs.c
        rows = self._conn.execute(
            select(c.run_id, c.started, c.finished, c.duration_s, c.interrupted, c.hosts_total, c.ready,
                   c.disconnected, c.not_configured, c.unknown, c.scope_json).order_by(*_order(self._conn))
        )  # fmt: skip
        return [
            RunSummary(r[0], r[1], r[2], r[3], bool(r[4]), r[5], dict(zip(READINESS_ORDER, r[6:10], strict=True)),
                       scope=RunScope.from_header({"scope": _loads(r[10])}))  # fmt: skip
            for r in rows
        ]

    @_db_call
    def runs(self, limit: int | None = 20) -> list[RunSummary]:
        """The most recent runs, newest first."""
        out = self._summaries()[::-1]
        out = out[:limit] if limit else out
        counts = self._migration_counts([r.run_id for r in out])
        return [replace(r, migration=counts.get(r.run_id, {})) for r in out]

    def _migration_counts(self, ids: list[str]) -> dict[str, dict[str, int]]:
        """Hosts per migration grade for each run (runs recorded before the successor pack have
        none: they count as Unknown). A column of its own since v3: no JSON functions needed."""
        out: dict[str, dict[str, int]] = {}
        grade = func.coalesce(hosts.c.migration, "Unknown")
        for chunk in _chunks(ids):
            stmt = (select(hosts.c.run_id, grade, func.count()).where(hosts.c.run_id.in_(chunk))
                    .group_by(hosts.c.run_id, grade))  # fmt: skip
            for run_id, state, n in self._conn.execute(stmt):
                out.setdefault(run_id, {})[str(state)] = int(n)
        return out

    @_db_call
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

    @_db_call
    def previous_of(self, run_id: str) -> str | None:
        """The run recorded just before ``run_id``, if any."""
        ids = run_ids(self._conn)
        if run_id not in ids:
            return ids[-1] if ids else None
        i = ids.index(run_id)
        return ids[i - 1] if i > 0 else None

    @_db_call
    def last_full_run(self, until: str) -> str | None:
        """The newest complete (not interrupted) full-scope run up to and including ``until``."""
        ids = run_ids(self._conn)
        upto = ids[: ids.index(until) + 1] if until in ids else ids
        stmt = select(runs.c.run_id, runs.c.interrupted).where(runs.c.scope_kind == "full")
        rows = {r: i for r, i in self._conn.execute(stmt)}
        return next((r for r in reversed(upto) if r in rows and not rows[r]), None)

    @_db_call
    def load_run(self, ref: str = "last", *, hosts: list[dict] | None = None) -> FleetResult:
        """A recorded run; ``hosts`` (host result JSON) replaces its own hosts without reading them."""
        return load_run(self._conn, self.resolve(ref), hosts_json=hosts, where=str(self.path))

    @_db_call
    def diff(self, a: str = "previous", b: str = "last", *, state: bool = False) -> FleetDiff:
        """Cells evaluated in both runs; with ``state``, the merged fleet states after each run."""
        if state:
            return diff_fleets(self.state_lines(a), self.state_lines(b), state=True)
        return diff_fleets(self.run_lines(a), self.run_lines(b))

    @_db_call
    def select_rerun(self, run: str = "last", failed_rule: str | None = None) -> list[str]:
        """Hosts to re-check, from the merged fleet state after ``run``: not Ready, or (with
        ``failed_rule``, a RuleId) where that rule is failing — evaluated then or carried."""
        if failed_rule is not None:
            self._check_rule(failed_rule)
        state = self.state_lines(run)  # the columns: no host's result document is read
        if failed_rule is None:
            return [h.name for h in state.hosts if h.readiness != Readiness.READY]
        return [h.name for h in state.hosts if any(o.RuleId == failed_rule and o.failed for o in h.outcomes)]

    def _check_rule(self, rule_id: str) -> None:
        """A misspelt RuleId would silently select nothing; refuse it with suggestions instead."""
        from umcheck.rules.catalog import ALL_RULES, unknown_rule_message

        seen = set(self._conn.scalars(select(cells.c.rule_id).distinct())) | {r.rule_id for r in ALL_RULES}
        if rule_id not in seen:
            raise UsageError(unknown_rule_message(rule_id))


def backfill_migration(conn: Connection) -> None:
    """v3: each stored host's migration grade, read once from its result JSON."""
    rows = conn.execute(select(hosts.c.run_id, hosts.c.name, hosts.c.result_json)).all()
    updates = []
    for run_id, name, result_json in rows:
        doc = _loads(result_json)
        grade = doc.get("migration") if isinstance(doc, dict) else None
        if isinstance(grade, str):
            updates.append({"r": run_id, "n": name, "m": grade})
    if updates:
        stmt = (update(hosts).where(hosts.c.run_id == bindparam("r"), hosts.c.name == bindparam("n"))
                .values(migration=bindparam("m")))  # fmt: skip
        conn.execute(stmt, updates)
