"""report.junit.xml is written suite by suite; it is byte for byte the document one ElementTree of
the whole fleet gives, totals included (counted before any suite is built)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from tests.unit.reports.fleet_fixture import current_fleet, hostile_fleet, partial_fleet
from umcheck.reports.escape import xml_text
from umcheck.reports.junit import _suite, iter_junit, render_junit
from umcheck.reports.summary import parse_time


def whole_tree(fleet) -> str:
    """The whole-tree rendering the stream replaced."""
    root = ET.Element("testsuites", {"name": xml_text(f"umcheck {fleet.run_id}")})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for h in fleet.hosts:
        for key, value in _suite(root, fleet, h).items():
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    a, b = parse_time(fleet.started), parse_time(fleet.finished)
    if a and b and (a.tzinfo is None) == (b.tzinfo is None):
        root.set("time", f"{(b - a).total_seconds():.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


@pytest.mark.parametrize("make", [current_fleet, partial_fleet, hostile_fleet])
def test_streamed_junit_is_the_whole_tree_document(make):
    fleet = make()
    chunks = list(iter_junit(fleet))
    assert len(chunks) == len(fleet.hosts) + 3  # declaration, opening tag, a chunk per suite, closing tag
    assert "".join(chunks) == whole_tree(fleet) == render_junit(fleet)
    root = ET.fromstring(render_junit(fleet).split("\n", 1)[1])
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in root) > 0
    assert int(root.get("skipped")) == sum(int(s.get("skipped")) for s in root) > 0


def test_streamed_junit_of_no_host_is_an_empty_root():
    fleet = replace(current_fleet(), hosts=[])
    assert render_junit(fleet) == whole_tree(fleet) and "<testsuites" in render_junit(fleet)
