"""Typed connection settings, resolved from Ansible's connection variables when the inventory loads.

The transports never read raw variables: they get a frozen ``ConnectionSettings`` whose values
were checked at load time, so a bad port is reported with its file and line before any host is
contacted. Only the variables read here are rendered (``HostVars``); one that cannot be - an
undefined reference, an unset environment variable - makes that host unusable (``DeferredProblem``),
not the inventory. An unknown ``umcheck_*`` name is a warning with a did-you-mean. Alias rules and defaults follow ansible-core's
winrm/psrp/ssh plugins (for each setting the *last* defined name of its alias list wins, e.g.
``ansible_winrm_port`` beats ``ansible_port``; winrm defaults to https on 5986). TLS
certificates are validated unless a host turns that off.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import logging
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from umcheck.errors import InputError
from umcheck.inventory.model import Origin
from umcheck.inventory.templating import RenderError, is_template, to_bool

log = logging.getLogger("umcheck.inventory")

CONNECTIONS = ("winrm", "psrp", "ssh", "local", "fake")
_CONNECTION_ALIASES = {"smart": "ssh", "paramiko": "ssh", "paramiko_ssh": "ssh"}
CLOUDS = ("public", "usgov", "china")
OS_NAMES = ("windows", "linux")
WINRM_TRANSPORTS = ("basic", "plaintext", "ssl", "ntlm", "kerberos", "credssp", "certificate")
PSRP_AUTH = ("negotiate", "basic", "certificate", "kerberos", "ntlm", "credssp")
ENCRYPTION = ("auto", "always", "never")
WINDOWS_SHELLS = ("powershell", "cmd")
# The address to connect to, per connection type (alias lists: the last defined name wins).
HOST_VARS = {
    "winrm": ("ansible_host", "ansible_winrm_host"),
    "psrp": ("ansible_host", "ansible_psrp_host"),
    "ssh": ("ansible_host", "ansible_ssh_host"),
    "local": ("ansible_host",),
    "fake": (),  # bench/test only: answered in-process by the simulator, no address at all
}
_PASSWORD_VARS = (
    "ansible_password",
    "ansible_winrm_pass",
    "ansible_winrm_password",
    "ansible_ssh_pass",
    "ansible_ssh_password",
)

# umcheck's own host variables: name -> one-line description (also used by the docs and CLI).
UMCHECK_VARS: dict[str, str] = {
    "umcheck_cloud": "Azure cloud of the Automation account: public, usgov or china",
    "umcheck_automation_account_location": "Azure region of the Automation account (e.g. westeurope)",
    "umcheck_os": "windows or linux; inferred from the connection when absent",
    "umcheck_timeout": "wall-clock limit for the whole check of this host, seconds",
    "umcheck_connect_timeout": "limit for opening the connection, seconds",
    "umcheck_is_azure": "true if the machine is an Azure VM (skips the guess)",
    "umcheck_probe_timeout": "limit for each network probe the collector makes, seconds",
    "umcheck_known_hosts": "known_hosts file for this SSH host (default ~/.ssh/known_hosts)",
    "umcheck_wants_hrw": "true if the host runs user runbooks (needs the extension-based worker); default: guessed",
    "umcheck_hrw_account_url": "the account's AutomationHybridServiceUrl, compared with the worker extension's",
    "umcheck_migration": "false if the host is not moving to Update Manager (migration grade: Not applicable)",
    "umcheck_hrw_runas_user": "the worker group's custom run-as user (DOMAIN\\user): its rights on the worker folders",
    "umcheck_segment": "network segment whose jump hosts reach this host (--dispatch: queue umcheck.SEGMENT)",
    "umcheck_fake_state": "ansible_connection fake only (benches, tests): simulator state(s) the host answers with",
}


class DeferredProblem(Exception):
    """A host cannot be connected to, but that only matters if the host gets selected."""


def _short(value: Any, limit: int = 60) -> str:
    """``repr`` cut to one short line: a bad value may be a megabyte (or contain line breaks)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", bool: "a boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


