"""`umcheck scan --workers 2` interrupted by Ctrl-C, and with one child killed (-9), as processes.

The fleet is a `umcheck sim start` subprocess whose hosts take ``RUN_MS`` to run the collector, so
the scan is still going when the signal arrives. The scan runs in a session of its own: Ctrl-C is
SIGINT to its whole process group (parent and children at once, as a terminal sends it). Every
wait is on a file or a process, with generous deadlines (a loaded 2-core machine).
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import time
from pathlib import Path

from scan.e2e import (
    SimProcess,
    host_lines,
    read_journal_lines,
    slow_scenario,
    umcheck_cmd,
    wait_for_hosts_in_journal,
)

FORKS = 10
RUN_MS = 1500


class Scan:
    """`umcheck scan` in a new session; teardown kills the whole group (parent and children)."""

    def __init__(self, tmp: Path, argv: list[str], env: dict[str, str], log: str):
        self.out, self.err = tmp / f"{log}.out", tmp / f"{log}.err"
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=tmp,
                                         start_new_session=True)  # fmt: skip

    def output(self) -> tuple[str, str]:
        return self.out.read_text(errors="replace"), self.err.read_text(errors="replace")

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def children(self) -> list[int]:
        """The scan's child processes (its workers), from /proc."""
        kids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    kids.append(int(entry.name))
        return kids

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)


def _scan(tmp, sim, env, *extra, log="scan") -> Scan:
    argv = umcheck_cmd("scan", "-i", str(sim.inventory), "-o", str(tmp / "reports"), "--format", "json,csv",
                       "--timeout", "90", "--connect-timeout", "60", "-f", str(FORKS), *extra)  # fmt: skip
    return Scan(tmp, argv, env, log)


def _wait_for_journal(reports: Path, scan: Scan, at_least: int, timeout: float = 120) -> Path:
    return wait_for_hosts_in_journal(reports, scan.proc, at_least, timeout, stderr=lambda: scan.output()[1])


def _two_workers(scan: Scan, timeout: float = 60) -> list[int]:
    deadline = time.monotonic() + timeout
    while len(kids := scan.children()) < 2:
        assert time.monotonic() < deadline, f"the scan did not start 2 workers: {kids}"
        time.sleep(0.05)
    return kids


def test_ctrl_c_reaches_every_worker_partial_report_exit_130_then_resume(tmp_path, procs, sim_env):
    sim = SimProcess.start(procs, tmp_path, slow_scenario(tmp_path, RUN_MS, 15, 10, 15), sim_env)
    names = {h["name"] for h in sim.ready["hosts"]}
    scan = _scan(tmp_path, sim, sim_env, "--workers", "2")
    try:
        workers = _two_workers(scan)
        run_dir = _wait_for_journal(tmp_path / "reports", scan, at_least=10)
        started = time.monotonic()
        os.killpg(scan.proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        assert scan.wait(60) == 130, scan.output()[1][-3000:]
        assert time.monotonic() - started < 30  # Ctrl-C does not wait for the fleet
        out, err = scan.output()
        assert f"reports: {run_dir}" in out
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-3000:]
        for pid in workers:  # no worker outlives the run
            assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[1][:3]
    finally:
        scan.close()

    report = json.loads((run_dir / "report.json").read_text())
    assert report["interrupted"] is True
    assert sorted(h["name"] for h in report["hosts"]) == sorted(names)  # every host, once
    statuses = collections.Counter(h["status"] for h in report["hosts"])
    assert set(statuses) == {"ok", "cancelled"} and statuses["ok"] >= 10 and statuses["cancelled"] >= 1, statuses
    for h in report["hosts"]:
        expected = ("Unknown", "cancelled") if h["status"] == "cancelled" else ("Ready", None)
        assert (h["readiness"], h["error_kind"]) == expected, h["name"]
    assert (run_dir / "report.csv").exists()
    journal = read_journal_lines(run_dir / "journal.jsonl")
    assert journal[0]["type"] == "run" and journal[-1]["type"] == "end" and journal[-1]["interrupted"] is True
    assert collections.Counter(r["name"] for r in host_lines(journal)) == collections.Counter(names)
    ok_before = {h["name"]: h for h in report["hosts"] if h["status"] == "ok"}

    resumed = _scan(tmp_path, sim, sim_env, "--workers", "2", "--resume", str(run_dir), log="resume")
    try:
        assert resumed.wait(180) == 0, resumed.output()[1][-3000:]
    finally:
        resumed.close()
    final = json.loads((run_dir / "report.json").read_text())
    assert final["interrupted"] is False and sorted(h["name"] for h in final["hosts"]) == sorted(names)
    assert {h["status"] for h in final["hosts"]} == {"ok"}
    for h in final["hosts"]:
        if h["name"] in ok_before:  # finished before Ctrl-C: not scanned again
            assert h["started"] == ok_before[h["name"]]["started"]
    runs = sim.stop()
    assert len(names) <= runs <= len(names) + FORKS, runs  # at most the hosts in flight ran twice


