"""Host patterns (``--limit`` and a play's ``hosts:``) with Ansible's semantics.

``a:b`` / ``a,b`` union, ``&x`` intersection, ``!x`` exclusion (applied in that order whatever
the written order), globs and ``~regex`` (prefix match) over group and host names, subscripts
``g[0]``, ``g[-1]``, ``g[1:3]`` (inclusive) and ``@file`` (one pattern per line, as in retry files).

As in Ansible, an item that names no group or host is dropped with a warning (once per item)
and the rest of the pattern is used; only a selection that ends up with no host at all is an
error (``UsageError``). ``localhost``, ``127.0.0.1`` and ``::1`` name an implicit local host when
the inventory does not define them - by that exact name only, never through ``all`` or a glob -
and, like Ansible's single implicit host object, all three are the same host within one inventory.
"""

from __future__ import annotations

import fnmatch
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from umcheck.errors import UsageError
from umcheck.inventory.ranges import is_single_address

log = logging.getLogger("umcheck.inventory")

LOCALHOST_NAMES = ("localhost", "127.0.0.1", "::1")
_SPLIT = re.compile(r"(?:[^\s:\[\]]|\[[^\]]*\])+")
_SUBSCRIPT = re.compile(r"^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$")
_GLOB_CHARS = (".", "?", "*", "[")


@dataclass(frozen=True)
class PatternIndex:
    """What patterns are matched against: names in inventory order and group membership."""

    host_names: Sequence[str]
    group_names: Sequence[str]
    group_hosts: Callable[[str], list[str]]  # own hosts first, then descendants'
    implicit_hosts: Iterable[str] = LOCALHOST_NAMES  # names usable even if not in the inventory


def split_pattern(pattern: str) -> list[str]:
    """Split a pattern string into items (``a:&b:!c`` -> ``['a', '&b', '!c']``)."""
    if "," in pattern:
        parts = pattern.split(",")
    elif is_single_address(pattern.strip()):
        parts = [pattern]
    else:
        parts = _SPLIT.findall(pattern)
        leftover = _SPLIT.sub("", pattern).replace(":", "").strip()
        if leftover:  # Ansible silently drops these characters (e.g. an unclosed '[')
            raise UsageError(f"cannot parse host pattern '{pattern}' (unbalanced brackets?)")
    return [p.strip() for p in parts if p.strip()]


def _read_pattern_file(path_text: str) -> list[str]:
    path = Path(path_text)
    if not path.is_file():
        raise UsageError(f"pattern file not found: {path_text}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read pattern file {path_text}: {exc}") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


class PatternMatcher:
    """Evaluates patterns against one ``PatternIndex``; caches per-item results."""

    def __init__(self, index: PatternIndex) -> None:
        self.index = index
        self._host_set = set(index.host_names)
        self._cache: dict[str, list[str]] = {}
        self._localhost: str | None = None  # the implicit host's name: the first implicit name matched

    def select(self, pattern: str | Sequence[str], limit: str | None = None) -> list[str]:
        """Host names matched by ``pattern`` (intersected with ``limit``), in inventory order of the union.

        Raises UsageError for bad syntax or an empty result; an item naming nothing only warns.
        """
        text = pattern if isinstance(pattern, str) else ",".join(pattern)
        names = self.evaluate(self._items(text))
        if limit is not None and limit.strip():
            allowed = set(self.evaluate(self._items(limit)))
            names = [n for n in names if n in allowed]
            if not names:
                raise UsageError(f"pattern '{text}' with --limit '{limit}' matches no hosts")
        if not names:
            raise UsageError(f"pattern '{text}' matches no hosts")
        return names

    def _items(self, text: str) -> list[str]:
        """Pattern items, ``@file`` arguments replaced by the file's lines."""
        items: list[str] = []
        for item in split_pattern(text):
            if item.startswith("@"):
                items.extend(_read_pattern_file(item[1:]))
            else:
                items.append(item)
        if not items:
            raise UsageError(f"empty host pattern '{text}'")
        return items

    def evaluate(self, items: list[str]) -> list[str]:
        unions = [i for i in items if i[0] not in "!&"] or ["all"]
        intersections = [i for i in items if i[0] == "&"]
        exclusions = [i for i in items if i[0] == "!"]
        result: list[str] = []
        seen: set[str] = set()
        for item in unions:
            for name in [item] if item in self._host_set else self._match(item):
                if name not in seen:
                    seen.add(name)
                    result.append(name)
        for item in intersections:
            keep = set(self._match(item[1:]))
            result = [n for n in result if n in keep]
        for item in exclusions:
            drop = set(self._match(item[1:]))
            result = [n for n in result if n not in drop]
        return result

    def _match(self, item: str) -> list[str]:
        if not item:
            raise UsageError("empty item in host pattern (a lone '&' or '!')")
        if item not in self._cache:
            self._cache[item] = self._enumerate(item)
        return self._cache[item]

    def _enumerate(self, item: str) -> list[str]:
        """Hosts for one item; an item naming nothing at all (a likely typo) warns, as in Ansible."""
        expr, subscript = _split_subscript(item)
        matcher = _compile(expr)
        groups = [g for g in self.index.group_names if matcher(g)]
        results: list[str] = []
        for g in groups:
            results.extend(self.index.group_hosts(g))
        if not groups or expr.startswith("~") or any(c in expr for c in _GLOB_CHARS):
            results.extend(h for h in self.index.host_names if matcher(h))
        if not results and expr in self.index.implicit_hosts:
            self._localhost = self._localhost or expr
            results.append(self._localhost)
        if not results and not groups and expr != "all":
            log.warning("could not match host pattern '%s'; ignoring it", expr)
            return []
        return _apply_subscript(results, subscript)


def _compile(expr: str) -> Callable[[str], bool]:
    try:
        regex = re.compile(expr[1:]) if expr.startswith("~") else re.compile(fnmatch.translate(expr))
    except (re.error, RecursionError, OverflowError) as exc:
        raise UsageError(f"invalid host pattern '{expr}': {exc}") from None
    return lambda name: regex.match(name) is not None


def _split_subscript(item: str) -> tuple[str, tuple[int, int | None] | None]:
    if item.startswith("~"):
        return item, None  # regexes never take a subscript
    m = _SUBSCRIPT.match(item)
    if not m:
        return item, None
    expr, index, start, sep, end = m.groups()
    if index is not None:
        return expr, (int(index), None)
    if sep == "-":
        log.warning("subscript '[%s-%s]' is deprecated; use '[%s:%s]'", start, end, start, end)
    return expr, (int(start), int(end) if end else -1)


def _apply_subscript(hosts: list[str], subscript: tuple[int, int | None] | None) -> list[str]:
    """Ansible's subscript rules: ``[n:m]`` inclusive, ``[n:]`` to the end, ``[n]`` one host."""
    if not hosts or subscript is None:
        return hosts
    start, end = subscript
    if end:  # note: like Ansible, "[n:0]" falls through to a single index
        if end == -1:
            end = len(hosts) - 1
        return hosts[start : end + 1]
    try:
        return [hosts[start]]
    except IndexError:
        return []
