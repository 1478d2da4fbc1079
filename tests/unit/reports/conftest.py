"""Fixtures for report tests: a history store holding the three fixture runs, on each backend
(``history_db``: a SQLite file, then a PostgreSQL database; tests/postgres.py)."""

from __future__ import annotations

import pytest

from tests.unit.reports.fleet_fixture import current_fleet, oldest_fleet, previous_fleet
from umcheck.store import Store


@pytest.fixture
def store(history_db):
    """A store with the oldest and previous runs; the current run is left to the test to save."""
    with Store(history_db) as s:
        s.save_run(oldest_fleet())
        s.save_run(previous_fleet())
        yield s


@pytest.fixture
def full_store(store):
    store.save_run(current_fleet())
    return store