def test_a_worker_killed_mid_run_loses_no_host(tmp_path, procs, sim_env):
    sim = SimProcess.start(procs, tmp_path, slow_scenario(tmp_path, RUN_MS, 15, 10, 15), sim_env)
    names = {h["name"] for h in sim.ready["hosts"]}
    scan = _scan(tmp_path, sim, sim_env, "--workers", "2")
    try:
        victim = _two_workers(scan)[0]
        run_dir = _wait_for_journal(tmp_path / "reports", scan, at_least=6)
        os.kill(victim, signal.SIGKILL)
        assert scan.wait(240) == 0, scan.output()[1][-3000:]  # every host Ready in the end
        out, err = scan.output()
    finally:
        scan.close()
    assert "Traceback" not in err, err[-3000:]
    assert "exited with SIGKILL" in err and "retrying them in a new worker" in err, err[-3000:]
    report = json.loads((run_dir / "report.json").read_text())
    assert report["interrupted"] is False
    assert sorted(h["name"] for h in report["hosts"]) == sorted(names)
    assert {(h["status"], h["readiness"]) for h in report["hosts"]} == {("ok", "Ready")}
    journal = read_journal_lines(run_dir / "journal.jsonl")
    assert collections.Counter(r["name"] for r in host_lines(journal)) == collections.Counter(names)
    runs = sim.stop()
    assert len(names) <= runs <= len(names) + FORKS // 2, runs  # only the killed worker's hosts in flight ran twice


def test_parent_killed_9_its_workers_stop_and_resume_completes(tmp_path, procs, sim_env):
    """kill -9 of umcheck itself: the workers see their stdin close, stop at once (no orphan keeps
    scanning into a pipe nobody reads), and --resume scans each missing host once."""
    sim = SimProcess.start(procs, tmp_path, slow_scenario(tmp_path, RUN_MS, 12, 8, 12), sim_env)
    names = {h["name"] for h in sim.ready["hosts"]}
    scan = _scan(tmp_path, sim, sim_env, "--workers", "2")
    try:
        workers = _two_workers(scan)
        run_dir = _wait_for_journal(tmp_path / "reports", scan, at_least=6)
        scan.proc.kill()  # the parent only
        scan.wait(10)
        deadline = time.monotonic() + 60
        while alive := [p for p in workers if Path(f"/proc/{p}").exists()
                        and "Z" not in Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1][:3]]:  # fmt: skip
            assert time.monotonic() < deadline, f"workers {alive} outlived their parent"
            time.sleep(0.1)
    finally:
        scan.close()
    done_before = {r["name"] for r in host_lines(read_journal_lines(run_dir / "journal.jsonl"))}
    assert 6 <= len(done_before) < len(names)

    resumed = _scan(tmp_path, sim, sim_env, "--workers", "2", "--resume", str(run_dir), log="resume")
    try:
        assert resumed.wait(180) == 0, resumed.output()[1][-3000:]
    finally:
        resumed.close()
    final = json.loads((run_dir / "report.json").read_text())
    assert sorted(h["name"] for h in final["hosts"]) == sorted(names)
    assert {(h["status"], h["readiness"]) for h in final["hosts"]} == {("ok", "Ready")}
    # Scanned twice at most: the hosts in flight when umcheck died (<= FORKS), and hosts whose result
    # was still in a worker's pipe, unread (a pipe holds 64 KB: two or three ~28 KB result lines each).
    runs = sim.stop()
    assert len(names) <= runs <= len(names) + FORKS + 2 * 3, runs


def test_sigterm_to_umcheck_alone_is_forwarded_to_its_workers(tmp_path, procs, sim_env):
    """A scheduler stopping the job signals umcheck only: the workers must hear it from umcheck."""
    sim = SimProcess.start(procs, tmp_path, slow_scenario(tmp_path, RUN_MS, 12, 8, 12), sim_env)
    names = {h["name"] for h in sim.ready["hosts"]}
    scan = _scan(tmp_path, sim, sim_env, "--workers", "2")
    try:
        _two_workers(scan)
        run_dir = _wait_for_journal(tmp_path / "reports", scan, at_least=6)
        scan.proc.send_signal(signal.SIGTERM)
        assert scan.wait(60) == 130, scan.output()[1][-3000:]
        assert "Traceback" not in scan.output()[1]
    finally:
        scan.close()
    report = json.loads((run_dir / "report.json").read_text())
    assert report["interrupted"] is True and sorted(h["name"] for h in report["hosts"]) == sorted(names)
    statuses = collections.Counter(h["status"] for h in report["hosts"])
    assert set(statuses) == {"ok", "cancelled"} and statuses["cancelled"] >= 1, statuses
    sim.stop()
