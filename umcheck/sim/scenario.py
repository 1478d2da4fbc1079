"""Scenarios: which hosts to simulate, read from YAML or generated (``mix``).

A scenario file names hosts (or groups of ``count`` hosts) with their transport, client auth,
machine states, faults and latency; docs/simulator.md has the format. Passwords never appear in
it: every host accepts the fleet password (from ``--password-env``) unless the entry names its
own ``password_env``.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from umcheck.errors import InputError
from umcheck.sim.auth import Credentials
from umcheck.sim.faults import SSH_FAULTS, WINRM_FAULTS
from umcheck.sim.hosts import KEYTAB_FROM_KDC, TRANSPORTS, CommandRule, HostSpec
from umcheck.sim.machines import LINUX_STATES, SUCCESSOR_STATES, WINDOWS_STATES

SCENARIO_DIR = Path(__file__).parent / "scenarios"
DEFAULT_USER = "simadmin"
_HOST_KEYS = {"name", "count", "transport", "auth", "user", "password_env", "states", "faults", "latency_ms", "run_ms",
              "workspace", "account_id", "location", "commands", "huge_output_mb", "cbt_strict"}  # fmt: skip
_HOST_KEYS |= {"cert_subjects"}  # auth: certificate (umcheck/sim/certauth.py)
_HOST_KEYS |= {"kerberos_only"}  # auth: kerberos (the fleet starts a KDC, fleet.py / kdc.py)
_HOST_KEYS |= {"official"}  # RuleId -> CheckResult the official script answers instead (sim/official.py)
_OFFICIAL_RESULTS = ("Passed", "PassedWithWarning", "Failed")
_LINE = "__line__"


@dataclass(frozen=True)
class Scenario:
    name: str
    hosts: tuple[HostSpec, ...]
    description: str = ""


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping, so errors can name it."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        mapping[_LINE] = node.start_mark.line + 1
        return mapping


def _str_list(value: Any, what: str, path: str, line: int | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{what} must be a list of names", path=path, line=line)
    return tuple(value)


def _host_specs(entry: Mapping[str, Any], defaults: Mapping[str, Any], password: str, path: str,
                env: Mapping[str, str]) -> list[HostSpec]:  # fmt: skip
    line = entry.get(_LINE)
    merged = {k: v for k, v in {**defaults, **entry}.items() if k != _LINE}
    unknown = sorted(set(merged) - _HOST_KEYS)
    if unknown:
        raise InputError(f"unknown host key(s) {', '.join(unknown)} (known: {', '.join(sorted(_HOST_KEYS))})",
                         path=path, line=line)  # fmt: skip
    name = merged.get("name")
    if not isinstance(name, str) or not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise InputError("every host needs a 'name' (letters, digits, '-', '_', '.')", path=path, line=line)
    count = merged.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 5000:
        raise InputError(f"host {name}: 'count' must be an integer from 1 to 5000", path=path, line=line)
    pw_env = merged.get("password_env")
    host_pw = password
    if pw_env is not None:
        if not isinstance(pw_env, str) or pw_env not in env:
            raise InputError(f"host {name}: password_env {pw_env!r} is not set in the environment", path=path, line=line)
        host_pw = env[pw_env]
    commands = []
    for c in merged.get("commands") or []:
        if not isinstance(c, dict) or not isinstance(c.get("match"), str):
            raise InputError(f"host {name}: each command needs a 'match' regex", path=path, line=line)
        try:
            rc, delay = int(c.get("rc", 0)), float(c.get("delay", 0))
        except (TypeError, ValueError):
            raise InputError(f"host {name}: command 'rc' must be an integer and 'delay' a number", path=path,
                             line=c.get(_LINE, line)) from None  # fmt: skip
        try:
            commands.append(CommandRule(c["match"], str(c.get("stdout", "")), str(c.get("stderr", "")), rc, delay))
        except ValueError as exc:
            raise InputError(f"host {name}: {exc}", path=path, line=c.get(_LINE, line)) from None
    official = merged.get("official") or {}
    if not isinstance(official, dict) or not all(
        isinstance(k, str) and v in _OFFICIAL_RESULTS for k, v in official.items() if k != _LINE
    ):
        raise InputError(f"host {name}: 'official' maps rule ids to {', '.join(_OFFICIAL_RESULTS)}", path=path, line=line)
    kerberos = str(merged.get("auth", "")) == "kerberos"
    kerberos_only = merged.get("kerberos_only", False)
    if not isinstance(kerberos_only, bool) or (kerberos_only and not kerberos):
        raise InputError(f"host {name}: 'kerberos_only' is true or false, and only for auth: kerberos",
                         path=path, line=line)  # fmt: skip
    specs = []
    for i in range(count):
        try:
            specs.append(HostSpec(
                name=name if count == 1 else f"{name}-{i + 1:0{len(str(count))}d}",
                transport=str(merged.get("transport", "winrm")),
                credentials=Credentials(str(merged.get("user", DEFAULT_USER)), host_pw),
                auth=str(merged.get("auth", "")),
                states=_str_list(merged.get("states", ["healthy"]), "states", path, line) or ("healthy",),
                faults=_str_list(merged.get("faults"), "faults", path, line),
                latency_ms=int(merged.get("latency_ms", 0)),
                run_ms=int(merged.get("run_ms", 0)),
                workspace=str(merged.get("workspace", "11111111-2222-3333-4444-555555555555")),
                account_id=str(merged.get("account_id", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")),
                location=str(merged.get("location", "westeurope")),
                commands=tuple(commands),
                huge_output_mb=int(merged.get("huge_output_mb", 24)),
                cbt_strict=bool(merged.get("cbt_strict", False)),
                password_env=pw_env,
                cert_subjects=_str_list(merged.get("cert_subjects"), "cert_subjects", path, line),
                keytab=KEYTAB_FROM_KDC if kerberos else None,
                kerberos_only=kerberos_only,
                official=tuple(sorted((k, v) for k, v in official.items() if k != _LINE)),
            ))  # fmt: skip
        except (ValueError, TypeError) as exc:
            raise InputError(str(exc), path=path, line=line) from None
    return specs


def load_scenario(path: str | Path, password: str, env: Mapping[str, str] | None = None) -> Scenario:
    """Read a scenario file; any problem is an InputError naming the file and line."""
    p = Path(path)
    if not p.exists() and (SCENARIO_DIR / f"{path}.yml").exists():
        p = SCENARIO_DIR / f"{path}.yml"
    try:
        doc = yaml.load(p.read_text(encoding="utf-8"), Loader=_LineLoader)
    except OSError as exc:
        raise InputError(f"cannot read scenario: {exc.strerror}", path=str(p)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path=str(p),
                         line=mark.line + 1 if mark else None) from None  # fmt: skip
    if not isinstance(doc, dict) or not isinstance(doc.get("hosts"), list) or not doc["hosts"]:
        raise InputError("a scenario is a mapping with a non-empty 'hosts' list", path=str(p), line=1)
    defaults = doc.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise InputError("'defaults' must be a mapping", path=str(p), line=1)
    hosts: list[HostSpec] = []
    for entry in doc["hosts"]:
        if not isinstance(entry, dict):
            raise InputError("each entry of 'hosts' must be a mapping", path=str(p))
        hosts += _host_specs(entry, defaults, password, str(p), env if env is not None else os.environ)
    names = [h.name for h in hosts]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"duplicate host names: {', '.join(dupes[:5])}", path=str(p))
    return Scenario(str(doc.get("name") or p.stem), tuple(hosts), str(doc.get("description") or ""))


# ------------------------------------------------------------------------------------ mix

_WIN_TRANSPORTS = [("winrm", "ntlm", 50), ("psrp", "ntlm", 15), ("psrp", "negotiate", 10),
                   ("winrm-https", "ntlm", 10), ("winrm-https", "basic", 5), ("psrp-https", "negotiate", 10)]  # fmt: skip
_WIN_PROBLEMS = [s for s in WINDOWS_STATES if s != "healthy" and s not in SUCCESSOR_STATES]
_LIN_PROBLEMS = [s for s in LINUX_STATES if s != "healthy" and s not in SUCCESSOR_STATES]
# Mid-migration: of the hosts drawn healthy, some are migrated, some run V1 and V2 workers side by side
# (Linux: the V1 system worker beside a V2 worker), some are on the way (Arc onboarded, or a successor
# problem). Drawn from a second random stream, so a seed's legacy draws stay what they were.
_MIGRATION_STAGES = {
    "windows": {"migrated": ("migrated",), "side_by_side": ("v1_and_v2_side_by_side",),
                "on_the_way": sorted(s for s in WINDOWS_STATES if s in SUCCESSOR_STATES
                                     and s not in ("migrated", "v1_and_v2_side_by_side"))},
    "linux": {"migrated": ("migrated",), "side_by_side": ("hrw2_healthy",),
              "on_the_way": sorted(s for s in LINUX_STATES if s in SUCCESSOR_STATES and s not in ("migrated", "hrw2_healthy"))},
}  # fmt: skip
_WIN_MIX_FAULTS = ["refused", "black_hole", "auth_failure", "hang", "slow_output", "invalid_json", "soap_fault"]
_LIN_MIX_FAULTS = ["refused", "black_hole", "auth_failure", "hang", "garbage_output", "invalid_json"]


def _migration_stage(rng: random.Random, os_family: str, share: float) -> tuple[str, ...] | None:
    """States of a mid-migration host (2 in 5 migrated, 1 in 5 side by side, the rest on the way), or None."""
    draw, pick = rng.random(), rng.random()
    if draw >= share:
        return None
    stages = _MIGRATION_STAGES[os_family]
    if pick < 0.4:
        return tuple(stages["migrated"])
    if pick < 0.6:
        return tuple(stages["side_by_side"])
    on_the_way = stages["on_the_way"]
    return (on_the_way[int(pick * 1000) % len(on_the_way)],)


def mix(n: int, seed: int = 0, password: str = "", user: str = DEFAULT_USER, *, linux_share: float = 0.3,
        problem_share: float = 0.3, fault_share: float = 0.03, migration_share: float = 0.3) -> Scenario:  # fmt: skip
    """N hosts with a realistic, deterministic spread: mostly healthy, ~30 % with one or two problems,
    a few with transport faults; ~70 % Windows over WinRM/PSRP, the rest Linux over SSH. A fleet
    mid-migration: ~30 % of the otherwise healthy hosts are migrated, side by side or on the way."""
    rng = random.Random(seed)
    migration_rng = random.Random(f"{seed}/migration")
    hosts = []
    for i in range(1, n + 1):
        linux = rng.random() < linux_share
        if linux:
            transport, auth = "ssh", rng.choice(["password", "password", "key"])
            problems = _LIN_PROBLEMS
        else:
            transport, auth = rng.choices([(t, a) for t, a, _ in _WIN_TRANSPORTS], [w for *_, w in _WIN_TRANSPORTS])[0]
            problems = _WIN_PROBLEMS
        states: tuple[str, ...] = ("healthy",)
        if rng.random() < problem_share:
            states = tuple(rng.sample(problems, 1 if rng.random() < 0.7 else 2))
        faults: tuple[str, ...] = ()
        if rng.random() < fault_share:
            faults = (rng.choice(_LIN_MIX_FAULTS if linux else _WIN_MIX_FAULTS),)
        stage = _migration_stage(migration_rng, "linux" if linux else "windows", migration_share)
        if stage and states == ("healthy",):
            states = stage
        hosts.append(HostSpec(
            name=f"sim-{'lnx' if linux else 'win'}-{i:04d}",
            transport=transport,
            credentials=Credentials(user, password),
            auth=auth,
            states=states,
            faults=faults,
            latency_ms=rng.choice([0, 0, 1, 2, 5, 10, 20]),
        ))  # fmt: skip
    return Scenario(f"mix-{n}-seed{seed}", tuple(hosts), "generated mix")


def known_names() -> dict[str, list[str]]:
    """Every state, fault and transport name (for docs and error messages)."""
    return {
        "windows states": list(WINDOWS_STATES),
        "linux states": list(LINUX_STATES),
        "winrm faults": list(WINRM_FAULTS),
        "ssh faults": list(SSH_FAULTS),
        "transports": list(TRANSPORTS),
    }
