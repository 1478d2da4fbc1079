"""Vault passwords: where they come from and the order they are tried in, as Ansible does it.

Sources in Ansible's order: ``ANSIBLE_VAULT_IDENTITY_LIST``, each ``--vault-id [LABEL@]SOURCE``,
each ``--vault-password-file``, ``ANSIBLE_VAULT_PASSWORD_FILE``, then ``--ask-vault-pass``. A
SOURCE is ``prompt``, a file (its content, whitespace stripped) or an executable (its stdout;
one named ``*-client[.ext]`` is asked ``--vault-id LABEL``). Every source is read once, up front.
Unlike Ansible, which warns about a broken source and carries on if another one works, any
broken source stops umcheck: a typo in a path should not surface later as "no password fits".
Passwords are bytes and never appear in a repr or a message.
"""

from __future__ import annotations

import getpass
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from umcheck.errors import InputError, UsageError
from umcheck.inventory.vault.envelope import (
    DEFAULT_VAULT_ID,
    Envelope,
    VaultFormatError,
    decrypt,
    is_vaulted,
    parse_envelope,
)

PROMPT = "prompt"
_CLIENT_UNKNOWN_ID = 2  # exit code of a client script that has no password for the label
_TRUE = ("1", "true", "yes", "on", "y", "t")

Prompt = Callable[[str], str]


@dataclass(frozen=True)
class VaultSecret:
    """One password and its vault id; ``source`` says where it came from (for messages)."""

    vault_id: str
    source: str
    password: bytes = field(repr=False)


class VaultSecrets:
    """The passwords to try. For a vault with id X: those labelled X first, then the rest in the
    order given (with ``id_match``, as ANSIBLE_VAULT_ID_MATCH=true, only those labelled X)."""

    def __init__(self, secrets: Iterable[VaultSecret] = (), *, id_match: bool = False) -> None:
        self._secrets = tuple(secrets)
        self.id_match = id_match

    def __len__(self) -> int:
        return len(self._secrets)

    def __iter__(self) -> Iterator[VaultSecret]:
        return iter(self._secrets)

    def __repr__(self) -> str:
        return f"VaultSecrets(ids={self.ids!r})"

    @property
    def ids(self) -> list[str]:
        return list(dict.fromkeys(s.vault_id for s in self._secrets))

    def candidates(self, vault_id: str) -> list[VaultSecret]:
        matching = [s for s in self._secrets if s.vault_id == vault_id]
        if self.id_match:
            return matching
        return matching + [s for s in self._secrets if s.vault_id != vault_id]

    def decrypt(self, envelope: Envelope) -> bytes | None:
        """The plaintext, or None when no password fits."""
        for secret in self.candidates(envelope.vault_id):
            plaintext = decrypt(envelope, secret.password)
            if plaintext is not None:
                return plaintext
        return None


def terminal_prompt(text: str) -> str:
    if not sys.stdin.isatty():
        raise UsageError("a vault password prompt needs a terminal; use --vault-password-file FILE in scripts")
    return getpass.getpass(text)


def split_vault_id(value: str) -> tuple[str | None, str]:
    """``dev@~/.vault_dev`` -> ("dev", "~/.vault_dev"); ``prompt`` -> (None, "prompt")."""
    label, sep, source = value.partition("@")
    if not sep:
        label, source = "", value
    if not source:
        raise UsageError(f"--vault-id {value!r}: expected [LABEL@]SOURCE, SOURCE being a password file, "
                         "an executable or 'prompt'")
    return label or None, source


def _executable(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))


def _run_script(path: Path, source: str, label: str | None) -> bytes:
    client = os.path.splitext(source)[0].endswith("-client")
    command = [os.path.abspath(path)] + (["--vault-id", label] if client and label else [])
    try:  # stdin and stderr stay the terminal's: such scripts may ask the user something
        proc = subprocess.run(command, stdout=subprocess.PIPE, check=False)
    except OSError as exc:
        raise InputError(f"cannot run vault password script ({exc.strerror or exc}); if it is not a script, "
                         "remove its executable bit", path=source) from None
    if client and proc.returncode == _CLIENT_UNKNOWN_ID:
        raise InputError(f"vault password client script has no password for vault id '{label}'", path=source)
    if proc.returncode != 0:
        raise InputError(f"vault password script exited with code {proc.returncode}", path=source)
    return proc.stdout.strip(b"\r\n")


def _read_file(path: Path, source: str, known: VaultSecrets) -> bytes:
    try:
        content = path.read_bytes().strip()
    except OSError as exc:
        raise InputError(f"cannot read vault password file: {exc.strerror or exc}", path=source) from None
    text = content.decode("ascii", errors="replace")
    if is_vaulted(text):  # a password file may itself be encrypted with a password given before it
        try:
            plaintext = known.decrypt(parse_envelope(text))
        except VaultFormatError as exc:
            raise InputError(f"malformed vault data: {exc}", path=source) from None
        if plaintext is None:
            raise InputError("this vault password file is itself encrypted and no vault password given "
                             "before it fits", path=source)
        content = plaintext
    return content.strip(b"\r\n")


def _load_one(label: str | None, source: str, given_with: str, known: VaultSecrets,
              prompt: Prompt) -> VaultSecret:
    vault_id = label or DEFAULT_VAULT_ID
    if source == PROMPT:
        text = prompt("Vault password: " if given_with == "--ask-vault-pass" else f"Vault password ({vault_id}): ")
        password = text.encode("utf-8").strip()
        if not password:
            raise UsageError(f"{given_with}: the vault password is empty")
        return VaultSecret(vault_id, PROMPT, password)
    path = Path(os.path.expanduser(source))
    if not path.exists():
        raise InputError(f"vault password file not found (given with {given_with})", path=source)
    if path.is_dir():
        raise InputError(f"is a directory, not a vault password file (given with {given_with})", path=source)
    password = _run_script(path, source, label) if _executable(path) else _read_file(path, source, known)
    if not password:
        raise InputError("the vault password is empty", path=source)
    return VaultSecret(vault_id, source, password)


def load_vault_secrets(vault_ids: Sequence[str] = (), password_files: Sequence[str] = (), ask: bool = False,
                       environ: Mapping[str, str] | None = None, prompt: Prompt | None = None) -> VaultSecrets | None:
    """Read every password source (options plus Ansible's environment variables); None if there is none."""
    env = os.environ if environ is None else environ
    entries: list[tuple[str | None, str, str]] = []  # (label, source, option or variable that gave it)
    for item in env.get("ANSIBLE_VAULT_IDENTITY_LIST", "").split(","):
        if item.strip():
            entries.append((*split_vault_id(item.strip()), "ANSIBLE_VAULT_IDENTITY_LIST"))
    entries += [(*split_vault_id(item), "--vault-id") for item in vault_ids]
    entries += [(DEFAULT_VAULT_ID, path, "--vault-password-file") for path in password_files]
    if env.get("ANSIBLE_VAULT_PASSWORD_FILE"):
        entries.append((DEFAULT_VAULT_ID, env["ANSIBLE_VAULT_PASSWORD_FILE"], "ANSIBLE_VAULT_PASSWORD_FILE"))
    if ask:
        entries.append((None, PROMPT, "--ask-vault-pass"))
    if not entries:
        return None
    loaded: list[VaultSecret] = []
    for label, source, given_with in entries:
        loaded.append(_load_one(label, source, given_with, VaultSecrets(loaded), prompt or terminal_prompt))
    id_match = env.get("ANSIBLE_VAULT_ID_MATCH", "").strip().lower() in _TRUE
    return VaultSecrets(loaded, id_match=id_match)
