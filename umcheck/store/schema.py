"""The history tables, once, for SQLite and PostgreSQL (SQLAlchemy Core, no ORM).

Text JSON columns (``result_json``, ``outcome_json``...) stay text on both backends: the stored
bytes are the HostResult exactly as written, and nothing queries inside them. What is queried
has a column of its own (``hosts.migration`` since v3 replaces SQLite's ``json_extract``).
Timestamps are text (ISO 8601, as the reports show them) plus a float (``*_ts``) for ordering.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
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
    Column("result_json", Text, nullable=False),
    Column("migration", String),  # v3: the host's migration grade (None before the successor pack)
    PrimaryKeyConstraint("run_id", "name"),
    ForeignKeyConstraint(["run_id"], ["runs.run_id"], ondelete="CASCADE"),
    Index("hosts_name", "name"),
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("run_id", String, nullable=False),
    Column("host", String, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("rule_id", String, nullable=False),
    Column("rule_group_id", String),
    Column("check_result", String, nullable=False),
    Column("message_id", String),
    PrimaryKeyConstraint("run_id", "host", "seq"),
    ForeignKeyConstraint(["run_id", "host"], ["hosts.run_id", "hosts.name"], ondelete="CASCADE"),
    Index("outcomes_rule", "run_id", "rule_id", "check_result"),
)

# The fleet state: per host and rule the latest outcome. outcome_json is NULL for a rule that was
# evaluated and emits no row.
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
    PrimaryKeyConstraint("host", "rule_id"),
)
