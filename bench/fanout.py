"""Fan-out benchmark: ``umcheck scan`` against the simulator, next to a bare client loop.

    python bench/fanout.py --hosts 1000 --latency 1 --transport winrm --auth ntlm
    python bench/fanout.py --hosts 1000 --latency 1 --transport winrm-https --auth ntlm
    python bench/fanout.py --hosts 1000 --latency 1 --transport psrp --auth ntlm
    python bench/fanout.py --hosts 1000 --latency 1 --transport ssh --auth password
    python bench/fanout.py --hosts 500 --latency 1 --transport winrm --auth kerberos
    python bench/fanout.py --hosts 1000 --latency 1 --transport winrm --auth ntlm --workers 1 --workers 2 --skip-floor
    python bench/fanout.py --hosts 1000 --latency 1 --transport winrm --auth ntlm --pack legacy --pack all --skip-floor

The simulator runs in its own process (``umcheck sim start``), every simulated host taking
``--latency`` seconds to run the collector. Two clients scan the same fleet, each in its own
process so that CPU and peak RSS are measured per run (``os.wait4``):

* ``umcheck``  — ``umcheck scan`` with the same forks, writing the JSON report (history off);
* ``floor``    — the same collector invocation sent by a bare pywinrm / pypsrp thread pool or an
  asyncssh gather loop, with no parsing, rules or reports: what any design on these libraries
  costs at least.

Prints wall time, controller CPU per host (the scan's process and, with ``--workers``, its
children), peak RSS, the umcheck/floor wall-time and CPU ratios, and the simulator's own CPU
seconds during each run (from ``/proc/<pid>/stat``): on a shared machine the simulator competes
with the clients for the cores, so a throughput figure is only meaningful next to it.

``--workers N`` and ``--pack PACK`` are passed to ``umcheck scan``; each may be given more than
once, and every combination is then run as its own ``umcheck scan`` row (ratios against the first
row), with the floor loop unchanged. Only 127.0.0.0/8 is used.

``--auth kerberos`` (winrm or psrp) compares two fleets of ``--hosts`` each instead: Kerberos hosts
(the simulator starts its own MIT KDC on 127.0.0.1; needs krb5kdc, kinit and the ``kerberos``
extra) and NTLM hosts, both scanned by ``umcheck scan`` (managed kinit: the password from the
same environment lookup), and adds the KDC's AS and TGS request counts per run (from its log).
There is no bare-library floor for Kerberos.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

PASSWORD_ENV = "UMCHECK_SIM_PASSWORD"


def start_simulator(args, workdir: Path, env: dict, auth: str | None = None) -> tuple[subprocess.Popen, Path]:
    auth = auth or args.auth
    scenario = workdir / "scenario.yml"
    scenario.write_text(yaml.safe_dump({
        "name": f"bench-{args.transport}-{auth}",
        "hosts": [{"name": "bench", "count": args.hosts, "transport": args.transport, "auth": auth,
                   "run_ms": int(args.latency * 1000), "states": ["healthy"]}],
    }))  # fmt: skip
    inventory, ready = workdir / "inventory.yml", workdir / "ready.json"
    cmd = [sys.executable, "-m", "umcheck.cli", "sim", "start", "--scenario", str(scenario), "--ephemeral-ports",
           "--write-inventory", str(inventory), "--ready-file", str(ready), "--state-dir", str(workdir / "sim"),
           "--duration", "3600"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=open(workdir / "sim.log", "w"))
    deadline = time.monotonic() + 300
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"simulator did not start: {(workdir / 'sim.log').read_text()[-2000:]}")
        time.sleep(0.2)
    return proc, inventory


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used so far, from ``/proc/<pid>/stat``.

    Includes children it has reaped; 0.0 where /proc is unavailable (the figure is then omitted).
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()  # the command name may contain spaces and parentheses
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")


def measure(cmd: list[str], env: dict, log: Path, sim_pid: int | None = None) -> dict:
    """Wall, CPU (the process and its reaped children: ``--workers`` children count) and peak RSS
    of one client run, and the simulator's CPU seconds over the same interval."""
    sim0 = proc_cpu(sim_pid) if sim_pid else 0.0
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    sim_cpu = proc_cpu(sim_pid) - sim0 if sim_pid else 0.0
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "rc": os.waitstatus_to_exitcode(status), "sim_cpu": sim_cpu}  # fmt: skip


# ---------------------------------------------------------------------------------- the floor


