"""``umcheck evaluate FILE...``: grade saved collector output without touching the fleet.

Accepts umcheck facts (bare JSON or a collector envelope with noise around it) and the JSON of
Microsoft's own troubleshooter scripts. Exit 0 when every host is Ready, 1 when any is not,
2 when a file cannot be read or used (the other files are still evaluated and printed).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from umcheck.commands.options import add_pack_option
from umcheck.endpoints import CLOUDS
from umcheck.errors import UsageError
from umcheck.evaluation import evaluate_output
from umcheck.packs import is_successor
from umcheck.reports.escape import one_line, printable
from umcheck.results import HostResult, HostStatus, Readiness
from umcheck.rules.base import RuleContext
from umcheck.rules.catalog import known_selector, pack_selectors, unknown_rule_message

MAX_INPUT = 16 * 1024 * 1024


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="evaluate saved facts or official troubleshooter output")
    p.add_argument("files", nargs="+", metavar="FILE", help="facts JSON, collector output, or official JSON ('-' = stdin)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--cloud", choices=CLOUDS, default="public")
    p.add_argument("--location", help="Automation account location, e.g. westeurope")
    p.add_argument("--rules", action="append", default=[], help="only these rules/groups (repeatable, comma-separated)")
    add_pack_option(p)
    azure = p.add_mutually_exclusive_group()
    azure.add_argument("--azure", dest="is_azure", action="store_const", const=True, help="the machines are Azure VMs")
    azure.add_argument("--not-azure", dest="is_azure", action="store_const", const=False, help="the machines are not Azure VMs")
    p.set_defaults(func=run, is_azure=None)


def selectors_from(values: list[str]) -> list[str]:
    selectors = [s.strip() for v in values for s in v.split(",") if s.strip()]
    for s in selectors:
        if not known_selector(s):
            raise UsageError(unknown_rule_message(s))
    return selectors


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read(MAX_INPUT + 1)
    try:
        with open(path, "rb") as fh:
            return fh.read(MAX_INPUT + 1)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None


def render_host(result: HostResult) -> str:
    """One host in detail: readiness, every outcome, remediation for what failed.

    Ids, reasons and errors come from the host (facts values, official JSON): each is made one
    printable line, so saved output cannot drive the terminal that reads this.
    """
    from tabulate import tabulate

    reason = one_line(result.readiness_reason)
    head = f"== {one_line(result.name)}: {result.readiness}" + (f" — {reason}" if reason else "")
    lines = [head]
    if result.status != HostStatus.OK:
        lines.append(f"   {result.status}: {one_line(result.error)}")
        return "\n".join(lines)
    if any(is_successor(o.RuleId) for o in result.outcomes):
        why = one_line(result.migration_reason)
        lines.append(f"   migration: {result.migration}" + (f" — {why}" if why else ""))
    rows = [[one_line(x) for x in (o.RuleId, o.CheckResult, o.CheckResultMessageId)] for o in result.outcomes]
    lines.append(tabulate(rows, headers=["Rule", "Result", "Message id"], tablefmt="simple"))
    for o in result.outcomes:
        if o.remediation and o.CheckResult in ("Failed", "PassedWithWarning"):
            lines.append(f"\n-> {one_line(o.RuleId)} ({one_line(o.CheckResult)}): {o.remediation.summary}")
            if o.reason:
                lines.append(f"   why: {one_line(o.reason)}")
            lines.extend(f"     {c}" for c in o.remediation.commands)
            if o.remediation.verify:
                lines.append(f"   verify: {o.remediation.verify}")
            lines.extend(f"   see: {link}" for link in o.remediation.links)
    for err in result.collector_errors:
        lines.append(f"   collector error: {one_line(err)}")
    return printable("\n".join(lines))


def run(args: argparse.Namespace) -> int:
    selectors = selectors_from(args.rules) + list(pack_selectors(args.pack))
    ctx = RuleContext(cloud=args.cloud, location=args.location, is_azure=args.is_azure, now=datetime.now(UTC))
    results: list[HostResult] = []
    bad_input: list[str] = []
    for path in args.files:
        raw = _read(path)
        name = Path(path).stem if path != "-" else "stdin"
        if len(raw) > MAX_INPUT:
            bad_input.append(f"{path}: larger than {MAX_INPUT} bytes")
            continue
        result = evaluate_output(HostResult(name=name, transport="file"), raw, ctx, selectors or None)
        if result.status == HostStatus.COLLECTOR_ERROR:
            bad_input.append(f"{path}: {one_line(result.error)}")
            continue
        results.append(result)
    if args.format == "json":
        print(json.dumps({"hosts": [r.to_dict() for r in results], "errors": bad_input}, indent=2, default=str))
    else:
        print("\n\n".join(render_host(r) for r in results))
        counts: dict[str, int] = {}
        for r in results:
            counts[r.readiness] = counts.get(r.readiness, 0) + 1
        if results:
            print("\n" + ", ".join(f"{v} {k}" for k, v in counts.items()))
    for line in bad_input:
        print(f"umcheck: error: {line}", file=sys.stderr)
    if bad_input:
        return 2
    return 0 if results and all(r.readiness == Readiness.READY for r in results) else 1
