"""Ansible-compatible inventories: loading, variable precedence, host patterns, connection settings.

    from umcheck.inventory import load_inventory
    inv = load_inventory(["inventory/prod.yml"])
    for host in inv.select("windows:&web:!db"):
        host.connection.port
"""

from umcheck.inventory.connection import ConnectionSettings
from umcheck.inventory.inventory import Host, Inventory, load_inventory
from umcheck.inventory.patterns import split_pattern

__all__ = ["ConnectionSettings", "Host", "Inventory", "load_inventory", "split_pattern"]
