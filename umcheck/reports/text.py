"""Terminal summary: what the admin reads first, in a 100-column terminal.

Plain text unless ``color`` is asked for (the caller decides, normally ``isatty``). Host data is
squeezed to one printable line, so a hostile message cannot move the cursor or recolour a screen.
The header names the run's scope and how much of the merged state was carried forward from earlier
runs; a carried failure shows its age (``TlsVersionCheck [2h old]``), and a diff says what it compared.
"""

from __future__ import annotations

import textwrap

from tabulate import tabulate

from umcheck.crosscheck.report import text_lines as cross_check_lines
from umcheck.reports.carried import diff_basis, diff_title, rule_label, state_sentence
from umcheck.reports.diff import FleetDiff, HostChange
from umcheck.reports.escape import one_line
from umcheck.reports.migration import text_lines as migration_lines
from umcheck.reports.summary import FleetSummary, summarize
from umcheck.results import FleetResult, HostResult, HostStatus

_COLORS = {
    "Ready": "\x1b[32m",
    "Disconnected": "\x1b[33m",
    "Not configured": "\x1b[35m",
    "Unknown": "\x1b[31m",
}
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"
_SEP = 2  # tabulate "simple" puts two spaces between columns


def _paint(text: str, state: str, color: bool) -> str:
    code = _COLORS.get(state)
    return f"{code}{text}{_RESET}" if color and code else text


def _heading(text: str, color: bool) -> str:
    return f"{_BOLD}{text}{_RESET}" if color else text


def _rest(width: int, *fixed: int) -> int:
    """Width left for the last column after the fixed columns and separators."""
    return max(20, width - sum(fixed) - _SEP * len(fixed))


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    """``text`` (made one printable line first) wrapped to ``width``, never cut."""
    lines = textwrap.wrap(
        one_line(text), width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
    )
    return lines or [indent]


def _header(s: FleetSummary) -> str:
    parts = [f"umcheck run {one_line(s.run_id)}", f"started {one_line(s.started)}", f"{s.hosts_total} hosts"]
    if s.duration_s is not None:
        parts.append(f"{s.duration_s:.1f} s")
    line = " | ".join(parts)
    return line + ("  [INTERRUPTED: partial results]" if s.interrupted else "")


def _scope(s: FleetSummary, width: int) -> list[str]:
    """The run's scope, and what of the merged state was not evaluated in this run."""
    lines = _wrap(f"Scope: {s.scope}", width)
    note = state_sentence(s)
    if note:
        lines += _wrap(note[0].upper() + note[1:] + ".", width)
    return lines


def _totals(s: FleetSummary, color: bool) -> str:
    rows = [
        [_paint(state, state, color), n, f"{(100 * n / s.hosts_total) if s.hosts_total else 0:.0f}%"]
        for state, n in s.readiness.items()
    ]
    left = tabulate(
        rows, headers=["Readiness", "Hosts", "Share"], tablefmt="simple", colalign=("left", "right", "right")
    ).splitlines()
    status_rows = [[st, n] for st, n in s.status.items() if n]
    right = tabulate(
        status_rows or [["-", 0]],
        headers=["Host status", "Hosts"],
        tablefmt="simple",
        colalign=("left", "right"),
    ).splitlines()
    pad = max(len(_strip(x)) for x in left) + 6
    lines = []
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        lines.append((a + " " * (pad - len(_strip(a))) + b).rstrip())
    return "\n".join(lines)


def _strip(text: str) -> str:
    for code in (*_COLORS.values(), _BOLD, _RESET):
        text = text.replace(code, "")
    return text


def _fix_first(s: FleetSummary, width: int) -> str:
    if not s.failing_rules and not s.scan_failures:
        return "Nothing to fix: no rule failed and every host was scanned."
    rule_w = min(
        40, max([len(g.rule_id) for g in s.failing_rules] + [len(f.status) for f in s.scan_failures] + [4])
    )
    rule_w = max(rule_w, 6)  # tabulate pads headers by 2: "Rule" needs 6, "Hosts" 7
    rest = _rest(width, 3, rule_w, 7)
    rows = []
    for i, g in enumerate(s.failing_rules, 1):
        hosts = f"{len(g.hosts)}*" if g.carried_hosts else str(len(g.hosts))
        rows.append([i, one_line(g.rule_id, rule_w), hosts, one_line(g.headline, rest)])
    for f in s.scan_failures:
        rows.append(["-", one_line(f.status, rule_w), str(len(f.hosts)), one_line(f.hint, rest)])
    table = tabulate(
        rows,
        headers=["#", "Rule", "Hosts", "Remediation"],
        tablefmt="simple",
        colalign=("right", "left", "right", "left"),
        disable_numparse=True,
    )
    if any(g.carried_hosts for g in s.failing_rules):
        table += "\n" + "\n".join(
            _wrap("* includes failures carried forward from earlier runs (not re-checked now)", width)
        )
    return table


