"""How long large and hostile inventories take to load: ``umcheck inventory --list`` end to end.

Generates each inventory in a temporary folder and runs the real command in a subprocess (so
the figures include start-up, loading, connection resolution and JSON output), one case at a
time, printing wall-clock seconds, the child's CPU seconds (user + system: the fairer figure on a
shared machine), its peak memory (max RSS), the exit code and the last line of stderr. Loading is meant to be linear
in the number of host entries; the hostile cases must end quickly, with exit 2 where a limit
applies (docs/inventory.md, "Limits"). The figures are for people, not asserts: timing goals
live here, not in the tests.

    python bench/inventory_load.py [--hosts 100000] [--groups 20000] [--only NAME]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

UMCHECK = [sys.executable, "-c", "import sys; from umcheck.cli import main; sys.exit(main())"]


def flat_ini(tmp: Path, hosts: int, groups: int) -> Path:
    """``hosts`` hosts spread over ``groups`` groups, all children of one parent, some host vars."""
    lines: list[str] = []
    per = max(hosts // groups, 1)
    for g in range(groups):
        lines.append(f"[g{g}]")
        lines.extend(
            f"h{i} ansible_host=10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
            for i in range(g * per, min((g + 1) * per, hosts))
        )
    lines.append("[parent:children]")
    lines.extend(f"g{g}" for g in range(groups))
    lines.append("[parent:vars]")
    lines.append("ansible_connection=winrm")
    lines.append("ansible_host_suffix=corp.example")
    path = tmp / "flat.ini"
    path.write_text("\n".join(lines) + "\n")
    return path


def flat_yaml(tmp: Path, hosts: int, groups: int) -> Path:
    per = max(hosts // groups, 1)
    out = ["all:", "  children:"]
    for g in range(groups):
        out.append(f"    g{g}:")
        out.append("      hosts:")
        out.extend(
            f"        h{i}: {{ansible_host: '10.0.{i >> 8 & 255}.{i & 255}'}}"
            for i in range(g * per, min((g + 1) * per, hosts))
        )
    path = tmp / "flat.yml"
    path.write_text("\n".join(out) + "\n")
    return path


def chain_ini(tmp: Path, depth: int) -> Path:
    """A chain of ``depth`` :children groups (exit 2 beyond the depth limit)."""
    text = "".join(f"[c{i}:children]\nc{i + 1}\n" for i in range(depth)) + f"[c{depth}]\nh1\n"
    path = tmp / "chain.ini"
    path.write_text(text)
    return path


def ranges_ini(tmp: Path, lines: int) -> Path:
    """``lines`` lines of ``g[0:99999]`` (exit 2 once the host-entry limit is passed)."""
    path = tmp / "ranges.ini"
    path.write_text("[g]\n" + "g[0:99999]\n" * lines)
    return path


def long_line_ini(tmp: Path, chars: int) -> Path:
    """One host line of ``chars`` characters of key=value pairs."""
    pairs, size, i = [], 0, 0
    while size < chars:
        pair = f"k{i}=v{i}"
        pairs.append(pair)
        size += len(pair) + 1
        i += 1
    path = tmp / "long.ini"
    path.write_text("[g]\nh1 " + " ".join(pairs) + "\n")
    return path


def template_bomb(tmp: Path) -> Path:
    path = tmp / "bomb.yml"
    path.write_text(
        "g:\n  hosts:\n    h1:\n    h2:\n  vars:\n"
        '    a: "{{ \'x\' * 1000 }}"\n    b: "{{ a * 1000 }}"\n    c: "{{ b * 1000 }}"\n'
        '    ansible_host: "{{ c }}"\n'
    )
    return path


def yaml_laughs(tmp: Path) -> Path:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = tmp / "laughs.yml"
    path.write_text("g:\n  hosts:\n    h1:\n  vars:\n" + "".join(f"    {line}\n" for line in lines))
    return path


def run_case(name: str, make: Callable[[Path], Path], tmp: Path) -> None:
    source = make(tmp)
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen([*UMCHECK, "inventory", "-i", str(source), "--list"], stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak memory
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - start
        err.seek(0)
        lines = err.read().strip().splitlines()
    last = lines[-1] if lines else ""
    print(
        f"{name:36} {elapsed:7.2f} s  cpu {usage.ru_utime + usage.ru_stime:6.2f} s  "
        f"{usage.ru_maxrss / 1024:6.0f} MiB  exit {proc.returncode}"
        f"  {source.stat().st_size / 1e6:6.1f} MB  {last[:100]}",
        flush=True,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", type=int, default=100_000)
    ap.add_argument("--groups", type=int, default=20_000)
    ap.add_argument("--only", help="run only the cases whose name contains this")
    args = ap.parse_args()
    h, g = args.hosts, args.groups
    cases: list[tuple[str, Callable[[Path], Path]]] = [
        (f"ini {h // 10:,} hosts / {g // 10:,} groups", lambda t: flat_ini(t, h // 10, g // 10)),
        (f"ini {h // 2:,} hosts / {g // 2:,} groups", lambda t: flat_ini(t, h // 2, g // 2)),
        (f"ini {h:,} hosts / {g:,} groups", lambda t: flat_ini(t, h, g)),
        (f"yaml {h:,} hosts / {g:,} groups", lambda t: flat_yaml(t, h, g)),
        ("ini :children chain of 1,000 groups", lambda t: chain_ini(t, 999)),
        ("ini :children chain 5,000 deep", lambda t: chain_ini(t, 5000)),
        ("ini 60 lines of g[0:99999]", lambda t: ranges_ini(t, 60)),
        ("ini 9 lines of g[0:99999]", lambda t: ranges_ini(t, 9)),
        ("ini one 400k-character host line", lambda t: long_line_ini(t, 400_000)),
        ("yaml template billion laughs", template_bomb),
        ("yaml alias billion laughs", yaml_laughs),
    ]
    print(f"python {sys.version.split()[0]}; umcheck inventory --list, wall clock per case")
    for name, make in cases:
        if args.only and args.only not in name:
            continue
        with tempfile.TemporaryDirectory(prefix="umcheck-bench-") as tmp:
            run_case(name, make, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
