"""``ansible.cfg`` and ``ANSIBLE_*`` variables: the settings umcheck takes over from Ansible.

A top-level module, not part of ``umcheck.inventory``, because most of these settings are not
about inventories: forks and timeout are scan options, remote_user, private_key_file and
host_key_checking are connection defaults, the vault entries feed vault handling. The file is
found as Ansible finds it and read like Ansible's INI (configparser, no ``%`` interpolation,
``;`` inline comments, surrounding quotes removed); an ``ANSIBLE_*`` variable wins over the file
and an empty one counts as unset. Values are checked here so a bad one fails in one line naming
file, line and key before any host is contacted. Ansible itself is never imported.
"""

from __future__ import annotations

import ast
import configparser
import decimal
import logging
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from umcheck.errors import InputError, UsageError

log = logging.getLogger("umcheck.config")

SYSTEM_CONFIG = "/etc/ansible/ansible.cfg"
_TRUE = ("y", "yes", "on", "1", "true", "t")
_FALSE = ("n", "no", "off", "0", "false", "f")


@dataclass(frozen=True)
class Setting:
    """One setting as Ansible's ``config/base.yml`` defines it (all in ``[defaults]``)."""

    name: str  # the AnsibleConfig field and the ini key
    env: str
    kind: str  # text, integer, boolean, path, pathlist, list


SETTINGS = (
    Setting("inventory", "ANSIBLE_INVENTORY", "pathlist"),
    Setting("remote_user", "ANSIBLE_REMOTE_USER", "text"),
    Setting("forks", "ANSIBLE_FORKS", "integer"),
    Setting("timeout", "ANSIBLE_TIMEOUT", "integer"),
    Setting("private_key_file", "ANSIBLE_PRIVATE_KEY_FILE", "path"),
    Setting("host_key_checking", "ANSIBLE_HOST_KEY_CHECKING", "boolean"),
    Setting("vault_password_file", "ANSIBLE_VAULT_PASSWORD_FILE", "path"),
    Setting("vault_identity_list", "ANSIBLE_VAULT_IDENTITY_LIST", "list"),
)


@dataclass(frozen=True)
class SettingOrigin:
    """Where a setting was found: an environment variable, or a line of the config file."""

    env: str | None = None
    path: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        return f"env {self.env}" if self.env else f"{self.path}:{self.line}"


@dataclass(frozen=True)
class AnsibleConfig:
    """The settings in effect; None (or empty) where neither the file nor the environment sets one."""

    path: str | None = None  # the config file used
    inventory: tuple[str, ...] = ()  # absolute paths (or 'h1,h2' lists)
    remote_user: str | None = None
    forks: int | None = None
    timeout: int | None = None  # Ansible's connection timeout, seconds
    private_key_file: str | None = None
    host_key_checking: bool | None = None
    vault_password_file: str | None = None  # a path; the password itself is never read here
    vault_identity_list: tuple[str, ...] = ()  # [LABEL@]SOURCE entries
    origins: tuple[tuple[str, SettingOrigin], ...] = ()  # (name, where it was set), for set names only
    ignored: tuple[str, ...] = field(default=(), compare=False)  # config files skipped, with why

    def origin(self, name: str) -> SettingOrigin | None:
        """Where setting ``name`` came from, for reports; None if unset."""
        return dict(self.origins).get(name)


def find_config_file(environ: Mapping[str, str], cwd: Path, home: Path) -> tuple[str | None, list[str]]:
    """Ansible's search: ANSIBLE_CONFIG, ./ansible.cfg (not in a world-writable directory),
    ~/.ansible.cfg, /etc/ansible/ansible.cfg; the first readable file wins. Also returns why
    candidates were passed over."""
    ignored: list[str] = []
    candidates: list[str] = []
    from_env = environ.get("ANSIBLE_CONFIG")
    if from_env is not None:
        path = os.path.normpath(os.path.join(cwd, os.path.expanduser(os.path.expandvars(from_env))))
        if os.path.isdir(path):
            path = os.path.join(path, "ansible.cfg")
        candidates.append(path)
    local = cwd / "ansible.cfg"
    try:
        world_writable = bool(os.stat(cwd).st_mode & stat.S_IWOTH)
    except OSError:
        world_writable = False
    if not world_writable:
        candidates.append(str(local))
    elif local.exists():
        ignored.append(f"{local}: ignored because {cwd} is world-writable (Ansible ignores it too); "
                       "point ANSIBLE_CONFIG at it if it is yours")
    candidates += [str(home / ".ansible.cfg"), SYSTEM_CONFIG]
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.R_OK):
            if from_env is not None and path != candidates[0]:
                ignored.append(f"ANSIBLE_CONFIG={from_env}: no readable file there; using {path}")
            return path, ignored
    if from_env is not None:
        ignored.append(f"ANSIBLE_CONFIG={from_env}: no readable file there")
    return None, ignored


def load_ansible_config(environ: Mapping[str, str] | None = None, cwd: str | Path | None = None,
                        home: str | Path | None = None, warn: bool = True) -> AnsibleConfig:
    """Find and read the config like Ansible; InputError/UsageError for a bad file or value.
    ``warn`` logs why a config file was passed over (``AnsibleConfig.ignored`` has it too)."""
    env = os.environ if environ is None else environ
    cwd_path = Path(cwd) if cwd is not None else Path.cwd()
    home_path = Path(home) if home is not None else Path(env.get("HOME") or Path.home())
    path, ignored = find_config_file(env, cwd_path, home_path)
    for why in ignored if warn else ():
        log.warning("%s", why)
    ini = _IniFile(path) if path else None
    values: dict[str, Any] = {}
    origins: list[tuple[str, SettingOrigin]] = []
    for setting in SETTINGS:
        raw_env = env.get(setting.env, "")
        if raw_env.strip():
            origin = SettingOrigin(env=setting.env)
            values[setting.name] = _convert(setting, raw_env, str(cwd_path), str(cwd_path), origin)
        elif ini is not None and (found := ini.get(setting.name)) is not None:
            raw, line = found
            origin = SettingOrigin(path=ini.path, line=line)
            values[setting.name] = _convert(setting, _unquote(raw), os.path.dirname(ini.path), str(cwd_path), origin)
        else:
            continue
        origins.append((setting.name, origin))
    return AnsibleConfig(path=path, origins=tuple(origins), ignored=tuple(ignored), **values)


