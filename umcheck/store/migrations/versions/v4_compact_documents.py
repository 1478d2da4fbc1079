"""v4: host documents stored compressed (``hosts.result_z``), cells pointing at their outcome in
them (``cells.seq``) instead of holding a copy; the unused ``outcomes_rule`` index dropped. Rows
written before keep their text; nothing is rewritten, so the upgrade costs the same for a 10 MB
file and a 10 GB one.

Revision ID: v4
Revises: v3
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v4"
down_revision = "v3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("hosts", sa.Column("result_z", sa.LargeBinary))
    op.add_column("cells", sa.Column("seq", sa.Integer))
    op.drop_index("outcomes_rule", "outcomes")  # no query of umcheck's uses it; every insert paid for it


def downgrade() -> None:
    op.create_index("outcomes_rule", "outcomes", ["run_id", "rule_id", "check_result"])
    op.drop_column("cells", "seq")
    op.drop_column("hosts", "result_z")