def _host_detail(h: HostResult) -> str:
    if h.status != HostStatus.OK:
        return f"{h.status}: {h.error or 'no detail'}"
    failed = [rule_label(o) for o in h.failed_rules]
    if failed:
        return ", ".join(failed)
    return h.readiness_reason or "no failing rule"


def _not_ready(s: FleetSummary, width: int, color: bool) -> str:
    if not s.not_ready:
        return "Every host is Ready."
    host_w = min(32, max(len(one_line(h.name)) for h in s.not_ready))
    host_w = max(host_w, 6)
    rest = _rest(width, host_w, 14, 7)
    rows = [
        [
            one_line(h.name, host_w),
            _paint(h.readiness, h.readiness, color),
            one_line(h.os_family or "-", 7),
            one_line(_host_detail(h), rest),
        ]
        for h in s.not_ready
    ]
    return tabulate(rows, headers=["Host", "Readiness", "OS", "Failing rules / error"], tablefmt="simple")


def _change_lines(c: HostChange, width: int) -> list[str]:
    head = f"{c.name}: {c.before_readiness} ({c.before_status}) -> {c.after_readiness} ({c.after_status})"
    lines = ["  " + one_line(head, width - 2)]
    details = []
    if c.new_failures:
        details.append("now failing: " + ", ".join(c.new_failures))
    if c.resolved:
        details.append("fixed: " + ", ".join(c.resolved))
    if c.error and c.after_status != HostStatus.OK:
        details.append("error: " + c.error)
    return lines + ["      " + one_line(d, width - 6) for d in details]


def render_diff(diff: FleetDiff, *, width: int = 100, color: bool = False) -> str:
    """The changes between two runs (or fleet states), one host per line, grouped by what happened."""
    head = f"Changes since {diff_title(diff)} (now {diff.new_run})"
    lines = [_heading(line, color) for line in _wrap(head, width)]
    lines += _wrap(f"Compared: {diff_basis(diff)}.", width, "  ")
    if diff.empty:
        lines.append("  No changes.")
        return "\n".join(lines)
    for label, items in (
        ("Newly failing", diff.newly_failing),
        ("Newly unreachable", diff.newly_unreachable),
        ("Fixed", diff.fixed),
        ("Changed", diff.changed),
    ):
        if items:
            lines.append(f"{label} ({len(items)}):")
            for c in items:
                lines.extend(_change_lines(c, width))
    if diff.migration:
        lines.append(f"Migration grade changed ({len(diff.migration)}):")
        lines += ["  " + one_line(f"{c.name}: {c.before_migration} -> {c.after_migration}", width - 2)
                  for c in diff.migration]  # fmt: skip
    for label, names in (("New hosts", diff.added), ("Hosts no longer in the run", diff.removed)):
        if names:
            lines.append(one_line(f"{label} ({len(names)}): " + ", ".join(names), width))
    return "\n".join(lines)


def render_summary(
    fleet: FleetResult, *, width: int = 100, color: bool = False, diff: FleetDiff | None = None
) -> str:
    """Totals, the failing rules ranked by host count with a one-line fix, and the not-Ready hosts."""
    s = summarize(fleet)
    parts = [
        _heading(one_line(_header(s), width), color),
        *_scope(s, width),
        "",
        _totals(s, color),
        "",
        _heading("Fix these first", color),
        _fix_first(s, width),
        "",
        _heading(f"Not Ready ({len(s.not_ready)} of {s.hosts_total})", color),
        _not_ready(s, width, color),
    ]
    if migration := migration_lines(fleet, width):
        parts += ["", _heading("Migration to Update Manager, Arc and the extension worker", color), *migration]
    if cross := cross_check_lines(fleet, width):
        parts += ["", _heading("Cross-check with the official troubleshooter", color), *cross]
    if diff is not None:
        parts += ["", render_diff(diff, width=width, color=color)]
    return "\n".join(parts) + "\n"
