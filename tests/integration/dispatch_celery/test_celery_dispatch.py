"""`umcheck scan --dispatch` through a real redis-server to real `umcheck worker` processes.

The fleet is a `umcheck sim start` subprocess; its inventory gets a segment per group. Workers
know the fleet's password (an environment variable the inventory looks up); the controller does
not, so every password is resolved on a worker. Waiting is on events (ready lines, journal
lines), never on fixed sleeps; deadlines are generous for a loaded 2-core machine.
"""

from __future__ import annotations

import collections
import json
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from celery_helpers import RedisServer, free_port, start_redis, start_worker, stop_redis, umcheck
from scan.e2e import (
    PASSWORD,
    SimProcess,
    host_lines,
    output,
    read_journal_lines,
    wait_for_hosts_in_journal,
)

from umcheck.dispatch.celery import keys

SEGMENTS = {"windows_winrm": "seg-a", "linux": "seg-b"}


def _fleet(procs, tmp: Path, env, *, windows: int, linux: int, run_ms: int) -> tuple[SimProcess, set[str]]:
    scenario = tmp / "scenario.yml"
    lines = ["name: dispatch", "hosts:"]
    if windows:
        lines.append(f"  - {{name: win, count: {windows}, transport: winrm, auth: ntlm, run_ms: {run_ms}}}")
    if linux:
        lines.append(f"  - {{name: lnx, count: {linux}, transport: ssh, auth: key, run_ms: {run_ms}}}")
    scenario.write_text("\n".join(lines) + "\n")
    sim = SimProcess.start(procs, tmp, scenario, env)
    doc = yaml.safe_load(sim.inventory.read_text())
    for group, children in doc["all"]["children"].items():
        children["vars"] = {"umcheck_segment": SEGMENTS.get(group, "default")}
    sim.inventory.write_text(yaml.safe_dump(doc, sort_keys=False))
    return sim, {h["name"] for h in sim.ready["hosts"]}


def _scan(procs, tmp: Path, sim: SimProcess, url: str, env, *extra: str, log: str = "scan"):
    argv = umcheck("scan", "-i", str(sim.inventory), "-o", str(tmp / "reports"), "--format", "json",
                   "--timeout", "90", "--dispatch", url, *extra)  # fmt: skip
    return procs.start(argv, log=tmp / log, env=env, cwd=tmp)


def _finish(proc, timeout: float = 240) -> tuple[str, str]:
    proc.wait(timeout)
    return output(proc)


def _once_each(run_dir: Path, names: set[str]) -> dict[str, dict]:
    """Every host exactly once in the journal (not counting lines of hosts cancelled by Ctrl-C, which
    a resume scans again) and in report.json; returns the report's hosts."""
    lines = read_journal_lines(run_dir / "journal.jsonl")
    per_host = collections.Counter(r["name"] for r in host_lines(lines) if r["status"] != "cancelled")
    assert set(per_host) == names and set(per_host.values()) == {1}, per_host.most_common(3)
    report = json.loads((run_dir / "report.json").read_text())
    counted = collections.Counter(h["name"] for h in report["hosts"])
    assert set(counted) == names and set(counted.values()) == {1}, counted.most_common(3)
    return {h["name"]: h for h in report["hosts"]}


def _run_dir(tmp: Path) -> Path:
    """The one run that got as far as a report (a refused run leaves no folder)."""
    (report,) = list((tmp / "reports").glob("*/report.json"))
    return report.parent


def test_two_segments_each_host_once_by_a_worker_of_its_segment(tmp_path, procs, redis_server, worker_env,
                                                                 controller_env):  # fmt: skip
    sim, names = _fleet(procs, tmp_path, worker_env, windows=8, linux=8, run_ms=200)
    start_worker(procs, tmp_path, redis_server.url, "seg-a", "wa", worker_env)
    start_worker(procs, tmp_path, redis_server.url, "seg-b", "wb", worker_env)
    scan = _scan(procs, tmp_path, sim, redis_server.url, controller_env)
    out, err = _finish(scan)
    assert scan.returncode == 0, err[-3000:]
    hosts = _once_each(_run_dir(tmp_path), names)
    assert all(h["status"] == "ok" for h in hosts.values()), {n: h["error"] for n, h in hosts.items() if h["error"]}
    for name, host in hosts.items():
        expected = "wa@" if name.startswith("win") else "wb@"  # win* are seg-a, lnx* seg-b
        assert host["worker"] and host["worker"].startswith(expected), (name, host["worker"])
    assert sim.stop() == len(names)  # no host ran twice


