"""The HTML report in a real browser: no console or CSP errors, and the sort/filter script works.

Headless Chromium loads the file (file:// only; background networking disabled) and dumps the
DOM after the report's script ran. The script records errors on ``<html data-js-errors>`` and sets
``data-ready`` when done; the view state comes from the URL fragment (``#q=lnx&sort=host``).
Without chromium the test skips, unless ``UMCHECK_REQUIRE_CHROMIUM=1`` (CI), where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.unit.reports.fleet_fixture import current_fleet, hostile_fleet, partial_fleet
from umcheck.reports import write_reports
from umcheck.reports.html import render_html


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("UMCHECK_REQUIRE_CHROMIUM") == "1":
        pytest.fail("chromium is required (UMCHECK_REQUIRE_CHROMIUM=1) but not installed")
    pytest.skip("chromium not installed (apt-get install chromium); CI sets UMCHECK_REQUIRE_CHROMIUM=1")


def _run(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--no-proxy-server",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *extra,
        url,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


class _Rows(HTMLParser):
    """Host table rows in DOM order: (first cell's data-sort, hidden?)."""

    def __init__(self) -> None:
        super().__init__()
        self.root: dict[str, str | None] = {}
        self.rows: list[tuple[str, bool]] = []
        self._in_table = False
        self._row_hidden: bool | None = None
        self.scripts = 0
        self.imgs = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.root = a
        elif tag == "script":
            self.scripts += 1
        elif tag == "img":
            self.imgs += 1
        elif tag == "table" and a.get("id") == "hosts-table":
            self._in_table = True
        elif self._in_table and tag == "tr" and "data-readiness" in a:
            self._row_hidden = "hidden" in a
        elif self._in_table and tag == "td" and self._row_hidden is not None:
            self.rows.append((a.get("data-sort") or "", self._row_hidden))
            self._row_hidden = None

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False


def _dump(tmp_path: Path, page: Path, fragment: str = "") -> _Rows:
    result = _run(page.as_uri() + fragment, tmp_path / "profile", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    assert console == [], console
    parsed = _Rows()
    parsed.feed(result.stdout)
    assert parsed.root.get("data-ready") == "1", "report script did not finish: " + result.stdout[:300]
    assert "data-js-errors" not in parsed.root, parsed.root.get("data-js-errors")
    return parsed


@pytest.fixture
def report(tmp_path, store) -> Path:
    return write_reports(current_fleet(), tmp_path / "run", ["html"], store=store)["html"]


def test_report_loads_without_errors(tmp_path, report):
    dom = _dump(tmp_path, report)
    assert dom.scripts == 2  # the report script and the host data block
    assert [name for name, hidden in dom.rows] == [h.name for h in current_fleet().hosts]
    assert not any(hidden for _, hidden in dom.rows)


def test_filter_and_sort_from_the_fragment(tmp_path, report):
    dom = _dump(tmp_path, report, "#q=lnx&sort=host&dir=desc")
    visible = [name for name, hidden in dom.rows if not hidden]
    assert visible == ["lnx-web-01", "lnx-db-02", "lnx-batch-03"]
    assert len(dom.rows) == 9, "filtered rows are hidden, not removed"


def test_readiness_filter_and_numeric_sort(tmp_path, report):
    dom = _dump(tmp_path, report, "#readiness=Unknown")
    assert sorted(n for n, hidden in dom.rows if not hidden) == [
        "lnx-batch-03",
        "win-fs-06",
        "win-hr-05",
        "win-old-04",
    ]
    dom = _dump(tmp_path, report, "#sort=failed&dir=desc")
    assert [n for n, _ in dom.rows][:3] == ["win-dc-03", "win-sql-02", "lnx-db-02"]


def test_hostile_report_runs_no_injected_script(tmp_path):
    page = tmp_path / "evil.html"
    page.write_text(render_html(hostile_fleet()), encoding="utf-8")
    dom = _dump(tmp_path, page)
    assert dom.scripts == 2 and dom.imgs == 0
    assert len(dom.rows) == 3


def test_partial_report_filters_carried_and_partial_hosts(tmp_path, store):
    store.save_run(current_fleet())
    page = write_reports(partial_fleet(), tmp_path / "run", ["html"], store=store)["html"]
    assert [n for n, hidden in _dump(tmp_path, page, "#q=partial").rows if not hidden] == ["win-new-08"]
    assert [n for n, hidden in _dump(tmp_path, page, "#q=carried").rows if not hidden] == ["win-sql-02"]


def test_screenshot_renders(tmp_path, report):
    shot = tmp_path / "report.png"
    result = _run(report.as_uri(), tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2000")
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_host_detail_is_built_on_demand_from_the_fragment(tmp_path, report):
    """``#host-N`` (a host link) builds that host's detail: its outcome rows and evidence."""
    fleet = current_fleet()
    n, host = next((i, h) for i, h in enumerate(fleet.hosts, 1) if h.outcomes and h.readiness != "Ready")
    closed = _run(report.as_uri(), tmp_path / "profile", "--dump-dom").stdout
    assert 'id="host-1"' not in closed.split('id="host-details"', 1)[1], "nothing rendered before it is opened"
    result = _run(report.as_uri() + f"#host-{n}", tmp_path / "profile", "--dump-dom")
    panel = result.stdout.split('id="host-details"', 1)[1].split("<template", 1)[0]
    assert f'id="host-{n}"' in panel and f'<strong class="host-name">{host.name}</strong>' in panel
    assert panel.count('<tr class="outcome ') == len(host.outcomes)
    assert all(f"<code>{o.RuleId}</code>" in panel for o in host.outcomes)


def test_hostile_host_detail_stays_text(tmp_path):
    """Host data reaches the page only as text: no element, script or image from a host string."""
    fleet = hostile_fleet()
    page = tmp_path / "evil.html"
    page.write_text(render_html(fleet), encoding="utf-8")
    for n in range(1, len(fleet.hosts) + 1):
        dom = _dump(tmp_path, page, f"#host-{n}")
        assert dom.scripts == 2 and dom.imgs == 0
    out = _run(page.as_uri() + "#host-1", tmp_path / "profile", "--dump-dom").stdout
    assert "<script>alert(" not in out and "&lt;script&gt;alert(" in out
