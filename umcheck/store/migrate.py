"""Bringing a history database to this umcheck's schema, with Alembic run from code.

The revisions live in ``migrations/versions`` (v1 = the first released schema, v2 = scopes and
the fleet state, v3 = the migration grade as a column, v4 = compressed host documents and cells
pointing into them, v5 = per-rule results as a column of the host row); no alembic.ini is read
at runtime. SQLite
files from before Alembic carry their version in ``PRAGMA user_version`` (1 or 2): they are
stamped at that revision, then upgraded, and ``user_version`` is kept in step so an older umcheck
still refuses a newer file. PostgreSQL keeps only Alembic's ``alembic_version``; concurrent first
runs from several jump hosts take an advisory lock, so only one creates the tables.
Everything happens in one transaction: a crash half-way leaves the database as it was.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Connection, inspect, text

from umcheck.errors import UsageError

SCHEMA_VERSION = 5
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_LOCK_KEY = 0x756D636B  # "umck": pg_advisory_xact_lock key held while migrating


def _revision_number(revision: str | None) -> int:
    """``v3`` -> 3; an id this umcheck does not know is taken as newer than any it knows."""
    if revision is None:
        return 0
    match = re.fullmatch(r"v(\d+)", revision)
    return int(match.group(1)) if match else SCHEMA_VERSION + 1


def version(conn: Connection) -> int:
    """The schema version: 0 for an empty database."""
    tables = set(inspect(conn).get_table_names())
    if conn.dialect.name == "sqlite":
        stamped = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)
        if stamped or "runs" not in tables:
            return stamped
    if "alembic_version" in tables:
        return _revision_number(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar())
    if "runs" in tables:
        raise UsageError("the database holds a 'runs' table that umcheck did not make; pass --db with another one")
    return 0


def upgrade(conn: Connection, *, where: str, create: bool = True) -> None:
    """Refuse a newer schema; create or upgrade an older one; leave no transaction open."""
    found = version(conn)
    if found == SCHEMA_VERSION:
        conn.commit()
        return
    if found > SCHEMA_VERSION:
        raise UsageError(f"{where}: history schema v{found} is newer than this umcheck (v{SCHEMA_VERSION})")
    if found == 0 and not create:
        raise UsageError(f"no umcheck history in {where} yet (run a scan with this --db first)")
    conn.rollback()
    if conn.dialect.name == "sqlite":
        conn.info["begin"] = "BEGIN IMMEDIATE"  # the write lock now: no reader-turned-writer deadlock
    else:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    found = version(conn)  # another process may have migrated meanwhile
    if found < SCHEMA_VERSION:
        _alembic(conn, found)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.commit()


def _alembic(conn: Connection, found: int) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    if found and "alembic_version" not in inspect(conn).get_table_names():
        command.stamp(config, f"v{found}")  # a SQLite file from before Alembic: user_version said which
    command.upgrade(config, "head")
