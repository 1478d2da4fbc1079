"""Decrypted text: usable as ordinary strings, invisible in reprs and listings.

``VaultText`` is the plaintext of an inline ``!vault`` value. Like Ansible 2.19 umcheck never
renders it as a template (it is an ``UnsafeStr``), and ``conceal`` lists it the way
``ansible-inventory --list`` does, ``{"__ansible_vault": "<ciphertext>"}``. ``DecryptedText``
is a string read from a vault-encrypted file; it stays a template like any value of a vars file
(as in Ansible), but a listing shows ``********`` for it: umcheck never prints a decrypted value.
Both keep their repr masked, so neither can leak through an error message built with ``!r``.
"""

from __future__ import annotations

from typing import Any

from umcheck.inventory.yaml_loader import UnsafeStr

MASK = "********"
MASKED_REPR = "<vault-encrypted>"


class DecryptedText(str):
    """Text that was vault-encrypted at rest: a decrypted file, or a string value read from one."""

    def __repr__(self) -> str:
        return MASKED_REPR


class VaultText(UnsafeStr):
    """The plaintext of one ``!vault`` value; ``vaulttext`` is the encrypted form it came from."""

    vaulttext: str

    def __new__(cls, plaintext: str, vaulttext: str = "") -> VaultText:
        obj = super().__new__(cls, plaintext)
        obj.vaulttext = vaulttext
        return obj

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]  # copy and pickle keep both
        return str(self), self.vaulttext

    def __repr__(self) -> str:
        return MASKED_REPR


def hide_strings(value: Any) -> Any:
    """Mark every string value (mapping keys stay plain) of a decrypted file; containers in place,
    so a MarkedDict keeps its lines. An ``!unsafe`` string stays unsafe."""
    if isinstance(value, (VaultText, DecryptedText)):
        return value
    if isinstance(value, UnsafeStr):
        return VaultText(value)
    if isinstance(value, str):
        return DecryptedText(value)
    if isinstance(value, dict):
        for key in list(value):
            value[key] = hide_strings(value[key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = hide_strings(item)
    return value


def _plaintexts(value: Any, found: set[str]) -> None:
    if isinstance(value, VaultText):
        if value.vaulttext and value:
            found.add(str(value))
    elif isinstance(value, dict):
        for v in value.values():
            _plaintexts(v, found)
    elif isinstance(value, list):
        for v in value:
            _plaintexts(v, found)


def _replace(value: Any, inline: set[str]) -> Any:
    if isinstance(value, VaultText) and value.vaulttext:
        return {"__ansible_vault": value.vaulttext}
    if isinstance(value, (VaultText, DecryptedText)):
        return MASK
    if isinstance(value, str):  # a rendered template may have copied an inline plaintext
        return MASK if any(p in value for p in inline) else value
    if isinstance(value, dict):
        return {k: _replace(v, inline) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, inline) for v in value]
    return value


def conceal(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` for display: ``!vault`` values as Ansible lists them, other decrypted text masked."""
    inline: set[str] = set()
    _plaintexts(values, inline)
    return _replace(values, inline)