def test_worker_killed_mid_chunk_loses_nothing_and_duplicates_nothing(tmp_path, procs, redis_server, worker_env,
                                                                      controller_env):  # fmt: skip
    sim, names = _fleet(procs, tmp_path, worker_env, windows=16, linux=0, run_ms=1500)
    vt = ("--visibility-timeout", "8", "--forks", "2")
    first = start_worker(procs, tmp_path, redis_server.url, "seg-a", "w1", worker_env, *vt)
    scan = _scan(procs, tmp_path, sim, redis_server.url, {**controller_env, "UMCHECK_DISPATCH_CHUNK": "8"})
    run_dir = wait_for_hosts_in_journal(tmp_path / "reports", scan, at_least=2, timeout=120)
    first.send_signal(signal.SIGKILL)  # mid-chunk: 8 hosts, 2 at a time, 1.5 s each
    killed_at = time.monotonic()
    first.wait(10)
    start_worker(procs, tmp_path, redis_server.url, "seg-a", "w2", worker_env, *vt)
    out, err = _finish(scan)
    assert scan.returncode == 0, err[-3000:]
    # re-delivered after the 8 s visibility timeout and a 10 s sweep, not kombu's default 100 s sweep
    assert time.monotonic() - killed_at < 80
    hosts = _once_each(run_dir, names)
    assert all(h["status"] == "ok" for h in hosts.values())
    by_worker = collections.Counter(h["worker"].split("@")[0] for h in hosts.values())
    assert by_worker["w1"] >= 2 and by_worker["w1"] + by_worker["w2"] == len(names), by_worker


def test_controller_killed_then_resume_scans_each_host_once(tmp_path, procs, redis_server, worker_env,
                                                            controller_env):  # fmt: skip
    sim, names = _fleet(procs, tmp_path, worker_env, windows=10, linux=10, run_ms=800)
    start_worker(procs, tmp_path, redis_server.url, "seg-a", "wa", worker_env, "--forks", "2")
    start_worker(procs, tmp_path, redis_server.url, "seg-b", "wb", worker_env, "--forks", "2")
    env = {**controller_env, "UMCHECK_DISPATCH_CHUNK": "4"}
    scan = _scan(procs, tmp_path, sim, redis_server.url, env)
    run_dir = wait_for_hosts_in_journal(tmp_path / "reports", scan, at_least=4, timeout=120)
    scan.send_signal(signal.SIGKILL)
    scan.wait(10)
    before = host_lines(read_journal_lines(run_dir / "journal.jsonl"))
    assert 4 <= len(before) < len(names)

    resumed = _scan(procs, tmp_path, sim, redis_server.url, env, "--resume", run_dir.name, log="resume")
    out, err = _finish(resumed)
    assert resumed.returncode == 0, err[-3000:]
    hosts = _once_each(run_dir, names)
    assert all(h["status"] == "ok" for h in hosts.values())
    assert all(h["worker"] for h in hosts.values())


