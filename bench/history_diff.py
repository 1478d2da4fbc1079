"""Post-scan history cost for a large fleet: the "changes since" diff and the other history inputs.

    python bench/history_diff.py --hosts 2500 [--db postgresql://...]

Setup (not measured): two full runs of ``--hosts`` hosts, made from the golden facts documents
through the real rule engine (one evaluation per document, renamed per host; 5% of hosts change
between the runs), saved in a fresh history. Then, each in a fresh process that first loads the
new run from JSON (as a scan has it in memory), the step a scan takes after ``save_run``:

* ``before`` — what reports.from_history did before issue #15: the merged state before the run
  loaded whole (every stored HostResult parsed) and diffed, plus ``previous``, ``state`` and
  ``last_full`` loaded whole;
* ``after`` — from_history with the default formats (text, html, json, csv): the diff from the
  store's columns per host and rule (``Store.state_lines``), nothing else loaded;
* ``after+prom`` — from_history with prometheus among the formats (which needs the whole state);
* ``diff-before`` / ``diff-after`` — the comparison alone, each way.

Printed per step: wall time and the process's peak RSS growth over the step (VmHWM reset through
/proc/self/clear_refs before it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FACTS = ROOT / "tests" / "golden" / "facts"
DOCS = ("windows-healthy", "windows-tls-disabled", "linux-healthy", "windows-healthy")


def _fleet(run_id: str, started: str, n: int, changed: bool):
    from umcheck.evaluation import evaluate_output
    from umcheck.results import FleetResult, HostResult
    from umcheck.rules.base import RuleContext

    base = {}
    for doc in dict.fromkeys(DOCS + ("windows-tls-disabled",)):
        path = FACTS / f"{doc}.json"
        if path.exists():
            base[doc] = evaluate_output(HostResult(name="x", transport="file", started=started), path.read_text(),
                                        RuleContext(location="westeurope"), None)  # fmt: skip
    names = [d for d in DOCS if d in base]
    hosts = []
    for i in range(n):
        doc = names[i % len(names)]
        if changed and i % 20 == 0:
            doc = "windows-tls-disabled"
        hosts.append(replace(base[doc], name=f"host{i:05d}", started=started))
    return FleetResult(run_id=run_id, started=started, finished=started, hosts=hosts)


def setup(db: str, n: int, folder: Path) -> None:
    from umcheck.store import Store

    first = _fleet("20261201-020000-aaaa", "2026-12-01T02:00:00+00:00", n, False)
    second = _fleet("20261202-020000-bbbb", "2026-12-02T02:00:00+00:00", n, True)
    with Store(db) as store:
        store.save_run(first)
        started = time.perf_counter()
        store.save_run(second)
        print(f"save_run of {n} hosts: {time.perf_counter() - started:.2f} s")
    (folder / "run.json").write_text(json.dumps(second.to_dict(), default=str))


def _reset_peak() -> int:
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) // 1024
    return 0


def measure(db: str, folder: Path, mode: str) -> None:
    from umcheck.reports import from_history
    from umcheck.reports.diff import diff_fleets
    from umcheck.results import FleetResult
    from umcheck.store import Store

    fleet = FleetResult.from_dict(json.loads((folder / "run.json").read_text()))
    with Store(db) as store:
        store.run_ids()  # connected and migrated before the clock starts
        rss = _reset_peak()
        started = time.perf_counter()
        if mode == "diff-before":  # the comparison alone, as before: the earlier state loaded whole
            diff = diff_fleets(store.state_before(fleet.run_id), fleet, state=True)
        elif mode == "diff-after":  # the comparison alone, now: per host and rule from the columns
            diff = diff_fleets(store.state_lines(store.previous_of(fleet.run_id)), fleet, state=True)
        elif mode == "before":
            before = store.state_before(fleet.run_id)
            diff = diff_fleets(before, fleet, state=True)
            prev_id, full_id = store.previous_of(fleet.run_id), store.last_full_run(fleet.run_id)
            store.load_run(prev_id), store.fleet_state(fleet.run_id), store.load_run(full_id)
        else:
            diff = from_history(store, fleet, None if mode == "after+prom" else ("text", "html", "json", "csv")).diff
        took = time.perf_counter() - started
        peak = _status("VmHWM") - rss
    print(f"{mode:<11} {took:6.2f} s  peak RSS +{peak:4d} MB  (diff: {len(diff.newly_failing)} newly failing, "
          f"{len(diff.changed)} changed)")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=2500)
    ap.add_argument("--db", help="history URL (default: a fresh SQLite file)")
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        measure(args.db, Path(args.folder), args.measure)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or str(Path(tmp) / "umcheck.db")
        setup(db, args.hosts, Path(tmp))
        for mode in ("diff-before", "diff-after", "before", "after", "after+prom"):
            subprocess.run([sys.executable, __file__, "--measure", mode, "--db", db, "--folder", tmp], check=True)


if __name__ == "__main__":
    main()
