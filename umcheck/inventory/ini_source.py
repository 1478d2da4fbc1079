"""INI inventory files (Ansible's ``ini`` inventory format), typed the way Ansible types them.

Host lines are split with shell rules; ``key=value`` values (inline and in ``[g:vars]``) go
through ``ast.literal_eval`` and keep the raw text when that fails - so ``5986`` is an int,
``True`` a bool and ``yes`` a string. That differs from Ansible's own documentation but matches
what ansible-core does, and umcheck must resolve the same values Ansible would.
"""

from __future__ import annotations

import ast
import re
import shlex
import warnings
from typing import Any

from umcheck.errors import InputError
from umcheck.inventory.model import CycleError, InventoryData, Origin
from umcheck.inventory.ranges import RangeError, expand_host_pattern
from umcheck.inventory.vault.plaintext import DecryptedText, hide_strings

_SECTION = re.compile(r"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$")
_GROUP_NAME = re.compile(r"^([^:\]\s]+)\s*(?:#.*)?$")
_SHLEX_SPACE = re.compile(r"[ \t\r\n]+")  # shlex's whitespace, nothing more (no \v, no Unicode spaces)


def split_host_line(line: str) -> list[str]:
    """``shlex.split(line, comments=True)``, in linear time when there is nothing to unquote.

    shlex reads one character at a time and grows tokens by concatenation (quadratic on a long
    token); without quotes or backslashes its result is a plain whitespace split up to the first ``#``.
    """
    if "'" in line or '"' in line or "\\" in line:
        return shlex.split(line, comments=True)
    return [t for t in _SHLEX_SPACE.split(line.split("#", 1)[0]) if t]


# Text that can never be a Python literal: names, and words with ':', '/' or '@' (URLs, paths,
# user@domain) or two dots (addresses, FQDNs). The parser is skipped for them: large inventories
# are mostly such values, and literal_eval costs tens of microseconds each.
_NEVER_LITERAL = re.compile(r"[\w.-]*[:/@][\w.:/@-]*|\w*\.\w*\.[\w.]*")


def parse_ini_value(text: str) -> Any:
    """Python-literal typing as ansible-core applies it; unparseable text stays a string."""
    if (text.isidentifier() and text not in ("True", "False", "None")) or _NEVER_LITERAL.fullmatch(text):
        return text
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text
    return _plain(value)


def _plain(value: Any) -> Any:
    """Map literal_eval's types onto inventory types (tuples/sets become lists, etc.)."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {(_plain(k) if isinstance(k, (bytes, complex)) else k): _plain(v) for k, v in value.items()}
    if value is Ellipsis:
        return "..."
    if isinstance(value, complex):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


class IniInventoryReader:
    """Adds one INI file's lines to an ``InventoryData``."""

    def __init__(self, data: InventoryData, path: str) -> None:
        self.data = data
        self.path = path
        self.lineno = 0
        self.decrypted = False

    def error(self, message: str, line: int | None = None) -> InputError:
        return InputError(message, path=self.path, line=line if line is not None else self.lineno)

    def origin(self) -> Origin:
        return Origin(self.path, self.lineno)

    def read(self, text: str) -> None:
        self.decrypted = isinstance(text, DecryptedText)  # a vault-encrypted file: its values stay masked
        group, state = "ungrouped", "hosts"
        # groups named in [x:vars] or [y:children] before being declared: name -> (line, parents)
        pending_vars: dict[str, int] = {}
        pending_children: dict[str, tuple[int, list[str]]] = {}
        for self.lineno, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            m = _SECTION.match(line)
            if m:
                group, state = m.group(1), m.group(2) or "hosts"
                if state not in ("hosts", "children", "vars"):
                    raise self.error(
                        f"section [{group}:{state}] has unknown type '{state}' "
                        "(use [g], [g:children] or [g:vars])"
                    )
                if group not in self.data.groups and state == "vars":
                    pending_vars.setdefault(group, self.lineno)
                self.data.add_group(group, self.origin())
                if state != "vars":
                    pending_vars.pop(group, None)
                    self._resolve_children(group, pending_children)
                continue
            if line.startswith("[") and line.endswith("]"):
                raise self.error(f"invalid section header '{line}' (no spaces allowed inside the brackets)")
            if state == "hosts":
                self._host_line(group, line)
            elif state == "vars":
                self._vars_line(group, line)
            else:
                self._child_line(group, line, pending_children)
        for name, line in pending_vars.items():
            raise self.error(f"section [{name}:vars] is for group '{name}', which is not defined", line)
        for name, (line, parents) in pending_children.items():
            raise self.error(
                f"section [{parents[-1]}:children] names group '{name}', which is not defined", line
            )

    def _resolve_children(self, group: str, pending: dict[str, tuple[int, list[str]]]) -> None:
        # Depth-first like a recursive walk (same child order), but on an explicit stack: a long
        # chain of forward references costs no Python stack.
        if group not in pending:
            return
        line, parents = pending.pop(group)
        stack = [(group, line, iter(parents))]
        while stack:
            name, line, todo = stack[-1]
            parent = next(todo, None)
            if parent is None:
                stack.pop()
                continue
            self._add_child(parent, name, line)
            if parent in pending:
                parent_line, grandparents = pending.pop(parent)
                stack.append((parent, parent_line, iter(grandparents)))

    def _add_child(self, parent: str, child: str, line: int) -> None:
        try:
            self.data.add_child(parent, child)
        except CycleError as exc:
            raise self.error(str(exc), line) from None

    def _child_line(self, group: str, line: str, pending: dict[str, tuple[int, list[str]]]) -> None:
        m = _GROUP_NAME.match(line)
        if not m:
            raise self.error(f"expected a group name, got '{line}'")
        child = m.group(1)
        if child in self.data.groups:
            self._add_child(group, child, self.lineno)
        elif child in pending:
            pending[child][1].append(group)
        else:
            pending[child] = (self.lineno, [group])

    def _vars_line(self, group: str, line: str) -> None:
        if "=" not in line:
            raise self.error(f"expected key=value, got '{line}'")
        key, value = (part.strip() for part in line.split("=", 1))
        if not key:
            raise self.error(f"missing variable name in '{line}'")
        try:
            self.data.set_group_var(group, key, self._value(value), self.origin())
        except ValueError as exc:
            raise self.error(str(exc)) from None

    def _value(self, text: str) -> Any:
        value = parse_ini_value(text)
        return hide_strings(value) if self.decrypted else value

    def _host_line(self, group: str, line: str) -> None:
        try:
            tokens = split_host_line(line)
        except ValueError as exc:
            raise self.error(f"cannot split host line: {exc}") from None
        if not tokens:
            return
        if tokens[0] == "---":
            raise self.error("'---' in an INI inventory: is this a YAML file with the wrong extension?")
        try:
            names, port = expand_host_pattern(tokens[0])
        except RangeError as exc:
            raise self.error(str(exc)) from None
        variables: dict[str, Any] = {}
        for token in tokens[1:]:
            if "=" not in token:
                raise self.error(f"expected key=value after the host name, got '{token}'")
            key, value = token.split("=", 1)
            if not key:
                raise self.error(f"missing variable name in '{token}'")
            variables[key] = self._value(value)
        for name in names:
            host = self.data.add_host(name, group, self.origin(), port)
            for key, value in variables.items():
                host.vars.set(key, value, self.origin())
