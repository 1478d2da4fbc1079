"""``umcheck scan``: check the selected hosts of an inventory and write the reports."""

from __future__ import annotations

import argparse
import asyncio
import sys

from umcheck.commands.evaluate import selectors_from
from umcheck.commands.options import add_dispatch_options, add_pack_option, dispatch_from
from umcheck.commands.settings import add_common, resolve
from umcheck.errors import UsageError
from umcheck.reports.escape import one_line
from umcheck.rules.catalog import known_selector, pack_selectors, unknown_rule_message
from umcheck.scan import NothingToDo, ScanRequest, exit_code, run_scan, select_hosts


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scan", help="scan hosts from an inventory and write readiness reports")
    add_common(p)
    p.add_argument(
        "--rules",
        action="append",
        default=[],
        help="only these rules or groups (repeatable, comma-separated)",
    )
    add_pack_option(p)
    p.add_argument(
        "--probe-timeout", type=float, default=5.0, help="collector's timeout per network probe (default 5)"
    )
    p.add_argument(
        "--retries", type=int, default=2, help="extra attempts after a transient connection error (default 2)"
    )
    p.add_argument(
        "--max-output", type=int, default=4 * 1024 * 1024, help="cap on one host's collector output in bytes"
    )
    p.add_argument("--keep-runs", type=int, help="keep only the newest N run folders")
    p.add_argument(
        "--resume", metavar="RUN", help="finish an interrupted run: scan only the hosts its journal lacks"
    )
    p.add_argument(
        "--rerun-failed",
        nargs="?",
        const="last",
        metavar="RUN",
        help="only hosts not Ready in RUN (default: last)",
    )
    p.add_argument(
        "--failed-rule",
        metavar="RULE_ID",
        help="only hosts where this rule failed (in --rerun-failed RUN or last)",
    )
    p.add_argument(
        "--script",
        action="append",
        default=[],
        metavar="official-windows=PATH",
        help="run Microsoft's own troubleshooter instead of umcheck's collector "
        "(official-windows=PATH to UM_Windows_Troubleshooter_Offline.ps1, official-linux=PATH)",
    )
    p.add_argument(
        "--cross-check",
        action="append",
        default=[],
        metavar="official-windows=PATH",
        help="run Microsoft's own troubleshooter too, through the same connection, and report per rule "
        "where it disagrees with umcheck (official-windows=PATH, official-linux=PATH; docs/cross-check.md)",
    )
    p.add_argument("--arc-check", action="store_true",
                   help="also run `azcmagent check -j` on Arc servers (it contacts Azure endpoints itself; "
                        "SR.Arc.Endpoints then prefers its answer). Default: umcheck's own probes only")  # fmt: skip
    add_dispatch_options(p)
    add_group_readable(p)
    p.set_defaults(func=run)


def add_group_readable(p: argparse.ArgumentParser) -> None:
    p.add_argument("--group-readable", action="store_true",
                   help="let the group read what the run writes: new folders 0750, files 0640 "
                        "(default owner-only: 0700/0600; the .prom textfile is always 0644)")  # fmt: skip


def parse_scripts(values: list[str], flag: str = "--script") -> tuple[tuple[str, str], ...]:
    """``official-windows=PATH`` -> (("windows", PATH),); the files are read (and checked) now."""
    from umcheck.collectors.official import read_official

    out = {}
    for item in values:
        kind, sep, path = item.partition("=")
        os_family = {"official-windows": "windows", "official-linux": "linux"}.get(kind.strip())
        if not sep or os_family is None or not path:
            raise UsageError(f"{flag} {item!r}: expected official-windows=PATH or official-linux=PATH")
        read_official(path, os_family)
        out[os_family] = path
    return tuple(out.items())


def _cross_check(args: argparse.Namespace) -> tuple[tuple[str, str], ...]:
    pairs = parse_scripts(args.cross_check, "--cross-check")
    both = sorted({os for os, _ in pairs} & {os for os, _ in parse_scripts(args.script)})
    if both:
        raise UsageError(f"--script and --cross-check both name official-{both[0]}: "
                         "--script replaces umcheck's collector, --cross-check runs both; choose one")  # fmt: skip
    return pairs


def request_from(args: argparse.Namespace) -> ScanRequest:
    common = resolve(args)
    if args.failed_rule and not known_selector(args.failed_rule):
        raise UsageError("--failed-rule: " + unknown_rule_message(args.failed_rule))
    return ScanRequest(
        inventory=common.inventory,
        limit=args.limit,
        selectors=tuple(selectors_from(args.rules)) + pack_selectors(args.pack),
        forks=common.forks,
        timeouts=common.timeouts,
        retries=max(0, args.retries),
        max_output=args.max_output,
        formats=common.formats,
        reports_dir=args.output_dir,
        db=args.db,
        history=not args.no_history,
        keep_runs=args.keep_runs,
        resume=args.resume,
        rerun_failed=args.rerun_failed,
        failed_rule=args.failed_rule,
        extra_vars=common.extra_vars,
        password=common.password,
        vault=common.vault,
        defaults=common.defaults,
        verbosity=common.verbosity,
        official=parse_scripts(args.script),
        cross_check=_cross_check(args),
        group_readable=args.group_readable,
        dispatch=dispatch_from(args),
        arc_check=args.arc_check,
    )


def list_hosts(req: ScanRequest, indent: str = "  ") -> int:
    """``--list-hosts``: the hosts a scan would check, as ``ansible --list-hosts`` prints them."""
    try:
        names = select_hosts(req)
    except NothingToDo as exc:
        print(f"umcheck: {exc}")
        return 0
    print(f"{indent}hosts ({len(names)}):")
    for name in names:
        print(f"{indent}  {one_line(name)}")
    return 0


def print_outcome(outcome, verbosity: int) -> None:
    from umcheck.reports.text import render_summary

    if verbosity >= -1:
        print(render_summary(outcome.fleet, width=100, color=sys.stdout.isatty()))
        print(f"\nreports: {outcome.run_dir}")


def run(args: argparse.Namespace) -> int:
    req = request_from(args)
    if args.list_hosts:
        return list_hosts(req)
    try:
        outcome = asyncio.run(run_scan(req))
    except NothingToDo as exc:
        print(f"umcheck: {exc}")
        return 0
    print_outcome(outcome, req.verbosity)
    return exit_code(outcome.fleet)
