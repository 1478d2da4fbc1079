"""``report.md``: a compact summary to paste into a ticket or chat.

Host data is escaped for Markdown (table pipes, link brackets, code spans, emphasis, raw HTML),
so a host name cannot add a link, break the table or inject HTML into a renderer that allows it.
Remediation commands go into fenced blocks whose fence is longer than any backtick run inside.
Like the terminal summary it states the run's scope, notes carried-forward results and partial
hosts, and marks a carried failure with its age.
"""

from __future__ import annotations

from umcheck.reports.carried import diff_basis, diff_title, rule_label, state_sentence
from umcheck.reports.diff import FleetDiff
from umcheck.reports.escape import md_fence, md_inline, printable, safe_url
from umcheck.reports.migration import summarize_migration
from umcheck.reports.summary import summarize
from umcheck.results import FleetResult, HostStatus

_LANG = {"powershell": "powershell", "sh": "sh"}


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def render_markdown(fleet: FleetResult, *, diff: FleetDiff | None = None) -> str:
    s = summarize(fleet)
    e = md_inline
    lines = [f"# Update Management readiness – run {e(fleet.run_id)}", ""]
    meta = f"Started {e(fleet.started)} · {s.hosts_total} hosts"
    if s.duration_s is not None:
        meta += f" · {s.duration_s:.1f} s"
    lines += [meta, "", f"Scope: {e(s.scope)}", ""]
    if s.interrupted:
        lines += ["> **Interrupted:** results are partial.", ""]
    note = state_sentence(s)
    if note:
        lines += [
            f"> **Merged state:** {e(note)}. A failing rule not evaluated in this run is marked with the"
            " age of its result, e.g. `[2h old]`; a partial host stays Unknown until a full scan.",
            "",
        ]
    lines += _table(["Readiness", "Hosts"], [[state, str(n)] for state, n in s.readiness.items()])
    failed_status = [[e(st), str(n)] for st, n in s.status.items() if n and st != HostStatus.OK]
    if failed_status:
        lines += ["", *_table(["Scan status", "Hosts"], failed_status)]
    m = summarize_migration(fleet)
    if m.evaluated:
        lines += ["", *_table(["Migration", "Hosts"], [[state, str(n)] for state, n in m.counts.items()])]
        lines += [f"- **{e(b.rule_id)}** blocks {len(b.hosts)} host(s): " + ", ".join(e(n) for n in b.hosts)
                  for b in m.blockers]  # fmt: skip
    lines += ["", "## Fix these first", ""]
    if not s.failing_rules and not s.scan_failures:
        lines.append("Nothing to fix.")
    for i, g in enumerate(s.failing_rules, 1):
        carried = f", {len(g.carried_hosts)} carried forward" if g.carried_hosts else ""
        lines.append(
            f"{i}. **{e(g.rule_id)}** ({e(g.rule_name)}) – {len(g.hosts)} host(s){carried}: "
            + ", ".join(e(n) + (" (carried)" if n in g.carried_hosts else "") for n in g.hosts)
        )
        shown = []
        for f in g.fixes:
            rem = f.remediation
            if rem is None or rem in shown:
                continue
            shown.append(rem)
            lines.append(f"   - Fix: {e(rem.summary)}")
            if rem.commands:
                code = printable("\n".join(rem.commands))
                fence = md_fence(code)
                lang = _LANG.get(rem.shell, "")
                lines += [
                    "",
                    f"     {fence}{lang}",
                    *(f"     {c}" for c in code.splitlines()),
                    f"     {fence}",
                    "",
                ]
            links = [u for u in (safe_url(link) for link in rem.links) if u]
            if links:
                lines.append("   - Docs: " + ", ".join(f"<{u}>" for u in links))
    for f in s.scan_failures:
        lines.append(
            f"- **{e(f.status)}** – {len(f.hosts)} host(s): "
            + ", ".join(e(n) for n in f.hosts)
            + f". {e(f.hint)}"
        )
    lines += ["", f"## Not Ready ({len(s.not_ready)} of {s.hosts_total})", ""]
    if s.not_ready:
        rows = []
        for h in s.not_ready:
            detail = (
                f"{h.status}: {h.error or ''}"
                if h.status != HostStatus.OK
                else ", ".join(rule_label(o) for o in h.failed_rules) or (h.readiness_reason or "")
            )
            rows.append([e(h.name), e(h.readiness), e(h.os_family or "-"), e(detail)])
        lines += _table(["Host", "Readiness", "OS", "Failing rules / error"], rows)
    else:
        lines.append("Every host is Ready.")
    if diff is not None:
        title = diff_title(diff)
        lines += ["", f"## Changes since {e(title)}", "", f"Compared: {e(diff_basis(diff))}.", ""]
        buckets = (
            ("Newly failing", diff.newly_failing),
            ("Newly unreachable", diff.newly_unreachable),
            ("Fixed", diff.fixed),
            ("Changed", diff.changed),
        )
        for label, items in buckets:
            for c in items:
                extra = ""
                if c.new_failures:
                    extra += " – now failing " + ", ".join(e(r) for r in c.new_failures)
                if c.resolved:
                    extra += " – fixed " + ", ".join(e(r) for r in c.resolved)
                lines.append(
                    f"- {label}: {e(c.name)} ({e(c.before_readiness)} → {e(c.after_readiness)}){extra}"
                )
        if diff.added:
            lines.append("- New hosts: " + ", ".join(e(n) for n in diff.added))
        if diff.removed:
            lines.append("- No longer in the run: " + ", ".join(e(n) for n in diff.removed))
        if diff.empty:
            lines.append("No changes.")
    return "\n".join(lines) + "\n"
