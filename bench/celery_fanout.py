"""10,000 hosts through Celery: controller RSS, results per second, broker memory.

The hosts use ``ansible_connection: fake`` (answered in-process by the simulator on the worker),
so the figures are the dispatch path itself: chunking and sending, the workers' runners, the
result stream, de-duplication and the controller's journal. A throwaway ``redis-server`` on
127.0.0.1 is the broker; ``--segments`` segments get one ``umcheck worker`` each (solo pool,
``--forks``). The controller runs ``umcheck scan --dispatch … --format json --no-history`` in a
child process (reports and history are measured by bench/fleet_10k.py) and this prints:

* results per second: hosts / (first journaled host .. last journaled host), and over the whole run;
* the controller's peak RSS when the last host is journaled (VmHWM) and overall (``os.wait4``, with
  report.json), and its CPU time;
* the broker's memory: ``used_memory_peak`` and ``used_memory`` at the end (``INFO memory``).

    python bench/celery_fanout.py [--hosts 10000] [--segments 2] [--forks 200] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from journal_watch import JournalWatch  # bench/: the script's own folder

UMCHECK = [sys.executable, "-m", "umcheck.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def inventory(path: Path, hosts: int, segments: int) -> None:
    lines: list[str] = []
    for seg in range(segments):
        os_family = "windows" if seg % 2 == 0 else "linux"
        lines.append(f"[seg{seg}]")
        lines.extend(f"h{n:05d}" for n in range(seg, hosts, segments))
        lines += [f"[seg{seg}:vars]", "ansible_connection=fake", f"umcheck_os={os_family}", f"umcheck_segment=s{seg}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def redis_memory(port: int) -> dict[str, str]:
    import redis

    info = redis.Redis(host="127.0.0.1", port=port).info("memory")
    return {k: str(info[k]) for k in ("used_memory_human", "used_memory_peak_human")}


def bench(hosts: int, segments: int, forks: int, tmp: Path) -> None:
    port = free_port()
    redis_proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no", "--dir", str(tmp)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    workers: list[subprocess.Popen] = []
    url = f"redis://127.0.0.1:{port}/0"
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        inv, out = tmp / "inventory.ini", tmp / "reports"
        inventory(inv, hosts, segments)
        for seg in range(segments):
            log = open(tmp / f"worker-s{seg}.log", "wb")  # noqa: SIM115 - lives as long as the worker
            workers.append(subprocess.Popen([*UMCHECK, "worker", "--queue", f"s{seg}", "--broker", url, "--forks",
                                             str(forks), "--name", f"bench-s{seg}"], stdout=log, stderr=log))  # fmt: skip
        deadline = time.monotonic() + 60
        while len(client.keys("umcheck:worker:*")) < segments:
            if time.monotonic() > deadline:
                sys.exit("workers did not start (see worker-*.log)")
            time.sleep(0.1)
        watch = JournalWatch(out, hosts)
        watch.start()
        start = time.monotonic()
        proc = subprocess.Popen([*UMCHECK, "scan", "-i", str(inv), "-o", str(out), "--dispatch", url, "--format", "json",
                                 "--no-history", "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        watch.pid = proc.pid
        err = proc.stderr.read() if proc.stderr else b""
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        watch.join(5)
        memory = redis_memory(port)
        code = os.waitstatus_to_exitcode(status)
        print(f"hosts {hosts}, segments {segments} (one solo worker each, --forks {forks}), exit {code}")
        if code not in (0, 1):
            print(err.decode(errors="replace")[-2000:])
        if watch.first and watch.done_at:
            span = watch.done_at - watch.first
            print(f"results: {hosts / span:,.0f}/s between the first and last journaled host ({span:.1f} s); "
                  f"{hosts / wall:,.0f}/s over the whole run ({wall:.1f} s)")  # fmt: skip
        at_last = f"{watch.rss_at_done:.0f} MB" if watch.rss_at_done else "?"
        print(f"controller: peak RSS {at_last} when the last host was journaled, "
              f"{usage.ru_maxrss / 1024:.0f} MB with report.json; CPU {usage.ru_utime + usage.ru_stime:.1f} s "
              f"({(usage.ru_utime + usage.ru_stime) / hosts * 1000:.2f} ms per host)")  # fmt: skip
        print(f"broker: used_memory {memory['used_memory_human']}, peak {memory['used_memory_peak_human']}")
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            try:
                w.wait(30)
            except subprocess.TimeoutExpired:
                w.kill()
        redis_proc.terminate()
        redis_proc.wait(10)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hosts", type=int, default=10_000)
    p.add_argument("--segments", type=int, default=2)
    p.add_argument("--forks", type=int, default=200)
    p.add_argument("--keep", type=Path, help="keep the inventory, journal and logs in this folder")
    args = p.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is not installed")
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="umcheck-celery-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        bench(args.hosts, args.segments, args.forks, tmp)
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
