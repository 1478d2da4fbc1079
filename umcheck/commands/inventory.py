"""``umcheck inventory``: show an inventory as umcheck resolves it, shaped like ``ansible-inventory``.

``--list``/``--host`` print variables as written, templates unrendered, exactly as
``ansible-inventory`` does (secrets masked); ``--connection`` shows the rendered settings umcheck uses.
"""

from __future__ import annotations

import argparse
import gc
import json

from umcheck.ansible_cfg import inventory_sources
from umcheck.commands.options import add_vault_options, parse_extra_vars, password_from, vault_from
from umcheck.inventory import load_inventory
from umcheck.inventory.describe import render as describe_settings
from umcheck.inventory.listing import host_vars


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inventory", help="show hosts, groups and variables as umcheck resolves them")
    p.add_argument(
        "-i",
        "--inventory",
        action="append",
        default=[],
        metavar="SRC",
        help="inventory file, directory or 'host1,host2,' list (repeatable, merged in order; "
        "default: ansible.cfg's inventory)",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--list",
        action="store_true",
        help="JSON like 'ansible-inventory --list', templates as written (default)",
    )
    mode.add_argument("--graph", nargs="?", const="all", metavar="GROUP", help="tree of groups and hosts")
    mode.add_argument(
        "--host", metavar="NAME", help="one host's merged variables as JSON (templates as written)"
    )
    mode.add_argument(
        "--connection", metavar="PATTERN", help="typed connection settings of the matching hosts"
    )
    p.add_argument("-l", "--limit", metavar="PATTERN", help="only hosts matching this pattern (or @file)")
    p.add_argument(
        "-e",
        "--extra-vars",
        action="append",
        default=[],
        metavar="K=V",
        help="variables that win over the inventory",
    )
    p.add_argument(
        "--password-env", metavar="NAME", help="connection password from this environment variable"
    )
    p.add_argument("-k", "--ask-pass", action="store_true", help="prompt for the connection password")
    add_vault_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    collecting = gc.isenabled()
    gc.disable()  # possibly 100k hosts, all alive until the end: the cyclic GC would only rescan them
    try:
        return _run(args)
    finally:
        if collecting:
            gc.enable()


def _run(args: argparse.Namespace) -> int:
    inv = load_inventory(
        inventory_sources(args.inventory),
        extra_vars=parse_extra_vars(args.extra_vars),
        password=password_from(args),
        vault=vault_from(args),
    )
    mask = True  # umcheck never prints a credential
    selected = inv.select("all", limit=args.limit, check_usable=False) if args.limit else None
    if args.host:
        host = inv.get(args.host)
        inv.check_values([host])
        print(json.dumps(host_vars(host, mask, tag_unsafe=False), indent=4, sort_keys=True, default=str))
    elif args.graph:
        inv.check_values(selected)
        print(inv.graph(args.graph, selected))
    elif args.connection:
        for host in inv.select(args.connection, limit=args.limit, check_usable=False):
            if host.settings is None:
                print(f"{host.name}: not usable: {host.problem}")
            else:
                print(describe_settings(host.settings))
    else:
        inv.check_values(selected)
        print(json.dumps(inv.to_list_json(mask=mask, hosts=selected), indent=4, sort_keys=True, default=str))
    return 0