@dataclass(frozen=True)
class ConnectionSettings:
    """Everything a transport needs to reach one host. ``password`` never appears in repr."""

    name: str
    host: str
    connection: str
    port: int | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    os: str = "linux"
    shell_type: str | None = None
    scheme: str | None = None
    path: str | None = None
    winrm_transport: tuple[str, ...] = ()
    psrp_auth: str | None = None
    psrp_configuration_name: str | None = None
    cert_validation: bool = True
    ca_trust_path: str | None = None
    message_encryption: str | None = None
    read_timeout: float | None = None
    operation_timeout: float | None = None
    connect_timeout: float | None = None
    ssh_private_key_file: str | None = None
    ssh_host_key_checking: bool = True
    known_hosts: str | None = None
    cert_pem: str | None = None  # client certificate auth (WinRM/PSRP): certificate file
    cert_key_pem: str | None = None  # and its key file
    kerberos_hostname_override: str | None = None  # Kerberos: ask for HTTP/<this> instead of HTTP/<host>
    kerberos_delegation: bool = False  # Kerberos: forward the TGT to the host
    kinit_mode: str | None = None  # Kerberos: managed (kinit with the password) / manual; None = by password
    fake_states: tuple[str, ...] = ()  # connection fake: simulator states (umcheck.sim.machines)
    cloud: str = "public"
    automation_account_location: str | None = None
    is_azure: bool | None = None
    wants_hrw: bool | None = None  # successor pack (umcheck_wants_hrw)
    hrw_account_url: str | None = None
    hrw_runas_user: str | None = None  # umcheck_hrw_runas_user: the group's custom run-as account
    migrating: bool = True
    timeout: float | None = None
    probe_timeout: float | None = None
    segment: str = "default"  # --dispatch: the Celery queue umcheck.<segment> whose workers reach it


class _Vars:
    """Typed access to one host's variables; errors point at where the variable was written.

    ``values`` may render on access (``HostVars``) and raise ``RenderError``; that makes the host
    unusable, unless it is a password that cannot be resolved and one was given (``password_given``).
    """

    def __init__(
        self, values: Mapping[str, Any], origins: Mapping[str, Origin], password_given: bool = False
    ):
        self.values, self.origins, self.password_given = values, origins, password_given
        self.names = getattr(values, "names", values)  # HostVars: the raw dict, for fast membership tests
        # when a set: every name looked up is added (see connection_var_names)
        self.asked: set[str] | None = None

    def fail(self, name: str, message: str) -> InputError:
        origin = self.origins.get(name, Origin(None))
        return InputError(f"{name}: {message}", path=origin.path, line=origin.line)

    def pick(self, *names: str) -> tuple[str | None, Any]:
        """The last of ``names`` that is defined wins (Ansible's alias rule)."""
        if self.asked is not None:
            self.asked.update(names)
        if self.names.keys().isdisjoint(names):  # the common case, in C: most settings keep their default
            return None, None
        for name in reversed(names):
            if name not in self.names:
                continue
            try:
                value = self.values[name]
            except RenderError as exc:
                if name in _PASSWORD_VARS and exc.unresolved and self.password_given:
                    continue  # the password given on the command line stands in
                raise DeferredProblem(exc.describe(password=name in _PASSWORD_VARS)) from None
            if value is not None:
                return name, value
        return None, None

    def get(self, convert: Callable[[Any], Any], *names: str, default: Any = None) -> Any:
        if self.asked is None and self.names.keys().isdisjoint(names):
            return default
        name, value = self.pick(*names)
        if name is None:
            return default
        try:
            return convert(value)
        except (TypeError, ValueError, ArithmeticError) as exc:
            if _is_secret(name):  # the message would quote the value: say only what is wrong with it
                raise self.fail(
                    name, f"has the wrong type or form ({_kind(value)}); write it as one line of text"
                ) from None
            raise self.fail(name, str(exc)) from None


def _is_secret(name: str) -> bool:
    from umcheck.inventory.listing import is_secret_name  # listing is the one place that knows secret names

    return name in _PASSWORD_VARS or is_secret_name(name)


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(
            f"expected text, got {_kind(value)} {_short(value)}; write a single value "
            "(quote it in YAML if it looks like a list or mapping)"
        )
    return str(value)


def _port(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise ValueError(f"expected a port number, got {_short(value)}")
    port = int(value)
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is out of range 1-65535")
    return port


def _seconds(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"expected a number of seconds, got {_short(value)}")
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"expected a number of seconds, got {_short(value)}") from None
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"expected a positive number of seconds, got {_short(value)}")
    return seconds


