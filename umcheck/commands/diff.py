"""``umcheck diff [RUN_A] [RUN_B]``: newly failing, fixed, newly unreachable and changed hosts.

Defaults compare the previous run with the last one; with one reference, that run with the last.
Only rules evaluated in both runs are compared; ``--state`` compares the merged fleet states
after each run instead (every host's latest result, carried-forward outcomes included).
``--exit-code`` returns 1 when something got worse, so a scheduler can alert on regressions.
"""

from __future__ import annotations

import argparse
import json
import sys

from umcheck.reports.text import render_diff
from umcheck.store import DEFAULT_DB, db_arg


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("diff", help="compare two recorded runs (default: previous vs last)")
    p.add_argument(
        "run_a", nargs="?", metavar="RUN_A", help="older run: id, unique prefix, last, previous, last~N"
    )
    p.add_argument("run_b", nargs="?", metavar="RUN_B", default="last", help="newer run (default: last)")
    p.add_argument("--db", type=db_arg, default=DEFAULT_DB, metavar="PATH|URL",
                   help="history database: a SQLite file (default: %(default)s) or postgresql://user@host/dbname")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--state",
        action="store_true",
        help="compare the merged fleet states after each run (default: only rules evaluated in both runs)",
    )
    p.add_argument(
        "--exit-code", action="store_true", help="exit 1 if any host is newly failing or unreachable"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from umcheck.store import Store, reading  # SQLAlchemy: only when a history is read

    with reading(args.db), Store(args.db, create=False) as store:
        run_a = args.run_a or "previous"
        diff = store.diff(run_a, args.run_b, state=args.state)
    if args.json:
        print(json.dumps(diff.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(render_diff(diff, color=sys.stdout.isatty()))
    return 1 if args.exit_code and diff.regressions else 0
