"""Ansible Vault: decrypting vault-encrypted files and inline ``!vault`` values (formats 1.1/1.2, AES256).

    from umcheck.inventory.vault import load_vault_secrets
    secrets = load_vault_secrets(vault_ids=["prod@~/.vault_prod"])
    load_inventory(["inventory/"], vault=secrets)

Implemented from the documented format with ``cryptography``; ansible-core is never imported.
"""

from umcheck.inventory.vault.secrets import VaultSecret, VaultSecrets, load_vault_secrets

__all__ = ["VaultSecret", "VaultSecrets", "load_vault_secrets"]
