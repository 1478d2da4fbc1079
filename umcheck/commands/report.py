"""``umcheck report RUN``: regenerate report formats for a past run.

RUN is a run reference (id, unique prefix, last, previous, last~N) looked up in the history
database and then among the run folders, or a path to a run folder, journal or report.json.
``-o -`` writes a single format to stdout.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from umcheck.errors import UsageError
from umcheck.reports import FORMATS, HistoryInputs, from_history, parse_formats, render, write_reports
from umcheck.reports.atomic import Modes
from umcheck.reports.sources import load_run
from umcheck.store import DEFAULT_DB, db_arg


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report", help="regenerate reports for a past run (from history or a run folder)"
    )
    p.add_argument(
        "run", metavar="RUN", help="run id, unique prefix, last, previous, last~N, or a folder/journal path"
    )
    p.add_argument(
        "-f",
        "--format",
        action="append",
        dest="formats",
        metavar="FORMAT",
        help=f"{', '.join(FORMATS)} or all; repeat or comma-separate (default: all)",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        help="output folder (default: the run's folder); '-' prints one format to stdout",
    )
    p.add_argument("--db", type=db_arg, default=DEFAULT_DB, metavar="PATH|URL",
                   help="history database: a SQLite file (default: %(default)s) or postgresql://user@host/dbname")
    p.add_argument(
        "--reports-dir", type=Path, default=Path("reports"), help="run folders (default: %(default)s)"
    )
    p.add_argument(
        "--group-readable",
        action="store_true",
        help="let the group read the written reports (files 0640, new folders 0750; default owner-only)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from umcheck.store import reading  # SQLAlchemy: only when a history is read

    with reading(args.db):  # a damaged or locked history: one line saying what to do, exit 2
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    formats = parse_formats(args.formats)
    loaded = load_run(args.run, db=args.db, reports_dir=args.reports_dir)
    try:
        if args.output == "-":
            if len(formats) != 1:
                raise UsageError("'-o -' writes to stdout and needs exactly one --format")
            inputs = from_history(loaded.store, loaded.fleet, formats) if loaded.store else HistoryInputs()
            sys.stdout.write(render(formats[0], loaded.fleet, **inputs.kwargs()).lstrip("\ufeff"))
            return 0
        out_dir = Path(args.output) if args.output else loaded.run_dir
        if out_dir.exists() and not out_dir.is_dir():
            raise UsageError(f"output {out_dir} exists and is not a folder")
        inputs = from_history(loaded.store, loaded.fleet, formats) if loaded.store else HistoryInputs()
        paths = write_reports(loaded.fleet, out_dir, formats, inputs=inputs,
                              modes=Modes.for_group(args.group_readable))  # fmt: skip
        for fmt in formats:
            print(f"{fmt:<10} {paths[fmt]}")
        return 0
    finally:
        if loaded.store is not None:
            loaded.store.close()