def test_broker_password_from_the_environment_appears_nowhere(tmp_path, procs, worker_env, controller_env):
    secret = "Broker-Secret-4711"
    server = start_redis(tmp_path / "redis-auth", password=secret)
    try:
        sim, names = _fleet(procs, tmp_path, worker_env, windows=3, linux=3, run_ms=100)
        with_pw = {"UMCHECK_BROKER_PASSWORD": secret}
        start_worker(procs, tmp_path, server.url, "seg-a", "wa", {**worker_env, **with_pw})
        start_worker(procs, tmp_path, server.url, "seg-b", "wb", {**worker_env, **with_pw})

        denied = _scan(procs, tmp_path, sim, server.url, controller_env, log="denied")
        out, err = _finish(denied, 60)
        assert denied.returncode == 2 and "cannot reach the broker redis://127.0.0.1:" in err, err
        assert len(err.strip().splitlines()) == 1, err

        scan = _scan(procs, tmp_path, sim, server.url, {**controller_env, **with_pw})
        out, err = _finish(scan)
        assert scan.returncode == 0, err[-3000:]
        _once_each(_run_dir(tmp_path), names)
        bad = start_worker_fails(procs, tmp_path, server.url, {**worker_env, "UMCHECK_BROKER_PASSWORD": "wrong-pw"})
        assert "cannot reach the broker" in bad
    finally:
        stop_redis(server)
    leaks = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "redis.conf"
             and secret.encode() in p.read_bytes()]  # fmt: skip
    assert not leaks, leaks


def start_worker_fails(procs, tmp: Path, url: str, env) -> str:
    proc = procs.start(umcheck("worker", "--queue", "seg-a", "--broker", url), log=tmp / "worker-bad", env=env, cwd=tmp)
    proc.wait(60)
    assert proc.returncode == 2
    return output(proc)[1]


def test_no_worker_on_a_segment_and_no_broker_are_one_line_errors(tmp_path, procs, redis_server, worker_env,
                                                                   controller_env):  # fmt: skip
    sim, _names = _fleet(procs, tmp_path, worker_env, windows=2, linux=2, run_ms=100)
    start_worker(procs, tmp_path, redis_server.url, "seg-a", "wa", worker_env)
    env = {**controller_env, "UMCHECK_DISPATCH_WORKER_WAIT": "2"}
    started = time.monotonic()
    scan = _scan(procs, tmp_path, sim, redis_server.url, env)
    out, err = _finish(scan, 120)
    assert scan.returncode == 2, err
    assert "no umcheck worker is listening on queue umcheck.seg-b" in err
    assert "umcheck worker --queue seg-b" in err and len(err.strip().splitlines()) == 1, err
    assert time.monotonic() - started < 60

    closed = _scan(procs, tmp_path, sim, f"redis://127.0.0.1:{_closed_port()}/0", env, log="closed")
    out, err = _finish(closed, 120)
    assert closed.returncode == 2 and "cannot reach the broker" in err and len(err.strip().splitlines()) == 1, err
    assert [p.name for p in (tmp_path / "reports").iterdir() if p.is_dir()] == []  # refused runs leave no run folder


def test_a_literal_password_is_refused_before_anything_is_sent(tmp_path, procs, redis_server, controller_env):
    inventory = tmp_path / "inv.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {
        "h1": {"ansible_host": "127.0.0.1", "ansible_connection": "winrm", "ansible_password": "{{ pw }}",
               "pw": PASSWORD},
        "h2": {"ansible_host": "127.0.0.1", "ansible_connection": "winrm",
               "ansible_password": "{{ lookup('env', 'SOME_VAR') }}"}}}}))  # fmt: skip
    argv = umcheck("scan", "-i", str(inventory), "-o", str(tmp_path / "reports"), "--dispatch", redis_server.url)
    proc = procs.start(argv, log=tmp_path / "scan", env=controller_env, cwd=tmp_path)
    out, err = _finish(proc, 60)
    assert proc.returncode == 2
    assert "host h1: ansible_password is a password written in clear text" in err, err
    assert PASSWORD not in out + err
    assert redis_server.client().keys("umcheck.*") == []  # no chunk was queued


def _closed_port() -> int:
    return free_port()


