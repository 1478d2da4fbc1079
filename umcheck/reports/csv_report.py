"""``report.csv``: one row per host × rule, for Excel and pivot tables.

Excel-friendly on purpose: UTF-8 with BOM (so Excel detects the encoding), CRLF line ends, and
every cell that a spreadsheet would read as a formula (= + - @, tab, CR) prefixed with an
apostrophe — host data is untrusted and CSV injection runs in the admin's spreadsheet.
A host without outcomes (scan failed) still gets one row with empty rule columns.
Rows show the merged state: an outcome carried forward from an earlier run names that run in
``carried_from_run`` and its age in ``result_age_seconds`` (both empty when evaluated in this
run). New columns are only ever appended, so existing column positions stay valid.
"""

from __future__ import annotations

import csv
import io

from umcheck.reports.escape import csv_cell, printable
from umcheck.results import FleetResult

COLUMNS = (
    "run_id",
    "host",
    "address",
    "os_family",
    "transport",
    "status",
    "readiness",
    "readiness_reason",
    "host_error",
    "rule_id",
    "rule_group_id",
    "rule_name",
    "check_result",
    "message_id",
    "message",
    "reason",
    "remediation",
    "carried_from_run",
    "result_age_seconds",
    "migration",  # appended (columns keep their positions): the host's migration grade and why
    "migration_reason",
)


def render_csv(fleet: FleetResult) -> str:
    """CSV text starting with a BOM; write it as UTF-8 bytes unchanged (newlines are CRLF already)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for h in fleet.hosts:
        host_cells = [
            fleet.run_id,
            h.name,
            h.address,
            h.os_family,
            h.transport,
            h.status,
            h.readiness,
            h.readiness_reason,
            h.error,
        ]
        rows = [
            [
                o.RuleId,
                o.RuleGroupId,
                o.RuleName,
                o.CheckResult,
                o.CheckResultMessageId,
                o.CheckResultMessage,
                o.reason,
                o.remediation.summary if o.remediation and (o.failed or o.warning) else None,
                o.carried.run_id if o.carried else None,
                o.carried.age_seconds if o.carried else None,
            ]
            for o in h.outcomes
        ] or [[None] * 10]
        for rule_cells in rows:
            writer.writerow([csv_cell(printable(v) if v is not None else None)
                             for v in host_cells + rule_cells + [h.migration, h.migration_reason]])  # fmt: skip
    return "\ufeff" + buf.getvalue()
