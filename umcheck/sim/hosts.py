"""HostSpec: everything the simulator needs to know about one simulated host."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from umcheck.sim.auth import Credentials
from umcheck.sim.faults import check_faults
from umcheck.sim.machines import DEFAULT_ACCOUNT, DEFAULT_WORKSPACE, Machine, check_states

# transport -> (os, inventory group)
TRANSPORTS: dict[str, tuple[str, str]] = {
    "winrm": ("windows", "windows_winrm"),
    "winrm-https": ("windows", "windows_winrm"),
    "psrp": ("windows", "windows_psrp"),
    "psrp-https": ("windows", "windows_psrp"),
    "ssh": ("linux", "linux"),
}
# what the inventory tells clients to use; the server accepts all of them
CLIENT_AUTH = {"winrm": ("ntlm", "basic"), "winrm-https": ("ntlm", "basic"), "psrp": ("ntlm", "negotiate", "basic"),
               "psrp-https": ("negotiate", "ntlm", "basic"), "ssh": ("password", "key")}  # fmt: skip
# HTTPS only, and the server then also accepts them: client certificates (certauth.py), CredSSP (credssp.py)
CLIENT_AUTH["winrm-https"] += ("certificate", "credssp")
CLIENT_AUTH["psrp-https"] += ("certificate", "credssp")
# Kerberos with a keytab (kerberos.py; the realm comes from kdc.py or a real KDC)
for _t in ("winrm", "winrm-https", "psrp", "psrp-https"):
    CLIENT_AUTH[_t] += ("kerberos",)
# HostSpec.keytab of scenario hosts with auth kerberos: the fleet starts a KDC (kdc.py) and makes the keytab
KEYTAB_FROM_KDC = "kdc:"
SIM_REALM, SIM_DOMAIN = "SIM.UMCHECK.TEST", "sim.umcheck.test"  # the realm `umcheck sim start` creates


@dataclass(frozen=True)
class CommandRule:
    """Answer for a non-collector command whose text matches ``match`` (a case-insensitive regex)."""

    match: str
    stdout: str = ""
    stderr: str = ""
    rc: int = 0
    delay: float = 0.0  # seconds before the command prints anything (a slow command)

    def __post_init__(self) -> None:
        try:
            re.compile(self.match)
        except re.error as exc:
            raise ValueError(f"command match {self.match!r} is not a valid regex: {exc}") from None

    def matches(self, text: str) -> bool:
        return re.search(self.match, text, re.IGNORECASE) is not None


@dataclass(frozen=True)
class HostSpec:
    name: str
    transport: str = "winrm"
    credentials: Credentials = field(default_factory=lambda: Credentials("simadmin", "umcheck-sim"))
    auth: str = ""  # client auth the inventory names; "" = ntlm (Windows) / password (Linux)
    states: tuple[str, ...] = ("healthy",)
    faults: tuple[str, ...] = ()
    latency_ms: int = 0  # network latency: added to every response
    run_ms: int = 0  # how long a command runs on the host before it prints (the collector's runtime)
    workspace: str = DEFAULT_WORKSPACE
    account_id: str = DEFAULT_ACCOUNT
    location: str = "westeurope"
    commands: tuple[CommandRule, ...] = ()
    huge_output_mb: int = 24
    cbt_strict: bool = False
    password_env: str | None = None  # env var the inventory names for this host's password
    cert_subjects: tuple[str, ...] = ()  # auth certificate: UPNs mapped to this host's user (default <user>@sim.umcheck.test)
    keytab: str | None = None  # auth kerberos: keytab with HTTP/<fqdn>@REALM (kerberos.py)
    kerberos_only: bool = False  # auth kerberos: refuse NTLM (Negotiate restricted to Kerberos)
    official: tuple[tuple[str, str], ...] = ()  # (RuleId, CheckResult) the official script answers instead

    def __post_init__(self) -> None:
        if self.transport not in TRANSPORTS:
            raise ValueError(f"host {self.name}: unknown transport {self.transport!r} "
                             f"(expected one of {', '.join(TRANSPORTS)})")  # fmt: skip
        check_states(self.os, self.states)
        check_faults(self.os, self.faults)
        auth = self.client_auth
        if auth not in CLIENT_AUTH[self.transport]:
            raise ValueError(f"host {self.name}: auth {auth!r} does not fit {self.transport} "
                             f"(expected one of {', '.join(CLIENT_AUTH[self.transport])})")  # fmt: skip
        if auth == "kerberos" and not self.keytab:
            raise ValueError(f"host {self.name}: auth kerberos needs a keytab (umcheck/sim/kdc.py makes one)")

    @property
    def os(self) -> str:
        return TRANSPORTS[self.transport][0]

    @property
    def group(self) -> str:
        return TRANSPORTS[self.transport][1]

    @property
    def https(self) -> bool:
        return self.transport.endswith("-https")

    @property
    def client_auth(self) -> str:
        return self.auth or ("ntlm" if self.os == "windows" else "password")

    @property
    def machine(self) -> Machine:
        return Machine(self.name, self.os, self.states, self.workspace, self.account_id, self.location)

    def has(self, fault: str) -> bool:
        return fault in self.faults