def test_rediss_with_a_private_ca_verifies_the_broker(tmp_path, procs, worker_env, controller_env):
    from umcheck.sim.tls import CertificateAuthority

    (tmp_path / "pki").mkdir()
    ca = CertificateAuthority(tmp_path / "pki", "broker test CA")
    cert = ca.issue("127.0.0.1", "localhost")
    server = start_redis(tmp_path / "redis-tls", tls=(str(cert.cert_file), str(cert.key_file), str(ca.ca_file)))
    try:
        sim, names = _fleet(procs, tmp_path, worker_env, windows=2, linux=2, run_ms=100)
        untrusted = procs.start(umcheck("worker", "--queue", "seg-a", "--broker", server.tls_url),
                                log=tmp_path / "worker-untrusted", env=worker_env, cwd=tmp_path)  # fmt: skip
        untrusted.wait(60)
        assert untrusted.returncode == 2 and "certificate verify failed" in output(untrusted)[1], output(untrusted)
        trust = ("--broker-ca", str(ca.ca_file))
        start_worker(procs, tmp_path, server.tls_url, "seg-a", "wa", worker_env, *trust)
        start_worker(procs, tmp_path, server.tls_url, "seg-b", "wb", worker_env, *trust)
        scan = _scan(procs, tmp_path, sim, server.tls_url, {**controller_env, "UMCHECK_BROKER_CA": str(ca.ca_file)})
        out, err = _finish(scan)
        assert scan.returncode == 0, err[-3000:]
        hosts = _once_each(_run_dir(tmp_path), names)
        assert all(h["status"] == "ok" and h["worker"] for h in hosts.values())
    finally:
        stop_redis(server)


def test_ctrl_c_cancels_pending_hosts_and_resume_finishes(tmp_path, procs, redis_server, worker_env, controller_env):
    sim, names = _fleet(procs, tmp_path, worker_env, windows=12, linux=0, run_ms=1500)
    start_worker(procs, tmp_path, redis_server.url, "seg-a", "wa", worker_env, "--forks", "2")
    env = {**controller_env, "UMCHECK_DISPATCH_CHUNK": "4"}
    scan = _scan(procs, tmp_path, sim, redis_server.url, env)
    run_dir = wait_for_hosts_in_journal(tmp_path / "reports", scan, at_least=2, timeout=120)
    interrupted_at = time.monotonic()
    scan.send_signal(signal.SIGINT)
    out, err = _finish(scan, 60)
    assert scan.returncode == 130, err[-3000:]
    assert time.monotonic() - interrupted_at < 30
    report = json.loads((run_dir / "report.json").read_text())
    assert report["interrupted"] is True
    statuses = collections.Counter(h["status"] for h in report["hosts"])
    assert set(statuses) <= {"ok", "cancelled"} and statuses["cancelled"] > 0, statuses
    assert sorted(h["name"] for h in report["hosts"]) == sorted(names)

    resumed = _scan(procs, tmp_path, sim, redis_server.url, env, "--resume", run_dir.name, log="resume")
    out, err = _finish(resumed)
    assert resumed.returncode == 0, err[-3000:]
    hosts = _once_each(run_dir, names)
    assert all(h["status"] == "ok" for h in hosts.values())


