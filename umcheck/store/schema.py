"""The history tables, once, for SQLite and PostgreSQL (SQLAlchemy Core, no ORM).

JSON columns (``result_json``, ``outcome_json``, ``rules``) are text on both backends, and no
query of umcheck's looks inside them: what is queried has a column of its own (``hosts.migration`` since v3
replaces SQLite's ``json_extract``). Since v4 a host's document is stored compressed
(``hosts.result_z``: zlib of exactly the JSON text the journal holds; ``result_json`` is then
``''``), and a cell evaluated in a run points at its outcome in that document (``cells.seq``)
instead of holding a copy: 10,000 hosts wrote ≈ 0.8 GB per run before, ≈ 0.17 GB with v4. Since v5
a host's per-rule results are one column of its row (``hosts.rules``, RULES_JSON) instead of a
row each in an ``outcomes`` table: 450,000 rows a night for 10,000 hosts were the biggest cost of
recording a run, and nothing but the diff read them. "Which hosts failed TlsVersionCheck in
run R" stays one SQL query (docs/reports.md): ``json_each`` on SQLite, ``jsonb_array_elements``
on PostgreSQL. Indexes are only those a query of umcheck's uses: each one costs every nightly
insert.
Timestamps are text (ISO 8601, as the reports show them) plus a float (``*_ts``) for ordering.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("run_id", String, primary_key=True),
    Column("started", String, nullable=False),
    Column("started_ts", Float),
    Column("finished", String),
    Column("duration_s", Float),
    Column("interrupted", Integer, nullable=False, server_default="0"),
    Column("umcheck_version", String),
    Column("hosts_total", Integer, nullable=False),
    Column("ready", Integer, nullable=False),
    Column("disconnected", Integer, nullable=False),
    Column("not_configured", Integer, nullable=False),
    Column("unknown", Integer, nullable=False),
    Column("header_json", Text, nullable=False),
    Column("scope_kind", String),
    Column("scope_json", Text),
    Index("runs_order", "started_ts", "run_id"),
)

hosts = Table(
    "hosts",
    metadata,
    Column("run_id", String, nullable=False),
    Column("name", String, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("status", String, nullable=False),
    Column("readiness", String, nullable=False),
    Column("os_family", String),
    Column("address", String),
    Column("transport", String),
    Column("error", Text),
    Column("error_kind", String),
    Column("started", String),
    Column("elapsed_ms", Integer),
    Column("result_json", Text, nullable=False),  # '' when result_z holds the document (v4)
    Column("migration", String),  # v3: the host's migration grade (None before the successor pack)
    Column("result_z", LargeBinary),  # v4: the document, zlib-compressed; NULL in rows from before
    Column("rules", Text),  # v5: the per-rule results, RULES_JSON below
    PrimaryKeyConstraint("run_id", "name"),
    ForeignKeyConstraint(["run_id"], ["runs.run_id"], ondelete="CASCADE"),
    Index("hosts_name", "name"),
)

# hosts.rules: a JSON array with one [RuleId, RuleGroupId, CheckResult, CheckResultMessageId] per
# outcome of the host's document, in its order (what the v1-v4 ``outcomes`` table held per row).
RULES_JSON = ("RuleId", "RuleGroupId", "CheckResult", "CheckResultMessageId")

# The fleet state: per host and rule the latest outcome. The outcome is outcomes[seq] of the host's
# document in run_id (v4), or outcome_json (cells written before v4, and cells whose run was
# forgotten); neither: the rule was evaluated and emits no row.
cells = Table(
    "cells",
    metadata,
    Column("host", String, nullable=False),
    Column("rule_id", String, nullable=False),
    Column("run_id", String, nullable=False),
    Column("evaluated_at", String, nullable=False),
    Column("evaluated_ts", Float, nullable=False),
    Column("check_result", String),
    Column("outcome_json", Text),
    Column("seq", Integer),  # v4: the outcome's index in the host's document of run_id
    PrimaryKeyConstraint("host", "rule_id"),
)
