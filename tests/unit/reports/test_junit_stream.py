"""report.junit.xml is written suite by suite; it is byte for byte the document one ElementTree of
the whole fleet gives, totals included (counted before any suite is built)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from tests.unit.reports.fleet_fixture import current_fleet, hostile_fleet, partial_fleet
from umcheck.reports.junit import _suite, iter_junit, render_junit, root_element


def whole_tree(fleet) -> str:
    """The whole-tree rendering the stream replaced: every suite built into the root, the totals
    from what ``_suite`` counted while building them."""
    holder = ET.Element("testsuites")
    counts = [_suite(holder, fleet, h) for h in fleet.hosts]
    root = root_element(fleet, counts)
    root.extend(holder)
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
