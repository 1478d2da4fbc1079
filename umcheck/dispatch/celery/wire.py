"""What a chunk task carries: per host its variables as written, never a credential in clear text.

Host variables travel unrendered (templates as written, so ``lookup('env', …)`` runs on the
worker). Vault-protected values travel encrypted: an inline ``!vault`` value as its original
ciphertext; a value read from a vault-encrypted *file* (which has no ciphertext of its own) is
encrypted again with the controller's first vault password, so the workers need the same vault
password (``umcheck worker --vault-password-file``). A password variable that is (or, through
templates, refers to) a literal string is refused before anything is sent (``literal_password``).
"""

from __future__ import annotations

import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from umcheck.inventory.connection import ConnectionDefaults
from umcheck.inventory.vault import VaultSecret, VaultSecrets
from umcheck.inventory.vault.plaintext import DecryptedText, VaultText
from umcheck.inventory.yaml_loader import UnsafeStr
from umcheck.plan import RunOptions, Timeouts
from umcheck.state.cells import Cell
from umcheck.typed_load import dump, load_dataclass

VERSION = 1
VAULT = "__ansible_vault"
UNSAFE = "__ansible_unsafe"
TEMPLATE = "__umcheck_template"  # a re-encrypted value from a vault file: still a template, as it was there
WHERE = "<dispatched variables>"
# The variables that hold a connection password (umcheck.inventory.connection reads these).
PASSWORD_VARS = ("ansible_password", "ansible_winrm_pass", "ansible_winrm_password", "ansible_ssh_pass",
                 "ansible_ssh_password")  # fmt: skip


class NoVaultPassword(Exception):
    """A value from a vault-encrypted file must be re-encrypted, but no vault password is loaded."""


