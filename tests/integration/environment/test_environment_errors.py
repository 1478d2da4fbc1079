"""The machine says no: one line on stderr and exit 2, never a traceback, before any host if possible.

Unwritable report or database folders are found before scanning; a full disk (the write itself
mocked to fail with ENOSPC) while writing reports or the journal is named with its file. Then
what a run creates is private, and ``--resume`` cleans what an interrupted report write left.
"""

from __future__ import annotations

import errno
import os
import stat

import pytest
from scan.e2e import PASSWORD, PASSWORD_ENV, output, umcheck_cmd

import umcheck.journal
from umcheck.cli import main
from umcheck.reports import atomic


@pytest.fixture(autouse=True)
def _password(monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)


def _scan_in_process(fleet, out, capsys, *extra) -> tuple[int, str]:
    capsys.readouterr()
    rc = main(["scan", "-i", str(fleet.inventory), "-o", str(out), "-q", "-q", "--timeout", "60", *extra])
    return rc, capsys.readouterr().err


def _one_line_exit_2(rc: int, err: str) -> str:
    assert rc == 2, err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("umcheck: error: cannot "), err
    return err


def test_output_folder_below_a_file_fails_before_scanning(tmp_path, procs, small_fleet, env_vars):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    argv = umcheck_cmd("scan", "-i", str(small_fleet.inventory), "-o", str(blocker / "reports"))
    proc = procs.start(argv, log=tmp_path / "scan", env=env_vars, cwd=tmp_path)
    proc.wait(60)
    out, err = output(proc)
    err = _one_line_exit_2(proc.returncode, err)
    assert "not-a-folder: not a folder (a part of the path is a file, not a folder)" in err
    assert out == ""  # no host was scanned: nothing to summarise


def test_database_folder_below_a_file_fails_before_scanning(tmp_path, capsys, small_fleet):
    blocker = tmp_path / "file"
    blocker.write_text("")
    rc, err = _scan_in_process(small_fleet, tmp_path / "reports", capsys, "--db", str(blocker / "h.db"))
    assert "cannot create the history database in" in _one_line_exit_2(rc, err)
    assert not (tmp_path / "reports").exists()


def test_an_unwritable_output_folder_fails_before_scanning(tmp_path, capsys, small_fleet, monkeypatch):
    out = tmp_path / "reports"
    out.mkdir()
    if os.geteuid() == 0:  # root writes anywhere: answer as the kernel answers a user in a 0500 folder
        monkeypatch.setattr(atomic.os, "access", lambda path, _mode: os.fspath(path) != os.fspath(out))
    else:
        out.chmod(0o500)
    try:
        rc, err = _scan_in_process(small_fleet, out, capsys)
    finally:
        out.chmod(0o700)
    err = _one_line_exit_2(rc, err)
    assert f"cannot write reports to {out}: Permission denied" in err
    assert list(out.iterdir()) == []


def _disk_full(*_args, **_kw):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_disk_full_while_writing_reports(tmp_path, capsys, small_fleet, monkeypatch):
    monkeypatch.setattr(atomic, "_write_all", _disk_full)
    rc, err = _scan_in_process(small_fleet, tmp_path / "reports", capsys, "--no-history")
    err = _one_line_exit_2(rc, err)
    assert "No space left on device (free some space or choose another folder)" in err
    (run_dir,) = (tmp_path / "reports").iterdir()
    assert [p.name for p in run_dir.iterdir()] == [
        "journal.jsonl"
    ]  # the journal has every host: report later
    assert not list(run_dir.glob(".*.tmp"))


def test_disk_full_in_the_journal_mid_run_still_writes_the_reports(
    tmp_path, capsys, small_fleet, monkeypatch
):
    real = umcheck.journal.Journal._append
    calls = []

    def append(self, line):
        calls.append(line)
        if len(calls) > 1:  # the run line made it; the disk fills before the first host's
            _disk_full()
        real(self, line)

    monkeypatch.setattr(umcheck.journal.Journal, "_append", append)
    rc, err = _scan_in_process(small_fleet, tmp_path / "reports", capsys)
    err = _one_line_exit_2(rc, err)
    assert (
        "cannot write the journal" in err and "No space left on device" in err and "cannot be resumed" in err
    )
    (run_dir,) = [p for p in (tmp_path / "reports").iterdir() if p.is_dir()]
    assert {"report.json", "report.html", "summary.txt", "report.csv", "failed.txt"} <= {
        p.name for p in run_dir.iterdir()
    }


def _modes(root):
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            yield os.path.relpath(path, root), stat.S_IMODE(os.lstat(path).st_mode), os.path.isdir(path)


@pytest.mark.parametrize("group", [False, True], ids=["private", "group-readable"])
def test_everything_a_run_creates_is_private(tmp_path, procs, small_fleet, env_vars, group):
    old = os.umask(0o002)  # a permissive umask must not leak into reports
    try:
        out = tmp_path / "new" / "reports"
        argv = umcheck_cmd("scan", "-i", str(small_fleet.inventory), "-o", str(out), "--format", "all",
                           *(["--group-readable"] if group else []))  # fmt: skip
        proc = procs.start(argv, log=tmp_path / "scan", env=env_vars, cwd=tmp_path)
        proc.wait(120)
    finally:
        os.umask(old)
    assert proc.returncode == 0, output(proc)[1]
    folder, file = (0o750, 0o640) if group else (0o700, 0o600)
    seen = {}
    for rel, mode, is_dir in _modes(tmp_path / "new"):
        seen[rel] = mode
        expected = folder if is_dir else 0o644 if rel.endswith(".prom") else file
        assert mode == expected, (rel, oct(mode))
    names = {os.path.basename(r) for r in seen}
    assert {"reports", "umcheck.db", "journal.jsonl", "report.html", "umcheck.prom", "failed.txt"} <= names


def test_resume_cleans_what_an_interrupted_report_write_left(tmp_path, capsys, small_fleet):
    out = tmp_path / "reports"
    rc, err = _scan_in_process(small_fleet, out, capsys, "--format", "json,html")
    assert rc == 0, err
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    leftovers = [run_dir / ".report.html.x8k2_qz1.tmp", run_dir / ".report.json.abcd1234.tmp"]
    for p in leftovers:  # what kill -9 inside write_atomic leaves
        p.write_text("<html>half a rep")
    rc, err = _scan_in_process(small_fleet, out, capsys, "--format", "json,html", "--resume", str(run_dir))
    assert rc == 0, err
    assert not any(p.exists() for p in leftovers)
    assert (run_dir / "report.html").read_text().startswith("<!")
