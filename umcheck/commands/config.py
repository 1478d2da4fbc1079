"""``umcheck config``: which ansible.cfg umcheck uses, and each setting with where it came from.

So a surprising default (forks from ``~/.ansible.cfg``, an inventory from ``ANSIBLE_INVENTORY``)
can be traced without reading Ansible's search rules. Only settings are shown, never a secret:
for a vault password file its path, not its content.
"""

from __future__ import annotations

import argparse

from umcheck.ansible_cfg import SETTINGS, AnsibleConfig, load_ansible_config

# What umcheck does with each setting (the lead applies the connection defaults to hosts).
USES = {
    "inventory": "used when no -i is given",
    "forks": "default for --forks",
    "timeout": "default for --connect-timeout",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="show the ansible.cfg and ANSIBLE_* settings umcheck uses")
    p.set_defaults(func=run)


def _show(value: object) -> str:
    if value is None or value == ():
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def render(config: AnsibleConfig) -> str:
    searched = "none found (ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg)"
    lines = [f"config file: {config.path or searched}"]
    lines += [f"ignored: {why}" for why in config.ignored]
    rows = [(s.name, _show(getattr(config, s.name)), str(config.origin(s.name) or "not set")) for s in SETTINGS]
    width = [max(len(r[i]) for r in rows) for i in range(2)]
    for name, value, origin in rows:
        use = f"  ({USES[name]})" if name in USES and value != "-" else ""
        lines.append(f"  {name:<{width[0]}}  {value:<{width[1]}}  {origin}{use}")
    lines.append("precedence: command-line flags > ANSIBLE_* variables > ansible.cfg > umcheck defaults")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    print(render(load_ansible_config(warn=False)))
    return 0
