"""Option values several subcommands share: the connection password, vault passwords and ``-e`` variables.

The password is taken from an environment variable named on the command line or from a prompt,
never from the command line itself (it would show in ``ps`` and shell history). Vault passwords
come from files, scripts or a prompt, with Ansible's options and environment variables.
"""

from __future__ import annotations

import argparse
import getpass
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from umcheck.ansible_cfg import AnsibleConfig
from umcheck.errors import InputError, UsageError
from umcheck.inventory.vault import VaultSecrets, load_vault_secrets


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


def add_vault_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--vault-id", action="append", default=[], metavar="[LABEL@]SOURCE",
                   help="vault password from a file, an executable that prints it, or 'prompt' (repeatable)")
    p.add_argument("--vault-password-file", "--vault-pass-file", action="append", default=[], metavar="FILE",
                   help="vault password file or executable (repeatable)")
    p.add_argument("-J", "--ask-vault-pass", "--ask-vault-password", action="store_true",
                   help="prompt for the vault password")


def vault_from(args: argparse.Namespace, config: AnsibleConfig | None = None) -> VaultSecrets | None:
    """Vault passwords from the options, ANSIBLE_VAULT_* variables and ansible.cfg (whose values
    already have the environment applied); None if none is configured."""
    environ = dict(os.environ)
    if config is not None:
        if config.vault_password_file:
            environ["ANSIBLE_VAULT_PASSWORD_FILE"] = config.vault_password_file
        if config.vault_identity_list:
            environ["ANSIBLE_VAULT_IDENTITY_LIST"] = ",".join(config.vault_identity_list)
    return load_vault_secrets(args.vault_id, args.vault_password_file, args.ask_vault_pass, environ=environ)


def parse_extra_vars(values: list[str]) -> dict[str, Any]:
    """``-e`` as Ansible reads it: ``@file`` (YAML or JSON), a JSON/YAML mapping (``'{"k": 1}'``) or
    ``key=value`` pairs separated by spaces (quotes group, as in a shell). Later ``-e`` win."""
    out: dict[str, Any] = {}
    for item in values:
        text = item.strip()
        if text.startswith("@"):
            out.update(_vars_file(text[1:]))
        elif text.startswith(("{", "[")):
            out.update(_mapping(_yaml(text, f"-e {_short(item)}"), f"-e {_short(item)}"))
        else:
            try:
                words = shlex.split(text)
            except ValueError as exc:
                raise UsageError(f"-e {_short(item)}: {exc} (quote values with spaces)") from None
            if not words:
                raise UsageError("-e '': expected KEY=VALUE, @FILE or a JSON object")
            for word in words:
                key, sep, value = word.partition("=")
                if not sep or not key.strip():
                    raise UsageError(f"-e {_short(item)}: expected KEY=VALUE, @FILE or a JSON object")
                out[key.strip()] = value
    return out


def _short(item: str) -> str:
    """The option for an error line without its values (``-e`` often carries a password)."""
    text = item.strip()
    if text.startswith(("{", "[")):
        return "'" + text[0] + "…'"
    key = text.split("=", 1)[0].split()[0] if text.split() else ""
    return f"'{key[:40]}=…'" if "=" in text else repr(text[:40])


def _yaml(text: str, where: str) -> Any:
    """YAML or JSON through the inventory's bounded loader (depth, aliases): one line on any problem."""
    from umcheck.inventory.yaml_loader import load_yaml_text

    try:
        return load_yaml_text(text, where)
    except InputError as exc:
        raise UsageError(f"not valid YAML or JSON: {exc}") from None


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise UsageError(f"{where}: extra variables must be a mapping of names to values")
    return value


def _vars_file(path: str) -> dict[str, Any]:
    where = f"-e @{path}"
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{where}: cannot read the file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{where}: not a UTF-8 text file") from None
    if text.lstrip().startswith("$ANSIBLE_VAULT"):
        raise UsageError(f"{where}: vault-encrypted extra-vars files are not supported; "
                         "decrypt it or put the variables in the inventory's group_vars")  # fmt: skip
    return _mapping(_yaml(text, where), where)


def add_pack_option(p: argparse.ArgumentParser) -> None:
    """``--pack``: which rule pack(s) to evaluate (docs/successor.md)."""
    p.add_argument(
        "--pack",
        choices=["legacy", "successor", "all"],
        default="all",
        help="rule pack: legacy (Update Management troubleshooter), successor (Update Manager, Arc, "
        "extension worker) or all (default: both, graded side by side)",
    )


def add_dispatch_options(p: argparse.ArgumentParser) -> None:
    """``--workers`` and ``--dispatch``: how a scan fans out beyond one process (docs/scaling.md)."""
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes on this machine (default: one per 50 hosts, at most the usable "
                        "cores, so fleets under 100 hosts stay in one process; 1 = everything in this "
                        "process; --forks is divided among them)")  # fmt: skip
    p.add_argument("--dispatch", metavar="BROKER_URL",
                   help="send the hosts to 'umcheck worker' processes through this broker "
                        "(redis://HOST:PORT/DB or rediss://...), each segment to its own queue")  # fmt: skip


def dispatch_from(args: argparse.Namespace):
    """The Dispatch the options ask for; a bad value is a usage error."""
    from umcheck.dispatch import Dispatch
    from umcheck.errors import UsageError

    workers = getattr(args, "workers", None)
    broker = getattr(args, "dispatch", None)
    if workers is not None and workers < 1:
        raise UsageError(f"--workers {workers}: give 1 or more")
    if broker is not None and not broker.startswith(("redis://", "rediss://")):
        from umcheck.dispatch.celery.broker import mask  # a mistyped URL may still carry a password

        raise UsageError(f"--dispatch {mask(broker)!r}: give a Redis URL, redis://HOST:PORT/DB or rediss://HOST:PORT/DB")
    if broker and workers is not None:
        raise UsageError("--workers and --dispatch: choose one (with --dispatch, 'umcheck worker' runs the hosts)")
    return Dispatch(workers=workers, broker=broker)
