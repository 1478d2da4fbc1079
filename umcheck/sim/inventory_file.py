"""The Ansible-style YAML inventory that points at a running fleet.

Passwords are never written: ``ansible_password`` is a Jinja lookup of an environment variable,
as a user would write it by hand. HTTPS hosts get the fleet CA; SSH hosts get the fleet's
known_hosts file in ``umcheck_known_hosts``. Kerberos hosts of the fleet's own realm get
``user@SIM.UMCHECK.TEST`` and the hostname override naming their SPN (``<name>.sim.umcheck.test``);
the header says which ``KRB5_CONFIG`` to export.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from umcheck.sim.fleet import Fleet, SimHost

GROUPS = ("windows_winrm", "windows_psrp", "linux")


def _host_vars(fleet: Fleet, h: SimHost, password_env: str) -> dict[str, Any]:
    env = h.spec.password_env or password_env
    v: dict[str, Any] = {
        "ansible_host": h.address,
        "ansible_port": h.port,
        "ansible_user": h.credentials.user,
    }
    auth = h.spec.client_auth
    if h.os == "linux":
        v["ansible_connection"] = "ssh"
        if auth == "key":
            v["ansible_ssh_private_key_file"] = str(fleet.client_key_file)
        else:
            v["ansible_password"] = f"{{{{ lookup('env', '{env}') }}}}"
        v["umcheck_known_hosts"] = str(fleet.known_hosts)
        v["ansible_ssh_common_args"] = f"-o UserKnownHostsFile={fleet.known_hosts} -o StrictHostKeyChecking=yes"
    else:
        v["ansible_password"] = f"{{{{ lookup('env', '{env}') }}}}"
        scheme = "https" if h.spec.https else "http"
        if h.transport.startswith("winrm"):
            v["ansible_connection"] = "winrm"
            v["ansible_winrm_scheme"] = scheme
            v["ansible_winrm_transport"] = "ssl" if (auth == "basic" and h.spec.https) else auth
            if h.spec.https:
                v["ansible_winrm_ca_trust_path"] = str(fleet.ca_file)
        else:
            v["ansible_connection"] = "psrp"
            v["ansible_psrp_protocol"] = scheme
            v["ansible_psrp_auth"] = auth
            if h.spec.https:
                v["ansible_psrp_ca_cert"] = str(fleet.ca_file)
                v["ansible_winrm_ca_trust_path"] = str(fleet.ca_file)
            elif auth == "basic":
                v["ansible_psrp_message_encryption"] = "never"
    if auth == "kerberos" and fleet.kdc is not None:  # the fleet's own realm (`umcheck sim start`, kdc.py)
        v["ansible_user"] = fleet.kerberos_user(h.credentials.user)
        override = ("ansible_winrm_kerberos_hostname_override" if h.transport.startswith("winrm")
                    else "ansible_psrp_negotiate_hostname_override")  # fmt: skip
        v[override] = fleet.kerberos_fqdn(h.name)  # the SPN's name; ansible_host stays the 127.x address
    cc = fleet.client_certs.get(h.name) if auth == "certificate" else None
    if cc is not None:  # WinRM/PSRP certificate auth: the fleet CA issued this host's mapped client certificate
        winrm = h.transport.startswith("winrm")
        v["ansible_winrm_cert_pem" if winrm else "ansible_psrp_certificate_pem"] = str(cc.cert_file)
        v["ansible_winrm_cert_key_pem" if winrm else "ansible_psrp_certificate_key_pem"] = str(cc.key_file)
    v["umcheck_automation_account_location"] = h.spec.location
    v["sim_states"] = list(h.spec.states)  # what the simulator was told; plain vars, ignored by umcheck
    if h.spec.faults:
        v["sim_faults"] = list(h.spec.faults)
    return v


def inventory_dict(fleet: Fleet, password_env: str = "UMCHECK_SIM_PASSWORD") -> dict[str, Any]:
    children: dict[str, Any] = {g: {"hosts": {}} for g in GROUPS}
    for h in fleet.hosts:
        children[h.group]["hosts"][h.name] = _host_vars(fleet, h, password_env)
    children = {g: c for g, c in children.items() if c["hosts"]}
    return {"all": {"children": children}}


def write_inventory(fleet: Fleet, path: Path | str, password_env: str = "UMCHECK_SIM_PASSWORD") -> Path:
    path = Path(path)
    header = (
        "# Written by 'umcheck sim start': every host below is simulated on this machine's loopback.\n"
        f"# Passwords are read from the environment variable {password_env}; none is stored here.\n"
    )
    if fleet.kdc is not None:
        header += (f"# Kerberos hosts: realm {fleet.kdc.realm} on 127.0.0.1:{fleet.kdc.port}; before scanning:\n"
                   f"#   export KRB5_CONFIG={fleet.krb5_conf}\n")  # fmt: skip
    path.write_text(header + yaml.safe_dump(inventory_dict(fleet, password_env), sort_keys=False, width=200))
    return path
