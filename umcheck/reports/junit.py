"""``report.junit.xml``: a testsuite per host, a testcase per rule, for CI dashboards.

Failed → ``<failure>``, NotEvaluated → ``<skipped>``, Passed/PassedWithWarning → pass (a
warning is noted in ``system-out``). A host whose scan failed gets one ``<error>`` testcase
named after its status, so an unreachable host is never a silent green. The testcases are the
merged state: an outcome carried forward from an earlier run says so (``[carried from run RUN,
2h old]`` before its message; a carried pass gets that note in ``system-out``), and a rule with no
result at all (a partial host) is a skipped testcase. ElementTree escapes markup; characters
XML 1.0 cannot carry at all are replaced first. Written suite by suite (``iter_junit``): 10,000
hosts' testcases are half a million elements, never one tree in memory.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator

from umcheck.reports.carried import carried_prefix
from umcheck.reports.escape import xml_text
from umcheck.reports.summary import UNRECORDED, parse_time
from umcheck.results import CheckResult, FleetResult, HostResult, HostStatus, RuleOutcome


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: object) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items() if v is not None})
    if text:
        el.text = xml_text(text)
    return el


MISSING_MESSAGE = "no result: not evaluated in this run and no earlier result (run a full scan)"


def _outcome_text(o: RuleOutcome) -> str:
    lines = [carried_prefix(o) + (o.CheckResultMessage or "")]
    if o.carried is not None:
        lines.append(f"Evaluated at: {o.carried.evaluated_at} (not in this run)")
    if o.reason:
        lines.append(f"Reason: {o.reason}")
    for k, v in o.evidence.items():
        lines.append(f"Evidence {k}: {v}")
    if o.remediation is not None:
        lines.append(f"Fix: {o.remediation.summary}")
        lines.extend(f"  {c}" for c in o.remediation.commands)
        lines.extend(f"See: {link}" for link in o.remediation.links)
    return "\n".join(line for line in lines if line)


def _suite(root: ET.Element, fleet: FleetResult, h: HostResult) -> dict[str, int]:
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    suite = _el(
        root,
        "testsuite",
        name=h.name,
        timestamp=h.started,
        hostname=h.address or h.name,
        time=f"{h.elapsed_ms / 1000:.3f}",
    )
    props = _el(suite, "properties")
    for key, value in (
        ("readiness", h.readiness),
        ("status", h.status),
        ("os_family", h.os_family),
        ("transport", h.transport),
        ("run_id", fleet.run_id),
        ("scope", fleet.scope.label if fleet.scope else UNRECORDED),
    ):
        if value:
            _el(props, "property", name=key, value=value)
    if h.status != HostStatus.OK:
        case = _el(suite, "testcase", classname=f"umcheck.{h.name}", name=f"scan ({h.status})", time="0")
        _el(case, "error", h.error or "", message=h.error or h.status, type=h.status)
        counts["tests"] += 1
        counts["errors"] += 1
    for o in h.outcomes:
        case = _el(
            suite,
            "testcase",
            classname=f"umcheck.{h.name}.{o.RuleGroupId}",
            name=f"{o.RuleId}: {o.RuleName}",
            time="0",
        )
        counts["tests"] += 1
        if o.CheckResult == CheckResult.FAILED:
            _el(
                case,
                "failure",
                _outcome_text(o),
                message=carried_prefix(o) + (o.CheckResultMessage or o.RuleId),
                type=o.CheckResultMessageId or "Failed",
            )
            counts["failures"] += 1
        elif o.CheckResult == CheckResult.NOT_EVALUATED:
            _el(case, "skipped", message=carried_prefix(o) + (o.CheckResultMessage or "not evaluated"))
            counts["skipped"] += 1
        elif o.CheckResult == CheckResult.WARNING:
            _el(case, "system-out", "WARNING " + _outcome_text(o))
        elif o.carried is not None:  # a pass from an earlier run: say how old it is
            _el(case, "system-out", _outcome_text(o))
    for rule_id in h.missing_rules:
        case = _el(suite, "testcase", classname=f"umcheck.{h.name}", name=f"{rule_id}: no result", time="0")
        _el(case, "skipped", message=MISSING_MESSAGE)
        counts["tests"] += 1
        counts["skipped"] += 1
    for key, value in counts.items():
        suite.set(key, str(value))
    return counts


def _counts(h: HostResult) -> dict[str, int]:
    """What ``_suite`` counts, without building it: the totals open the file, before any suite."""
    failed = sum(1 for o in h.outcomes if o.CheckResult == CheckResult.FAILED)
    skipped = sum(1 for o in h.outcomes if o.CheckResult == CheckResult.NOT_EVALUATED) + len(h.missing_rules)
    error = int(h.status != HostStatus.OK)
    return {"tests": error + len(h.outcomes) + len(h.missing_rules), "failures": failed, "errors": error,
            "skipped": skipped}  # fmt: skip


def root_element(fleet: FleetResult, counts: Iterable[dict[str, int]]) -> ET.Element:
    """``<testsuites>`` with the run's name, the totals of ``counts`` (one per suite) and its time."""
    root = ET.Element("testsuites", {"name": xml_text(f"umcheck {fleet.run_id}")})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in counts:
        for key, value in suite.items():
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    a, b = parse_time(fleet.started), parse_time(fleet.finished)
    if a and b and (a.tzinfo is None) == (b.tzinfo is None):
        root.set("time", f"{(b - a).total_seconds():.3f}")
    return root


def iter_junit(fleet: FleetResult) -> Iterator[str]:
    """The report in chunks: the root's opening tag with the totals, then one suite at a time."""
    root = root_element(fleet, (_counts(h) for h in fleet.hosts))
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    if not fleet.hosts:
        yield ET.tostring(root, encoding="unicode") + "\n"
        return
    close = "</testsuites>"
    yield ET.tostring(root, encoding="unicode", short_empty_elements=False)[: -len(close)]
    for h in fleet.hosts:
        holder = ET.Element("testsuites")  # ET.indent of the whole tree, one suite at a time
        _suite(holder, fleet, h)
        ET.indent(holder)
        yield "\n  " + ET.tostring(holder[0], encoding="unicode").rstrip()
    yield f"\n{close}\n"


def render_junit(fleet: FleetResult) -> str:
    return "".join(iter_junit(fleet))
