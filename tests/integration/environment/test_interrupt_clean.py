"""Ctrl-C during a scan: exit 130, a partial report, and not one traceback, over every transport.

Before the fix, SIGINT during SSH scans printed an asyncio "_GatheringFuture exception was never
retrieved ... CancelledError" dump per running host. Each transport gets a fleet whose hosts
take ``RUN_MS``; the signal is sent once the journal holds a finished host, while the next
hosts are in flight (forks < hosts).
"""

from __future__ import annotations

import json
import signal

import pytest
from scan.e2e import SimProcess, output, umcheck_cmd, wait_for_hosts_in_journal

from .conftest import scenario

RUN_MS = 1500
HOSTS = 8
FORKS = 3


@pytest.mark.parametrize("transport", ["winrm", "psrp", "ssh"])
def test_ctrl_c_mid_scan_exits_130_without_a_traceback(tmp_path, procs, env_vars, transport):
    sim = SimProcess.start(procs, tmp_path, scenario(tmp_path, run_ms=RUN_MS, **{transport: HOSTS}), env_vars)
    argv = umcheck_cmd("scan", "-i", str(sim.inventory), "-o", str(tmp_path / "reports"), "-f", str(FORKS),
                       "--timeout", "60", "--format", "json")  # fmt: skip
    scan = procs.start(argv, log=tmp_path / "scan", env=env_vars, cwd=tmp_path)
    run_dir = wait_for_hosts_in_journal(tmp_path / "reports", scan, at_least=1)
    scan.send_signal(signal.SIGINT)
    scan.wait(60)
    out, err = output(scan)
    assert scan.returncode == 130, err[-3000:]
    assert "Traceback" not in err and "never retrieved" not in err, err[-3000:]
    report = json.loads((run_dir / "report.json").read_text())
    assert report["interrupted"] is True and len(report["hosts"]) == HOSTS
    statuses = {h["status"] for h in report["hosts"]}
    assert "ok" in statuses and "cancelled" in statuses, statuses  # some done, some cut off in flight
