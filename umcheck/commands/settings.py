"""The options ``scan`` and ``run`` share, and how they combine with ansible.cfg and ANSIBLE_*.

Precedence, highest first: a flag given on the command line > (for ``run``) the play's own key >
ANSIBLE_* environment > ansible.cfg > umcheck's default. Connection defaults (``-u``,
``--private-key``, ``host_key_checking``) rank below every inventory variable, as in Ansible.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from umcheck.ansible_cfg import AnsibleConfig, inventory_sources, load_ansible_config
from umcheck.commands.options import add_vault_options, parse_extra_vars, password_from, vault_from
from umcheck.errors import UsageError
from umcheck.inventory.connection import ConnectionDefaults
from umcheck.inventory.vault import VaultSecrets
from umcheck.plan import DEFAULT_CONNECT_TIMEOUT, DEFAULT_FORKS, DEFAULT_TIMEOUT, Timeouts
from umcheck.reports import FORMATS, parse_formats
from umcheck.scan import DEFAULT_FORMATS
from umcheck.store.url import db_arg


def add_common(p: argparse.ArgumentParser) -> None:
    """Options shared by ``scan`` and ``run``; a flag given here wins over a play's own value."""
    p.add_argument("-i", "--inventory", action="append", default=[], metavar="SRC",
                   help="inventory file, directory or dynamic source (repeatable; default: ansible.cfg inventory)")
    p.add_argument("-l", "--limit", metavar="PATTERN", help="further limit the hosts (Ansible pattern, or @file)")
    p.add_argument("-e", "--extra-vars", action="append", default=[], metavar="VARS",
                   help="variables that win over the inventory: KEY=VALUE ..., @FILE (YAML/JSON) or a JSON object")
    p.add_argument("-u", "--user", metavar="USER",
                   help="connection user for hosts whose inventory sets no ansible_user (default: ansible.cfg remote_user)")
    p.add_argument("--private-key", "--key-file", dest="private_key", metavar="FILE",
                   help="SSH private key for hosts whose inventory sets none (default: ansible.cfg private_key_file)")
    p.add_argument("-k", "--ask-pass", action="store_true", help="prompt for the connection password")
    p.add_argument("--password-env", metavar="NAME", help="take the connection password from this environment variable")
    add_vault_options(p)
    p.add_argument("-f", "--forks", type=int, help=f"hosts scanned at once (default: ansible.cfg forks, else {DEFAULT_FORKS})")
    p.add_argument("--timeout", type=float,
                   help=f"per-host deadline in seconds, collector included (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("-T", "--connect-timeout", type=float,
                   help=f"connect timeout in seconds, Ansible's -T (default: ansible.cfg timeout, else {DEFAULT_CONNECT_TIMEOUT:g})")
    p.add_argument("--format", action="append", default=[],
                   help=f"report formats, comma-separated: {', '.join(FORMATS)} or all (default: {','.join(DEFAULT_FORMATS)})")
    p.add_argument("--list-hosts", action="store_true", help="print the hosts that would be scanned and exit, scanning nothing")
    p.add_argument("-o", "--output-dir", type=Path, default=Path("reports"), help="reports folder (default: reports)")
    p.add_argument("--db", type=db_arg, metavar="PATH|URL",
                   help="history database: a SQLite file (default: <output-dir>/umcheck.db) or "
                        "postgresql://user@host[:port]/dbname (password: PGPASSWORD, ~/.pgpass or UMCHECK_DB_PASSWORD)")
    p.add_argument("--no-history", action="store_true", help="do not record the run in the history database")
    p.add_argument("-q", "--quiet", action="count", default=0, help="less output")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="more output: -v every host, -vv the plan and connection settings, -vvv transport events")


@dataclass(frozen=True)
class CommonSettings:
    inventory: list[str]
    forks: int
    timeouts: Timeouts
    formats: tuple[str, ...]
    defaults: ConnectionDefaults
    vault: VaultSecrets | None
    password: str | None
    extra_vars: dict[str, Any]
    verbosity: int
    explicit: frozenset[str]  # forks, timeout, connect_timeout, format: given on the command line
    config: AnsibleConfig


def resolve(args: argparse.Namespace) -> CommonSettings:
    config = load_ansible_config()
    forks = args.forks if args.forks is not None else config.forks or DEFAULT_FORKS
    connect = args.connect_timeout if args.connect_timeout is not None else float(config.timeout or DEFAULT_CONNECT_TIMEOUT)
    host = args.timeout if args.timeout is not None else DEFAULT_TIMEOUT
    for name, value in (("--forks", forks), ("--timeout", host), ("--connect-timeout", connect)):
        if value <= 0:
            raise UsageError(f"{name} must be positive")
    explicit = {name for name in ("forks", "timeout", "connect_timeout") if getattr(args, name) is not None}
    if args.format:
        explicit.add("format")
    return CommonSettings(
        inventory=inventory_sources(args.inventory, config),
        forks=forks,
        timeouts=Timeouts(connect=connect, host=host, probe=getattr(args, "probe_timeout", None) or 5.0),
        formats=tuple(parse_formats(args.format)) if args.format else DEFAULT_FORMATS,
        defaults=ConnectionDefaults(
            user=args.user or config.remote_user,
            private_key_file=args.private_key or config.private_key_file,
            host_key_checking=config.host_key_checking,
        ),
        vault=vault_from(args, config),
        password=password_from(args),
        extra_vars=parse_extra_vars(args.extra_vars),
        verbosity=args.verbose - args.quiet,
        explicit=frozenset(explicit),
        config=config,
    )