def test_vaulted_passwords_cross_the_broker_encrypted_and_workers_decrypt_them(tmp_path, procs, redis_server,
                                                                                controller_env):  # fmt: skip
    """Windows hosts' password lives only in a vault-encrypted group_vars file; the workers have the
    vault password file and no password variable. The queued task is read off the broker (its
    worker is paused): the password is not in it, its re-encrypted form is."""
    import base64

    from umcheck.dispatch.celery.wire import encrypt
    from umcheck.inventory.vault import VaultSecret

    vault_file = tmp_path / "vault-pass"
    vault_file.write_text("dispatch-vault-pw\n")
    no_password_env = {k: v for k, v in controller_env.items()}
    sim, names = _fleet(procs, tmp_path, {**no_password_env, "UMCHECK_E2E_SIM_PASSWORD": PASSWORD},
                        windows=3, linux=0, run_ms=100)  # fmt: skip
    doc = yaml.safe_load(sim.inventory.read_text())
    for host in doc["all"]["children"]["windows_winrm"]["hosts"].values():
        host["ansible_password"] = "{{ win_password }}"
    sim.inventory.write_text(yaml.safe_dump(doc, sort_keys=False))
    (sim.inventory.parent / "group_vars").mkdir()
    secret = VaultSecret("default", "test", b"dispatch-vault-pw")
    (sim.inventory.parent / "group_vars" / "windows_winrm.yml").write_text(
        encrypt(f"win_password: '{PASSWORD}'\n", secret) + "\n")  # fmt: skip

    worker = start_worker(procs, tmp_path, redis_server.url, "seg-a", "wa", no_password_env,
                          "--vault-password-file", str(vault_file))  # fmt: skip
    client = redis_server.client()
    beats = {k: client.get(k) for k in client.scan_iter(match=keys.heartbeat_pattern(keys.queue("seg-a")))}
    assert beats, "the worker said it was ready without a heartbeat"
    # A stopped worker may already be blocked in BRPOP: Redis would hand it the task. So the worker
    # leaves, its heartbeat is kept alive by the test, the task waits in the list, and a new worker
    # of the same name takes it once it has been read.
    worker.terminate()
    worker.wait(60)
    try:
        scan = _scan(procs, tmp_path, sim, redis_server.url, controller_env, "--vault-password-file", str(vault_file))
        deadline = time.monotonic() + 120
        while not client.llen("umcheck.seg-a"):
            assert scan.poll() is None, output(scan)
            assert time.monotonic() < deadline, "no task was queued"
            for key, value in beats.items():  # the stopped worker's heartbeat, kept alive while no worker is up
                client.set(key, value, ex=keys.HEARTBEAT_TTL)
            time.sleep(0.05)
        (message,) = client.lrange("umcheck.seg-a", 0, -1)
        envelope = json.loads(message)
        body = base64.b64decode(envelope["body"]) if envelope.get("properties", {}).get("body_encoding") == "base64" \
            else envelope["body"].encode()  # fmt: skip
        assert PASSWORD.encode() not in message and PASSWORD.encode() not in body
        assert b"__ansible_vault" in body and b"{{ win_password }}" in body
    finally:
        start_worker(procs, tmp_path, redis_server.url, "seg-a", "wa", no_password_env,
                     "--vault-password-file", str(vault_file))  # fmt: skip
    out, err = _finish(scan)
    assert scan.returncode == 0, err[-3000:]
    hosts = _once_each(_run_dir(tmp_path), names)
    assert all(h["status"] == "ok" and h["worker"].startswith("wa@") for h in hosts.values()), hosts


@dataclass
class _Outage:
    """A dispatched run of 12 slow hosts whose broker was killed (kill -9) after 2 were journaled."""

    server: RedisServer
    sim: SimProcess
    names: set[str]
    worker: subprocess.Popen
    scan: subprocess.Popen
    run_dir: Path
    env: dict[str, str]


def _kill_the_broker_mid_run(tmp: Path, procs, worker_env, controller_env, *, persist: bool = False,
                             noticed: bool = True, **extra_env: str) -> _Outage:  # fmt: skip
    """``noticed``: return once the controller says it lost the broker (its next read failed)."""
    server = start_redis(tmp / "redis", persist=persist)
    try:
        sim, names = _fleet(procs, tmp, worker_env, windows=12, linux=0, run_ms=1500)
        worker = start_worker(procs, tmp, server.url, "seg-a", "wa", worker_env, "--forks", "2")
        env = {**controller_env, "UMCHECK_DISPATCH_CHUNK": "4", **extra_env}
        scan = _scan(procs, tmp, sim, server.url, env)
        run_dir = wait_for_hosts_in_journal(tmp / "reports", scan, at_least=2, timeout=120)
    except BaseException:
        stop_redis(server)
        raise
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(10)
    server.proc._log.close()
    deadline = time.monotonic() + 60
    while noticed and "lost the broker" not in output(scan)[1]:
        assert scan.poll() is None and time.monotonic() < deadline, output(scan)[1][-3000:]
        time.sleep(0.1)
    return _Outage(server, sim, names, worker, scan, run_dir, env)


