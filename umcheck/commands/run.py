"""``umcheck run PLAYBOOK``: run each play of a playbook as a scan.

A play's settings win over the command line's defaults; ``-e`` wins over a play's ``vars``
(as in Ansible). The exit code is the worst over all plays: 130 if interrupted, else 1 if any
host of any play was not Ready, else 0.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace
from pathlib import Path

from umcheck.ansible_cfg import inventory_sources, load_ansible_config
from umcheck.commands.options import parse_extra_vars, password_from, vault_from
from umcheck.commands.scan import add_common, print_outcome
from umcheck.plan import DEFAULT_CONNECT_TIMEOUT, DEFAULT_FORKS, Timeouts
from umcheck.playbook import Play, load_playbook
from umcheck.rules.catalog import known_selector
from umcheck.scan import NothingToDo, ScanRequest, exit_code, run_scan


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a playbook of plays (e.g. playbooks/nightly.yml)")
    p.add_argument("playbook", type=Path)
    add_common(p)
    p.set_defaults(func=run)


def request_for(play: Play, base: ScanRequest) -> ScanRequest:
    t = base.timeouts
    selectors = tuple(r for r in play.rules if r.lower() != "all")
    return replace(
        base,
        pattern=play.hosts,
        selectors=selectors,
        forks=play.forks or base.forks,
        timeouts=Timeouts(connect=play.connect_timeout or t.connect, host=play.timeout or t.host, probe=t.probe),
        formats=play.reports or base.formats,
        reports_dir=Path(play.output_dir) if play.output_dir else base.reports_dir,
        history=base.history if play.history is None else play.history,
        keep_runs=play.keep_runs,
        rerun_failed=play.rerun_failed,
        failed_rule=play.failed_rule,
        extra_vars={**dict(play.vars), **base.extra_vars},
    )


def run(args: argparse.Namespace) -> int:
    config = load_ansible_config()  # a play's values win over ANSIBLE_* and ansible.cfg, which win over defaults
    inventory = inventory_sources(args.inventory, config)
    vault = vault_from(args)
    book = load_playbook(args.playbook, known_selector, vault=vault)
    base = ScanRequest(
        inventory=inventory,
        limit=args.limit,
        forks=config.forks or DEFAULT_FORKS,
        timeouts=Timeouts(connect=float(config.timeout or DEFAULT_CONNECT_TIMEOUT)),
        reports_dir=args.output_dir,
        db=args.db,
        history=not args.no_history,
        extra_vars=parse_extra_vars(args.extra_vars),
        password=password_from(args),
        vault=vault,
        verbosity=args.verbose - args.quiet,
    )
    codes = []
    for play in book.plays:
        if base.verbosity >= 0:
            print(f"PLAY [{play.name}] hosts: {play.hosts}")
        try:
            outcome = asyncio.run(run_scan(request_for(play, base)))
        except NothingToDo as exc:
            print(f"umcheck: {exc}")
            codes.append(0)
            continue
        print_outcome(outcome, base.verbosity)
        codes.append(exit_code(outcome.fleet))
        if codes[-1] == 130:
            break
    return 130 if 130 in codes else max(codes, default=0)
