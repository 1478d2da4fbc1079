"""Re-checks and history that tell the truth (issue #10), end to end over real transports.

A `umcheck sim start` subprocess simulates four hosts: host-a with TLS 1.2 disabled *and* the
Automation/Log Analytics endpoints blocked, host-b with the endpoints blocked only, and two
healthy hosts (WinRM, SSH). One full scan is recorded; then the simulator is restarted on the
same addresses and ports with the firewall fixed for both (host-a keeps TLS 1.2 off), and each
test re-checks only the connectivity rules from a copy of that history, as an operator would:

* host-b is Ready; host-a stays Disconnected because of TlsVersionCheck, carried forward from
  the full scan (with that run's id and its age), never because of a rule it did not re-run;
* `umcheck diff` calls host-b fixed, and says nothing about TlsVersionCheck;
* the next full scan is not "newly failing" anywhere, and the trend shows one column per run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import pytest

from .e2e import PASSWORD, PASSWORD_ENV, Procs
from .recheck_fleet import (
    AFTER,
    BEFORE,
    CONNECTIVITY,
    HOSTS,
    JRDS,
    NOTHING_TO_DO,
    TLS,
    WIN_CONNECTIVITY,
    ChangingFleet,
    Run,
    failed,
    journal_header,
    outcome,
    run_umcheck,
    scan,
    umcheck,
    when,
)

PLAYBOOKS = Path(__file__).resolve().parents[3] / "playbooks"
A, B = "host-a", "host-b"


@dataclass
class Base:
    fleet: ChangingFleet
    env: dict[str, str]
    reports: Path  # reports folder + umcheck.db holding only the full scan (copied by each test)
    first: Run  # the full scan, before the firewall fix


def _env() -> dict[str, str]:
    env = {**os.environ, PASSWORD_ENV: PASSWORD, "NO_PROXY": "127.0.0.0/8,localhost,::1"}
    env["no_proxy"] = env["NO_PROXY"]
    return env


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rechecks")
    env, procs = _env(), Procs()
    fleet = ChangingFleet(procs, tmp, env)
    try:
        fleet.start(BEFORE)
        reports = tmp / "base" / "reports"
        reports.parent.mkdir()
        first = scan(fleet, reports, env=env)
        assert first.rc == 1, first.why()  # two hosts not Ready
        fleet.change(AFTER)  # the firewall was fixed; host-a still has TLS 1.2 disabled
        yield Base(fleet, env, reports, first)
    finally:
        try:
            fleet.stop()
        finally:
            procs.close()


def _copy(base: Base, tmp_path: Path) -> Path:
    """This test's own reports folder: the full scan's run folder and history database."""
    return Path(shutil.copytree(base.reports, tmp_path / "reports"))


def _history(reports: Path, env: dict[str, str]) -> list[dict]:
    proc = umcheck(
        "history", "--db", str(reports / "umcheck.db"), "--json", "-n", "0", cwd=reports.parent, env=env
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _diff(reports: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = umcheck("diff", "--db", str(reports / "umcheck.db"), *args, cwd=reports.parent, env=env)
    return proc.returncode, proc.stdout + proc.stderr


def _buckets(diff: dict) -> dict[str, dict]:
    """host -> (bucket, change) over the four host buckets of a diff; a host lands in at most one."""
    out: dict[str, dict] = {}
    for key in ("newly_failing", "fixed", "newly_unreachable", "changed"):
        for change in diff[key]:
            assert change["name"] not in out, f"{change['name']} in two buckets"
            out[change["name"]] = {"bucket": key, **change}
    return out


def _no_tls_news(diff: dict) -> None:
    for key in ("newly_failing", "fixed", "newly_unreachable", "changed"):
        for change in diff[key]:
            assert TLS not in change["new_failures"] and TLS not in change["resolved"], (key, change)


def _check_merged_recheck(run: Run, first: Run, hosts: list[str]) -> None:
    """A connectivity re-check of ``hosts`` after the firewall fix, graded on merged state."""
    assert run.rc == 1, run.why()  # host-a is still not Ready
    assert sorted(run.names) == sorted(hosts), run.names
    scope = run.report["scope"]
    assert scope["kind"] == "partial" and scope["rules"] == ["connectivity"], scope
    assert scope["hosts"] == len(hosts)
    first_a = first.host(A)
    run_started = when(run.report["started"])

    a = run.host(A)
    assert (a["status"], a["readiness"]) == ("ok", "Disconnected"), a["readiness_reason"]
    assert TLS in a["readiness_reason"], a["readiness_reason"]
    assert not [r for r in WIN_CONNECTIVITY if r in a["readiness_reason"]], a["readiness_reason"]
    assert failed(a) == {TLS}
    assert a["missing_rules"] == []
    tls = outcome(a, TLS)
    carried = tls["carried"]
    assert carried and carried["run_id"] == first.run_id, tls  # from the full scan, not this re-check
    assert carried["age_seconds"] >= 0
    assert when(first.report["started"]) <= when(carried["evaluated_at"]) <= when(first.report["finished"])
    assert carried["age_seconds"] <= (run_started - when(first.report["started"])).total_seconds() + 1
    for o in a["outcomes"]:
        if o["RuleId"] in CONNECTIVITY:
            assert o["carried"] is None and o["CheckResult"] == "Passed", o  # evaluated now, and fixed
        else:
            assert o["carried"] and o["carried"]["run_id"] == first.run_id, o
    assert {o["RuleId"] for o in a["outcomes"]} == {o["RuleId"] for o in first_a["outcomes"]}

    if B in hosts:
        b = run.host(B)
        assert (b["status"], b["readiness"]) == ("ok", "Ready"), b["readiness_reason"]
        assert failed(b) == set() and b["missing_rules"] == []
        assert outcome(b, JRDS)["carried"] is None and outcome(b, JRDS)["CheckResult"] == "Passed"
        assert outcome(b, TLS)["carried"]["run_id"] == first.run_id
        assert outcome(b, TLS)["CheckResult"] == "Passed"


# --------------------------------------------------------------------------------------- tests


def test_the_full_scan_sees_both_problems(base):
    first = base.first
    assert sorted(first.names) == sorted(HOSTS)
    assert first.report["scope"]["kind"] == "full" and first.report["scope"]["hosts"] == len(HOSTS)
    a, b = first.host(A), first.host(B)
    assert a["readiness"] == "Disconnected" and {TLS, JRDS} <= failed(a) <= {TLS} | WIN_CONNECTIVITY
    assert b["readiness"] == "Disconnected" and JRDS in failed(b) and failed(b) <= WIN_CONNECTIVITY
    for name in ("ok-win", "ok-lnx"):
        assert first.host(name)["readiness"] == "Ready", first.host(name)["readiness_reason"]
    assert not [o for h in first.report["hosts"] for o in h["outcomes"] if o.get("carried")]
    assert sorted((first.run_dir / "failed.txt").read_text().split()) == [A, B]


def test_recheck_then_full_scan_tells_the_truth(base, tmp_path):
    env, first = base.env, base.first
    reports = _copy(base, tmp_path)

    # 1. Re-check only the connectivity rules on the two hosts.
    second = scan(base.fleet, reports, "--rules", "connectivity", "-l", f"{A},{B}", env=env)
    _check_merged_recheck(second, first, [A, B])
    assert second.report["scope"]["limit"] == f"{A},{B}"
    assert journal_header(second.run_dir)["scope"] == second.report["scope"]

    # 2. `umcheck diff`: host-b fixed by its connectivity rules; nothing about TlsVersionCheck.
    rc, text = _diff(reports, env, "--json")
    assert rc == 0, text
    diff = json.loads(text)
    assert (diff["old_run"], diff["new_run"], diff["mode"]) == (first.run_id, second.run_id, "runs")
    assert TLS not in text, text
    hosts = _buckets(diff)
    assert hosts[B]["bucket"] == "fixed" and JRDS in hosts[B]["resolved"], hosts[B]
    assert set(hosts[B]["resolved"]) <= WIN_CONNECTIVITY and hosts[B]["new_failures"] == []
    assert hosts[A]["bucket"] == "changed", hosts[A]  # still Disconnected, its connectivity fixed
    assert (hosts[A]["before_readiness"], hosts[A]["after_readiness"]) == ("Disconnected", "Disconnected")
    assert JRDS in hosts[A]["resolved"] and set(hosts[A]["resolved"]) <= WIN_CONNECTIVITY
    assert (
        set(hosts) == {A, B} and diff["added"] == [] and diff["removed"] == []
    )  # the others were not re-checked
    rc, text = _diff(reports, env, "--exit-code")
    assert rc == 0, text

    # 3. `umcheck diff --state`: the merged fleet states after each run say the same.
    rc, text = _diff(reports, env, "--state", "--json")
    assert rc == 0, text
    state = json.loads(text)
    assert state["mode"] == "state" and TLS not in text, text
    hosts = _buckets(state)
    assert set(hosts) == {A, B}, hosts  # ok-win / ok-lnx: carried on both sides, unchanged
    assert hosts[B]["bucket"] == "fixed" and JRDS in hosts[B]["resolved"]
    assert hosts[A]["after_readiness"] == "Disconnected" and JRDS in hosts[A]["resolved"]
    assert state["added"] == [] and state["removed"] == [] and state["newly_failing"] == []
    _no_tls_news(second.report["diff"])  # the re-check's own report ("changes since")
    assert [c["name"] for c in second.report["diff"]["fixed"]] == [B]

    # 4. Nothing left to re-check on connectivity: one line, exit 0, no run recorded.
    nothing = scan(base.fleet, reports, "--rules", "connectivity", "--failed-rule", "connectivity", env=env)
    assert nothing.rc == 0, nothing.why()
    assert nothing.run_dir is None and len(nothing.out.strip().splitlines()) == 1, nothing.why()
    assert NOTHING_TO_DO.match(nothing.out.strip()), nothing.out
    history = _history(reports, env)
    assert [r["run_id"] for r in history] == [second.run_id, first.run_id]
    assert [r["scope"]["kind"] for r in history] == ["partial", "full"]
    assert history[0]["scope_label"].startswith("partial") and "connectivity" in history[0]["scope_label"]
    assert history[0]["scope"] == second.report["scope"] and history[1]["scope"] == first.report["scope"]

    # 5. The next full scan: host-a is still failing TLS, but nothing is "newly failing".
    third = scan(base.fleet, reports, env=env)
    assert third.rc == 1, third.why()
    assert third.report["scope"]["kind"] == "full"
    a = third.host(A)
    assert (a["readiness"], failed(a)) == ("Disconnected", {TLS}), a["readiness_reason"]
    assert {h["name"]: h["readiness"] for h in third.report["hosts"]} == {
        A: "Disconnected", B: "Ready", "ok-win": "Ready", "ok-lnx": "Ready"}  # fmt: skip
    assert not [o for h in third.report["hosts"] for o in h["outcomes"] if o.get("carried")]
    assert third.report["diff"]["newly_failing"] == [] and third.report["diff"]["newly_unreachable"] == []
    _no_tls_news(third.report["diff"])
    rc, text = _diff(reports, env, "--exit-code")
    assert rc == 0, f"`umcheck diff --exit-code` after the full scan: {text}"
    rc, text = _diff(reports, env, "--json")
    diff = json.loads(text)
    assert diff["newly_failing"] == [] and diff["newly_unreachable"] == [], text
    _no_tls_news(diff)
    rc, text = _diff(reports, env, "--state", "--exit-code")
    assert rc == 0, f"`umcheck diff --state --exit-code` after the full scan: {text}"
    rc, text = _diff(reports, env, first.run_id, third.run_id, "--json")  # full vs full: TLS unchanged
    diff = json.loads(text)
    assert _buckets(diff)[B]["bucket"] == "fixed" and diff["newly_failing"] == []
    _no_tls_news(diff)
    assert [r["scope"]["kind"] for r in _history(reports, env)] == ["full", "partial", "full"]

    # 6. The trend of the last report: one column per run, each with its date and time.
    _check_trend(third.run_dir / "report.html", [first, second, third], partial={second.run_id})


def _check_trend(html_file: Path, runs: list[Run], partial: set[str]) -> None:
    html = html_file.read_text()
    section = html[html.index('id="trend"') :]
    section = section[: section.index("</section>")]
    columns = re.findall(
        r'<g class="trend-col([^"]*)">\s*<title>([^<]*)</title>(.*?)</g>', section, re.DOTALL
    )
    assert len(columns) == len(runs), f"{len(columns)} trend columns for {len(runs)} runs"
    for (classes, title, body), run in zip(columns, runs, strict=True):
        started = when(run.report["started"]).astimezone(UTC)
        day, clock = started.strftime("%m-%d"), started.strftime("%H:%M")
        assert title.startswith(run.run_id), title
        labels = re.findall(r'<text class="axis"[^>]*>([^<]*)</text>', body)
        assert labels[:2] == [day, clock + ("*" if run.run_id in partial else "")], (run.run_id, labels)
        assert ("partial" in classes.split()) == (run.run_id in partial), (run.run_id, classes)
        # Each bar is the merged fleet state: a re-check of two hosts does not plot a 2-host fleet.
        counts = {state: int(n) for state, n in re.findall(r"– ([A-Za-z ]+): (\d+)</title>", body)}
        assert sum(counts.values()) == len(HOSTS), (run.run_id, counts)
    # After the re-check: host-a Disconnected (TLS carried), the other three Ready.
    counts = {state: int(n) for state, n in re.findall(r"– ([A-Za-z ]+): (\d+)</title>", columns[1][2])}
    assert counts == {"Ready": 3, "Disconnected": 1}, counts


SELECTIONS = {
    "limit-names": (["-l", f"{A},{B}"], [A, B]),
    "failed-rule-group": (["--failed-rule", "connectivity"], [A, B]),
    "failed-rule-jrds": (["--failed-rule", JRDS], [A, B]),
    "failed-rule-tls": (["--failed-rule", TLS], [A]),
    "rerun-failed": (["--rerun-failed"], [A, B]),
    "limit-failed-txt": (["--limit", "@{failed}"], [A, B]),
}


@pytest.mark.parametrize("how", list(SELECTIONS))
def test_every_way_of_selecting_a_recheck_obeys_the_merge(base, tmp_path, how):
    reports = _copy(base, tmp_path)
    args, hosts = SELECTIONS[how]
    failed_txt = reports / base.first.run_id / "failed.txt"
    args = [a.replace("{failed}", str(failed_txt)) for a in args]
    run = scan(base.fleet, reports, "--rules", "connectivity", *args, env=base.env)
    _check_merged_recheck(run, base.first, hosts)
    if how.startswith("failed-rule") or how == "rerun-failed":
        assert run.report["scope"]["rerun"], run.report["scope"]
    assert journal_header(run.run_dir)["scope"] == run.report["scope"]


def test_rerun_failed_twice_narrows_to_what_still_fails(base, tmp_path):
    reports = _copy(base, tmp_path)
    second = scan(base.fleet, reports, "--rules", "connectivity", "--rerun-failed", env=base.env)
    _check_merged_recheck(second, base.first, [A, B])
    # The selection comes from the merged state after the re-check: host-b is Ready now.
    third = scan(base.fleet, reports, "--rules", "connectivity", "--rerun-failed", env=base.env)
    _check_merged_recheck(third, base.first, [A])  # TLS still carried from the full scan, not from `second`
    third_tls = outcome(third.host(A), TLS)["carried"]
    second_tls = outcome(second.host(A), TLS)["carried"]
    assert third_tls["evaluated_at"] == second_tls["evaluated_at"]
    assert third_tls["age_seconds"] >= second_tls["age_seconds"]
    rc, text = _diff(reports, base.env, "--json")  # re-check vs re-check: nothing changed
    diff = json.loads(text)
    assert rc == 0 and diff["newly_failing"] == [] and diff["fixed"] == [], text
    _no_tls_news(diff)


def test_playbook_recheck_connectivity_obeys_the_merge(base, tmp_path):
    _copy(base, tmp_path)  # the playbook writes to ./reports (output_dir: reports)
    run = run_umcheck("run", str(PLAYBOOKS / "recheck-connectivity.yml"), "-i", str(base.fleet.inventory),
                      cwd=tmp_path, env=base.env)  # fmt: skip
    assert "PLAY [re-check connectivity of last run's failures]" in run.out, run.why()
    assert run.run_dir is not None and run.run_dir.parent == tmp_path / "reports", run.why()
    _check_merged_recheck(run, base.first, [A, B])
    assert run.report["scope"]["rerun"], run.report["scope"]
    summary = (run.run_dir / "summary.txt").read_text()  # the text report carries the "changes since" part
    for text in (run.out, summary):
        for line in re.findall(r"^\s*fixed: (.+)$", text, re.MULTILINE):
            assert _rule_names(line) <= WIN_CONNECTIVITY, f"the connectivity re-check printed 'fixed: {line}'"
        assert not re.findall(r"^\s*now failing: .*$", text, re.MULTILINE), text
        for line in text.splitlines():
            if "fixed:" in line or "now failing:" in line:
                assert TLS not in line, line
    assert re.search(r"^\s*fixed: .*AutomationAgentServiceConnectivityCheck1", summary, re.MULTILINE), summary
    diff = run.report["diff"]
    _no_tls_news(diff)
    assert [c["name"] for c in diff["fixed"]] == [B] and diff["newly_failing"] == []
    for key in ("fixed", "changed"):
        for change in diff[key]:
            assert set(change["resolved"]) <= WIN_CONNECTIVITY and change["new_failures"] == [], change


def _rule_names(line: str) -> set[str]:
    """Rule ids of a 'fixed: A, B, C…' line; a name cut short with '…' is completed from its prefix."""
    names = set()
    for item in (x.strip() for x in line.split(",")):
        if item.endswith("…"):
            whole = [r for r in CONNECTIVITY | {TLS} if r.startswith(item[:-1])]
            names.add(whole[0] if len(whole) == 1 else item)
        elif item:
            names.add(item)
    return names


def test_recheck_with_no_host_failing_the_rule_is_one_line_and_exit_0(base, tmp_path):
    reports = _copy(base, tmp_path)
    before = sorted(p.name for p in reports.iterdir())
    run = scan(
        base.fleet,
        reports,
        "--rules",
        "servicehealth",
        "--failed-rule",
        "WUServiceRunningCheck",
        env=base.env,
    )
    assert run.rc == 0, run.why()
    assert len(run.out.strip().splitlines()) == 1 and NOTHING_TO_DO.match(run.out.strip()), run.why()
    assert sorted(p.name for p in reports.iterdir()) == before  # no run folder
    assert [r["run_id"] for r in _history(reports, base.env)] == [base.first.run_id]


def test_partial_scan_with_no_earlier_result_is_never_ready(base, tmp_path):
    reports = tmp_path / "reports"  # a history that has never seen ok-win
    run = scan(base.fleet, reports, "--rules", "connectivity", "-l", "ok-win", env=base.env)
    assert run.rc == 1, run.why()
    h = run.host("ok-win")
    assert h["status"] == "ok" and failed(h) == set()
    assert h["readiness"] == "Unknown", h["readiness_reason"]
    assert h["readiness_reason"].startswith("partial:"), h["readiness_reason"]
    assert TLS in h["missing_rules"] and not set(h["missing_rules"]) & CONNECTIVITY, h["missing_rules"]
    assert not [o for o in h["outcomes"] if o.get("carried")]


def test_demo_runs_stay_out_of_the_history(base, tmp_path):
    reports = _copy(base, tmp_path)  # a real history with one run, in ./reports/umcheck.db
    env = base.env
    demo_default = run_umcheck("demo", "--hosts", "4", cwd=tmp_path, env=env)
    assert demo_default.rc == 0, demo_default.why()
    assert demo_default.run_dir.parent == tmp_path / "umcheck-demo", demo_default.run_dir
    demo_reports = run_umcheck("demo", "--hosts", "4", "-o", "reports", cwd=tmp_path, env=env)
    assert demo_reports.rc == 0, demo_reports.why()
    assert demo_reports.run_dir.parent == reports, demo_reports.run_dir

    proc = umcheck("history", "--json", cwd=tmp_path, env=env)  # the default history: reports/umcheck.db
    assert proc.returncode == 0, proc.stderr
    assert [r["run_id"] for r in json.loads(proc.stdout)] == [base.first.run_id]
    proc = umcheck("history", cwd=tmp_path, env=env)
    assert demo_default.run_id not in proc.stdout and demo_reports.run_id not in proc.stdout, proc.stdout
    for db, run in (
        (tmp_path / "umcheck-demo" / "demo.db", demo_default),
        (reports / "demo.db", demo_reports),
    ):
        proc = umcheck("history", "--db", str(db), "--json", cwd=tmp_path, env=env)
        assert proc.returncode == 0, proc.stderr
        assert [r["run_id"] for r in json.loads(proc.stdout)] == [run.run_id], db
