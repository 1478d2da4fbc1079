"""A shared history on PostgreSQL, end to end: `umcheck scan --db postgresql://...` against the
simulator (a `umcheck sim start` subprocess), a connectivity re-check carrying earlier results
from the server, then `history`, `diff` and `report` reading it back — as the SQLite tests do.

The database password is a canary given through UMCHECK_DB_PASSWORD (and once inside the URL): it
appears in no output, no file the runs write and no row of the database. An unreachable server
costs a scan one warning line and no report.
"""

from __future__ import annotations

import json
import socket
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.scan.e2e import Procs
from tests.integration.scan.recheck_fleet import (
    AFTER,
    BEFORE,
    ChangingFleet,
    Run,
    failed,
    run_umcheck,
    umcheck,
)
from tests.integration.scan.test_scan_rechecks import _env
from tests.postgres import sql

CANARY = "Canary-Shared-History-Pw!"
ROLE = "umcheck_canary"
A, B = "host-a", "host-b"
REPORTS = {"report.json", "report.html", "failed.txt", "journal.jsonl"}


@dataclass
class Shared:
    fleet: ChangingFleet
    env: dict[str, str]
    tmp: Path
    url: str  # without the password: it comes from UMCHECK_DB_PASSWORD
    admin_url: str
    runs: list[Run]
    outputs: list[str]  # every stdout and stderr, for the canary


def _scan(s: Shared, reports: Path, *args: str, db: str | None = None) -> Run:
    run = run_umcheck("scan", "-i", str(s.fleet.inventory), "-o", str(reports), "--db", db or s.url,
                      "--format", "json,html", "-f", "10", "--timeout", "60", "--connect-timeout", "10", *args,
                      cwd=s.tmp, env=s.env)  # fmt: skip
    s.outputs += [run.out, run.err]
    return run


def _cli(s: Shared, *args: str):
    proc = umcheck(*args, cwd=s.tmp, env=s.env)
    s.outputs += [proc.stdout, proc.stderr]
    return proc


@pytest.fixture(scope="module")
def shared(tmp_path_factory, postgres):
    tmp = tmp_path_factory.mktemp("history_pg")
    name = postgres.create_database("shared")
    with postgres.admin() as conn:
        conn.execute(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{CANARY}'")
        conn.execute(f'ALTER DATABASE "{name}" OWNER TO {ROLE}')
    env, procs = {**_env(), "UMCHECK_DB_PASSWORD": CANARY}, Procs()
    fleet = ChangingFleet(procs, tmp, env)
    s = Shared(fleet, env, tmp, postgres.url(name, user=ROLE, password=None), postgres.url(name), [], [])
    try:
        fleet.start(BEFORE)
        first = _scan(s, tmp / "reports")
        assert first.rc == 1, first.why()  # host-a and host-b not Ready
        fleet.change(AFTER)  # the firewall was fixed; host-a still has TLS 1.2 disabled
        second = _scan(s, tmp / "reports", "--rules", "connectivity", "-l", f"{A},{B}")
        s.runs += [first, second]
        yield s
    finally:
        try:
            fleet.stop()
        finally:
            procs.close()
            postgres.drop_database(name)
            with postgres.admin() as conn:
                conn.execute(f"DROP ROLE IF EXISTS {ROLE}")


def test_scans_are_recorded_on_the_server_and_a_recheck_carries_from_it(shared):
    first, second = shared.runs
    assert "not recorded" not in first.err + second.err, second.err
    ids = [r for (r,) in sql(shared.admin_url, "SELECT run_id FROM runs ORDER BY started_ts")]
    assert ids == [first.run_id, second.run_id]
    assert sql(shared.admin_url, "SELECT count(*) FROM hosts WHERE run_id = :r", r=first.run_id) == [(4,)]
    a, b = second.host(A), second.host(B)
    assert b["readiness"] == "Ready"
    assert a["readiness"] == "Disconnected" and "TlsVersionCheck" in failed(a), "carried from the first scan"


def test_history_diff_and_report_read_the_server(shared):
    first, second = shared.runs
    proc = _cli(shared, "history", "--db", shared.url, "--json", "-n", "0")
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    assert [r["run_id"] for r in listed] == [second.run_id, first.run_id]
    assert listed[0]["scope"]["kind"] == "partial" and listed[1]["hosts"] == 4
    proc = _cli(shared, "history", "--db", shared.url)
    assert proc.returncode == 0 and second.run_id in proc.stdout, proc.stderr

    proc = _cli(shared, "diff", "--db", shared.url, "--json")
    assert proc.returncode == 0, proc.stderr
    diff = json.loads(proc.stdout)
    assert [c["name"] for c in diff["fixed"]] == [B] and not diff["newly_failing"]

    out = shared.tmp / "regenerated"
    proc = _cli(shared, "report", "last", "--db", shared.url, "-f", "json,html", "-o", str(out),
                "--reports-dir", str(shared.tmp / "reports"))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["run_id"] == second.run_id and {h["name"] for h in report["hosts"]} == {A, B}
    assert first.run_id in (out / "report.html").read_text(), "the trend reads the earlier run from the server"


def test_the_password_never_leaves_the_environment(shared):
    with_password = shared.url.replace(f"{ROLE}@", f"{ROLE}:{CANARY}@")
    proc = _cli(shared, "history", "--db", with_password.replace("/shared_", "/missing_"))
    assert proc.returncode == 2 and ":***@" in proc.stderr and len(proc.stderr.splitlines()) == 1, proc.stderr
    proc = _cli(shared, "diff", "--db", with_password, "--json")
    assert proc.returncode == 0, proc.stderr
    assert not [o for o in shared.outputs if CANARY in o]
    written = [p for p in shared.tmp.rglob("*") if p.is_file() and CANARY.encode() in p.read_bytes()]
    assert written == [], written
    for table, column in (("runs", "header_json"), ("hosts", "result_json"), ("cells", "outcome_json")):
        assert sql(shared.admin_url, f"SELECT count(*) FROM {table} WHERE {column} LIKE :c",
                   c=f"%{CANARY}%") == [(0,)]  # fmt: skip
    documents = [zlib.decompress(z) for (z,) in sql(shared.admin_url, "SELECT result_z FROM hosts WHERE result_z IS NOT NULL")]
    assert documents and not [d for d in documents if CANARY.encode() in d]  # the compressed host documents too


def test_an_unreachable_server_costs_the_scan_one_line_not_its_reports(shared):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = f"postgresql://{ROLE}:{CANARY}@127.0.0.1:{port}/history"
    reports = shared.tmp / "reports-down"
    run = _scan(shared, reports, "-l", B, db=down)  # a full scan: no earlier results to read either
    assert run.rc == 0, run.why()
    warnings = [line for line in run.err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "not recorded" in warnings[0] and "refused" in warnings[0], run.err
    assert ":***@" in warnings[0] and CANARY not in run.out + run.err
    assert {"report.json", "report.html", "failed.txt"} <= {p.name for p in run.run_dir.iterdir()}
