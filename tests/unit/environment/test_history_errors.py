"""What the history database's own problems become: one line that says what to do."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from umcheck.errors import EnvironmentProblem
from umcheck.store import DamagedHistory, LockedHistory, Store, history_problem, reading, set_aside


def _error(code: int, text: str) -> sqlite3.Error:
    exc = sqlite3.OperationalError(text)
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    return exc


@pytest.mark.parametrize(("code", "text", "kind"), [
    (5, "database is locked", LockedHistory),
    (6, "database table is locked", LockedHistory),
    (13, "database or disk is full", EnvironmentProblem),
    (14, "unable to open database file", EnvironmentProblem),
    (8, "attempt to write a readonly database", EnvironmentProblem),
    (11, "database disk image is malformed", DamagedHistory),
    (26, "file is not a database", DamagedHistory),
    (522, "disk I/O error", DamagedHistory),  # SQLITE_IOERR_SHORT_READ: the file was cut short
])  # fmt: skip
def test_each_sqlite_error_is_named_for_what_it_is(code, text, kind):
    problem = history_problem("r/umcheck.db", _error(code, text))
    assert type(problem) is kind and "\n" not in str(problem)
    if kind is DamagedHistory:
        assert str(problem).startswith("r/umcheck.db: not a usable umcheck history database")
        assert 'sqlite3 r/umcheck.db ".recover" | sqlite3 recovered.db' in str(problem)


def test_reading_turns_sqlite_errors_into_one_line(tmp_path):
    with pytest.raises(LockedHistory, match="locked by another process .*; try again when it has finished"):
        with reading(tmp_path / "h.db"):
            raise _error(5, "database is locked")
    with pytest.raises(DamagedHistory, match="malformed"):
        with reading(tmp_path / "h.db"):
            raise _error(11, "database disk image is malformed")


def test_set_aside_moves_the_side_files_too(tmp_path):
    db = tmp_path / "umcheck.db"
    for suffix in ("", "-journal", "-wal"):
        (tmp_path / f"umcheck.db{suffix}").write_text(suffix or "main")
    when = datetime(2026, 12, 2, 3, 4, 5, tzinfo=UTC)
    first = set_aside(db, when)
    assert first.name == "umcheck.db.damaged-20261202T030405Z"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "umcheck.db.damaged-20261202T030405Z", "umcheck.db.damaged-20261202T030405Z-journal",
        "umcheck.db.damaged-20261202T030405Z-wal"]  # fmt: skip
    db.write_text("again")  # damaged again within the same second: never overwrites the first
    assert set_aside(db, when).name == "umcheck.db.damaged-20261202T030405Z-2"


def test_a_database_with_garbage_pages_opens_but_fails_its_check(tmp_path):
    db = tmp_path / "umcheck.db"
    Store(db).close()
    raw = sqlite3.connect(db)
    raw.execute("CREATE TABLE pad (x)")
    raw.executemany("INSERT INTO pad VALUES (?)", [("x" * 900,) for _ in range(100)])
    raw.commit()
    raw.close()
    data = bytearray(db.read_bytes())
    data[-8 * 4096 :] = b"\xa5" * (8 * 4096)  # the last pages: the header and schema still read
    db.write_bytes(bytes(data))
    store = Store(db)
    try:
        with pytest.raises(DamagedHistory, match="malformed|integrity check failed"):
            store.check()
    finally:
        store.close()
