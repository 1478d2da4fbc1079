"""Alembic environment: always given an open connection (inside the caller's transaction)."""

from __future__ import annotations

from alembic import context

from umcheck.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
