"""What ``--db`` means: a SQLite file path (the default) or a PostgreSQL URL for a shared history.

A URL's password may come from the URL itself, ``UMCHECK_DB_PASSWORD``, or libpq's own
``PGPASSWORD`` / ``~/.pgpass`` (read by the driver, never by umcheck). Whatever its source, it is
never printed, logged or stored: every message shows ``display()``, which masks it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from umcheck.errors import UsageError

if TYPE_CHECKING:  # SQLAlchemy is imported only when a history is opened, not to parse --db
    from sqlalchemy.engine import URL

URL_SCHEMES = ("postgresql://", "postgresql+psycopg://", "postgres://")
PASSWORD_ENV = "UMCHECK_DB_PASSWORD"

Location = Path | str  # a SQLite file, or a database URL (str)
DEFAULT_DB = Path("reports") / "umcheck.db"


def is_url(value: object) -> bool:
    return isinstance(value, str) and value.lower().startswith(URL_SCHEMES)


def db_location(value: str | Path) -> Location:
    """The ``--db`` argument: a URL stays a string (``Path`` would fold its ``//``), anything else a path."""
    if isinstance(value, Path):
        return value
    if "://" in value and not is_url(value):
        scheme = value.split("://", 1)[0]
        raise UsageError(f"--db: unsupported database '{scheme}://...' (a SQLite file path or postgresql://...)")
    return value if is_url(value) else Path(value)


def db_arg(value: str) -> Location:
    """``db_location`` as an argparse type: a bad value is argparse's one-line usage error."""
    try:
        return db_location(value)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--db: ")) from None


def parse(value: str) -> URL:
    """The URL for SQLAlchemy: always the psycopg 3 driver, the password from the environment if not given."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
    except ArgumentError:
        raise UsageError(f"--db: not a database URL: {display(value)}") from None
    url = url.set(drivername="postgresql+psycopg")
    if url.password is None and os.environ.get(PASSWORD_ENV):
        url = url.set(password=os.environ[PASSWORD_ENV])
    return url


def display(location: Location | URL) -> str:
    """``location`` as it may be shown anywhere: a path as it is, a URL with its password masked."""
    if isinstance(location, Path):
        return str(location)
    if not isinstance(location, str):  # a sqlalchemy URL; shown as the user wrote it: postgresql://, whatever the driver  # shown as the user wrote it: postgresql://, whatever the driver
        return location.set(drivername=location.get_backend_name()).render_as_string(hide_password=True)
    if not is_url(location):
        return str(location)
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(location).render_as_string(hide_password=True)
    except ArgumentError:
        scheme, _, rest = location.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}" if "@" in rest else location


def mask(text: str, *secrets: str | None) -> str:
    """``text`` with every secret replaced by ``***`` (a driver's message could echo the DSN)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