@dataclass(frozen=True)
class HostWork:
    """One host of a chunk: its unrendered variables, groups, and the cells carried into partial runs."""

    name: str
    vars: dict[str, Any]  # packed (see pack)
    groups: list[str] = field(default_factory=list)
    earlier: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Chunk:
    """One task: hosts of one segment, the run's options and the run-wide connection defaults."""

    run_id: str
    segment: str
    options: dict[str, Any]
    hosts: list[HostWork]
    defaults: dict[str, Any] | None = None
    version: int = VERSION

    def to_json(self) -> dict[str, Any]:
        return dump(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Chunk:
        if data.get("version") != VERSION:
            raise ValueError(f"chunk format {data.get('version')!r}, this worker reads {VERSION}: upgrade umcheck")
        return load_dataclass(cls, data, capped=False)

    def run_options(self) -> RunOptions:
        return options_from(self.options)

    def connection_defaults(self) -> ConnectionDefaults | None:
        return None if self.defaults is None else load_dataclass(ConnectionDefaults, self.defaults, capped=False)

    def earlier(self) -> dict[str, dict[str, Cell]]:
        return {h.name: {c["rule_id"]: load_dataclass(Cell, c, capped=False) for c in h.earlier}
                for h in self.hosts if h.earlier}  # fmt: skip


def options_json(options: RunOptions) -> dict[str, Any]:
    """RunOptions as JSON (nothing secret in them: limits, rule selectors, probe overrides)."""
    return {f.name: _plain(getattr(options, f.name)) for f in fields(options)}


def _plain(value: Any) -> Any:
    if isinstance(value, Timeouts):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def options_from(data: Mapping[str, Any]) -> RunOptions:
    known = {f.name for f in fields(RunOptions)}
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name not in known:
            continue  # a newer controller's option this worker does not know
        if name == "timeouts":
            value = Timeouts(**{k: float(v) for k, v in value.items()})
        elif isinstance(value, list):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        values[name] = value
    return RunOptions(**values)


def earlier_cells(cells: Mapping[str, Cell] | None) -> list[dict[str, Any]]:
    return [dump(c) for c in (cells or {}).values()]


# -- packing values -----------------------------------------------------------------------------


def pack(value: Any, vault: VaultSecrets | None) -> Any:
    """JSON for one variable value, vault values encrypted (see the module docstring)."""
    if isinstance(value, VaultText):
        text = value.vaulttext or encrypt(str(value), _first(vault))
        return {VAULT: text}
    if isinstance(value, DecryptedText):
        return {VAULT: encrypt(str(value), _first(vault)), TEMPLATE: True}
    if isinstance(value, UnsafeStr):
        return {UNSAFE: str(value)}
    if isinstance(value, Mapping):
        return {str(k): pack(v, vault) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [pack(v, vault) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value if not isinstance(value, str) else str(value)
    return str(value)


def unpack(value: Any, vault: VaultSecrets | None) -> Any:
    """The inverse of ``pack`` on the worker, decrypting with the worker's own vault passwords."""
    if isinstance(value, dict):
        if VAULT in value and isinstance(value[VAULT], str):
            from umcheck.inventory.vault.decrypt import decrypt_text

            plaintext = decrypt_text(value[VAULT], vault, WHERE, None, "value")
            return DecryptedText(plaintext) if value.get(TEMPLATE) else VaultText(plaintext, value[VAULT])
        if UNSAFE in value and isinstance(value[UNSAFE], str) and len(value) == 1:
            return UnsafeStr(value[UNSAFE])
        return {k: unpack(v, vault) for k, v in value.items()}
    if isinstance(value, list):
        return [unpack(v, vault) for v in value]
    return value


def _first(vault: VaultSecrets | None) -> VaultSecret:
    for secret in vault or ():
        return secret
    raise NoVaultPassword("a value read from a vault-encrypted file needs a vault password to travel encrypted")


def encrypt(plaintext: str, secret: VaultSecret) -> str:
    """Ansible Vault 1.1/1.2 AES256 (the inverse of ``vault.envelope.decrypt``), with a fresh salt."""
    from cryptography.hazmat.primitives import hashes, padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.hmac import HMAC
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

    salt = os.urandom(32)
    derived = PBKDF2HMAC(algorithm=hashes.SHA256(), length=80, salt=salt, iterations=10000).derive(secret.password)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext.encode("utf-8")) + padder.finalize()
    encryptor = Cipher(algorithms.AES(derived[:32]), modes.CTR(derived[64:])).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    mac = HMAC(derived[32:64], hashes.SHA256())
    mac.update(ciphertext)
    body = b"\n".join(binascii.hexlify(p) for p in (salt, mac.finalize(), ciphertext))
    hexed = binascii.hexlify(body).decode("ascii")
    header = "$ANSIBLE_VAULT;1.1;AES256" if secret.vault_id == "default" else f"$ANSIBLE_VAULT;1.2;AES256;{secret.vault_id}"
    return "\n".join([header, *(hexed[i : i + 80] for i in range(0, len(hexed), 80))])


# -- the literal-password check -----------------------------------------------------------------


def literal_password(values: Mapping[str, Any]) -> str | None:
    """The password variable whose value is a literal in clear text (directly or through templates
    referring to other variables), or None. Vault values and lookups (env, file on the worker) pass."""
    for name in PASSWORD_VARS:
        if name in values and _literal(values[name], values, 0):
            return name
    return None


def _literal(value: Any, values: Mapping[str, Any], depth: int) -> bool:
    if isinstance(value, (VaultText, DecryptedText)) or value is None or depth > 20:
        return False
    if isinstance(value, UnsafeStr) or not isinstance(value, str):
        return not isinstance(value, (dict, list))
    from umcheck.inventory.templating import is_template

    if not is_template(value):
        return value != ""
    return any(_literal(values[ref], values, depth + 1) for ref in _references(value) if ref in values)


def _references(template: str) -> set[str]:
    import jinja2
    from jinja2 import meta

    try:
        return set(meta.find_undeclared_variables(jinja2.Environment().parse(template)))
    except jinja2.TemplateError:
        return set()
