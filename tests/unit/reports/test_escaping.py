"""Hostile host data: nothing a host returns may become markup, script, a formula or a label break."""

from __future__ import annotations

import csv
import html
import io
import xml.etree.ElementTree as ET

from tests.unit.reports.fleet_fixture import (
    ATTR_BREAKER,
    EVIL_RULE,
    JS_URL,
    XSS_NAME,
    current_fleet,
    hostile_fleet,
)
from umcheck.reports.csv_report import render_csv
from umcheck.reports.diff import diff_fleets
from umcheck.reports.escape import csv_cell, md_inline, prom_label, safe_url
from umcheck.reports.html import render_html
from umcheck.reports.junit import render_junit
from umcheck.reports.markdown import render_markdown
from umcheck.reports.prometheus import render_prometheus
from umcheck.reports.text import render_summary
from umcheck.reports.trend import TrendPoint


def _html() -> str:
    fleet = hostile_fleet()
    return render_html(
        fleet, diff=diff_fleets(current_fleet(), fleet), trend=[TrendPoint(XSS_NAME, ATTR_BREAKER, {"Ready": 1}, scope=XSS_NAME, partial=True)]
    )


def test_html_escapes_names_messages_and_attributes():
    page = _html()
    assert XSS_NAME not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    # only our own script element, and the host data block (inert: type application/json)
    assert page.count("<script") == 2 and page.count('<script type="application/json" id="host-data">') == 1, "only our own script element"
    assert "</pre><script>" not in page


def test_html_links_only_http_urls_from_remediation():
    page = _html()
    assert f'href="{JS_URL}' not in page and 'href="javascript:' not in page and 'href="data:' not in page
    assert 'href="https://learn.microsoft.com/ok"' in page
    hrefs = [chunk.split('"', 1)[0] for chunk in page.split('href="')[1:]]
    assert all(h.startswith(("#", "https://", "http://")) for h in hrefs), hrefs


def test_html_is_self_contained_with_a_strict_csp():
    page = _html()
    meta = page.split('http-equiv="Content-Security-Policy" content="', 1)[1].split('"', 1)[0]
    csp = html.unescape(meta)
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp and "style-src 'sha256-" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for needle in ("<link", 'src="http', "@import", "url(http", "<iframe"):
        assert needle not in page


def test_html_has_no_terminal_control_characters():
    page = _html()
    assert "\x1b" not in page and "\x07" not in page


def test_markdown_escapes_host_data():
    md = render_markdown(hostile_fleet())
    lines = [line for line in md.splitlines() if not line.startswith("     ")]  # outside code blocks
    outside = "\n".join(lines)
    assert "<script>" not in outside and "<img" not in outside
    assert "&lt;script&gt;" in outside
    assert "\\[click\\](javascript:alert(2))" in outside, "link syntax neutralised"
    start = lines.index("| Host | Readiness | OS | Failing rules / error |")
    not_ready = [line for line in lines[start:] if line.startswith("| ")]
    assert len(not_ready) == 3
    for row in not_ready:  # a pipe in host data must not add a column
        assert row.replace("\\|", "").count("|") == 5, row
    assert "````" in md, "the fence is longer than the backticks in the command"


def test_markdown_inline_escaping_unit():
    assert md_inline("a|b") == "a\\|b"
    assert md_inline("[x](javascript:y)") == "\\[x\\](javascript:y)"
    assert md_inline("`code`") == "\\`code\\`"
    assert md_inline("<b>") == "&lt;b&gt;"
    assert md_inline("line\nbreak") == "line break"


def test_csv_neutralises_formula_cells():
    body = render_csv(hostile_fleet()).lstrip("\ufeff")
    cells = [c for row in csv.reader(io.StringIO(body, newline="")) for c in row]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert "'=HYPERLINK(" in body and "'-1+2" in body and "'@evil" in body and "'+cmd" in body
    assert "\x1b" not in body
    for trigger in "=+-@\t\r":
        assert csv_cell(trigger + "x") == "'" + trigger + "x"
    assert csv_cell("plain") == "plain"


def test_prometheus_label_values_are_escaped():
    text = render_prometheus(hostile_fleet())
    assert 'umcheck_rule_failures{rule_id="Evil\\"Rule\\\\x\\nnext"} 1' in text
    for line in text.splitlines():  # every line is a comment or one whole sample
        assert line.startswith("#") or line.startswith("umcheck_"), line
    assert prom_label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'


def test_junit_is_well_formed_despite_control_characters():
    root = ET.fromstring(render_junit(hostile_fleet()))
    names = [s.get("name") for s in root.iter("testsuite")]
    assert XSS_NAME in names and ATTR_BREAKER in names  # escaped in XML, intact once parsed
    assert any(EVIL_RULE.split("\n")[0] in (c.get("name") or "") for c in root.iter("testcase"))


def test_text_summary_strips_terminal_escapes():
    out = render_summary(hostile_fleet())
    assert "\x1b" not in out and "\x07" not in out


def test_safe_url():
    assert safe_url("https://learn.microsoft.com/x") == "https://learn.microsoft.com/x"
    assert safe_url("http://example.test/a?b=c") == "http://example.test/a?b=c"
    for bad in (
        JS_URL,
        "JavaScript:alert(1)",
        "data:text/html,x",
        "//evil.example/x",
        "https:///nohost",
        "https://ok.example/\nx",
        "vbscript:x",
        "learn.microsoft.com/no-scheme",
        None,
        42,
    ):
        assert safe_url(bad) is None, bad
