"""``umcheck history``: the runs recorded in the history database, newest first; ``--prune`` for retention.

Counts are each run's own hosts (graded on merged state); the Scope column says whether a run
checked everything ("full") or was a re-check of some rules or hosts ("partial: ...").
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from umcheck.errors import UsageError
from umcheck.reports.escape import one_line
from umcheck.retention import prune_runs
from umcheck.store import DEFAULT_DB, db_arg, display


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("history", help="list recorded runs with their readiness counts")
    p.add_argument("--db", type=db_arg, default=DEFAULT_DB, metavar="PATH|URL",
                   help="history database: a SQLite file (default: %(default)s) or postgresql://user@host/dbname")
    p.add_argument(
        "-n", "--limit", type=int, default=20, help="how many runs to show (default: %(default)s; 0 = all)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--prune",
        type=int,
        metavar="KEEP",
        help="delete all but the newest KEEP run folders under --reports-dir (the database is kept)",
    )
    p.add_argument(
        "--prune-db",
        type=int,
        metavar="KEEP",
        help="delete all but the newest KEEP runs from the history database (and any older run their "
        "fleet state still needs); the fleet state's cells are kept",
    )
    p.add_argument(
        "--reports-dir", type=Path, default=Path("reports"), help="run folders (default: %(default)s)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    if args.prune is not None or args.prune_db is not None:
        return _prune(args)
    from umcheck.store import Store, reading  # SQLAlchemy: only when a history is read

    with reading(args.db), Store(args.db, create=False) as store:
        runs = store.runs(limit=args.limit or None)
    if args.json:
        print(json.dumps([r.to_dict() for r in runs], indent=2))
        return 0
    if not runs:
        print(f"No runs recorded in {display(args.db)}.")
        return 0
    rows = [
        [
            one_line(r.run_id),
            one_line(r.started)[:19].replace("T", " "),
            "-" if r.duration_s is None else f"{r.duration_s:.0f}s",
            r.hosts,
            r.readiness.get("Ready", 0),
            r.readiness.get("Disconnected", 0),
            r.readiness.get("Not configured", 0),
            r.readiness.get("Unknown", 0),
            _migration(r.migration),
            one_line(r.scope_label, 60),
            "interrupted" if r.interrupted else "",
        ]
        for r in runs
    ]
    print(
        tabulate(
            rows,
            headers=[
                "Run",
                "Started",
                "Took",
                "Hosts",
                "Ready",
                "Disconn.",
                "Not conf.",
                "Unknown",
                "Migration",
                "Scope",
                "Note",
            ],
            tablefmt="simple",
        )
    )
    return 0


def _prune(args: argparse.Namespace) -> int:
    """``--prune`` (run folders) and ``--prune-db`` (recorded runs), both checked before either acts."""
    for option, keep in (("--prune", args.prune), ("--prune-db", args.prune_db)):
        if keep is not None and keep < 1:
            raise UsageError(f"{option} must keep at least 1 run, got {keep}")
    if args.prune is not None:
        for folder in prune_runs(args.reports_dir, args.prune):
            print(f"removed {folder}")
    if args.prune_db is not None:
        from umcheck.store import Store, reading  # SQLAlchemy: only when a history is used

        with reading(args.db), Store(args.db, create=False) as store:
            for run_id in store.forget_runs(args.prune_db):
                print(f"forgot run {run_id}")
    return 0


def _migration(counts: dict[str, int]) -> str:
    """``3 migrated, 5 ready, 2 blocked``: the run's migration grades (blank before the successor pack)."""
    short = (("Migrated", "migrated"), ("Ready to migrate", "ready"), ("Blocked", "blocked"))
    parts = [f"{counts[k]} {label}" for k, label in short if counts.get(k)]
    return ", ".join(parts) or "-"
