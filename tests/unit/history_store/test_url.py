"""What ``--db`` means, and that a password in it is never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from umcheck.errors import UsageError
from umcheck.store.url import PASSWORD_ENV, db_location, display, mask, parse

CANARY = "Canary-Db-Passw0rd!"


def test_a_path_stays_a_path_and_a_url_a_string():
    assert db_location("reports/umcheck.db") == Path("reports/umcheck.db")
    assert db_location(Path("x.db")) == Path("x.db")
    url = "postgresql://umcheck@db.example:5433/history"
    assert db_location(url) == url  # Path() would fold the '//'
    assert db_location("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"
    with pytest.raises(UsageError, match="unsupported database 'mysql://...'"):
        db_location("mysql://u@h/d")


def test_display_masks_the_password():
    shown = display(f"postgresql://umcheck:{CANARY}@db.example:5433/history")
    assert shown == "postgresql://umcheck:***@db.example:5433/history"
    assert display("postgresql://umcheck@db.example/history") == "postgresql://umcheck@db.example/history"
    assert display(Path("reports/umcheck.db")) == "reports/umcheck.db"
    assert CANARY not in display(parse(f"postgresql://u:{CANARY}@h/d"))


def test_the_driver_is_psycopg_and_the_password_may_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, CANARY)
    url = parse("postgresql://umcheck@127.0.0.1:5999/history")
    assert url.drivername == "postgresql+psycopg" and url.password == CANARY
    assert parse("postgresql://umcheck:other@h/d").password == "other", "the URL's own password wins"
    monkeypatch.delenv(PASSWORD_ENV)
    assert parse("postgresql://umcheck@h/d").password is None, "left to PGPASSWORD / ~/.pgpass (libpq)"


def test_mask_replaces_every_occurrence():
    assert mask(f"a {CANARY} b {CANARY}", CANARY, None) == "a *** b ***"
