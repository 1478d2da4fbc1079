"""Private files, atomic writes and their leftovers, and environment errors at the write borders.

Modes are exact whatever the umask (a permissive 000 and a strict 077 are both tried); the
Prometheus textfile is the one file node_exporter (another user) must read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from umcheck.errors import EnvironmentProblem
from umcheck.journal import Journal, read_journal
from umcheck.reports import atomic, write_reports
from umcheck.reports.atomic import (
    GROUP_READABLE,
    PRIVATE,
    check_writable,
    leftover_temp_files,
    make_folder,
    remove_leftovers,
    write_atomic,
)
from umcheck.results import FleetResult, HostResult, HostStatus, Readiness


def current_fleet() -> FleetResult:
    hosts = [HostResult("web01", os_family="linux", readiness=Readiness.READY),
             HostResult("db01", status=HostStatus.TIMEOUT, readiness=Readiness.UNKNOWN, error="no answer")]  # fmt: skip
    return FleetResult(
        "20261202-010000-ab12", "2026-12-02T01:00:00+00:00", "2026-12-02T01:00:05+00:00", hosts
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(params=[0o000, 0o077], ids=["umask000", "umask077"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def test_reports_and_folders_are_owner_only_by_default(tmp_path, umask):
    run_dir = tmp_path / "new" / "run"
    paths = write_reports(current_fleet(), run_dir, ["text", "html", "json", "csv", "prometheus"])
    assert mode(tmp_path / "new") == mode(run_dir) == 0o700
    for fmt, path in paths.items():
        assert mode(path) == (0o644 if fmt == "prometheus" else 0o600), (fmt, oct(mode(path)))


def test_group_readable_reports(tmp_path, umask):
    run_dir = tmp_path / "run"
    paths = write_reports(current_fleet(), run_dir, ["json", "markdown", "prometheus"], modes=GROUP_READABLE)
    assert mode(run_dir) == 0o750
    assert {fmt: mode(p) for fmt, p in paths.items()} == {"json": 0o640, "markdown": 0o640, "prometheus": 0o644,
                                                         "failed": 0o640}  # fmt: skip


def test_an_existing_folder_keeps_its_mode(tmp_path):
    tmp_path.chmod(0o755)
    make_folder(tmp_path, PRIVATE)
    assert mode(tmp_path) == 0o755


def test_journal_is_owner_only_and_keeps_a_resumed_journal_as_it_was(tmp_path, umask):
    journal = Journal(tmp_path / "run" / "journal.jsonl")
    journal.start({"run_id": "r1"})
    journal.close()
    assert mode(tmp_path / "run") == 0o700 and mode(journal.path) == 0o600
    journal.path.chmod(0o640)  # a resumed run does not change what the user chose
    Journal(journal.path).close()
    assert mode(journal.path) == 0o640


def test_interrupted_write_leftovers_are_found_and_removed(tmp_path):
    write_atomic(tmp_path / "report.html", "<html>")
    planted = [tmp_path / ".report.html.k3j2x9_a.tmp", tmp_path / ".journal.jsonl.abc123.tmp"]
    for p in planted:
        p.write_text("half")
    keep = [tmp_path / "report.html", tmp_path / "notes.tmp", tmp_path / ".hidden"]
    for p in keep[1:]:
        p.write_text("mine")
    assert leftover_temp_files(tmp_path) == sorted(planted)
    assert sorted(remove_leftovers(tmp_path)) == sorted(planted)
    assert sorted(tmp_path.iterdir()) == sorted(keep)


def _disk_full(*_args, **_kw):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_disk_full_while_writing_a_report_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic, "_write_all", _disk_full)
    with pytest.raises(EnvironmentProblem) as caught:
        write_atomic(tmp_path / "report.json", "{}")
    message = str(caught.value)
    assert message == f"cannot write {tmp_path / 'report.json'}: No space left on device " \
                      "(free some space or choose another folder)"  # fmt: skip
    assert "\n" not in message and list(tmp_path.iterdir()) == []


def test_disk_full_in_the_journal_mid_run_is_kept_not_raised(tmp_path, monkeypatch):
    journal = Journal(tmp_path / "journal.jsonl")
    journal.start({"run_id": "r1", "plan_hosts": ["a", "b"]})
    journal.host(HostResult("a"))
    monkeypatch.setattr(journal, "_append", _disk_full)
    journal.host(HostResult("b"))  # no exception: the scan goes on, results are in memory
    journal.end("now", False)
    journal.close()
    assert isinstance(journal.error, EnvironmentProblem) and "No space left on device" in str(journal.error)
    assert list(read_journal(journal.path).hosts) == ["a"]


def test_disk_full_at_the_journal_start_stops_the_run(tmp_path, monkeypatch):
    journal = Journal(tmp_path / "journal.jsonl")
    monkeypatch.setattr(journal, "_append", _disk_full)
    with pytest.raises(EnvironmentProblem, match="cannot write the journal .*No space left"):
        journal.start({"run_id": "r1"})


def test_check_writable_names_the_problem(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(EnvironmentProblem, match="a-file: not a folder .a part of the path is a file"):
        check_writable(blocker / "reports")
    check_writable(tmp_path / "not" / "yet")  # created later: its nearest existing parent is writable
    monkeypatch.setattr(atomic.os, "access", lambda *_a: False)  # what a non-root user sees in 0500
    with pytest.raises(
        EnvironmentProblem, match="cannot write reports to .*reports: Permission denied .check"
    ):
        check_writable(tmp_path / "reports")


def _refused(locked: Path) -> bool:
    for attempt in (lambda: check_writable(locked / "reports"), lambda: write_atomic(locked / "report.json", "{}")):
        try:
            attempt()
        except EnvironmentProblem as exc:
            if "Permission denied" not in str(exc):
                return False
        else:
            return False
    return True


def test_an_unwritable_folder_is_refused_for_real():
    """Real permissions, no mock. Root writes anywhere, so as root (CI) the check runs in a forked
    child that has dropped to nobody (65534) — the user a scheduler might well run umcheck as."""
    import tempfile

    locked = Path(tempfile.mkdtemp(prefix="umcheck-locked-", dir="/tmp"))
    try:
        locked.chmod(0o555)
        if os.geteuid() != 0:
            locked.chmod(0o500)
            assert _refused(locked)
            return
        pid = os.fork()
        if pid == 0:  # the child: never return into pytest
            code = 1
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                code = 0 if _refused(locked) else 3
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        locked.chmod(0o700)
        locked.rmdir()
