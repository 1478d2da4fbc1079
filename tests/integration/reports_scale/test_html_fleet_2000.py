"""A 2,000-host fleet of ``fake`` hosts: the HTML report stays small per host and shows a host's
detail only when it is clicked (built in the page from the data block, not shipped as HTML).

Not a timing test (bench/fleet_10k.py measures): a size bound per host, and behaviour in a real
browser. Skips without chromium unless ``UMCHECK_REQUIRE_CHROMIUM=1``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.reports_scale.cdp import Browser

HOSTS = 2000
BYTES_PER_HOST = 1200  # today ~0.7 KB; before the compact detail it was ~34 KB
UMCHECK = [sys.executable, "-c", "import sys; from umcheck.cli import main; sys.exit(main())"]
# (umcheck_os, umcheck_fake_state) dealt round the hosts
MIX = [("windows", "healthy"), ("linux", "healthy"), ("windows", "healthservice_stopped"),
       ("linux", "omsagent_stopped"), ("windows", "proxy_set"), ("linux", "repos_blocked")]  # fmt: skip


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    if os.environ.get("UMCHECK_REQUIRE_CHROMIUM") == "1":
        pytest.fail("chromium is required (UMCHECK_REQUIRE_CHROMIUM=1) but not installed")
    pytest.skip("chromium not installed (apt-get install chromium); CI sets UMCHECK_REQUIRE_CHROMIUM=1")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("fleet2000")
    lines = []
    for i, (os_family, state) in enumerate(MIX):
        lines += [f"[g{i}]", *(f"h{n:04d}" for n in range(i, HOSTS, len(MIX))),
                  f"[g{i}:vars]", "ansible_connection=fake", f"umcheck_os={os_family}", f"umcheck_fake_state={state}"]  # fmt: skip
    (tmp / "inventory.ini").write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = subprocess.run([*UMCHECK, "scan", "-i", str(tmp / "inventory.ini"), "-o", str(tmp / "reports"),
                           "--workers", "1", "--no-history", "--format", "html", "-q"],
                          capture_output=True, text=True, timeout=900, check=False)  # fmt: skip
    assert done.returncode in (0, 1), done.stderr[-2000:]  # 1: some hosts are not Ready
    return next((tmp / "reports").glob("*/report.html"))


def test_html_size_per_host_is_bounded(report):
    size = report.stat().st_size
    assert size < BYTES_PER_HOST * HOSTS, f"{size / HOSTS:.0f} bytes per host"
    page = report.read_text(encoding="utf-8")
    assert re.search(r'id="host-[0-9]', page) is None, "no host detail is shipped as HTML"
    assert page.count("<tr data-readiness=") == 500, "the first page of the host table is listed"
    assert page.count("<tr hidden data-readiness=") == HOSTS - 500, "the rest are there, hidden"
    assert "Not a real scan:" in page, "fake hosts are flagged"


def test_clicking_a_host_shows_its_rules(report, tmp_path):
    browser = Browser(_chromium(), tmp_path / "profile")
    try:
        browser.open(report.as_uri())
        assert browser.evaluate("document.documentElement.getAttribute('data-js-errors')") is None
        assert browser.evaluate("document.querySelectorAll('#host-details details').length") == 0
        # the table lists the first page of hosts; the filter finds any host
        assert browser.evaluate("document.querySelectorAll('#hosts-table tbody tr:not([hidden])').length") == 500
        name = "h1502"  # (1502 % 6 = 2: windows, healthservice_stopped)
        browser.evaluate(f"var f = document.getElementById('host-filter'); f.value = '{name}';"
                         "f.dispatchEvent(new Event('input'))")  # fmt: skip
        visible = "Array.from(document.querySelectorAll('#hosts-table tbody tr:not([hidden]) a'))"
        assert browser.evaluate(f"{visible}.map(a => a.textContent)") == [name]
        anchor = browser.evaluate(f"{visible}[0].getAttribute('href')")
        browser.evaluate(f"{visible}[0].click()")
        detail = f"document.getElementById('{anchor[1:]}')"
        assert browser.evaluate(f"{detail}.querySelector('.host-name').textContent") == name
        rules = browser.evaluate(f"Array.from({detail}.querySelectorAll('tr.outcome code')).map(c => c.textContent)")
        assert "MonitoringAgentServiceRunningCheck" in rules and len(rules) > 20
        failed = browser.evaluate(f"{detail}.querySelectorAll('tr.outcome-failed').length")
        assert failed >= 1
        evidence = browser.evaluate(f"{detail}.querySelectorAll('.evidence-cell dl.evidence dt').length")
        assert evidence > 10
        assert browser.evaluate("document.querySelectorAll('#host-details details').length") == 1
        assert browser.evaluate("document.documentElement.getAttribute('data-js-errors')") is None
    finally:
        browser.close()
