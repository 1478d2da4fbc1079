"""Connection settings as an admin reads them: ``inventory --connection`` and ``scan -vv``.

One line per setting that matters for the host's connection type, in the words of the Ansible
variables that set them; the password is only ever "set" or "not set".
"""

from __future__ import annotations

from umcheck.inventory.connection import ConnectionSettings
from umcheck.reports.escape import one_line


def _onoff(value: bool) -> str:
    return "on" if value else "off (turned off for this host)"


def _endpoint(s: ConnectionSettings) -> str:
    if s.connection in ("winrm", "psrp"):
        scheme = s.scheme or "https"  # resolved at load; the fallback is Ansible's default
        port = s.port or (5986 if scheme == "https" else 5985)
        return f"{scheme}://{s.host}:{port}/{(s.path or 'wsman').lstrip('/')}"
    if s.connection == "ssh":
        return f"ssh://{s.host}:{s.port or 22}"
    return s.host


def _kerberos(s: ConnectionSettings) -> bool:
    if s.connection == "winrm":
        return "kerberos" in s.winrm_transport
    if s.connection == "psrp":
        auth = s.psrp_auth or "negotiate"
        return auth == "kerberos" or (auth == "negotiate" and bool(s.kerberos_hostname_override or s.kinit_mode))
    return False


def describe(s: ConnectionSettings) -> list[tuple[str, str]]:
    """(label, value) pairs for one host, secrets reduced to set / not set."""
    rows: list[tuple[str, str]] = [
        ("connection", s.connection),
        ("os", s.os),
        ("endpoint", _endpoint(s)),
        ("user", s.user or "(none)"),
        ("password", "set" if s.password else "not set"),
    ]
    if s.connection == "winrm":
        rows.append(("auth", ", ".join(s.winrm_transport) or "default"))
    if s.connection == "psrp":
        rows.append(("auth", s.psrp_auth or "negotiate"))
        if s.psrp_configuration_name:
            rows.append(("configuration", s.psrp_configuration_name))
    if _kerberos(s):
        from umcheck.transports.kerberos import kinit_mode

        managed = kinit_mode(s.kinit_mode, s.password) == "managed"
        rows.append(("Kerberos", "managed kinit (with the password)" if managed else "manual (an existing ticket)"))
        if s.kerberos_hostname_override:
            rows.append(("Kerberos SPN host name", s.kerberos_hostname_override))
        if s.kerberos_delegation:
            rows.append(("Kerberos delegation", "on (the TGT is forwarded to the host)"))
    if s.connection in ("winrm", "psrp") and (s.scheme or "https") == "https":
        rows.append(("TLS certificate validation", _onoff(s.cert_validation)))
        if s.ca_trust_path:
            rows.append(("CA bundle", s.ca_trust_path))
        if s.message_encryption:
            rows.append(("message encryption", s.message_encryption))
        if s.cert_pem:
            rows.append(("client certificate", f"{s.cert_pem} (key {s.cert_key_pem or 'in the same file'})"))
    if s.connection == "ssh":
        rows.append(("SSH host key checking", _onoff(s.ssh_host_key_checking)))
        if s.ssh_private_key_file:
            rows.append(("private key", s.ssh_private_key_file))
        if s.known_hosts:
            rows.append(("known_hosts", s.known_hosts))
    timeouts = [f"{name} {value:g}s" for name, value in (("connect", s.connect_timeout), ("host", s.timeout),
                                                          ("probe", s.probe_timeout)) if value]  # fmt: skip
    if timeouts:
        rows.append(("timeouts", ", ".join(timeouts)))
    rows.append(("cloud", s.cloud + (f", Automation account in {s.automation_account_location}"
                                     if s.automation_account_location else ", Automation account region not set")))  # fmt: skip
    if s.is_azure is not None:
        rows.append(("Azure VM", "yes" if s.is_azure else "no"))
    return rows


def render(s: ConnectionSettings) -> str:
    """The host name, then one indented ``label: value`` line per setting."""
    rows = describe(s)
    width = max(len(label) for label, _ in rows)
    # Inventory text (names, addresses, user names) may carry escape sequences: never raw on a terminal.
    return "\n".join([f"{one_line(s.name)}:"] + [f"  {label:<{width}}  {one_line(value)}" for label, value in rows])