def _resume_completes(procs, tmp: Path, o: _Outage, url: str) -> None:
    resumed = _scan(procs, tmp, o.sim, url, o.env, "--resume", o.run_dir.name, log="resume")
    out, err = _finish(resumed)
    assert resumed.returncode == 0, err[-3000:]
    hosts = _once_each(o.run_dir, o.names)
    assert all(h["status"] == "ok" for h in hosts.values())


def test_broker_killed_and_started_again_mid_run_loses_nothing(tmp_path, procs, worker_env, controller_env):
    """A broker restart (kill -9, then the same server on the same port and append-only file):
    the controller waits for it, the worker's pushes ride it out, and the run completes."""
    o = _kill_the_broker_mid_run(tmp_path, procs, worker_env, controller_env, persist=True)
    server = start_redis(tmp_path / "redis", port=o.server.port, persist=True)
    try:
        out, err = _finish(o.scan)
        assert o.scan.returncode == 0, err[-3000:]
        assert "Traceback" not in err and "is back; the run goes on" in err, err[-3000:]
        hosts = _once_each(o.run_dir, o.names)
        assert all(h["status"] == "ok" for h in hosts.values())
    finally:
        stop_redis(server)


def test_broker_gone_for_good_ends_the_run_in_one_line_and_resume_finishes(tmp_path, procs, worker_env,
                                                                           controller_env):  # fmt: skip
    o = _kill_the_broker_mid_run(tmp_path, procs, worker_env, controller_env, noticed=False,
                                 UMCHECK_BROKER_OUTAGE="3")  # fmt: skip
    out, err = _finish(o.scan, 120)
    assert o.scan.returncode == 130, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    masked = f"redis://127.0.0.1:{o.server.port}/0"
    (line,) = [x for x in err.splitlines() if x.startswith("umcheck: error:")]
    assert f"lost the broker {masked} for 3s" in line and f"--resume {o.run_dir.name}" in line, line
    report = json.loads((o.run_dir / "report.json").read_text())
    assert report["interrupted"] is True
    statuses = collections.Counter(h["status"] for h in report["hosts"])
    assert set(statuses) <= {"ok", "cancelled"} and statuses["ok"] >= 2 and statuses["cancelled"] > 0, statuses
    assert sorted(h["name"] for h in report["hosts"]) == sorted(o.names)
    assert all("lost the broker" in h["error"] for h in report["hosts"] if h["status"] == "cancelled")

    # The broker comes back empty (no persistence): the queued chunks are gone, so the resume sends them again.
    o.worker.send_signal(signal.SIGKILL)
    o.worker.wait(10)
    server = start_redis(tmp_path / "redis", port=o.server.port)
    try:
        start_worker(procs, tmp_path, server.url, "seg-a", "wb", worker_env, "--forks", "2")
        _resume_completes(procs, tmp_path, o, server.url)
    finally:
        stop_redis(server)


def test_broker_back_without_its_data_ends_the_run_at_once_and_resume_finishes(tmp_path, procs, worker_env,
                                                                              controller_env):  # fmt: skip
    """A Redis without persistence restarted mid-run has lost the queued chunks and results: the
    controller does not wait hours for them (its dispatch deadline) but stops in one line."""
    o = _kill_the_broker_mid_run(tmp_path, procs, worker_env, controller_env)
    server = start_redis(tmp_path / "redis", port=o.server.port)  # empty: no append-only file
    try:
        out, err = _finish(o.scan, 120)
        assert o.scan.returncode == 130 and "Traceback" not in err, err[-3000:]
        (line,) = [x for x in err.splitlines() if x.startswith("umcheck: error:")]
        assert "came back without this run's queued hosts and results" in line and f"--resume {o.run_dir.name}" in line
        report = json.loads((o.run_dir / "report.json").read_text())
        assert report["interrupted"] is True and sorted(h["name"] for h in report["hosts"]) == sorted(o.names)
        _resume_completes(procs, tmp_path, o, server.url)
    finally:
        stop_redis(server)