def floor_main(inventory: Path, transport: str, forks: int) -> None:
    """Bare library loop: same collector invocation, no umcheck around it."""
    from umcheck.collectors.invocation import linux, params_for, windows_psrp, windows_winrm

    doc = yaml.safe_load(inventory.read_text())
    password = os.environ[PASSWORD_ENV]
    hosts = [v for g in doc["all"]["children"].values() for v in g["hosts"].values()]
    params = params_for(None, "public", "westeurope")
    ok = 0
    if transport == "ssh":
        import asyncio

        import asyncssh

        inv = linux(params)

        async def one(h, sem):
            async with sem:
                async with asyncssh.connect(h["ansible_host"], port=h["ansible_port"], username=h["ansible_user"],
                                            password=password, known_hosts=None) as conn:  # fmt: skip
                    r = await conn.run(inv.command, input=inv.stdin.decode(), check=False)
                    return b"UMCHECK-FACTS-END" in r.stdout.encode()

        async def main():
            sem = asyncio.Semaphore(forks)
            return await asyncio.gather(*(one(h, sem) for h in hosts), return_exceptions=True)

        ok = sum(1 for r in asyncio.run(main()) if r is True)
    else:
        from concurrent.futures import ThreadPoolExecutor

        def winrm_one(h):
            from winrm.protocol import Protocol

            scheme = h.get("ansible_winrm_scheme", "http")
            p = Protocol(f"{scheme}://{h['ansible_host']}:{h['ansible_port']}/wsman", transport=h["ansible_winrm_transport"],
                         username=h["ansible_user"], password=password, server_cert_validation="validate",
                         ca_trust_path=h.get("ansible_winrm_ca_trust_path"), read_timeout_sec=60, operation_timeout_sec=50)  # fmt: skip
            inv = windows_winrm(params)
            shell = p.open_shell()
            cid = p.run_command(shell, inv.command)
            p.send_command_input(shell, cid, inv.stdin, end=True)
            out = b""
            done = False
            while not done:
                chunk, _err, _rc, done = p.get_command_output_raw(shell, cid)
                out += chunk
            p.cleanup_command(shell, cid)
            p.close_shell(shell)
            return b"UMCHECK-FACTS-END" in out

        def psrp_one(h):
            from pypsrp.powershell import PowerShell, RunspacePool
            from pypsrp.wsman import WSMan

            https = h.get("ansible_psrp_protocol") == "https"
            wsman = WSMan(h["ansible_host"], port=h["ansible_port"], ssl=https, username=h["ansible_user"],
                          password=password, auth=h.get("ansible_psrp_auth", "negotiate"),
                          cert_validation=h.get("ansible_psrp_ca_cert", True), connection_timeout=30)  # fmt: skip
            inv = windows_psrp(params)
            with wsman, RunspacePool(wsman) as pool:
                ps = PowerShell(pool)
                ps.add_script(inv.script)
                for name, value in inv.parameters:
                    ps.add_parameter(name, value)
                out = ps.invoke()
            return any("UMCHECK-FACTS-END" in str(o) for o in out)

        fn = winrm_one if transport.startswith("winrm") else psrp_one
        with ThreadPoolExecutor(forks) as pool:
            for fut in [pool.submit(fn, h) for h in hosts]:
                try:
                    ok += bool(fut.result())
                except Exception as exc:  # noqa: BLE001 - counted, printed once
                    print(f"floor error: {exc.__class__.__name__}: {exc}"[:200], file=sys.stderr)
    print(json.dumps({"ok": ok, "hosts": len(hosts)}))


# ---------------------------------------------------------------------------------- driver


