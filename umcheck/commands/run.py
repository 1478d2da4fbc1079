"""``umcheck run PLAYBOOK``: run each play of a playbook as a scan.

A flag given on the command line (``-f``, ``--timeout``, ``-T``, ``--format``) wins over the
play's own key, which wins over ansible.cfg and umcheck's defaults; ``-e`` wins over a play's
``vars`` (as in Ansible). The exit code is the worst over all plays: 130 if interrupted, else 1 if any
host of any play was not Ready, else 0.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace
from pathlib import Path

from umcheck.commands.options import add_dispatch_options, dispatch_from
from umcheck.commands.scan import add_group_readable, list_hosts, print_outcome
from umcheck.commands.settings import add_common, resolve
from umcheck.plan import Timeouts
from umcheck.playbook import Play, load_playbook
from umcheck.rules.catalog import known_selector
from umcheck.scan import NothingToDo, ScanRequest, exit_code, run_scan


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a playbook of plays (e.g. playbooks/nightly.yml)")
    p.add_argument("playbook", type=Path)
    add_common(p)
    add_dispatch_options(p)
    add_group_readable(p)
    p.set_defaults(func=run)


def request_for(play: Play, base: ScanRequest, explicit: frozenset[str] = frozenset()) -> ScanRequest:
    """A play's scan: a flag given on the command line wins over the play's key, which wins over
    ansible.cfg and umcheck's defaults (``explicit`` names the flags that were given)."""
    t = base.timeouts

    def pick(flag: str, play_value, base_value):
        return base_value if flag in explicit or not play_value else play_value

    selectors = tuple(r for r in play.rules if r.lower() != "all")
    return replace(
        base,
        pattern=play.hosts,
        selectors=selectors,
        forks=pick("forks", play.forks, base.forks),
        timeouts=Timeouts(
            connect=pick("connect_timeout", play.connect_timeout, t.connect),
            host=pick("timeout", play.timeout, t.host),
            probe=t.probe,
        ),  # fmt: skip
        formats=pick("format", play.reports, base.formats),
        reports_dir=Path(play.output_dir) if play.output_dir else base.reports_dir,
        history=base.history if play.history is None else play.history,
        keep_runs=play.keep_runs,
        rerun_failed=play.rerun_failed,
        failed_rule=play.failed_rule,
        extra_vars={**dict(play.vars), **base.extra_vars},
    )


def run(args: argparse.Namespace) -> int:
    common = resolve(args)
    book = load_playbook(args.playbook, known_selector, vault=common.vault)
    base = ScanRequest(
        inventory=common.inventory,
        limit=args.limit,
        forks=common.forks,
        timeouts=common.timeouts,
        formats=common.formats,
        reports_dir=args.output_dir,
        db=args.db,
        history=not args.no_history,
        extra_vars=common.extra_vars,
        password=common.password,
        vault=common.vault,
        defaults=common.defaults,
        verbosity=common.verbosity,
        group_readable=args.group_readable,
        dispatch=dispatch_from(args),
    )
    if args.list_hosts:
        print(f"\nplaybook: {args.playbook}")
        for i, play in enumerate(book.plays, 1):
            print(f"\n  play #{i} ({play.hosts}): {play.name}")
            list_hosts(request_for(play, base, common.explicit), indent="    ")
        return 0
    codes = []
    for play in book.plays:
        if base.verbosity >= 0:
            print(f"PLAY [{play.name}] hosts: {play.hosts}")
        try:
            outcome = asyncio.run(run_scan(request_for(play, base, common.explicit)))
        except NothingToDo as exc:
            print(f"umcheck: {exc}")
            codes.append(0)
            continue
        print_outcome(outcome, base.verbosity)
        codes.append(exit_code(outcome.fleet))
        if codes[-1] == 130:
            break
    return 130 if 130 in codes else max(codes, default=0)