def inventory_sources(given: list[str], config: AnsibleConfig | None = None) -> list[str]:
    """``-i`` if given, else the config's inventory (ANSIBLE_INVENTORY / ansible.cfg); a configured
    source that does not exist is an error naming where it was configured."""
    if given:
        return given
    config = load_ansible_config() if config is None else config
    if not config.inventory:
        raise UsageError("no inventory given (use -i FILE, or set inventory in ansible.cfg or ANSIBLE_INVENTORY)")
    origin = config.origin("inventory") or SettingOrigin()
    for source in config.inventory:
        if "," not in source and not os.path.exists(source):
            raise _error(origin, "inventory", f"inventory source {source} does not exist")
    return list(config.inventory)


def _error(origin: SettingOrigin, name: str, message: str) -> UsageError:
    if origin.env:
        return UsageError(f"environment variable {origin.env}: {message}")
    return InputError(f"[defaults] {name}: {message}", path=origin.path, line=origin.line)


def _convert(setting: Setting, raw: str, base: str, cwd: str, origin: SettingOrigin) -> Any:
    text = raw.strip()
    if setting.kind == "integer":
        try:
            number = decimal.Decimal(text)
            value = int(number) if number.is_finite() and number == int(number) else None
        except (decimal.InvalidOperation, ValueError):
            value = None
        if value is None:
            raise _error(origin, setting.name, f"{text!r} is not an integer")
        if value < 1:
            raise _error(origin, setting.name, f"must be at least 1, not {value}")
        return value
    if setting.kind == "boolean":  # Ansible takes anything else as false; a typo must not turn checks off
        if text.lower() in _TRUE or text.lower() in _FALSE:
            return text.lower() in _TRUE
        raise _error(origin, setting.name, f"{text!r} is not a boolean (use true or false)")
    if setting.kind == "path":
        return _resolve(text, base, cwd)
    if setting.kind == "pathlist":
        return tuple(_resolve(item.strip(), base, cwd) for item in text.split(",") if item.strip())
    if setting.kind == "list":
        return tuple(_unquote(item.strip()) for item in text.split(",") if item.strip())
    return text


def _resolve(path: str, base: str, cwd: str) -> str:
    """Ansible's ``resolve_path``: ``{{CWD}}``, $VARS and ``~`` expanded; relative to ``base``."""
    path = path.replace("{{CWD}}", cwd)
    expanded = os.path.expanduser(os.path.expandvars(path))
    return os.path.normpath(os.path.join(base, expanded))


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


class _IniFile:
    """The ``[defaults]`` section, read as Ansible reads it, plus the line of each key."""

    def __init__(self, path: str) -> None:
        self.path = path
        suffix = os.path.splitext(path)[1]
        if suffix not in (".cfg", ".ini"):
            raise InputError(f"unsupported config file extension {suffix or '(none)'!r}; Ansible reads .cfg and "
                             ".ini files", path=path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", path=path) from None
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
        self.parser = configparser.ConfigParser(inline_comment_prefixes=(";",), interpolation=None)
        try:
            self.parser.read_string(text, source=path)
        except configparser.Error as exc:
            message, line = _ini_problem(exc)
            raise InputError(message, path=path, line=line) from None
        self.lines = _key_lines(text)

    def get(self, key: str) -> tuple[str, int] | None:
        value = self.parser.get("defaults", key, raw=True, fallback=None)
        if value is None:
            return None
        return value, self.lines.get(key, 1)


def _ini_problem(exc: configparser.Error) -> tuple[str, int | None]:
    """configparser's error as (message, line) without its file name and line in the text."""
    if isinstance(exc, configparser.DuplicateOptionError):
        return f"invalid INI: '{exc.option}' is set twice in [{exc.section}]", exc.lineno
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"invalid INI: section [{exc.section}] appears twice", exc.lineno
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return "invalid INI: settings before the first [section] header", exc.lineno
    if isinstance(exc, configparser.ParsingError) and exc.errors:
        line, text = exc.errors[0]  # text is repr() of the line
        try:
            text = str(ast.literal_eval(text))
        except (ValueError, SyntaxError):
            pass
        return f"invalid INI: cannot parse {text.strip()!r} (expected KEY = VALUE)", line
    return f"invalid INI: {str(exc).splitlines()[0]}", None


_SECTION = re.compile(r"^\s*\[([^\]]+)\]")
_KEY = re.compile(r"^([^\s=:;#][^=:]*?)\s*[=:]")


def _key_lines(text: str) -> dict[str, int]:
    """1-based line of each key of ``[defaults]`` (configparser does not keep them)."""
    lines: dict[str, int] = {}
    section = None
    for number, line in enumerate(text.splitlines(), 1):
        if match := _SECTION.match(line):
            section = match.group(1).strip()
        elif section == "defaults" and (match := _KEY.match(line)):
            lines[match.group(1).strip().lower()] = number
    return lines
