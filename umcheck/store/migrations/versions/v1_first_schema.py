"""v1: the first released history schema (runs, hosts, outcomes).

Revision ID: v1
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String, primary_key=True),
        sa.Column("started", sa.String, nullable=False),
        sa.Column("started_ts", sa.Float),
        sa.Column("finished", sa.String),
        sa.Column("duration_s", sa.Float),
        sa.Column("interrupted", sa.Integer, nullable=False, server_default="0"),
        sa.Column("umcheck_version", sa.String),
        sa.Column("hosts_total", sa.Integer, nullable=False),
        sa.Column("ready", sa.Integer, nullable=False),
        sa.Column("disconnected", sa.Integer, nullable=False),
        sa.Column("not_configured", sa.Integer, nullable=False),
        sa.Column("unknown", sa.Integer, nullable=False),
        sa.Column("header_json", sa.Text, nullable=False),
    )
    op.create_table(
        "hosts",
        sa.Column("run_id", sa.String, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("readiness", sa.String, nullable=False),
        sa.Column("os_family", sa.String),
        sa.Column("address", sa.String),
        sa.Column("transport", sa.String),
        sa.Column("error", sa.Text),
        sa.Column("error_kind", sa.String),
        sa.Column("started", sa.String),
        sa.Column("elapsed_ms", sa.Integer),
        sa.Column("result_json", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "name"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], ondelete="CASCADE"),
    )
    op.create_table(
        "outcomes",
        sa.Column("run_id", sa.String, nullable=False),
        sa.Column("host", sa.String, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("rule_id", sa.String, nullable=False),
        sa.Column("rule_group_id", sa.String),
        sa.Column("check_result", sa.String, nullable=False),
        sa.Column("message_id", sa.String),
        sa.PrimaryKeyConstraint("run_id", "host", "seq"),
        sa.ForeignKeyConstraint(["run_id", "host"], ["hosts.run_id", "hosts.name"], ondelete="CASCADE"),
    )
    op.create_index("runs_order", "runs", ["started_ts", "run_id"])
    op.create_index("outcomes_rule", "outcomes", ["run_id", "rule_id", "check_result"])


def downgrade() -> None:
    for table in ("outcomes", "hosts", "runs"):
        op.drop_table(table)
