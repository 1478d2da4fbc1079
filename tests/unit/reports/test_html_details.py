"""The HTML report's compact host detail: a JSON data block that no host string can break out of,
and outcome rows stored once however many hosts share them."""

from __future__ import annotations

import json
from dataclasses import replace

from tests.unit.reports.fleet_fixture import current_fleet, html_host_data
from umcheck.reports.escape import printable
from umcheck.reports.html import render_html
from umcheck.reports.html_data import host_details, script_json
from umcheck.results import FleetResult

BREAKOUT = "</script><script>alert(1)</script>"
DATA_OPEN = '<script type="application/json" id="host-data">'


def _evil_fleet() -> FleetResult:
    fleet = current_fleet()
    host = fleet.hosts[0]
    first = replace(host.outcomes[0], evidence={f"key{BREAKOUT}": f"v\u2028{BREAKOUT}\u2029&amp;<!--"})
    evil = replace(host, name=f"evil{BREAKOUT}\u2028", address=BREAKOUT, error=f"<!-- {BREAKOUT}",
                   outcomes=[first, *host.outcomes[1:]])  # fmt: skip
    return replace(fleet, hosts=[evil, *fleet.hosts[1:]])


def test_script_json_escapes_what_could_end_the_element():
    text = script_json({"a": f"{BREAKOUT} & \u2028\u2029 <!--"})
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in text
    assert json.loads(text) == {"a": f"{BREAKOUT} & \u2028\u2029 <!--"}


def test_host_data_block_cannot_be_broken_out_of():
    page = render_html(_evil_fleet())
    assert BREAKOUT not in page and "alert(1)</script>" not in page
    assert page.count("<script") == 2 and page.count(DATA_OPEN) == 1
    block = page.split(DATA_OPEN, 1)[1].split("</script>", 1)[0]
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in block
    hosts = html_host_data(page)
    evil = hosts[f"evil{BREAKOUT}\u2028"]  # the exact text, for textContent in the page
    assert evil["address"] == BREAKOUT and evil["error"] == f"<!-- {BREAKOUT}"
    data = json.loads(block)
    assert printable(f"v\u2028{BREAKOUT}\u2029&amp;<!--") in data["s"] and f"key{BREAKOUT}" in data["s"]


def test_outcome_rows_are_stored_once_for_many_hosts():
    fleet = current_fleet()
    one = host_details(fleet)
    many = replace(fleet, hosts=[replace(h, name=f"{h.name}-{i}") for i in range(50) for h in fleet.hosts])
    details = host_details(many)
    assert len(details.rows) == len(one.rows), "identical outcomes share one row template"
    page = render_html(many)
    assert page.count('<template class="outcome-row">') == len(one.rows)
    assert len(page.encode()) < len(render_html(fleet).encode()) + 1000 * len(many.hosts)
    assert len(html_host_data(page)) == len(many.hosts)


def test_every_host_has_an_anchor_the_script_opens():
    fleet = current_fleet()
    page = render_html(fleet)
    hosts = list(html_host_data(page))
    assert hosts == [h.name for h in fleet.hosts]
    for i in range(1, len(hosts) + 1):
        assert f'href="#host-{i}"' in page


def test_fake_hosts_are_flagged_as_not_a_real_scan():
    fleet = current_fleet()
    assert 'id="fake-hosts"' not in render_html(fleet)
    faked = replace(fleet, hosts=[replace(h, transport="fake") for h in fleet.hosts[:2]] + fleet.hosts[2:])
    page = render_html(faked)
    assert 'id="fake-hosts"' in page and "<strong>Not a real scan:</strong> 2 hosts (transport <code>fake</code>)" in page
