"""Run history: SQLite by default, PostgreSQL for a history shared by several jump hosts.

``history.py`` holds the Store (SQLAlchemy Core over ``schema.py``), ``migrate.py`` the schema
upgrades (Alembic, ``migrations/``), ``url.py`` what ``--db`` means, ``engine.py`` a backend's
connection and errors, ``sqlite_file.py`` what only a SQLite file can suffer (damage, locks).
"""

from __future__ import annotations

from umcheck.store.engine import HistoryUnavailable
from umcheck.store.history import DEFAULT_DB, LOCK_TIMEOUT, RunSummary, Store
from umcheck.store.migrate import SCHEMA_VERSION
from umcheck.store.sqlite_file import (
    SIDE_FILES,
    DamagedHistory,
    LockedHistory,
    history_problem,
    reading,
    recover_hint,
    set_aside,
)
from umcheck.store.url import db_arg, db_location, display, is_url

__all__ = [
    "DEFAULT_DB",
    "LOCK_TIMEOUT",
    "SCHEMA_VERSION",
    "SIDE_FILES",
    "DamagedHistory",
    "HistoryUnavailable",
    "LockedHistory",
    "RunSummary",
    "Store",
    "db_arg",
    "db_location",
    "display",
    "history_problem",
    "is_url",
    "reading",
    "recover_hint",
    "set_aside",
]
