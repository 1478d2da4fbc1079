"""How much load the fleet simulator sustains: WinRS+NTLM and PSRP host runs per second, and its CPU per run.

The simulator runs in its own process (``python -m umcheck.sim start``), so its CPU time is read
from ``/proc/<pid>/stat`` without sharing a GIL with the clients. A thread pool of unmodified
pywinrm / pypsrp clients drives it, one client object per host run (as the controller does).
Everything stays on 127.0.0.0/8 and every loop is bounded.

    python bench/sim_capacity.py [--hosts 200] [--threads 50] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.0/8,localhost"
for _v in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_v, None)

PASSWORD = "bench-Passw0rd!"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def start_simulator(tmp: Path, hosts: int) -> tuple[subprocess.Popen, dict]:
    import json

    half = hosts // 2
    scenario = tmp / "bench.yml"
    scenario.write_text(
        "hosts:\n"
        f"  - {{name: bw, count: {hosts - half}, transport: winrm, auth: ntlm}}\n"
        f"  - {{name: bp, count: {half}, transport: psrp, auth: ntlm}}\n"
    )
    ready = tmp / "ready.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "umcheck.sim", "start", "--scenario", str(scenario), "--ephemeral-ports",
         "--first-address", "127.77.0.2", "--ready-file", str(ready), "--state-dir", str(tmp / "state"),
         "--duration", "900"],
        env={**os.environ, "UMCHECK_SIM_PASSWORD": PASSWORD}, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("simulator did not start")
        time.sleep(0.1)
    return proc, json.loads(ready.read_text())


def winrs_hostname(h: dict) -> bool:
    import winrm

    s = winrm.Session(f"http://{h['address']}:{h['ports']['winrm_http']}/wsman", auth=(h["user"], PASSWORD),
                      transport="ntlm", operation_timeout_sec=20, read_timeout_sec=30)  # fmt: skip
    return s.run_cmd("hostname").std_out.strip().decode() == h["name"]


def winrs_collector(h: dict) -> bool:
    import winrm

    from umcheck import envelope
    from umcheck.collectors import invocation as inv

    i = inv.windows_winrm(inv.params_for(location="westeurope"))
    p = winrm.Session(f"http://{h['address']}:{h['ports']['winrm_http']}/wsman", auth=(h["user"], PASSWORD),
                      transport="ntlm", operation_timeout_sec=20, read_timeout_sec=30).protocol  # fmt: skip
    shell = p.open_shell()
    cid = p.run_command(shell, i.command, console_mode_stdin=False)
    p.send_command_input(shell, cid, i.stdin, end=True)
    out, _, rc = p.get_command_output(shell, cid)
    p.cleanup_command(shell, cid)
    p.close_shell(shell)
    return rc == 0 and envelope.parse(out)["host"]["hostname"] == h["name"]


def psrp_collector(h: dict) -> bool:
    from pypsrp.powershell import PowerShell, RunspacePool
    from pypsrp.wsman import WSMan

    from umcheck import envelope
    from umcheck.collectors import invocation as inv

    i = inv.windows_psrp(inv.params_for(location="westeurope"))
    wsman = WSMan(h["address"], port=h["ports"]["winrm_http"], username=h["user"], password=PASSWORD, ssl=False,
                  auth="ntlm", connection_timeout=10, read_timeout=30, operation_timeout=20)  # fmt: skip
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_script(i.script)
        for name, value in i.parameters:
            ps.add_parameter(name, value)
        out = ps.invoke()
    return envelope.parse("\n".join(map(str, out)))["host"]["hostname"] == h["name"]


def phase(name: str, fn, hosts: list[dict], rounds: int, threads: int, pid: int) -> dict:
    jobs = [h for _ in range(rounds) for h in hosts]
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(fn, jobs, timeout=600))
    wall, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
    ok = sum(results)
    row = {"phase": name, "runs": len(jobs), "ok": ok, "wall_s": wall, "runs_per_s": len(jobs) / wall,
           "sim_cpu_s": cpu, "sim_cpu_ms_per_run": 1000 * cpu / len(jobs), "sim_cpu_share": cpu / wall}  # fmt: skip
    print(f"{name:18} {len(jobs):5d} runs ({ok} ok) in {wall:6.2f} s = {row['runs_per_s']:6.1f}/s; simulator CPU "
          f"{cpu:5.2f} s = {row['sim_cpu_ms_per_run']:5.1f} ms/run ({100 * row['sim_cpu_share']:.0f} % of one core)",
          flush=True)  # fmt: skip
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--threads", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="umcheck-bench-sim-") as tmp:
        t0 = time.perf_counter()
        proc, desc = start_simulator(Path(tmp), args.hosts)
        startup = time.perf_counter() - t0
        try:
            print(f"simulator pid {proc.pid}: {args.hosts} hosts started in {startup:.2f} s "
                  f"(CPU {cpu_seconds(proc.pid):.2f} s); {args.threads} client threads; {os.cpu_count()} CPUs")  # fmt: skip
            win = [h for h in desc["hosts"] if h["transport"] == "winrm"]
            ps = [h for h in desc["hosts"] if h["transport"] == "psrp"]
            phase("winrs-ntlm hostname", winrs_hostname, win, args.rounds, args.threads, proc.pid)
            phase("winrs-ntlm collector", winrs_collector, win, args.rounds, args.threads, proc.pid)
            phase("psrp-ntlm collector", psrp_collector, ps, args.rounds, args.threads, proc.pid)
        finally:
            proc.terminate()
            proc.communicate(timeout=30)
    print("note: the clients (GIL-bound pywinrm/pypsrp threads) share the machine's cores with the simulator; "
          "runs/s is the pair's throughput, ms/run is the simulator's own cost.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
