"""Run history: SQLite by default, PostgreSQL for a history shared by several jump hosts.

``history.py`` holds the Store (SQLAlchemy Core over ``schema.py``), ``migrate.py`` the schema
upgrades (Alembic, ``migrations/``), ``url.py`` what ``--db`` means, ``engine.py`` a backend's
connection and errors, ``sqlite_file.py`` what only a SQLite file can suffer (damage, locks).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from umcheck.store.url import DEFAULT_DB, db_arg, db_location, display, is_url

# Loaded on first use: parsing ``--db`` (every command) must not import SQLAlchemy (≈ 0.3 s).
_LAZY = {
    "HistoryUnavailable": "engine", "LOCK_TIMEOUT": "history", "RunSummary": "history",
    "Store": "history", "SCHEMA_VERSION": "migrate", "SIDE_FILES": "sqlite_file", "DamagedHistory": "sqlite_file",
    "LockedHistory": "sqlite_file", "history_problem": "sqlite_file", "reading": "sqlite_file",
    "recover_hint": "sqlite_file", "set_aside": "sqlite_file",
}  # fmt: skip

if TYPE_CHECKING:
    from umcheck.store.engine import HistoryUnavailable
    from umcheck.store.history import LOCK_TIMEOUT, RunSummary, Store
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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'umcheck.store' has no attribute {name!r}")
    return getattr(import_module(f"umcheck.store.{module}"), name)


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
