"""Reports written host by host are the same files as rendered whole; a failure midway leaves none."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.unit.reports.fleet_fixture import current_fleet, hostile_fleet, previous_fleet
from umcheck.reports import FORMATS, render, stream
from umcheck.reports.atomic import leftover_temp_files, write_atomic
from umcheck.reports.diff import diff_fleets
from umcheck.reports.migration import summarize_migration
from umcheck.reports.summary import summarize


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("make", [current_fleet, hostile_fleet])
def test_streamed_equals_rendered(fmt, make, tmp_path):
    fleet = make()
    diff = diff_fleets(previous_fleet(), fleet)
    whole = render(fmt, fleet, diff=diff)
    chunks = list(stream(fmt, fleet, diff=diff))
    assert "".join(c.decode("utf-8") if isinstance(c, bytes) else c for c in chunks) == whole
    path = write_atomic(tmp_path / "out", stream(fmt, fleet, diff=diff))
    assert path.read_bytes() == whole.encode("utf-8")


def test_a_failure_while_streaming_leaves_the_old_file_and_no_temp(tmp_path):
    target = write_atomic(tmp_path / "report.json", "old")

    def chunks():
        yield "new, half"
        raise RuntimeError("renderer bug")

    with pytest.raises(RuntimeError):
        write_atomic(target, chunks())
    assert target.read_text() == "old" and leftover_temp_files(tmp_path) == []


def test_summaries_are_computed_once_per_fleet_object():
    fleet = current_fleet()
    assert summarize(fleet) is summarize(fleet)
    assert summarize_migration(fleet) is summarize_migration(fleet)
    fewer = replace(fleet, hosts=fleet.hosts[:2])
    assert summarize(fewer).hosts_total == 2 and summarize(fleet).hosts_total == len(fleet.hosts)
    fleet.hosts.pop()  # the same object changed: not served from the cache
    assert summarize(fleet).hosts_total == len(fleet.hosts)
