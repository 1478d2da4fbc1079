"""Run history in SQLite: every run with its hosts and outcomes, for history, diff, trend, re-checks.

Normalised tables (runs, hosts, outcomes) answer the questions cheaply ("which hosts failed
TlsVersionCheck last night?"); each host row also keeps the full HostResult JSON, so any run can
be rebuilt exactly and every report regenerated. The schema version lives in ``PRAGMA
user_version``; a database from a newer umcheck is refused rather than misread.
"""

from __future__ import annotations

import difflib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from umcheck.errors import InputError, UsageError
from umcheck.reports.diff import FleetDiff, diff_fleets
from umcheck.reports.runref import resolve_ref
from umcheck.reports.summary import READINESS_ORDER, duration_seconds, parse_time
from umcheck.results import CheckResult, FleetResult, Readiness
from umcheck.typed_load import ShapeError

SCHEMA_VERSION = 1
DEFAULT_DB = Path("reports") / "umcheck.db"

_SCHEMA = """
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
    header_json     TEXT NOT NULL
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
"""

_ORDER = "ORDER BY started_ts, run_id"


@dataclass(frozen=True)
class RunSummary:
    """One line of ``umcheck history`` and one point of the trend chart."""

    run_id: str
    started: str
    finished: str | None
    duration_s: float | None
    interrupted: bool
    hosts: int
    readiness: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "started": self.started,
            "finished": self.finished,
            "duration_seconds": self.duration_s,
            "interrupted": self.interrupted,
            "hosts": self.hosts,
            "readiness": dict(self.readiness),
        }


class Store:
    """The history database. One connection per instance; not shared between threads."""

    def __init__(self, path: Path | str = DEFAULT_DB, *, create: bool = True):
        self.path = Path(path)
        if not self.path.exists():
            if not create:
                raise UsageError(f"no history database at {self.path} (run a scan first, or pass --db PATH)")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=30)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise InputError(f"not a usable umcheck history database ({exc})", path=str(self.path)) from None

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

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -------------------------------------------------------------------------------

    def save_run(self, fleet: FleetResult) -> None:
        """Record a run; saving the same run id again replaces it (re-saving is harmless)."""
        hosts = {h.name: h for h in fleet.hosts}  # last result per host wins, as in the journal
        counts = dict.fromkeys(READINESS_ORDER, 0)
        for h in hosts.values():
            counts[h.readiness if h.readiness in counts else Readiness.UNKNOWN] += 1
        header = fleet.to_dict()
        header.pop("hosts")
        started = parse_time(fleet.started)
        with self._db:
            self._db.execute("DELETE FROM runs WHERE run_id = ?", (fleet.run_id,))
            self._db.execute(
                "INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    fleet.run_id,
                    fleet.started,
                    started.timestamp() if started and started.tzinfo else None,
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

    # --- reading -------------------------------------------------------------------------------

    def run_ids(self) -> list[str]:
        """Every recorded run id, oldest first."""
        return [r[0] for r in self._db.execute(f"SELECT run_id FROM runs {_ORDER}")]

    def resolve(self, ref: str) -> str:
        return resolve_ref(ref, self.run_ids(), where=str(self.path))

    def _summaries(self, where: str = "", params: tuple = ()) -> list[RunSummary]:
        rows = self._db.execute(
            "SELECT run_id, started, finished, duration_s, interrupted, hosts_total, ready, disconnected, "
            f"not_configured, unknown FROM runs {where} {_ORDER}",
            params,
        )
        return [
            RunSummary(
                r[0], r[1], r[2], r[3], bool(r[4]), r[5], dict(zip(READINESS_ORDER, r[6:10], strict=True))
            )
            for r in rows
        ]

    def runs(self, limit: int | None = 20) -> list[RunSummary]:
        """The most recent runs, newest first."""
        out = self._summaries()[::-1]
        return out[:limit] if limit else out

    def trend(self, n: int = 14, until: str | None = None) -> list[RunSummary]:
        """The last ``n`` runs up to and including ``until`` (a run id; default the newest), oldest first."""
        points = self._summaries()
        if until is not None:
            ids = [p.run_id for p in points]
            if until in ids:
                points = points[: ids.index(until) + 1]
        return points[-n:] if n > 0 else []

    def previous_of(self, run_id: str) -> str | None:
        """The run recorded just before ``run_id``, if any."""
        ids = self.run_ids()
        if run_id not in ids:
            return ids[-1] if ids else None
        i = ids.index(run_id)
        return ids[i - 1] if i > 0 else None

    def load_run(self, ref: str = "last") -> FleetResult:
        run_id = self.resolve(ref)
        (header_json,) = self._db.execute(
            "SELECT header_json FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        rows = self._db.execute("SELECT result_json FROM hosts WHERE run_id = ? ORDER BY seq", (run_id,))
        try:
            header = json.loads(header_json)
            header["hosts"] = [json.loads(r[0]) for r in rows]
            return FleetResult.from_dict(header)
        except (ValueError, ShapeError) as exc:
            raise InputError(f"run {run_id} is damaged: {exc}", path=str(self.path)) from None

    def diff(self, a: str = "previous", b: str = "last") -> FleetDiff:
        return diff_fleets(self.load_run(a), self.load_run(b))

    def select_rerun(self, run: str = "last", failed_rule: str | None = None) -> list[str]:
        """Hosts to re-check: not Ready in ``run``, or (with ``failed_rule``) where that RuleId Failed."""
        run_id = self.resolve(run)
        if failed_rule is None:
            rows = self._db.execute(
                "SELECT name FROM hosts WHERE run_id = ? AND readiness != ? ORDER BY seq",
                (run_id, Readiness.READY.value),
            )
            return [r[0] for r in rows]
        self._check_rule(run_id, failed_rule)
        rows = self._db.execute(
            "SELECT DISTINCT h.name, h.seq FROM outcomes o JOIN hosts h ON h.run_id = o.run_id AND h.name = o.host "
            "WHERE o.run_id = ? AND o.rule_id = ? AND o.check_result = ? ORDER BY h.seq",
            (run_id, failed_rule, CheckResult.FAILED.value),
        )
        return [r[0] for r in rows]

    def _check_rule(self, run_id: str, rule_id: str) -> None:
        """A misspelt RuleId would silently select nothing; refuse it with a suggestion instead."""
        seen = {
            r[0]
            for r in self._db.execute("SELECT DISTINCT rule_id FROM outcomes WHERE run_id = ?", (run_id,))
        }
        try:
            from umcheck.rules.catalog import ALL_RULES

            seen |= {r.rule_id for r in ALL_RULES}
        except ImportError:  # pragma: no cover - the catalog is part of the package
            pass
        if rule_id in seen:
            return
        close = difflib.get_close_matches(rule_id, sorted(seen), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(f"unknown rule id '{rule_id}' for run {run_id}{hint}")
