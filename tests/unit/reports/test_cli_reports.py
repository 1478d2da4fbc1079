"""``umcheck history``, ``diff`` and ``report`` through the real CLI entry point, on a tmp database."""

from __future__ import annotations

import json

import pytest

from tests.unit.reports.fleet_fixture import current_fleet, previous_fleet
from umcheck.cli import main
from umcheck.journal import Journal
from umcheck.reports import FILE_NAMES


@pytest.fixture
def db(full_store, history_db):
    return str(history_db)


def test_history_lists_runs(db, capsys):
    assert main(["history", "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:5] == ["Run", "Started", "Took", "Hosts", "Ready"]
    assert out[2].split()[:9] == [
        "20261126-041500-ab12",
        "2026-11-26",
        "04:15:00",
        "372s",
        "9",
        "2",
        "2",
        "1",
        "4",
    ]
    assert len(out) == 5


def test_history_json(db, capsys):
    assert main(["history", "--db", db, "--json", "-n", "2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in data] == ["20261126-041500-ab12", "20261125-041500-9f3c"]
    assert data[1]["readiness"]["Ready"] == 5


def test_diff_defaults_to_the_last_two_runs(db, capsys):
    assert main(["diff", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "Changes since run 20261125-041500-9f3c" in out
    assert "Newly failing (1):\n  win-sql-02: Ready (ok) -> Disconnected (ok)" in out
    assert "Newly unreachable (2):" in out and "Fixed (1):\n  lnx-web-01" in out


def test_diff_exit_code_and_json(db, capsys):
    assert main(["diff", "last~2", "previous", "--db", db, "--json", "--exit-code"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["old_run"] == "20261124-041500-1a2b" and data["new_run"] == "20261125-041500-9f3c"
    assert main(["diff", "last", "last", "--db", db, "--exit-code"]) == 0


def test_bad_run_reference_is_one_line_and_exit_2(db, capsys):
    assert main(["diff", "2026", "--db", db]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ambiguous" in err and "Traceback" not in err
    assert main(["report", "nope", "--db", db, "--reports-dir", "/nonexistent"]) == 2
    assert "no run 'nope'" in capsys.readouterr().err


def test_missing_database_is_a_usage_error(tmp_path, capsys):
    assert main(["history", "--db", str(tmp_path / "none.db")]) == 2
    assert "no history database" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


def test_report_json_to_stdout(db, capsys):
    assert main(["report", "last", "--format", "json", "-o", "-", "--db", db]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run_id"] == "20261126-041500-ab12" and data["summary"]["hosts_total"] == 9
    assert data["diff"]["old_run"] == "20261125-041500-9f3c"


def test_report_writes_formats_into_a_folder(db, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["report", "20261125", "-f", "json,md", "-f", "csv", "-o", str(out), "--db", db]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["failed.txt", "report.csv", "report.json", "report.md"]
    assert json.loads((out / "report.json").read_text())["run_id"] == "20261125-041500-9f3c"
    assert "20261124" in (out / "report.md").read_text(), "diff against the run before it"


def test_report_defaults_to_the_run_folder_and_all_formats(db, tmp_path, capsys):
    reports = tmp_path / "reports"
    assert main(["report", "last", "--db", db, "--reports-dir", str(reports)]) == 0
    folder = reports / "20261126-041500-ab12"
    assert {p.name for p in folder.iterdir()} == {*FILE_NAMES.values(), "failed.txt"}


def test_report_from_a_journal_folder_without_a_database(tmp_path, capsys):
    fleet = previous_fleet()
    run_dir = tmp_path / "reports" / fleet.run_id
    journal = Journal(run_dir / "journal.jsonl")
    journal.start(
        {"run_id": fleet.run_id, "started": fleet.started, "plan_hosts": [h.name for h in fleet.hosts]}
    )
    for h in fleet.hosts:
        journal.host(h)
    journal.end(fleet.finished, False)
    journal.close()
    args = ["--db", str(tmp_path / "none.db"), "--reports-dir", str(tmp_path / "reports")]
    assert main(["report", "last", "-f", "markdown", *args]) == 0
    md = (run_dir / "report.md").read_text()
    assert "run 20261125-041500-9f3c" in md and "win-dc-03" in md
    assert main(["report", str(run_dir), "-f", "text", "-o", "-", *args]) == 0
    assert "Not Ready (4 of 9)" in capsys.readouterr().out


def test_report_rejects_stdout_with_several_formats(db, capsys):
    assert main(["report", "last", "-f", "json,csv", "-o", "-", "--db", db]) == 2
    assert "exactly one --format" in capsys.readouterr().err


def test_report_from_a_broken_json_file_names_the_file(tmp_path, capsys):
    bad = tmp_path / "report.json"
    bad.write_text('{"run_id": "x",\n oops}')
    assert main(["report", str(bad), "-f", "json", "-o", "-", "--db", str(tmp_path / "x.db")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2: not valid JSON" in err


def test_current_fleet_is_unchanged_by_cli(db):
    from umcheck.store import Store

    with Store(db, create=False) as s:
        assert s.load_run("last") == current_fleet()
