"""``umcheck scan``: check the selected hosts of an inventory and write the reports."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from umcheck.ansible_cfg import inventory_sources, load_ansible_config
from umcheck.commands.evaluate import selectors_from
from umcheck.commands.options import add_vault_options, parse_extra_vars, password_from, vault_from
from umcheck.errors import UsageError
from umcheck.plan import DEFAULT_CONNECT_TIMEOUT, DEFAULT_FORKS, DEFAULT_TIMEOUT, Timeouts
from umcheck.rules.catalog import known_selector, unknown_rule_message
from umcheck.scan import DEFAULT_FORMATS, NothingToDo, ScanRequest, exit_code, run_scan

ALL_FORMATS = ("text", "html", "json", "csv", "junit", "markdown", "prometheus")


def add_common(p: argparse.ArgumentParser) -> None:
    """Options shared by ``scan`` and ``run`` (a playbook's values win over these defaults)."""
    p.add_argument("-i", "--inventory", action="append", default=[], metavar="SRC", help="inventory file or directory (repeatable)")
    p.add_argument("-l", "--limit", metavar="PATTERN", help="further limit the hosts (Ansible pattern, or @file)")
    p.add_argument("-e", "--extra-vars", action="append", default=[], metavar="K=V", help="variables that win over the inventory")
    p.add_argument("-k", "--ask-pass", action="store_true", help="prompt for the connection password")
    p.add_argument("--password-env", metavar="NAME", help="take the connection password from this environment variable")
    add_vault_options(p)
    p.add_argument("-o", "--output-dir", type=Path, default=Path("reports"), help="reports folder (default: reports)")
    p.add_argument("--db", type=Path, help="history database (default: <output-dir>/umcheck.db)")
    p.add_argument("--no-history", action="store_true", help="do not record the run in the history database")
    p.add_argument("-q", "--quiet", action="count", default=0, help="less output")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more output")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scan", help="scan hosts from an inventory and write readiness reports")
    add_common(p)
    p.add_argument("--rules", action="append", default=[], help="only these rules or groups (repeatable, comma-separated)")
    p.add_argument("-f", "--forks", type=int, help=f"hosts scanned at once (default: ansible.cfg forks, else {DEFAULT_FORKS})")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help=f"per-host deadline in seconds (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--connect-timeout", type=float,
                   help=f"connect timeout in seconds (default: ansible.cfg timeout, else {DEFAULT_CONNECT_TIMEOUT:g})")
    p.add_argument("--probe-timeout", type=float, default=5.0, help="collector's timeout per network probe (default 5)")
    p.add_argument("--retries", type=int, default=2, help="extra attempts after a transient connection error (default 2)")
    p.add_argument("--format", action="append", default=[], help=f"report formats, comma-separated: {', '.join(ALL_FORMATS)} or all")
    p.add_argument("--max-output", type=int, default=4 * 1024 * 1024, help="cap on one host's collector output in bytes")
    p.add_argument("--keep-runs", type=int, help="keep only the newest N run folders")
    p.add_argument("--resume", metavar="RUN", help="finish an interrupted run: scan only the hosts its journal lacks")
    p.add_argument("--rerun-failed", nargs="?", const="last", metavar="RUN", help="only hosts not Ready in RUN (default: last)")
    p.add_argument("--failed-rule", metavar="RULE_ID", help="only hosts where this rule failed (in --rerun-failed RUN or last)")
    p.add_argument("--script", action="append", default=[], metavar="official-windows=PATH",
                   help="run Microsoft's own troubleshooter instead of umcheck's collector "
                        "(official-windows=PATH to UM_Windows_Troubleshooter_Offline.ps1, official-linux=PATH)")
    p.set_defaults(func=run)


def parse_scripts(values: list[str]) -> tuple[tuple[str, str], ...]:
    """``official-windows=PATH`` -> (("windows", PATH),); the files are read (and checked) now."""
    from umcheck.collectors.official import read_official

    out = {}
    for item in values:
        kind, sep, path = item.partition("=")
        os_family = {"official-windows": "windows", "official-linux": "linux"}.get(kind.strip())
        if not sep or os_family is None or not path:
            raise UsageError(f"--script {item!r}: expected official-windows=PATH or official-linux=PATH")
        read_official(path, os_family)
        out[os_family] = path
    return tuple(out.items())


def parse_formats(values: list[str]) -> tuple[str, ...]:
    formats = [f.strip().lower() for v in values for f in v.split(",") if f.strip()]
    if not formats:
        return DEFAULT_FORMATS
    if "all" in formats:
        return ALL_FORMATS
    bad = [f for f in formats if f not in ALL_FORMATS]
    if bad:
        raise UsageError(f"unknown report format {bad[0]!r}; formats are: {', '.join(ALL_FORMATS)}")
    return tuple(dict.fromkeys(formats))


def request_from(args: argparse.Namespace) -> ScanRequest:
    config = load_ansible_config()  # flags win over ANSIBLE_* and ansible.cfg, which win over umcheck's defaults
    inventory = inventory_sources(args.inventory, config)
    forks = args.forks if args.forks is not None else config.forks or DEFAULT_FORKS
    connect_timeout = args.connect_timeout if args.connect_timeout is not None else float(
        config.timeout or DEFAULT_CONNECT_TIMEOUT)
    for name, value in (("--forks", forks), ("--timeout", args.timeout), ("--connect-timeout", connect_timeout)):
        if value <= 0:
            raise UsageError(f"{name} must be positive")
    if args.failed_rule and not known_selector(args.failed_rule):
        raise UsageError("--failed-rule: " + unknown_rule_message(args.failed_rule))
    return ScanRequest(
        inventory=inventory,
        limit=args.limit,
        selectors=tuple(selectors_from(args.rules)),
        forks=forks,
        timeouts=Timeouts(connect=connect_timeout, host=args.timeout, probe=args.probe_timeout),
        retries=max(0, args.retries),
        max_output=args.max_output,
        formats=parse_formats(args.format),
        reports_dir=args.output_dir,
        db=args.db,
        history=not args.no_history,
        keep_runs=args.keep_runs,
        resume=args.resume,
        rerun_failed=args.rerun_failed,
        failed_rule=args.failed_rule,
        extra_vars=parse_extra_vars(args.extra_vars),
        password=password_from(args),
        vault=vault_from(args),
        verbosity=args.verbose - args.quiet,
        official=parse_scripts(args.script),
    )


def print_outcome(outcome, verbosity: int) -> None:
    from umcheck.reports.text import render_summary

    if verbosity >= -1:
        print(render_summary(outcome.fleet, width=100, color=sys.stdout.isatty()))
        print(f"\nreports: {outcome.run_dir}")


def run(args: argparse.Namespace) -> int:
    req = request_from(args)
    try:
        outcome = asyncio.run(run_scan(req))
    except NothingToDo as exc:
        print(f"umcheck: {exc}")
        return 0
    print_outcome(outcome, req.verbosity)
    return exit_code(outcome.fleet)
