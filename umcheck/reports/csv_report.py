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
import functools
import io
from collections.abc import Iterator

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


@functools.lru_cache(maxsize=1 << 16)
def _cells(values: tuple[object, ...]) -> str:
    """Escaped, CSV-quoted cells without the line end. Every host repeats the same rule names,
    messages and fixes, so each distinct run of cells is quoted once (the csv module quotes cell
    by cell, so joining fragments with a comma gives the same line as writing the row whole)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="", quoting=csv.QUOTE_MINIMAL).writerow(
        [csv_cell(printable(v) if v is not None else None) for v in values]
    )
    return buf.getvalue()


def render_csv(fleet: FleetResult) -> str:
    """CSV text starting with a BOM; write it as UTF-8 bytes unchanged (newlines are CRLF already)."""
    return "".join(iter_csv(fleet))


def iter_csv(fleet: FleetResult) -> Iterator[str]:
    """``render_csv`` host by host: the rows of one host at a time, never the whole table."""
    yield "\ufeff" + _cells(COLUMNS) + "\r\n"
    for h in fleet.hosts:
        head = _cells((fleet.run_id, h.name, h.address, h.os_family, h.transport, h.status, h.readiness,
                       h.readiness_reason, h.error)) + ","  # fmt: skip
        tail = "," + _cells((h.migration, h.migration_reason)) + "\r\n"
        rules = [
            _cells((
                o.RuleId,
                o.RuleGroupId,
                o.RuleName,
                str(o.CheckResult),
                o.CheckResultMessageId,
                o.CheckResultMessage,
                o.reason,
                o.remediation.summary if o.remediation and (o.failed or o.warning) else None,
                o.carried.run_id if o.carried else None,
                o.carried.age_seconds if o.carried else None,
            ))
            for o in h.outcomes
        ] or [_cells((None,) * 10)]
        yield "".join(head + rule + tail for rule in rules)
