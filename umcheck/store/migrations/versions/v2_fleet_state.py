"""v2: each run's scope, and the fleet state (cells) rebuilt by replaying every run in order.

Revision ID: v2
Revises: v1
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from umcheck.errors import InputError
from umcheck.store.history import load_run, run_ids, scope_of, upsert_cells
from umcheck.typed_load import dump

revision = "v2"
down_revision = "v1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("scope_kind", sa.String))
    op.add_column("runs", sa.Column("scope_json", sa.Text))
    op.create_index("hosts_name", "hosts", ["name"])
    op.create_table(
        "cells",
        sa.Column("host", sa.String, nullable=False),
        sa.Column("rule_id", sa.String, nullable=False),
        sa.Column("run_id", sa.String, nullable=False),
        sa.Column("evaluated_at", sa.String, nullable=False),
        sa.Column("evaluated_ts", sa.Float, nullable=False),
        sa.Column("check_result", sa.String),
        sa.Column("outcome_json", sa.Text),
        sa.PrimaryKeyConstraint("host", "rule_id"),
    )
    conn = op.get_bind()
    runs = sa.table("runs", sa.column("run_id"), sa.column("scope_kind"), sa.column("scope_json"))
    for run_id in run_ids(conn):
        try:
            fleet = load_run(conn, run_id, compressed=False)
        except InputError:
            continue  # a damaged run stays as it was (kept, without scope or cells)
        scope = scope_of(fleet)
        conn.execute(sa.update(runs).where(runs.c.run_id == run_id)
                     .values(scope_kind=scope.kind, scope_json=json.dumps(dump(scope))))  # fmt: skip
        upsert_cells(conn, fleet, pointers=False)  # v2's cells: no seq column yet


def downgrade() -> None:
    op.drop_table("cells")
    op.drop_index("hosts_name", "hosts")
    op.drop_column("runs", "scope_json")
    op.drop_column("runs", "scope_kind")
