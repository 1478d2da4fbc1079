"""Every format from the fixed fleet, byte for byte against tests/golden/reports/.

Regenerate deliberately with ``UMCHECK_REGEN_GOLDEN=1 pytest tests/unit/reports`` and review
the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.unit.reports.fleet_fixture import current_fleet
from umcheck.reports import FILE_NAMES, FORMATS, RETRY_FILE, write_reports

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "reports"
REGEN = os.environ.get("UMCHECK_REGEN_GOLDEN") == "1"


@pytest.fixture
def written(tmp_path, store):
    return write_reports(current_fleet(), tmp_path / "run", FORMATS, store=store)


@pytest.mark.parametrize("name", [*FILE_NAMES.values(), RETRY_FILE])
def test_matches_golden(written, name):
    produced = (written["failed"].parent / name).read_bytes()
    golden = GOLDEN / name
    if REGEN:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(produced)
    assert golden.exists(), f"missing golden file {golden}; run with UMCHECK_REGEN_GOLDEN=1"
    assert produced == golden.read_bytes(), (
        f"{name} differs from {golden} (regenerate deliberately if intended)"
    )


def test_write_reports_returns_every_requested_format(written):
    assert set(written) == {*FORMATS, "failed"}
    for fmt in FORMATS:
        assert written[fmt].name == FILE_NAMES[fmt] and written[fmt].stat().st_size > 0
    assert not list(written["failed"].parent.glob(".*.tmp")), "temp files must not be left behind"


def test_subset_of_formats_writes_only_those(tmp_path):
    paths = write_reports(current_fleet(), tmp_path, ["json", "prometheus"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["failed.txt", "report.json", "umcheck.prom"]
    assert set(paths) == {"json", "prometheus", "failed"}


def test_unknown_format_is_a_usage_error(tmp_path):
    from umcheck.errors import UsageError

    with pytest.raises(UsageError, match="unknown report format 'pdf'"):
        write_reports(current_fleet(), tmp_path, ["html", "pdf"])
    assert not (tmp_path / "report.html").exists(), "validation happens before anything is written"