def _choice(*choices: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        text = _text(value).strip().lower()
        if text not in choices:
            raise ValueError(f"{_short(value)} is not one of {', '.join(choices)}")
        return text

    return convert


def _validate_flag(value: Any) -> bool:
    """``validate``/``ignore`` (Ansible's spelling) or a boolean."""
    if isinstance(value, str) and value.strip().lower() in ("validate", "ignore"):
        return value.strip().lower() == "validate"
    try:
        return to_bool(value)
    except ValueError:
        raise ValueError(f"{_short(value)} is not 'validate', 'ignore' or a boolean") from None


def _transports(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else _text(value).split(",")
    result = tuple(_text(i).strip().lower() for i in items if _text(i).strip())
    bad = [t for t in result if t not in WINRM_TRANSPORTS]
    if bad or not result:
        raise ValueError(
            f"unknown transport {', '.join(bad) or '(empty)'}; use {', '.join(WINRM_TRANSPORTS)}"
        )
    return result


def _connection_type(v: _Vars) -> str:
    raw = v.get(lambda x: _text(x).strip(), "ansible_connection")  # type-checked: names file and line
    if raw is None:
        return "ssh"
    short = (
        raw.removeprefix("ansible.builtin.").removeprefix("ansible.legacy.").removeprefix("ansible.windows.")
    )
    short = _CONNECTION_ALIASES.get(short, short)
    if short not in CONNECTIONS:
        raise DeferredProblem(
            f"ansible_connection '{raw}' is not supported by umcheck (use winrm, psrp, ssh or "
            "local; fake for benches), exclude this host from the pattern"
        )
    return short


def _winrm(v: _Vars, s: dict[str, Any]) -> None:
    s["host"] = v.get(_text, *HOST_VARS["winrm"], default=s["name"])
    port = v.get(_port, "ansible_port", "ansible_winrm_port")
    scheme = v.get(_choice("http", "https"), "ansible_winrm_scheme")
    s["port"] = 5986 if port is None else port
    s["scheme"] = scheme or ("http" if s["port"] == 5985 else "https")
    s["user"] = v.get(_text, "ansible_user", "ansible_winrm_user")
    s["password"] = v.get(_text, "ansible_password", "ansible_winrm_pass", "ansible_winrm_password")
    default = ("ssl",) if s["scheme"] == "https" else ("plaintext",)
    if s["user"] and "@" in s["user"]:
        default = ("kerberos", *default)
    s["winrm_transport"] = v.get(_transports, "ansible_winrm_transport", default=default)
    s["path"] = v.get(_text, "ansible_winrm_path", default="/wsman")
    s["cert_pem"] = v.get(_text, "ansible_winrm_cert_pem")
    s["cert_key_pem"] = v.get(_text, "ansible_winrm_cert_key_pem")
    s["cert_validation"] = v.get(_validate_flag, "ansible_winrm_server_cert_validation", default=True)
    s["ca_trust_path"] = v.get(_text, "ansible_winrm_ca_trust_path")
    s["message_encryption"] = v.get(_choice(*ENCRYPTION), "ansible_winrm_message_encryption", default="auto")
    s["read_timeout"] = v.get(_seconds, "ansible_winrm_read_timeout_sec", default=30.0)
    s["operation_timeout"] = v.get(_seconds, "ansible_winrm_operation_timeout_sec", default=20.0)
    s["connect_timeout"] = v.get(_seconds, "ansible_winrm_connection_timeout")
    s["kerberos_hostname_override"] = v.get(_text, "ansible_winrm_kerberos_hostname_override")
    s["kerberos_delegation"] = v.get(to_bool, "ansible_winrm_kerberos_delegation", default=False)
    s["kinit_mode"] = v.get(_choice("managed", "manual"), "ansible_winrm_kinit_mode")
    if s["read_timeout"] <= s["operation_timeout"]:
        name = v.pick("ansible_winrm_read_timeout_sec")[0] or "ansible_winrm_operation_timeout_sec"
        raise v.fail(
            name,
            "the read timeout must be longer than the operation timeout "
            f"({s['read_timeout']:g} <= {s['operation_timeout']:g})",
        )


def _psrp(v: _Vars, s: dict[str, Any]) -> None:
    s["host"] = v.get(_text, *HOST_VARS["psrp"], default=s["name"])
    port = v.get(_port, "ansible_port", "ansible_psrp_port")
    scheme = v.get(_choice("http", "https"), "ansible_psrp_protocol")
    if port is None:
        port = 5985 if scheme == "http" else 5986
    s["port"] = port
    s["scheme"] = scheme or ("http" if port == 5985 else "https")
    s["user"] = v.get(_text, "ansible_user", "ansible_psrp_user")
    s["password"] = v.get(_text, "ansible_password", "ansible_winrm_pass", "ansible_winrm_password")
    s["psrp_auth"] = v.get(_choice(*PSRP_AUTH), "ansible_psrp_auth", default="negotiate")
    s["psrp_configuration_name"] = v.get(
        _text, "ansible_psrp_configuration_name", default="Microsoft.PowerShell"
    )
    s["path"] = v.get(_text, "ansible_psrp_path", default="wsman")
    s["cert_pem"] = v.get(_text, "ansible_psrp_certificate_pem")
    s["cert_key_pem"] = v.get(_text, "ansible_psrp_certificate_key_pem")
    s["cert_validation"] = v.get(_validate_flag, "ansible_psrp_cert_validation", default=True)
    s["ca_trust_path"] = v.get(_text, "ansible_psrp_ca_cert", "ansible_psrp_cert_trust_path")
    s["message_encryption"] = v.get(_choice(*ENCRYPTION), "ansible_psrp_message_encryption", default="auto")
    s["read_timeout"] = v.get(_seconds, "ansible_psrp_read_timeout", default=30.0)
    s["operation_timeout"] = v.get(_seconds, "ansible_psrp_operation_timeout", default=20.0)
    s["connect_timeout"] = v.get(_seconds, "ansible_psrp_connection_timeout")
    s["kerberos_hostname_override"] = v.get(_text, "ansible_psrp_negotiate_hostname_override")
    s["kerberos_delegation"] = v.get(to_bool, "ansible_psrp_negotiate_delegate", default=False)
    s["kinit_mode"] = v.get(
        _choice("managed", "manual"), "ansible_winrm_kinit_mode", "ansible_psrp_kinit_mode"
    )


def _ssh(v: _Vars, s: dict[str, Any]) -> None:
    # For ssh the legacy ansible_ssh_* names come last in the alias lists, so they win.
    s["host"] = v.get(_text, *HOST_VARS["ssh"], default=s["name"])
    s["port"] = v.get(_port, "ansible_port", "ansible_ssh_port", default=22)
    s["user"] = v.get(_text, "ansible_user", "ansible_ssh_user")
    s["password"] = v.get(_text, "ansible_password", "ansible_ssh_pass", "ansible_ssh_password")
    s["ssh_private_key_file"] = v.get(
        _text, "ansible_private_key_file", "ansible_ssh_private_key_file", default=v.defaults.private_key_file
    )
    checking = v.defaults.host_key_checking
    s["ssh_host_key_checking"] = v.get(
        to_bool,
        "ansible_host_key_checking",
        "ansible_ssh_host_key_checking",
        default=True if checking is None else checking,
    )
    s["connect_timeout"] = v.get(_seconds, "ansible_ssh_timeout")
    s["known_hosts"] = v.get(_text, "umcheck_known_hosts") or _user_known_hosts(
        v.get(_text, "ansible_ssh_common_args", default="")
        + " "
        + v.get(_text, "ansible_ssh_extra_args", default="")
    )


def _user_known_hosts(ssh_args: str) -> str | None:
    """``-o UserKnownHostsFile=PATH`` from Ansible's ssh args, which users already set for OpenSSH."""
    match = re.search(r"UserKnownHostsFile[= ]\s*(\S+)", ssh_args)
    return match.group(1).strip("'\"") if match else None


def _fake_states(value: Any) -> tuple[str, ...]:
    """One simulator state name, or several (a list or comma-separated), applied in order."""
    items = value if isinstance(value, list) else _text(value).split(",")
    states = tuple(_text(i).strip() for i in items if _text(i).strip())
    if not states:
        raise ValueError("names no simulator state")
    return states


def _fake(v: _Vars, s: dict[str, Any]) -> None:
    """Bench/test hosts: ``ansible_host`` is ignored, the simulator answers in this process."""
    s["host"] = s["name"]
    s["fake_states"] = v.get(_fake_states, "umcheck_fake_state", default=("healthy",))


def _check_fake_states(v: _Vars, s: dict[str, Any]) -> None:
    from umcheck.sim.machines import UnknownState, check_states  # only fake hosts need the simulator

    try:
        check_states(s["os"], s["fake_states"])
    except UnknownState as exc:
        raise v.fail("umcheck_fake_state", str(exc)) from None


def _segment(value: Any) -> str:
    """A segment names a Celery queue (``umcheck.<segment>``): letters, digits, ``-``, ``_`` and ``.``."""
    text = _text(value).strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", text):
        raise ValueError(f"{_short(value)} is not a segment name (letters, digits, '-', '_', '.')")
    return text


def _infer_os(connection: str, shell_type: str | None) -> str:
    if connection in ("winrm", "psrp"):
        return "windows"
    if connection in ("ssh", "fake"):
        return "windows" if shell_type in WINDOWS_SHELLS else "linux"
    return "windows" if sys.platform == "win32" else "linux"  # local: the controller itself


@dataclass(frozen=True)
class ConnectionDefaults:
    """Run-wide defaults any host variable beats, as in Ansible: ``-u``/``remote_user``,
    ``--private-key``/``private_key_file``, ``host_key_checking`` (flags > ANSIBLE_* > ansible.cfg)."""

    user: str | None = None
    private_key_file: str | None = None
    host_key_checking: bool | None = None


def build_connection(
    name: str,
    values: Mapping[str, Any],
    origins: Mapping[str, Origin],
    password: str | None = None,
    defaults: ConnectionDefaults | None = None,
    asked: set[str] | None = None,
) -> ConnectionSettings:
    """Resolve one host's settings. Raises InputError (bad value) or DeferredProblem (unusable host).

    ``values`` is a plain mapping or the host's lazily rendered ``HostVars``. ``password`` (from
    --ask-pass / --password-env) is used when the inventory sets none, or when the inventory's
    password cannot be resolved (an unset environment variable, an undefined variable).
    ``asked`` collects every variable name looked up.
    """
    v = _Vars(values, origins, password is not None)
    v.asked = asked
    v.defaults = defaults or ConnectionDefaults()
    s: dict[str, Any] = {"name": name, "connection": _connection_type(v)}
    s["shell_type"] = v.get(lambda x: _text(x).strip().lower(), "ansible_shell_type")
    if s["connection"] == "winrm":
        _winrm(v, s)
    elif s["connection"] == "psrp":
        _psrp(v, s)
    elif s["connection"] == "ssh":
        _ssh(v, s)
    elif s["connection"] == "fake":
        _fake(v, s)
    else:
        s["host"] = v.get(_text, *HOST_VARS["local"], default=name)
        s["user"] = v.get(_text, "ansible_user")
    if s.get("password") is None and password is not None:
        s["password"] = password
    if s.get("user") is None:
        s["user"] = v.defaults.user
    s["os"] = v.get(_choice(*OS_NAMES), "umcheck_os") or _infer_os(s["connection"], s["shell_type"])
    if s["os"] == "linux" and s["connection"] in ("winrm", "psrp"):
        raise v.fail(
            "umcheck_os", f"is linux but ansible_connection is {s['connection']}, which only reaches Windows"
        )
    if s["connection"] == "fake" and v.asked is None:  # listing the variable names needs no simulator
        _check_fake_states(v, s)
    s["cloud"] = v.get(_choice(*CLOUDS), "umcheck_cloud", default="public")
    s["automation_account_location"] = v.get(
        lambda x: _text(x).strip().lower().replace(" ", ""), "umcheck_automation_account_location"
    )
    s["is_azure"] = v.get(to_bool, "umcheck_is_azure")
    s["wants_hrw"] = v.get(to_bool, "umcheck_wants_hrw")
    s["hrw_account_url"] = v.get(lambda x: _text(x).strip(), "umcheck_hrw_account_url")
    s["hrw_runas_user"] = v.get(lambda x: _text(x).strip() or None, "umcheck_hrw_runas_user")
    s["migrating"] = v.get(to_bool, "umcheck_migration", default=True)
    s["timeout"] = v.get(_seconds, "umcheck_timeout")
    s["probe_timeout"] = v.get(_seconds, "umcheck_probe_timeout")
    s["segment"] = v.get(_segment, "umcheck_segment", default="default")
    s["connect_timeout"] = v.get(_seconds, "umcheck_connect_timeout", default=s.get("connect_timeout"))
    return ConnectionSettings(**s)


@functools.cache
def connection_var_names() -> frozenset[str]:
    """Every variable name ``build_connection`` may read, found by asking it (so it stays in sync)."""
    asked: set[str] = set()
    for connection in CONNECTIONS:
        with contextlib.suppress(InputError, DeferredProblem):
            build_connection("h", {"ansible_connection": connection}, {}, asked=asked)
    return frozenset(asked)


class SettingsCache:
    """Settings shared by hosts whose connection variables are the same values from the same places.

    Most hosts of a large inventory differ only in name and address, and resolving ~30 aliased
    settings per host dominated loading. The key holds every connection variable the host defines
    (value and origin) except its address, which is resolved per host; a host with a template in
    any of them is never cached (a template may depend on ``inventory_hostname``), nor is a failure.
    """

    def __init__(self, password: str | None, defaults: ConnectionDefaults | None) -> None:
        self.password, self.defaults = password, defaults
        self.names = connection_var_names()
        self.addresses = frozenset(n for names in HOST_VARS.values() for n in names)
        self._cache: dict[tuple[Any, ...], ConnectionSettings] = {}

    def build(
        self, name: str, values: Mapping[str, Any], raw: Mapping[str, Any], origins: Mapping[str, Origin]
    ) -> ConnectionSettings:
        """``build_connection`` for host ``name``; ``raw`` are its unrendered values behind ``values``."""
        key = self._key(raw, origins)
        cached = self._cache.get(key) if key is not None else None
        if cached is not None:
            copy = object.__new__(ConnectionSettings)  # dataclasses.replace re-runs a 35-field __init__
            copy.__dict__.update(cached.__dict__, name=name)
            copy.__dict__["host"] = _Vars(raw, origins).get(
                _text, *HOST_VARS[cached.connection], default=name
            )
            return copy
        settings = build_connection(name, values, origins, self.password, self.defaults)
        if key is not None:
            self._cache[key] = settings
        return settings

    def _key(self, raw: Mapping[str, Any], origins: Mapping[str, Origin]) -> tuple[Any, ...] | None:
        key: list[Any] = []
        for var in sorted(self.names.intersection(raw)):
            value = raw[var]
            if var in self.addresses:
                if (
                    not isinstance(value, (str, int, float, type(None)))
                    or isinstance(value, bool)
                    or (is_template(value))
                ):
                    return None  # resolved the slow way, with its own error message
                key.append(var)  # which address names exist matters (alias order), not their values
                continue
            if not isinstance(value, (str, int, float, bool, type(None))) or is_template(value):
                return None
            key.append((var, type(value), value, origins.get(var)))
        return tuple(key)


def _unknown_umcheck_hint(key: str) -> str | None:
    """ " (did you mean umcheck_x?)" for an unknown ``umcheck_*`` name, None for any other name."""
    if not key.startswith("umcheck_") or key in UMCHECK_VARS:
        return None
    close = difflib.get_close_matches(key, list(UMCHECK_VARS), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(UMCHECK_VARS)})"


def check_umcheck_names(values: Mapping[str, Any], origins: Mapping[str, Origin]) -> None:
    """Strict form for umcheck's own files (a playbook's ``vars``): an unknown name is an error."""
    for key in values:
        hint = _unknown_umcheck_hint(key)
        if hint is not None:
            origin = origins.get(key, Origin(None))
            raise InputError(f"unknown variable '{key}'{hint}", path=origin.path, line=origin.line)


def warn_umcheck_names(layers: Iterable[tuple[Mapping[str, Any], Mapping[str, Origin]]]) -> None:
    """Inventories: an unknown ``umcheck_*`` variable is ignored with a warning (Ansible ignores
    unknown variables, but a typo must not pass silently) - once per name and origin, not per host."""
    seen: set[tuple[str, Origin]] = set()
    for values, origins in layers:
        for key in values:
            hint = _unknown_umcheck_hint(key)
            origin = origins.get(key, Origin(None))
            if hint is not None and (key, origin) not in seen:
                seen.add((key, origin))
                log.warning("%s: unknown variable '%s' is ignored%s", origin, key, hint)
