"""Playbooks: saved scan definitions (which hosts, which rules, how, which reports).

A playbook is a YAML list of plays. Keys are checked strictly - an unknown key, a wrong type
or an unknown rule name is an error naming the file, line and key - because a typo in a nightly
job would otherwise silently scan the wrong thing for weeks. Rule names are validated through a
pluggable ``known_rule_selectors`` hook so this module does not depend on the rule catalog.

    - name: nightly fleet readiness
      hosts: all:!retired
      rules: [all]
      forks: 50
      reports: [html, json, junit]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from umcheck.errors import InputError
from umcheck.inventory.connection import check_umcheck_names
from umcheck.inventory.model import Origin
from umcheck.inventory.yaml_loader import MarkedDict, MarkedList, load_yaml_file

if TYPE_CHECKING:
    from umcheck.inventory.vault import VaultSecrets


def _hint(name: str) -> str:
    from umcheck.rules.catalog import closest

    near = closest(name)
    return f" (did you mean {' or '.join(near)}?)" if near else ""


REPORT_FORMATS = ("text", "html", "json", "csv", "junit", "markdown", "prometheus")
PLAY_KEYS = ("name", "hosts", "vars", "rules", "forks", "timeout", "connect_timeout", "rerun_failed",
             "failed_rule", "reports", "output_dir", "keep_runs", "history")

RuleHook = Callable[[str], bool] | Iterable[str] | None


@dataclass(frozen=True)
class Play:
    """One play. ``None`` means "not set here": the command line or built-in default applies."""

    name: str
    hosts: str  # a host pattern; a YAML list is joined with ','
    rules: tuple[str, ...] = ("all",)
    vars: Mapping[str, Any] = field(default_factory=dict)
    forks: int | None = None
    timeout: float | None = None
    connect_timeout: float | None = None
    rerun_failed: str | None = None  # None, "last" or a run id: only hosts that were not Ready then
    failed_rule: str | None = None  # only hosts where this rule failed in that run
    reports: tuple[str, ...] | None = None
    output_dir: str | None = None
    keep_runs: int | None = None
    history: bool | None = None
    line: int | None = None


@dataclass(frozen=True)
class Playbook:
    path: str
    plays: tuple[Play, ...]


def _default_rule_hook() -> Callable[[str], bool] | None:
    try:
        from umcheck.rules.catalog import known_selector
    except ImportError:  # catalog not available: accept any name
        return None
    return known_selector


def _as_predicate(hook: RuleHook) -> Callable[[str], bool] | None:
    if hook is None or callable(hook):
        return hook
    names = {n.lower() for n in hook}
    return lambda s: s.lower() in names


class _PlayReader:
    def __init__(self, path: str, rule_known: Callable[[str], bool] | None) -> None:
        self.path = path
        self.rule_known = rule_known

    def fail(self, message: str, line: int | None) -> InputError:
        return InputError(message, path=self.path, line=line)

    def play(self, index: int, raw: Any, line: int | None) -> Play:
        if not isinstance(raw, dict):
            raise self.fail(f"play #{index} must be a mapping, not {type(raw).__name__}", line)
        where = f"play #{index}" + (f" ({raw['name']!r})" if isinstance(raw.get("name"), str) else "")
        lines = raw.key_lines if isinstance(raw, MarkedDict) else {}
        for key in raw:
            if key not in PLAY_KEYS:
                raise self.fail(f"{where}: unknown key '{key}' (known: {', '.join(PLAY_KEYS)})", lines.get(key, line))

        def get(key: str, convert: Callable[[Any], Any], default: Any = None) -> Any:
            if key not in raw or raw[key] is None:
                return default
            try:
                return convert(raw[key])
            except (TypeError, ValueError) as exc:
                raise self.fail(f"{where}: key '{key}': {exc}", lines.get(key, line)) from None

        if "hosts" not in raw:
            raise self.fail(f"{where}: key 'hosts' is required (a host pattern such as 'all')", line)
        hosts = get("hosts", _pattern)
        if not hosts:
            raise self.fail(f"{where}: key 'hosts' must not be empty", lines.get("hosts", line))
        rules = get("rules", _names, default=("all",))
        for rule in rules:
            if self.rule_known is not None and not self.rule_known(rule):
                raise self.fail(f"{where}: key 'rules': unknown rule or group '{rule}'{_hint(rule)}", lines.get("rules", line))
        failed_rule = get("failed_rule", _text)
        if failed_rule and self.rule_known is not None and not self.rule_known(failed_rule):
            raise self.fail(f"{where}: key 'failed_rule': unknown rule '{failed_rule}'{_hint(failed_rule)}",
                            lines.get("failed_rule", line))  # fmt: skip
        play_vars = get("vars", _mapping, default={})
        if isinstance(raw.get("vars"), MarkedDict):
            v = raw["vars"]
            check_umcheck_names(play_vars, {k: Origin(self.path, v.line_of(k)) for k in v})
        return Play(
            name=get("name", _text, default=f"play #{index}"),
            hosts=hosts,
            rules=rules,
            vars=play_vars,
            forks=get("forks", _positive_int),
            timeout=get("timeout", _seconds),
            connect_timeout=get("connect_timeout", _seconds),
            rerun_failed=get("rerun_failed", _rerun),
            failed_rule=failed_rule,
            reports=get("reports", _formats),
            output_dir=get("output_dir", _text),
            keep_runs=get("keep_runs", _positive_int),
            history=get("history", _bool),
            line=line,
        )


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return str(value)


def _pattern(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_text(v).strip() for v in value)
    return _text(value).strip()


def _names(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    names = tuple(_text(v).strip() for v in items)
    if not names or not all(names):
        raise ValueError("expected a non-empty list of names")
    return names


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValueError("expected a mapping of variable names to values")
    return dict(value)


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a whole number >= 1, got {value!r}")
    return value


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        raise ValueError(f"expected a positive number of seconds, got {value!r}")
    return float(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _rerun(value: Any) -> str | None:
    if value is True:
        return "last"
    if value is False:
        return None
    text = _text(value).strip()
    if not text:
        raise ValueError("expected true, false, 'last' or a run id")
    return text


def _formats(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise ValueError(f"expected a list of formats among {', '.join(REPORT_FORMATS)}")
    if items == ["all"]:
        return REPORT_FORMATS
    out = []
    for item in items:
        fmt = _text(item).strip().lower()
        if fmt not in REPORT_FORMATS:
            raise ValueError(f"unknown report format '{item}' (known: {', '.join(REPORT_FORMATS)}, or all)")
        out.append(fmt)
    return tuple(dict.fromkeys(out))


def load_playbook(path: str | Path, known_rule_selectors: RuleHook = None, *, validate_rules: bool = True,
                  vault: VaultSecrets | None = None) -> Playbook:
    """Read and validate a playbook. ``known_rule_selectors`` decides which rule names exist: a
    predicate or a collection of names; by default the rule catalog is asked when it is installed.
    ``vault`` decrypts ``!vault`` values in play vars (and a vault-encrypted playbook)."""
    name = str(path)
    doc = load_yaml_file(path, vault)
    hook = _as_predicate(known_rule_selectors) if known_rule_selectors is not None else (
        _default_rule_hook() if validate_rules else None)
    if not isinstance(doc, list) or not doc:
        raise InputError("a playbook must be a non-empty YAML list of plays", path=name, line=1)
    reader = _PlayReader(name, hook)
    plays = []
    for index, raw in enumerate(doc, start=1):
        line = doc.line_of(index - 1) if isinstance(doc, MarkedList) else None
        plays.append(reader.play(index, raw, line))
    return Playbook(name, tuple(plays))
