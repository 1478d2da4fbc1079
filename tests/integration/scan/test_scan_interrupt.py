"""`umcheck scan` killed (-9) or interrupted (SIGINT) mid-run, then `--resume`d.

The fleet is a `umcheck sim start` subprocess whose hosts take ``run_ms`` to run the collector, so
a scan with ``-f 10`` is still going when the signal arrives. The simulator's collector-run count
(printed when it stops) tells how many collector runs it served in total: a resume that scanned
journaled hosts again would exceed the plan by more than the hosts that were in flight (<= forks).
"""

from __future__ import annotations

import collections
import json
import signal
import time

from .e2e import (
    SimProcess,
    host_lines,
    output,
    read_journal_lines,
    slow_scenario,
    umcheck_cmd,
    wait_for_hosts_in_journal,
)

FORKS = 10
RUN_MS = 1500


def _scan(procs, tmp, sim, env, *extra, log="scan"):
    argv = umcheck_cmd("scan", "-i", str(sim.inventory), "-o", str(tmp / "reports"), "--format", "json,csv",
                       "--timeout", "60", *extra)  # fmt: skip
    return procs.start(argv, log=tmp / log, env=env, cwd=tmp)


def _finish(proc, timeout=120):
    proc.wait(timeout)
    return output(proc)


def test_kill_9_mid_run_then_resume_scans_each_host_once(tmp_path, procs, sim_env):
    sim = SimProcess.start(procs, tmp_path, slow_scenario(tmp_path, RUN_MS, 25, 15, 20), sim_env)
    names = {h["name"] for h in sim.ready["hosts"]}
    assert len(names) == 60
    scan = _scan(procs, tmp_path, sim, sim_env, "-f", str(FORKS))
    run_dir = wait_for_hosts_in_journal(tmp_path / "reports", scan, at_least=15)
    scan.send_signal(signal.SIGKILL)
    scan.wait(10)
    assert scan.returncode == -signal.SIGKILL

    before = read_journal_lines(run_dir / "journal.jsonl")
    done_before = {r["name"]: r for r in host_lines(before)}
    assert before[0]["type"] == "run" and before[0]["plan_hosts"] and set(before[0]["plan_hosts"]) == names
    assert not any(r["type"] == "end" for r in before)  # killed: no end line
    assert 15 <= len(done_before) < 60, len(done_before)
    assert all(r["status"] == "ok" for r in done_before.values())
    assert not (run_dir / "report.json").exists()  # kill -9: no report was written
    raw_before = (run_dir / "journal.jsonl").read_bytes()
    complete_prefix = raw_before[: raw_before.rfind(b"\n") + 1]

    resumed = _scan(procs, tmp_path, sim, sim_env, "--resume", run_dir.name, "-f", "60", log="resume")
    out, err = _finish(resumed)
    assert resumed.returncode == 0, err[-3000:]  # every host Ready
    assert f"reports: {run_dir}" in out

    # The journal was appended to, never rewritten; each host is in it exactly once.
    raw_after = (run_dir / "journal.jsonl").read_bytes()
    assert raw_after.startswith(complete_prefix)
    after = read_journal_lines(run_dir / "journal.jsonl")
    assert [r["type"] for r in after].count("run") == 1 and after[-1]["type"] == "end"
    assert after[-1]["interrupted"] is False
    per_host = collections.Counter(r["name"] for r in host_lines(after))
    assert set(per_host) == names and set(per_host.values()) == {1}, per_host.most_common(3)

    report = json.loads((run_dir / "report.json").read_text())
    assert report["run_id"] == run_dir.name and report["interrupted"] is False
    hosts = {h["name"]: h for h in report["hosts"]}
    assert len(report["hosts"]) == 60 and set(hosts) == names
    assert {(h["status"], h["readiness"]) for h in hosts.values()} == {("ok", "Ready")}
    for name, before_rec in done_before.items():  # journaled hosts kept their first (only) scan
        assert (hosts[name]["started"], hosts[name]["elapsed_ms"]) == (before_rec["started"], before_rec["elapsed_ms"])

    runs = sim.stop()
    in_flight = runs - 60  # collectors started by the killed scan whose host never reached the journal
    assert 0 <= in_flight <= FORKS, f"{runs} collector runs for 60 hosts ({len(done_before)} journaled before the kill)"


def test_sigint_writes_a_partial_report_exits_130_and_resumes(tmp_path, procs, sim_env):
    sim = SimProcess.start(procs, tmp_path, slow_scenario(tmp_path, RUN_MS, 15, 10, 15), sim_env)
    names = {h["name"] for h in sim.ready["hosts"]}
    scan = _scan(procs, tmp_path, sim, sim_env, "-f", str(FORKS))
    run_dir = wait_for_hosts_in_journal(tmp_path / "reports", scan, at_least=10)
    started = time.monotonic()
    scan.send_signal(signal.SIGINT)
    out, err = _finish(scan, timeout=30)
    assert scan.returncode == 130, err[-3000:]
    assert time.monotonic() - started < 15  # Ctrl-C does not wait for the fleet
    assert f"reports: {run_dir}" in out

    report = json.loads((run_dir / "report.json").read_text())
    assert report["interrupted"] is True
    assert sorted(h["name"] for h in report["hosts"]) == sorted(names)  # every host, once
    statuses = collections.Counter(h["status"] for h in report["hosts"])
    assert set(statuses) == {"ok", "cancelled"} and statuses["ok"] >= 10 and statuses["cancelled"] >= 1, statuses
    for h in report["hosts"]:
        if h["status"] == "cancelled":
            assert (h["readiness"], h["error_kind"]) == ("Unknown", "cancelled")
        else:
            assert h["readiness"] == "Ready"
    assert (run_dir / "report.csv").exists()

    journal = read_journal_lines(run_dir / "journal.jsonl")
    assert journal[0]["type"] == "run" and journal[-1]["type"] == "end" and journal[-1]["interrupted"] is True
    assert collections.Counter(r["name"] for r in host_lines(journal)) == collections.Counter(names)
    ok_before = {h["name"]: h for h in report["hosts"] if h["status"] == "ok"}

    resumed = _scan(procs, tmp_path, sim, sim_env, "--resume", str(run_dir), "-f", "40", log="resume")
    out, err = _finish(resumed)
    assert resumed.returncode == 0, err[-3000:]
    final = json.loads((run_dir / "report.json").read_text())
    assert final["interrupted"] is False and sorted(h["name"] for h in final["hosts"]) == sorted(names)
    assert {h["status"] for h in final["hosts"]} == {"ok"}
    for h in final["hosts"]:
        if h["name"] in ok_before:  # finished before Ctrl-C: not scanned again
            assert h["started"] == ok_before[h["name"]]["started"]
    runs = sim.stop()
    assert len(names) <= runs <= len(names) + FORKS, runs
