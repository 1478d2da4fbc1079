"""Option values several subcommands share: the connection password and ``-e`` variables.

The password is taken from an environment variable named on the command line or from a prompt,
never from the command line itself (it would show in ``ps`` and shell history).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from umcheck.errors import UsageError


def password_from(args: argparse.Namespace) -> str | None:
    if args.password_env:
        value = os.environ.get(args.password_env)
        if value is None:
            raise UsageError(f"--password-env {args.password_env}: that environment variable is not set")
        return value
    if args.ask_pass:
        if not sys.stdin.isatty():
            raise UsageError("--ask-pass needs a terminal; use --password-env NAME in scripts")
        return getpass.getpass("Connection password: ")
    return None


def parse_extra_vars(values: list[str]) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"-e {item!r}: expected KEY=VALUE")
        out[key.strip()] = value
    return out