def _median(runs: list[tuple[dict, int]]) -> dict:
    """Per-measure medians over repeated runs (the machine is shared with the simulator)."""
    keys = runs[0][0].keys()
    return {k: sorted(m[k] for m, _ in runs)[len(runs) // 2] for k in keys}


def kdc_counts(log: Path) -> tuple[int, int]:
    """(AS, TGS) requests in the simulator KDC's log so far."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return text.count("AS_REQ"), text.count("TGS_REQ")


def kerberos_vs_ntlm(args, forks: int, env: dict) -> None:
    """The same fleet size with Kerberos and with NTLM, umcheck scan only; KDC requests per run."""
    env = {k: v for k, v in env.items() if not k.startswith("KRB5")}
    rows = []
    for auth in ("kerberos", "ntlm"):
        with tempfile.TemporaryDirectory(prefix=f"umcheck-bench-{auth}-") as tmp:
            workdir = Path(tmp)
            sim, inventory = start_simulator(args, workdir, env, auth)
            scan_env = dict(env)
            log = workdir / "sim" / "kdc" / "kdc.log"
            if auth == "kerberos":
                scan_env["KRB5_CONFIG"] = str(workdir / "sim" / "krb5.conf")
            runs = []
            try:
                for i in range(args.repeat):
                    out = workdir / f"reports-{i}"
                    before = kdc_counts(log)
                    m = measure([sys.executable, "-m", "umcheck.cli", "scan", "-i", str(inventory), "-f", str(forks),
                                 "--timeout", "600", "--format", "json", "--no-history", "-o", str(out), "-q", "-q"],
                                scan_env, workdir / "umcheck.log")  # fmt: skip
                    after = kdc_counts(log)
                    report = next(out.glob("*/report.json"), None)
                    hosts = json.loads(report.read_text())["hosts"] if report else []
                    ok = sum(1 for h in hosts if h["status"] == "ok")
                    if ok < args.hosts:
                        errors = sorted({h.get("error") or h["status"] for h in hosts if h["status"] != "ok"})
                        print(f"{auth}: {args.hosts - ok} hosts not ok: {errors[:3]} "
                              f"{(workdir / 'umcheck.log').read_text()[-500:]}", file=sys.stderr)  # fmt: skip
                    m.update(ok=ok, as_req=after[0] - before[0], tgs_req=after[1] - before[1])
                    runs.append(m)
            finally:
                sim.terminate()
                sim.wait(30)
            med = {k: sorted(r[k] for r in runs)[len(runs) // 2] for k in runs[0]}
            rows.append((auth, med, min(r["ok"] for r in runs), [r["wall"] for r in runs]))
    print(f"\nfan-out: {args.hosts} hosts per fleet, {args.latency:g} s collector latency, {args.transport}, "
          f"forks {forks}, {os.cpu_count()} cores, umcheck scan, median of {args.repeat}")  # fmt: skip
    print(f"{'auth':<10}{'hosts ok':>10}{'wall s':>10}{'CPU ms/host':>14}{'peak RSS MB':>14}{'KDC AS':>8}"
          f"{'KDC TGS':>9}   all walls")  # fmt: skip
    for auth, m, ok, walls in rows:
        kdc = (f"{m['as_req']:>8}{m['tgs_req']:>9}" if auth == "kerberos" else f"{'-':>8}{'-':>9}")
        print(f"{auth:<10}{ok:>10}{m['wall']:>10.2f}{m['cpu'] * 1000 / args.hosts:>14.1f}{m['rss_mb']:>14.0f}{kdc}   "
              + " ".join(f"{w:.1f}" for w in walls))  # fmt: skip
    print(f"kerberos / ntlm wall time: {rows[0][1]['wall'] / rows[1][1]['wall']:.2f}x, "
          f"CPU: {rows[0][1]['cpu'] / rows[1][1]['cpu']:.2f}x")


def scan_variants(args) -> list[tuple[str, list[str]]]:
    """One ``umcheck scan`` row per (--workers, --pack) combination asked for: label, extra options."""
    rows = []
    for workers in args.workers or [None]:
        for pack in args.pack or [None]:
            label = "umcheck scan" + (f" -w {workers}" if workers else "") + (f" --pack {pack}" if pack else "")
            extra = (["--workers", str(workers)] if workers else []) + (["--pack", pack] if pack else [])
            rows.append((label, extra))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--latency", type=float, default=1.0, help="seconds each host's collector takes")
    ap.add_argument("--transport", default="winrm", choices=["winrm", "winrm-https", "psrp", "psrp-https", "ssh"])
    ap.add_argument("--auth", default="ntlm",
                    help="ntlm | basic | negotiate | password | key | kerberos (a Kerberos fleet vs an NTLM fleet)")
    ap.add_argument("--forks", type=int, default=0,
                    help="concurrency for both clients (default: hosts, at most 500 threads for winrm/psrp, 1000 for ssh)")
    ap.add_argument("--workers", type=int, action="append", metavar="N",
                    help="umcheck scan --workers N (repeat to compare; default: umcheck's own default)")
    ap.add_argument("--pack", action="append", choices=["legacy", "successor", "all"],
                    help="umcheck scan --pack PACK (repeat to compare; default: umcheck's own default, all)")
    ap.add_argument("--skip-floor", action="store_true")
    ap.add_argument("--repeat", type=int, default=1, help="alternate the clients this many times; report medians")
    ap.add_argument("--floor-only", nargs=3, metavar=("INVENTORY", "TRANSPORT", "FORKS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.floor_only:
        floor_main(Path(args.floor_only[0]), args.floor_only[1], int(args.floor_only[2]))
        return
    forks = args.forks or min(args.hosts, 1000 if args.transport == "ssh" else 500)
    env = {**os.environ, PASSWORD_ENV: secrets.token_urlsafe(12), "NO_PROXY": "127.0.0.0/8,localhost",
           "no_proxy": "127.0.0.0/8,localhost"}  # fmt: skip
    if args.auth == "kerberos":
        if args.transport not in ("winrm", "winrm-https", "psrp", "psrp-https"):
            sys.exit("--auth kerberos needs a winrm or psrp transport")
        kerberos_vs_ntlm(args, forks, env)
        return
    variants = scan_variants(args)
    with tempfile.TemporaryDirectory(prefix="umcheck-bench-") as tmp:
        workdir = Path(tmp)
        sim, inventory = start_simulator(args, workdir, env)
        runs: dict[str, list[tuple[dict, int]]] = {label: [] for label, _ in variants}
        runs["bare library loop"] = []
        failed: list[str] = []
        try:
            for i in range(args.repeat):
                for n, (label, extra) in enumerate(variants):
                    out = workdir / f"reports-{i}-{n}"
                    log = workdir / f"umcheck-{n}.log"
                    umc = measure([sys.executable, "-m", "umcheck.cli", "scan", "-i", str(inventory), "-f", str(forks),
                                   "--timeout", "600", "--format", "json", "--no-history", "-o", str(out), "-q", "-q",
                                   *extra], env, log, sim.pid)  # fmt: skip
                    report = next(out.glob("*/report.json"), None)
                    ok = sum(1 for h in json.loads(report.read_text())["hosts"] if h["status"] == "ok") if report else 0
                    runs[label].append((umc, ok))
                    if umc["rc"] not in (0, 1):
                        failed.append(f"{label} exited {umc['rc']}: {log.read_text()[-1500:]}")
                if not args.skip_floor:
                    flo = measure([sys.executable, __file__, "--floor-only", str(inventory), args.transport, str(forks)],
                                  env, workdir / "floor.log", sim.pid)  # fmt: skip
                    lines = (workdir / "floor.log").read_text().strip().splitlines()
                    floor_ok = json.loads(lines[-1])["ok"] if lines and lines[-1].startswith("{") else 0
                    runs["bare library loop"].append((flo, floor_ok))
            rows = [(name, _median(r), min(ok for _, ok in r), [m["wall"] for m, _ in r]) for name, r in runs.items() if r]
        finally:
            sim.terminate()
            sim.wait(30)
        print(f"\nfan-out: {args.hosts} hosts, {args.latency:g} s collector latency, {args.transport}/{args.auth}, "
              f"forks {forks}, {os.cpu_count()} cores, median of {args.repeat}")  # fmt: skip
        print(f"{'client':<34}{'hosts ok':>9}{'wall s':>9}{'hosts/s':>9}{'CPU ms/host':>13}{'peak RSS MB':>13}"
              f"{'sim CPU s':>11}{'sim share':>11}   all walls")  # fmt: skip
        for name, m, ok, walls in rows:
            share = m["sim_cpu"] / (m["sim_cpu"] + m["cpu"]) if m["sim_cpu"] + m["cpu"] else 0.0
            print(f"{name:<34}{ok:>9}{m['wall']:>9.2f}{args.hosts / m['wall']:>9.1f}{m['cpu'] * 1000 / args.hosts:>13.1f}"
                  f"{m['rss_mb']:>13.0f}{m['sim_cpu']:>11.1f}{share:>10.0%}   " + " ".join(f"{w:.1f}" for w in walls))  # fmt: skip
        scans = [(name, m) for name, m, _, _ in rows if name != "bare library loop"]
        floor = next((m for name, m, _, _ in rows if name == "bare library loop"), None)
        for name, m in scans:
            if floor:
                print(f"{name} / floor: wall {m['wall'] / floor['wall']:.2f}x, CPU {m['cpu'] / floor['cpu']:.2f}x")
        for name, m in scans[1:]:
            first_name, first = scans[0]
            print(f"{name} / {first_name}: throughput {first['wall'] / m['wall']:.2f}x, CPU {m['cpu'] / first['cpu']:.2f}x")
        for line in failed:
            print(line)


if __name__ == "__main__":
    main()
