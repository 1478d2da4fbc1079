"""One SQLAlchemy engine per Store, and what a backend's errors become.

SQLite: the DB-API's own transaction handling is switched off and ``BEGIN`` emitted by
SQLAlchemy, so DDL (migrations) is transactional too; foreign keys are switched on per
connection. PostgreSQL: psycopg 3; a connection, authentication or missing-database failure is
one line (``HistoryUnavailable``) with the password masked.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from umcheck.errors import EnvironmentProblem
from umcheck.store import url as db_url

CONNECT_TIMEOUT = 10  # seconds: an unreachable server is one line, not a hung nightly job


class HistoryUnavailable(EnvironmentProblem):
    """A PostgreSQL history that cannot be used now: unreachable, refused, missing, or failing."""


def sqlite_engine(path: Path, timeout: float) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": timeout}, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _connect(dbapi: sqlite3.Connection, _record: object) -> None:
        dbapi.isolation_level = None  # SQLAlchemy says when a transaction begins (below), DDL included
        dbapi.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql(conn.info.pop("begin", "BEGIN"))  # migrate.py asks for BEGIN IMMEDIATE

    return engine


def postgres_engine(url: URL) -> Engine:
    return create_engine(url, poolclass=NullPool, hide_parameters=True,
                         connect_args={"connect_timeout": CONNECT_TIMEOUT, "application_name": "umcheck"})  # fmt: skip


def unwrap(exc: DBAPIError, url: URL | None) -> Exception:
    """The error to raise instead of SQLAlchemy's wrapper: SQLite's own (callers know those), or one
    masked line for PostgreSQL."""
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        return orig
    text = " ".join(str(orig or exc).split()) or type(orig).__name__
    text = db_url.mask(text, url.password if url is not None else None)
    where = db_url.display(url) if url is not None else "the history database"
    return HistoryUnavailable(f"cannot use the history database {where}: {text}")
