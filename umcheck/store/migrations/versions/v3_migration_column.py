"""v3: each host's migration grade as a column, so ``umcheck history`` needs no JSON functions
(SQLite's ``json_extract`` has no portable equivalent). Filled once from the stored results.

Revision ID: v3
Revises: v2
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from umcheck.store.history import backfill_migration

revision = "v3"
down_revision = "v2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("hosts", sa.Column("migration", sa.String))
    backfill_migration(op.get_bind())


def downgrade() -> None:
    op.drop_column("hosts", "migration")
