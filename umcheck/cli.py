"""Command-line entry point: builds the parser from ``umcheck.commands`` and maps errors to exit codes.

Exit codes: 0 all hosts Ready, 1 some host not Ready or unreachable, 2 usage, input or environment
error (disk full, no permission: one line, never a traceback), 130 interrupted. No business logic lives here.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from umcheck import __version__
from umcheck.errors import UsageError, environment_error
from umcheck.warnings_sink import install as install_warnings

# Each module in umcheck.commands exposes ``register(subparsers)`` which adds one subcommand
# whose ``func(args) -> int`` does the work.
COMMAND_MODULES = [
    "rules",
    "evaluate",
    "inventory",
    "scan",
    "run",
    "demo",
    "sim",
    "report",
    "history",
    "diff",
    "config",
    "worker",
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        self.exit(2, f"umcheck: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="umcheck", description="Update Management readiness checks for a fleet.")
    parser.add_argument("--version", action="version", version=f"umcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"umcheck.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"umcheck.commands.{name}":
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    install_warnings()  # 'umcheck: warning: ...' on stderr, each message once
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"umcheck: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("umcheck: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # the machine refused (disk full, permissions) where no border named it
        print(
            f"umcheck: error: {environment_error(exc, 'use' if exc.filename else 'continue')}",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
