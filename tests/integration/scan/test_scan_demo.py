"""`umcheck demo --hosts 20`: simulator + scan + every report format, in one command."""

from __future__ import annotations

import collections
import json
import re
import subprocess
from pathlib import Path

from .e2e import umcheck_cmd

REPORT_FILES = ("report.html", "report.json", "report.csv", "report.junit.xml", "report.md", "umcheck.prom")


def test_demo_scans_a_simulated_fleet_and_writes_every_report(tmp_path, sim_env):
    reports = tmp_path / "reports"
    proc = subprocess.run(umcheck_cmd("demo", "--hosts", "20", "-o", str(reports)), capture_output=True, text=True,
                          timeout=180, cwd=tmp_path, env=sim_env, stdin=subprocess.DEVNULL)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "simulated 20 hosts on 127.0.0.x" in proc.stdout
    m = re.search(r"^reports: (.+)$", proc.stdout, re.MULTILINE)
    assert m, proc.stdout[-2000:]
    run_dir = Path(m.group(1))
    run_dir = run_dir if run_dir.is_absolute() else tmp_path / run_dir
    assert run_dir.is_dir() and run_dir.parent == reports
    for name in REPORT_FILES:
        assert (run_dir / name).is_file() and (run_dir / name).stat().st_size > 0, name
    assert (reports / "demo.db").is_file() and not (reports / "umcheck.db").exists(), "the demo keeps its own history"
    report = json.loads((run_dir / "report.json").read_text())
    names = collections.Counter(h["name"] for h in report["hosts"])
    assert len(names) == 20 and set(names.values()) == {1} and report["interrupted"] is False
    assert {h["transport"] for h in report["hosts"]} >= {"winrm", "ssh"}
    assert sum(h["status"] == "ok" for h in report["hosts"]) >= 15  # the mix has few faulty hosts
    assert "<html" in (run_dir / "report.html").read_text()[:500].lower()
    assert "umcheck_hosts" in (run_dir / "umcheck.prom").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]  # nothing written outside -o
