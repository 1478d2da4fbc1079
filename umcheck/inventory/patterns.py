"""Host patterns (``--limit`` and a play's ``hosts:``) with Ansible's semantics.

``a:b`` / ``a,b`` union, ``&x`` intersection, ``!x`` exclusion (applied in that order whatever
the written order), globs and ``~regex`` (prefix match) over group and host names, subscripts
``g[0]``, ``g[-1]``, ``g[1:3]`` (inclusive) and ``@file`` (one pattern per line, as in retry files).

Deliberate difference: Ansible drops an item that matches nothing with a warning, so a typo in
``!retired`` silently scans the retired hosts. umcheck raises ``UsageError`` for such an item and
for a pattern that selects no host at all. Only ``@file`` lines are lenient (a host that has
left the inventory since the retry file was written is skipped).
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
        self._cache: dict[str, list[str] | None] = {}

    def select(self, pattern: str | Sequence[str], limit: str | None = None) -> list[str]:
        """Host names matched by ``pattern`` (intersected with ``limit``), in inventory order of the union.

        Raises UsageError for bad syntax, an item naming nothing, or an empty result.
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

    def _items(self, text: str) -> list[tuple[str, bool]]:
        """Items with a flag telling whether an empty match is tolerated (``@file`` lines)."""
        items: list[tuple[str, bool]] = []
        for item in split_pattern(text):
            if item.startswith("@"):
                items.extend((line, True) for line in _read_pattern_file(item[1:]))
            else:
                items.append((item, False))
        if not items:
            raise UsageError(f"empty host pattern '{text}'")
        return items

    def evaluate(self, items: list[tuple[str, bool]]) -> list[str]:
        unions = [i for i in items if i[0][0] not in "!&"]
        intersections = [i for i in items if i[0][0] == "&"]
        exclusions = [i for i in items if i[0][0] == "!"]
        if not unions:
            unions = [("all", False)]
        result: list[str] = []
        seen: set[str] = set()
        for item, lenient in unions:
            for name in [item] if item in self._host_set else self._match(item, lenient):
                if name not in seen:
                    seen.add(name)
                    result.append(name)
        for item, lenient in intersections:
            keep = set(self._match(item[1:], lenient))
            result = [n for n in result if n in keep]
        for item, lenient in exclusions:
            drop = set(self._match(item[1:], lenient))
            result = [n for n in result if n not in drop]
        return result

    def _match(self, item: str, lenient: bool) -> list[str]:
        if not item:
            raise UsageError("empty item in host pattern (a lone '&' or '!')")
        if item not in self._cache:
            self._cache[item] = self._enumerate(item)
        found = self._cache[item]
        if found is None:
            if lenient:
                log.warning("pattern file entry '%s' matches no group or host; skipped", item)
                return []
            raise UsageError(f"pattern '{item}' matches no group or host in the inventory")
        return found

    def _enumerate(self, item: str) -> list[str] | None:
        """Hosts for one item; None when it names nothing at all (a likely typo)."""
        expr, subscript = _split_subscript(item)
        matcher = _compile(expr)
        groups = [g for g in self.index.group_names if matcher(g)]
        results: list[str] = []
        for g in groups:
            results.extend(self.index.group_hosts(g))
        if not groups or expr.startswith("~") or any(c in expr for c in _GLOB_CHARS):
            results.extend(h for h in self.index.host_names if matcher(h))
        if not results and expr in self.index.implicit_hosts:
            results.append(expr)
        if not results and not groups and expr != "all":
            return None
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
