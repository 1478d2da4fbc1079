"""Decrypting for the loaders: one vault blob in, plaintext out, or a one-line InputError at file:line.

Messages name the file and line and what to pass; they never hold a password or a plaintext.
"""

from __future__ import annotations

from typing import Any

from umcheck.errors import InputError
from umcheck.inventory.vault.envelope import VaultFormatError, parse_envelope
from umcheck.inventory.vault.plaintext import DecryptedText, VaultText, hide_strings
from umcheck.inventory.vault.secrets import VaultSecrets

HOW = "pass --vault-id [LABEL@]FILE, --vault-password-file FILE or --ask-vault-pass"


def decrypt_text(vaulttext: str, secrets: VaultSecrets | None, path: str, line: int | None, what: str) -> str:
    """Decrypt one vault blob (``what`` is "value" or "file") into text."""
    if not secrets:
        raise InputError(f"vault-encrypted {what}, but no vault password was given; {HOW}", path=path, line=line)
    try:
        envelope = parse_envelope(vaulttext)
    except VaultFormatError as exc:
        raise InputError(f"malformed vault-encrypted {what}: {exc}", path=path, line=line) from None
    plaintext = secrets.decrypt(envelope)
    if plaintext is None:
        tried = ", ".join(secrets.ids)
        raise InputError(f"cannot decrypt this vault-encrypted {what} (vault id '{envelope.vault_id}'): no vault "
                         f"password given fits (tried vault ids: {tried}); pass the right one with --vault-id "
                         f"{envelope.vault_id}@FILE or --vault-password-file FILE", path=path, line=line)
    try:
        return plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"the decrypted {what} is not UTF-8 text", path=path, line=line) from None


def decrypt_value(vaulttext: str, secrets: VaultSecrets | None, path: str, line: int | None) -> VaultText:
    """An inline ``!vault`` value, kept masked in reprs and listings."""
    return VaultText(decrypt_text(vaulttext, secrets, path, line, "value"), vaulttext)


def decrypt_file(text: str, secrets: VaultSecrets | None, path: str) -> DecryptedText:
    """The text of a vault-encrypted file; parsers pass it to ``hide_if_decrypted`` with what they built."""
    return DecryptedText(decrypt_text(text, secrets, path, 1, "file"))


def hide_if_decrypted(text: str, doc: Any) -> Any:
    """``doc`` parsed from ``text``; if that was a decrypted file, its string values are marked."""
    return hide_strings(doc) if isinstance(text, DecryptedText) else doc
