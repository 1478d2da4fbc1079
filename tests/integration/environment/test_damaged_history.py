"""The scan survives its history: a damaged or locked database never costs a report.

Each case of ``damage.CASES`` plus a database locked by another process: ``scan`` warns in one
line, sets a damaged file aside as ``umcheck.db.damaged-<UTC time>`` (a locked one is left alone)
and writes every report; ``history``, ``diff`` and ``report`` say what happened and how to
recover, in one line, exit 2. Scans run in-process (``cli.main``) against a simulator process.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from scan.e2e import PASSWORD, PASSWORD_ENV

import umcheck.scan
import umcheck.store
from umcheck.cli import main

from .damage import CASES, damaged_db, good_db

REPORTS = {"summary.txt", "report.html", "report.json", "report.csv", "failed.txt", "journal.jsonl"}


def _scan(fleet, out, capsys, *extra) -> tuple[int, list[str]]:
    capsys.readouterr()
    rc = main(["scan", "-i", str(fleet.inventory), "-o", str(out), "-q", "-q", "--timeout", "60", *extra])
    return rc, capsys.readouterr().err.splitlines()


def _run_folder(out):
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return run_dir


@pytest.fixture(autouse=True)
def _password(monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)


@pytest.mark.parametrize("case", CASES)
def test_history_commands_say_what_happened_and_how_to_recover(tmp_path, capsys, case):
    db = damaged_db(tmp_path / "umcheck.db", case)
    for argv in (["history"], ["diff"], ["report", "last", "--reports-dir", str(tmp_path)]):
        capsys.readouterr()
        rc = main([*argv, "--db", str(db)])
        out, err = capsys.readouterr()
        if case == "empty":  # an empty file is a new, empty database to SQLite: nothing is lost
            assert rc in (0, 2) and "Traceback" not in err
            continue
        assert rc == 2, (argv, out, err)
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert "not a usable umcheck history database" in err and f'sqlite3 {db} ".recover"' in err, err


@pytest.mark.parametrize("case", CASES)
def test_scan_sets_a_damaged_database_aside_and_writes_every_report(tmp_path, capsys, small_fleet, case):
    out = tmp_path / "reports"
    out.mkdir()
    damaged_db(out / "umcheck.db", case)
    before = (out / "umcheck.db").read_bytes()
    rc, err = _scan(small_fleet, out, capsys)
    assert rc == 0, err
    run_dir = _run_folder(out)
    assert REPORTS <= {p.name for p in run_dir.iterdir()}
    report = json.loads((run_dir / "report.json").read_text())
    assert len(report["hosts"]) == 4 and not report["interrupted"]
    aside = sorted(p.name for p in out.glob("umcheck.db.damaged-*"))
    if case == "empty":
        assert aside == [] and err == []
    else:
        assert len(aside) == 1 and (out / aside[0]).read_bytes() == before  # moved as it was, for .recover
        assert (
            len(err) == 1 and err[0].startswith("umcheck: warning: history database") and aside[0] in err[0]
        ), err
    with umcheck.store.Store(out / "umcheck.db", create=False) as store:  # a new history, with this run
        assert store.run_ids() == [run_dir.name]
    capsys.readouterr()
    assert main(["history", "--db", str(out / "umcheck.db")]) == 0


def test_damage_found_only_when_recording_still_writes_every_report(
    tmp_path, capsys, small_fleet, monkeypatch
):
    """A page the pre-scan check passed but recording trips over (here: save_run fails once)."""
    out = tmp_path / "reports"
    out.mkdir()
    good_db(out / "umcheck.db")
    real = umcheck.store.Store.save_run
    calls = []

    def save_run(self, fleet):
        calls.append(self.path)
        if len(calls) == 1:
            raise sqlite3.DatabaseError("database disk image is malformed")
        return real(self, fleet)

    monkeypatch.setattr(umcheck.store.Store, "save_run", save_run)
    rc, err = _scan(small_fleet, out, capsys)
    assert rc == 0 and len(calls) == 2, err
    assert len(err) == 1 and "is damaged (database disk image is malformed): moved aside" in err[0]
    assert REPORTS <= {p.name for p in _run_folder(out).iterdir()}
    assert len(list(out.glob("umcheck.db.damaged-*"))) == 1


def test_a_locked_database_is_left_alone_and_the_reports_are_written(
    tmp_path, capsys, small_fleet, monkeypatch
):
    out = tmp_path / "reports"
    out.mkdir()
    db = good_db(out / "umcheck.db")
    before = db.read_bytes()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time\n"
        f"db = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
        "db.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); sys.stdin.read()\n")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"  # the other process holds the lock now
        monkeypatch.setattr(umcheck.store, "LOCK_TIMEOUT", 1.0)
        monkeypatch.setattr(umcheck.scan, "PREFLIGHT_LOCK_TIMEOUT", 0.2)
        started = time.monotonic()
        rc, err = _scan(small_fleet, out, capsys)
        assert rc == 0, err
        assert time.monotonic() - started < 60
        assert len(err) == 1 and "locked by another process" in err[0] and "not recorded" in err[0], err
        assert REPORTS <= {p.name for p in _run_folder(out).iterdir()}
        assert not list(out.glob("umcheck.db.damaged-*")) and db.read_bytes() == before
        capsys.readouterr()
        assert main(["history", "--db", str(db)]) == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and "locked by another process" in err and "try again" in err, err
    finally:
        holder.stdin.close()
        holder.wait(10)
    capsys.readouterr()
    assert main(["history", "--db", str(db)]) == 0  # released: the history is all there, untouched
    assert capsys.readouterr().out.count("20261201-0") == 3


def test_the_whole_file_is_checked_once_per_scan_not_again_when_recording(tmp_path, capsys, small_fleet, monkeypatch):
    """``PRAGMA quick_check`` reads every page (≈ 1 s per GB of history): before the scan, and only
    then; the recording at the end relies on SQLite's own errors (the test above). The comparison's
    baseline is read once too, by its own thread while the hosts are scanned."""
    out = tmp_path / "reports"
    out.mkdir()
    good_db(out / "umcheck.db")
    real, checks = umcheck.store.Store.check, []
    real_lines, baseline_reads = umcheck.store.Store.state_lines, []

    def check(self):
        checks.append(self.path)
        return real(self)

    def state_lines(self, ref="last"):
        baseline_reads.append((threading.current_thread().name, ref))
        return real_lines(self, ref)

    monkeypatch.setattr(umcheck.store.Store, "check", check)
    monkeypatch.setattr(umcheck.store.Store, "state_lines", state_lines)
    rc, err = _scan(small_fleet, out, capsys)
    assert rc == 0 and err == [] and checks == [out / "umcheck.db"]
    assert baseline_reads == [("umcheck-baseline", "20261201-020000-ab12")]
    report = json.loads((_run_folder(out) / "report.json").read_text())
    assert report["diff"]["old_run"] == "20261201-020000-ab12"  # what was read ahead is what the reports compare with
    with umcheck.store.Store(out / "umcheck.db", create=False) as store:
        assert _run_folder(out).name in store.run_ids()
