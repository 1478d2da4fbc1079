"""Retention keeps the newest run folders and nothing else; failed.txt lists hosts to re-check."""

from __future__ import annotations

import pytest

from tests.unit.reports.fleet_fixture import current_fleet
from umcheck.errors import UsageError
from umcheck.retention import prune_runs, run_folders
from umcheck.retry import write_retry_file


def _make(reports, names):
    for name in names:
        (reports / name).mkdir(parents=True)
        (reports / name / "journal.jsonl").write_text("{}\n")


def test_prune_keeps_the_newest_and_never_the_db(tmp_path):
    reports = tmp_path / "reports"
    runs = ["20261122-041500-aaaa", "20261123-041500-bbbb", "20261124-041500-cccc", "20261125-041500-dddd"]
    _make(reports, runs)
    (reports / "umcheck.db").write_bytes(b"db")
    (reports / "notes").mkdir()
    (reports / "latest").symlink_to(reports / runs[0])
    removed = prune_runs(reports, keep=2)
    assert [p.name for p in removed] == runs[:2]
    assert [p.name for p in run_folders(reports)] == runs[2:]
    assert (reports / "umcheck.db").read_bytes() == b"db" and (reports / "notes").is_dir()
    assert prune_runs(reports, keep=2) == []


def test_prune_validates_keep_and_tolerates_missing_dir(tmp_path):
    with pytest.raises(UsageError, match="at least 1"):
        prune_runs(tmp_path, keep=0)
    assert prune_runs(tmp_path / "absent", keep=3) == []


def test_retry_file_lists_hosts_not_ready(tmp_path):
    path = tmp_path / "failed.txt"
    hosts = write_retry_file(current_fleet(), path)
    assert hosts == [
        "win-sql-02",
        "win-dc-03",
        "lnx-db-02",
        "win-old-04",
        "win-hr-05",
        "lnx-batch-03",
        "win-fs-06",
    ]
    assert path.read_text() == "".join(f"{h}\n" for h in hosts)


def test_retry_file_is_empty_when_all_ready(tmp_path):
    from dataclasses import replace

    fleet = replace(current_fleet(), hosts=[current_fleet().hosts[0]])
    assert write_retry_file(fleet, tmp_path / "failed.txt") == []
    assert (tmp_path / "failed.txt").read_text() == ""


def test_history_prune_command(tmp_path, capsys):
    from umcheck.cli import main

    reports = tmp_path / "reports"
    _make(reports, ["20261124-041500-cccc", "20261125-041500-dddd"])
    assert main(["history", "--prune", "1", "--reports-dir", str(reports)]) == 0
    assert capsys.readouterr().out == f"removed {reports / '20261124-041500-cccc'}\n"
    assert main(["history", "--prune", "0", "--reports-dir", str(reports)]) == 2
