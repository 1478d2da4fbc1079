"""umcheck's own work for a big fleet, in one process: 10,000 ``fake`` hosts, scan to reports.

The hosts use ``ansible_connection: fake`` (``umcheck/transports/simulated.py``): the simulator
answers in-process, so the figures are umcheck's planning, parsing, rules, journal, reports and
history - no transport library, no network. Runs ``umcheck scan --workers 1`` (history on,
default formats) in a child process and prints:

* wall time and the child's CPU time (user + system: the fairer figure on a shared machine);
* post-scan time: from the moment the journal holds every host (a thread tails ``journal.jsonl``
  every 50 ms, so +-0.05 s) to the child's exit - reports, history, retention;
* peak RSS (``os.wait4``'s ``ru_maxrss``);
* the size of ``report.html`` and its load time in headless Chromium, driven over the DevTools
  pipe: from ``Page.navigate`` until the report's script has run (``data-ready``), the first of
  three loads and the best.

Goals at 10,000 hosts (issue 15): run <= 60 s, post-scan <= 10 s, RSS <= 500 MB, HTML <= 15 MB,
Chromium <= 3 s. Figures are for people, not asserts.

    python bench/fleet_10k.py [--hosts 10000|2500|1000] [--runs N] [--keep DIR] [--no-chromium] [--no-history]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from journal_watch import JournalWatch  # bench/: the script's own folder

LOAD_LIMIT = 120  # seconds: a page that takes longer is reported as "> 120 s"
UMCHECK = [sys.executable, "-c", "import sys; from umcheck.cli import main; sys.exit(main())"]
# (os, states, weight): most hosts healthy, the rest spread over problems both packs see.
MIX = (
    ("windows", "healthy", 30),
    ("windows", "healthservice_stopped", 4),
    ("windows", "proxy_set", 3),
    ("windows", "tls12_disabled", 3),
    ("windows", "arc_connected,hrw2_healthy", 3),
    ("windows", "migrated", 2),
    ("windows", "endpoints_blocked", 3),
    ("windows", "legacy_mma_reporting", 2),
    ("linux", "healthy", 30),
    ("linux", "omsagent_stopped", 4),
    ("linux", "repos_blocked", 3),
    ("linux", "proxy_auth_required", 3),
    ("linux", "arc_expired", 2),
    ("linux", "updates_disabled", 3),
)


def inventory(path: Path, hosts: int) -> None:
    """An INI inventory: one group per (os, states), hosts dealt round the weighted mix."""
    slots = [i for i, (_, _, weight) in enumerate(MIX) for _ in range(weight)]
    members: dict[int, list[str]] = {i: [] for i in range(len(MIX))}
    for n in range(hosts):
        kind = slots[n % len(slots)]
        members[kind].append(f"{'win' if MIX[kind][0] == 'windows' else 'lnx'}{n:05d}")
    lines: list[str] = []
    for i, (os_family, states, _) in enumerate(MIX):
        lines.append(f"[g{i}]")
        lines.extend(members[i])
        lines += [f"[g{i}:vars]", "ansible_connection=fake", f"umcheck_os={os_family}",
                  f"umcheck_fake_state={states}", ""]  # fmt: skip
    path.write_text("\n".join(lines), encoding="utf-8")



def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


def load_seconds(browser: str, page: Path, tmp: Path) -> tuple[float, float]:
    """(first, best of three) seconds from navigation to the report script's ``data-ready``, in one
    headless Chromium driven over the DevTools pipe (tests/integration/reports_scale/cdp.py),
    after a warm-up page."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.integration.reports_scale.cdp import Browser

    chrome = Browser(browser, Path(tempfile.mkdtemp(dir=tmp)))
    warm = tmp / "warm-up.html"  # the browser's own start-up is not the report's cost
    warm.write_text('<!doctype html><html data-ready="1"><title>x</title></html>', encoding="utf-8")
    try:
        chrome.open(warm.as_uri())
        times = [chrome.open(page.as_uri(), timeout=LOAD_LIMIT) for _ in range(3)]
    except TimeoutError:
        return float("inf"), float("inf")
    finally:
        chrome.close()
    return times[0], min(times)


def bench(hosts: int, tmp: Path, with_chromium: bool, history: bool = True, run: int = 1) -> None:
    inv, out = tmp / "inventory.ini", tmp / "reports"
    if run == 1:
        inventory(inv, hosts)
    cmd = [*UMCHECK, "scan", "-i", str(inv), "-o", str(out), "--workers", "1", "-q"]
    if not history:
        cmd.append("--no-history")
    watch = JournalWatch(out, hosts)
    watch.start()
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"})
    stderr_lines: list[bytes] = []
    watch.pid = proc.pid
    reader = threading.Thread(target=lambda: stderr_lines.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    end = time.monotonic()
    watch.stop.set()
    reader.join(5)
    rc = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    post = f"{end - watch.done_at:.2f} s" if watch.done_at else "n/a (journal never complete)"
    if watch.cpu_at_done is not None:
        post += f" wall, {cpu - watch.cpu_at_done:.2f} s CPU"
    html = max(out.glob("*/report.html"), default=None)  # run ids sort by time: this run's
    nth = f", run {run} (history holds {run - 1} earlier)" if run > 1 else ""
    print(f"hosts {hosts}{'' if history else ' (--no-history)'}{nth}: exit {rc}")
    print(f"  whole run      {end - start:7.2f} s wall, {cpu:7.2f} s CPU")
    print(f"  post-scan      {post} (journal complete -> exit)")
    at_done = f" ({watch.rss_at_done:.1f} MB when the journal was complete)" if watch.rss_at_done else ""
    print(f"  peak RSS       {usage.ru_maxrss / 1024:7.1f} MB{at_done}")
    if html is None:
        print("  report.html    missing;", (stderr_lines[-1:] or [b""])[0].decode(errors="replace").strip())
        return
    size = html.stat().st_size
    print(f"  report.html    {size / 1e6:7.2f} MB ({size / hosts / 1024:.1f} KB/host)")
    browser = chromium() if with_chromium else None
    if browser:
        first, best = load_seconds(browser, html, tmp)
        if first == float("inf"):
            print(f"  chromium load  > {LOAD_LIMIT} s (gave up)")
        else:
            print(f"  chromium load  {first:7.2f} s first, {best:.2f} s best of 3 (navigate -> script done)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hosts", type=int, default=10_000, help="fleet size (1000 and 2500 for before/after)")
    ap.add_argument("--keep", type=Path, help="keep inventory and reports in this folder")
    ap.add_argument("--no-chromium", action="store_true", help="skip the browser figure")
    ap.add_argument("--no-history", action="store_true", help="reports only: tells their cost from the history's")
    ap.add_argument("--runs", type=int, default=1,
                    help="scans in a row into one folder: from the second on, the history holds earlier runs "
                    "(the nightly case: a comparison to read, cells to update)")  # fmt: skip
    args = ap.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="umcheck-fleet-") as tmp:
        for run in range(1, args.runs + 1):
            bench(args.hosts, args.keep or Path(tmp), not args.no_chromium, not args.no_history, run)


if __name__ == "__main__":
    main()
