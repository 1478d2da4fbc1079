"""``umcheck rules``: the rule catalog as a table."""

from __future__ import annotations

import argparse

from umcheck.commands.options import add_pack_option
from umcheck.errors import UsageError
from umcheck.rules.catalog import GROUPS, pack_selectors, select_rules


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rules", help="list the rules umcheck evaluates")
    p.add_argument("--os", choices=["windows", "linux"], help="only rules for this OS")
    p.add_argument("--group", action="append", default=[], help="only this group (repeatable), e.g. connectivity")
    p.add_argument("--ids", action="store_true", help="also list every message id a rule can emit")
    add_pack_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    unknown = [g for g in args.group if g.lower() not in {x.lower() for x in GROUPS}]
    if unknown:
        raise UsageError(f"unknown rule group {unknown[0]!r}; groups are: {', '.join(GROUPS)}")
    rules = select_rules([*args.group, *pack_selectors(args.pack)] or None, args.os)
    rows = []
    for r in rules:
        row = [r.rule_id, r.os_family, r.group_id, r.name]
        if args.ids:
            row.append("\n".join(r.message_ids))
        rows.append(row)
    headers = ["RuleId", "OS", "Group", "Name"] + (["Message ids"] if args.ids else [])
    print(tabulate(rows, headers=headers, tablefmt="simple"))
    print(f"\n{len(rules)} rule(s)")
    return 0
