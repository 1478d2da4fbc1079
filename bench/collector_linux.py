"""Benchmark: Linux collector runtime with every endpoint black-holed.

A black hole is a loopback listener whose accept queue is full, so further SYNs are dropped and
connects hang until the caller's own timeout - what a firewall that drops packets does. Every
probe of umcheck's collector is pointed there through ``probe_overrides``; nothing leaves
127.0.0.0/8. With ``--official PATH`` the same is measured for Microsoft's
UM_Linux_Troubleshooter_Offline.py: it runs in a fresh network namespace (``unshare -n``: only
loopback exists) with Python's socket connects redirected to a black hole inside that namespace,
so its 30-second raw TCP probes hang exactly as on a filtered network (its curl calls fail fast).

    python bench/collector_linux.py [--timeout 5] [--runs 3] [--root DIR] [--official PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from umcheck import envelope  # noqa: E402
from umcheck.collectors.invocation import CollectorParams, params_for  # noqa: E402

COLLECTOR = REPO / "umcheck" / "collectors" / "linux.py"
DEFAULT_ROOT = REPO / "tests" / "golden" / "collector_roots" / "healthy"

# Run inside the namespace: redirect every TCP connect of the official script to the black hole.
_OFFICIAL_WRAPPER = """
import runpy, socket, sys
hole = ("127.0.0.1", int(sys.argv.pop(1)))
_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex
def _redirect(addr):
    return hole if isinstance(addr, tuple) and addr[0] not in ("127.0.0.1", "localhost") else addr
socket.socket.connect = lambda self, addr: _connect(self, _redirect(addr))
socket.socket.connect_ex = lambda self, addr: _connect_ex(self, _redirect(addr))
_gai = socket.getaddrinfo
socket.getaddrinfo = lambda host, port, *a, **k: _gai("127.0.0.1", port, *a, **k)
path = sys.argv[1]
sys.argv = [path, "/tmp", "True"]
runpy.run_path(path, run_name="__main__")
"""


class BlackHole:
    """A loopback port where connects hang: listen(0), never accept, backlog filled."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0)
        self.port = self.sock.getsockname()[1]
        self.fill: list[socket.socket] = []
        for _ in range(4):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", self.port))
            self.fill.append(c)
        time.sleep(0.1)
        probe = socket.socket()
        probe.settimeout(0.3)
        try:
            probe.connect(("127.0.0.1", self.port))
            raise SystemExit("black hole failed: the kernel still completes connects to a full backlog")
        except TimeoutError:
            pass
        finally:
            probe.close()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        for c in self.fill:
            c.close()
        self.sock.close()


def run_umcheck(root: Path, timeout: float, hole: BlackHole) -> dict:
    base = params_for(None, "public", "westeurope", None, timeout, {"*": hole.address})
    params = CollectorParams(base.endpoints, timeout, None, 24, {"*": hole.address}, base.cloud)
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(COLLECTOR), "--root", str(root), "--params", params.to_blob()],
        capture_output=True,
        env=env,
        timeout=timeout * 10 + 30,
        check=True,
    )
    wall = time.monotonic() - start
    doc = envelope.parse(proc.stdout)
    probes = doc["linux"]["probes"] + doc["linux"].get("repos", {}).get("probes", [])
    made = [p for p in probes if p["error"] != "skipped"]
    return {
        "wall_s": wall,
        "probes": len(made),
        "timeouts": sum(p["error"] == "timeout" for p in made),
        "sum_probe_s": sum(p["elapsed_ms"] for p in made) / 1000,
    }


def run_official_inside(path: Path) -> None:
    """Child mode, inside ``unshare -n``: bring loopback up, make a black hole, time the script."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    hole = BlackHole()
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _OFFICIAL_WRAPPER, str(hole.port), str(path)],
        capture_output=True,
        timeout=3600,
        check=False,
    )
    wall = time.monotonic() - start
    last = next(
        (ln for ln in reversed(proc.stdout.decode(errors="replace").splitlines()) if ln.startswith("[")), ""
    )
    print(
        json.dumps({"wall_s": wall, "rc": proc.returncode, "json_rows": len(json.loads(last)) if last else 0})
    )


def run_official(path: Path) -> dict:
    proc = subprocess.run(
        ["unshare", "-n", sys.executable, __file__, "--inside-official", str(path)],
        capture_output=True,
        timeout=3700,
        check=True,
    )
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--timeout", type=float, default=5.0, help="umcheck per-probe timeout in seconds (default 5)"
    )
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="fixture root the collector reads")
    ap.add_argument("--official", type=Path, help="path to UM_Linux_Troubleshooter_Offline.py")
    ap.add_argument("--inside-official", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inside_official:
        run_official_inside(args.inside_official)
        return 0
    hole = BlackHole()
    try:
        runs = [run_umcheck(args.root, args.timeout, hole) for _ in range(args.runs)]
    finally:
        hole.close()
    walls = [r["wall_s"] for r in runs]
    r0 = runs[0]
    print(
        f"umcheck linux collector, every endpoint black-holed, probe timeout {args.timeout:g} s, {args.runs} runs"
    )
    print(f"  probes made:        {r0['probes']} ({r0['timeouts']} timed out)")
    print(
        f"  wall time:          median {statistics.median(walls):.2f} s  (min {min(walls):.2f}, max {max(walls):.2f})"
    )
    print(f"  same probes in sequence would take {r0['sum_probe_s']:.1f} s")
    if args.official:
        off = run_official(args.official.resolve())
        print(f"official {args.official.name}, Python connects black-holed, own 30 s TCP timeout, sequential")
        print(
            f"  wall time:          {off['wall_s']:.2f} s  (exit code {off['rc']}, {off['json_rows']} JSON rows)"
        )
    else:
        print("official script: not measured (pass --official PATH to UM_Linux_Troubleshooter_Offline.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
