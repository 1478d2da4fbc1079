"""When a SQLite history file itself is the problem: damaged, locked, refused by the machine.

SQLite-only: a PostgreSQL history is the server's to keep whole (``HistoryUnavailable`` in
``engine.py`` says why it cannot be used). Damage is set aside, a lock means "not recorded".
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from umcheck.errors import EnvironmentProblem, InputError, UsageError
from umcheck.reports.atomic import Modes, make_folder

SIDE_FILES = ("-journal", "-wal", "-shm")  # SQLite's own companions: they move with the database

_LOCKED = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_ENVIRONMENT = {3, 8, 10, 13, 14}  # PERM, READONLY, IOERR, FULL, CANTOPEN: the machine, not the file
_SHORT_READ = 522  # SQLITE_IOERR_SHORT_READ: a truncated file, i.e. damage


class DamagedHistory(InputError):
    """The file is not (or no longer) a readable umcheck history database."""


class LockedHistory(UsageError):
    """Another process holds the database's lock for longer than LOCK_TIMEOUT."""


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
    """Turn SQLite errors while using the database at ``path`` into one-line UsageErrors.

    (A PostgreSQL history's errors already are one line: ``HistoryUnavailable``.)
    """
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


def create_file(path: Path, modes: Modes) -> None:
    """An empty, owner-only (``modes.file``) database file: SQLite gives its journal the same mode."""
    make_folder(path.parent, modes)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, modes.file))
        os.chmod(path, modes.file)
    except FileExistsError:
        pass  # another process made it meanwhile
    except OSError as exc:
        problem = sqlite3.OperationalError(f"unable to open database file: {exc.strerror}")
        raise history_problem(path, problem) from None


def quick_check(dbapi: sqlite3.Connection) -> None:
    """Every page readable; sqlite3.DatabaseError if not."""
    rows = dbapi.execute("PRAGMA quick_check").fetchall()
    if rows != [("ok",)]:
        detail = "; ".join(" ".join(str(r[0]).split()) for r in rows[:2])  # a row may span lines
        raise sqlite3.DatabaseError(f"integrity check failed: {detail}")
