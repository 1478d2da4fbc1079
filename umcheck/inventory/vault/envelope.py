"""The Ansible Vault envelope (formats 1.1 and 1.2, cipher AES256) and its decryption.

    $ANSIBLE_VAULT;1.1;AES256                 $ANSIBLE_VAULT;1.2;AES256;<vault-id>
    <hex, in lines of 80>                     <hex, in lines of 80>

The hex decodes to three lines: hex(salt), hex(HMAC), hex(ciphertext). PBKDF2-HMAC-SHA256 of the
password and salt (10000 rounds) gives 80 bytes: AES-256 key, HMAC-SHA256 key, CTR counter.
The HMAC is checked in constant time before anything is decrypted, so a wrong password is
told apart from damaged data and never yields garbage. The vault id is a label to pick the
password to try first; it is not authenticated.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

HEADER = "$ANSIBLE_VAULT"
DEFAULT_VAULT_ID = "default"  # the id of a 1.1 envelope and of passwords given without a label
VERSIONS = ("1.1", "1.2")
CIPHERS = ("AES256",)
_ROUNDS = 10000
_KEY_LEN = 32
_IV_LEN = 16


class VaultFormatError(ValueError):
    """Text that starts like vault data but cannot be parsed (edited, truncated, unknown cipher)."""


@dataclass(frozen=True)
class Envelope:
    """One parsed vault blob."""

    version: str
    cipher: str
    vault_id: str
    salt: bytes = field(repr=False)
    hmac: bytes = field(repr=False)
    ciphertext: bytes = field(repr=False)


def is_vaulted(text: str) -> bool:
    return text.lstrip().startswith(HEADER)


def _unhex(data: bytes | str) -> bytes:
    try:
        return binascii.unhexlify(data)
    except (binascii.Error, ValueError):
        raise VaultFormatError("the encrypted lines are not hex data (edited or truncated?)") from None


def parse_envelope(text: str) -> Envelope:
    """Split header and payload; raises VaultFormatError naming what is wrong."""
    lines = text.strip().splitlines()
    header = [part.strip() for part in lines[0].split(";")] if lines else []
    if len(header) < 3 or header[0] != HEADER:
        raise VaultFormatError("the first line must be a vault header such as '$ANSIBLE_VAULT;1.1;AES256'")
    version, cipher = header[1], header[2]
    if version not in VERSIONS:
        raise VaultFormatError(f"vault format {version!r} is not supported (only {' and '.join(VERSIONS)})")
    if cipher not in CIPHERS:
        raise VaultFormatError(f"vault cipher {cipher!r} is not supported (only {', '.join(CIPHERS)})")
    vault_id = header[3] if len(header) > 3 and header[3] else DEFAULT_VAULT_ID
    parts = _unhex("".join(line.strip() for line in lines[1:])).split(b"\n", 2)
    if len(parts) != 3:
        raise VaultFormatError("the encrypted lines do not hold salt, HMAC and data (edited or truncated?)")
    return Envelope(version, cipher, vault_id, _unhex(parts[0]), _unhex(parts[1]), _unhex(parts[2]))


def decrypt(envelope: Envelope, password: bytes) -> bytes | None:
    """The plaintext, or None if ``password`` is not the one the envelope was encrypted with."""
    keys = PBKDF2HMAC(algorithm=hashes.SHA256(), length=2 * _KEY_LEN + _IV_LEN, salt=envelope.salt,
                      iterations=_ROUNDS).derive(password)
    aes_key, mac_key, counter = keys[:_KEY_LEN], keys[_KEY_LEN:2 * _KEY_LEN], keys[2 * _KEY_LEN:]
    mac = HMAC(mac_key, hashes.SHA256())
    mac.update(envelope.ciphertext)
    try:
        mac.verify(envelope.hmac)  # constant-time comparison
    except InvalidSignature:
        return None
    decryptor = Cipher(algorithms.AES(aes_key), modes.CTR(counter)).decryptor()
    padded = decryptor.update(envelope.ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise VaultFormatError("the decrypted data has invalid padding") from None
