"""The shipped playbooks end to end: ``umcheck run playbooks/nightly.yml`` then the connectivity re-check.

The fleet is a ``umcheck sim start`` subprocess; the playbooks are the real files from
``playbooks/``, run from a scratch working folder so their ``output_dir: reports`` lands there.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from .e2e import CREDS, PASSWORD_ENV, Procs, SimProcess, output, umcheck_cmd

PLAYBOOKS = Path(__file__).resolve().parents[3] / "playbooks"


def _report(reports: Path) -> dict:
    newest = sorted(p for p in reports.iterdir() if p.is_dir())[-1]
    return json.loads((newest / "report.json").read_text())


def test_nightly_then_recheck_connectivity(tmp_path) -> None:
    scenario = tmp_path / "scenario.yml"
    scenario.write_text(
        "name: playbooks\n"
        "hosts:\n"
        "  - {name: ok-win, transport: winrm, auth: ntlm}\n"
        "  - {name: blocked-win, transport: winrm, auth: ntlm, states: [endpoints_blocked]}\n"
        "  - {name: tls-psrp, transport: psrp, auth: negotiate, states: [tls12_disabled]}\n"
        "  - {name: ok-lnx, transport: ssh, auth: password}\n"
    )
    env = {**os.environ, PASSWORD_ENV: CREDS.password}
    procs = Procs()
    try:
        sim = SimProcess.start(procs, tmp_path, scenario, env)
        nightly = procs.start(umcheck_cmd("run", str(PLAYBOOKS / "nightly.yml"), "-i", str(sim.inventory)),
                              log=tmp_path / "nightly", env=env, cwd=tmp_path)  # fmt: skip
        assert nightly.wait(120) == 1, output(nightly)  # some hosts are not Ready: a scheduler can alert
        reports = tmp_path / "reports"
        run_dir = sorted(p for p in reports.iterdir() if p.is_dir())[0]
        names = {p.name for p in run_dir.iterdir()}
        assert {"report.html", "report.json", "report.csv", "report.junit.xml", "report.md", "umcheck.prom",
                "journal.jsonl", "failed.txt"} <= names  # fmt: skip
        first = _report(reports)
        readiness = {h["name"]: h["readiness"] for h in first["hosts"]}
        assert readiness == {"ok-win": "Ready", "blocked-win": "Disconnected", "tls-psrp": "Disconnected",
                             "ok-lnx": "Ready"}  # fmt: skip
        with sqlite3.connect(reports / "umcheck.db") as db:
            assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1

        recheck = procs.start(umcheck_cmd("run", str(PLAYBOOKS / "recheck-connectivity.yml"), "-i", str(sim.inventory)),
                              log=tmp_path / "recheck", env=env, cwd=tmp_path)  # fmt: skip
        assert recheck.wait(120) == 1, output(recheck)
        second = _report(reports)
        assert second["run_id"] != first["run_id"]
        # Only the host whose connectivity rules failed, and only connectivity rules were evaluated;
        # every other rule is carried forward from the nightly run (merged state).
        assert [h["name"] for h in second["hosts"]] == ["blocked-win"]
        outcomes = second["hosts"][0]["outcomes"]
        assert {o["RuleGroupId"] for o in outcomes if o["carried"] is None} == {"connectivity"}
        assert {o["carried"]["run_id"] for o in outcomes if o["RuleGroupId"] != "connectivity"} == {first["run_id"]}
        assert "PLAY [re-check connectivity of last run's failures]" in output(recheck)[0]
    finally:
        procs.close()
