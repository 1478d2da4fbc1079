"""Reports written while the run is being recorded (``umcheck/background.py``): the formats that
need nothing from the history start at once, JSON waits only for its last key, and the files are
the ones written after the recording."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.unit.reports.fleet_fixture import current_fleet, previous_fleet
from umcheck.background import BackgroundCall
from umcheck.reports import FORMATS, HistoryInputs, write_reports
from umcheck.reports.atomic import leftover_temp_files
from umcheck.reports.diff import diff_fleets

DEADLINE = 60.0  # seconds: generous for a loaded machine; the wait ends as soon as the file shows


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_reports_written_while_recording_are_the_reports_written_after_it(tmp_path):
    fleet = current_fleet()
    inputs = HistoryInputs(diff=diff_fleets(previous_fleet(), fleet, state=True))
    write_reports(fleet, tmp_path / "after", FORMATS, inputs=inputs)
    seen: list[str] = []

    def record() -> HistoryInputs:
        """Returns only once report.json is being written: the JSON did not wait for the history."""
        end = time.monotonic() + DEADLINE
        while not (tmp_path / "alongside").is_dir() or not leftover_temp_files(tmp_path / "alongside"):
            assert time.monotonic() < end, "report.json was not started before the recording finished"
            time.sleep(0.01)
        seen.extend(p.name for p in leftover_temp_files(tmp_path / "alongside"))
        return inputs

    pending = BackgroundCall(record, "test-record")
    pending.start()
    write_reports(fleet, tmp_path / "alongside", FORMATS, inputs=pending)
    assert seen and seen[0].startswith(".report.json.")
    assert inputs.diff is not None and b'"diff": {' in (tmp_path / "alongside" / "report.json").read_bytes()
    assert _files(tmp_path / "alongside") == _files(tmp_path / "after")


def test_a_recording_that_fails_fails_the_reports_waiting_for_it(tmp_path):
    def broken() -> HistoryInputs:
        raise RuntimeError("store bug")

    pending = BackgroundCall(broken, "test-record")
    pending.start()
    with pytest.raises(RuntimeError, match="store bug"):
        write_reports(current_fleet(), tmp_path, ["json"], inputs=pending)
    assert leftover_temp_files(tmp_path) == [] and not (tmp_path / "report.json").exists()


def test_background_call_hands_back_the_value():
    call = BackgroundCall(lambda: 41 + 1, "test-call")
    call.start()
    assert call.result() == 42 and not call.is_alive()
