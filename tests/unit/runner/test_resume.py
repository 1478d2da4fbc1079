"""``--resume`` keeps journaled hosts and accounts for hosts removed from the inventory since."""

from __future__ import annotations

import json

from umcheck.journal import Journal, read_journal
from umcheck.results import HostResult, HostStatus, Readiness
from umcheck.scan import ScanRequest, run_scan


async def test_resume_with_a_host_removed_from_the_inventory(tmp_path) -> None:
    inv = tmp_path / "inv.yml"
    inv.write_text(
        "all:\n  hosts:\n"
        "    done-host: {ansible_connection: local}\n"
        "    no-password: {ansible_connection: winrm, ansible_host: 127.0.0.1, "
        "ansible_password: \"{{ lookup('env', 'UMCHECK_TEST_UNSET_PW') }}\"}\n"
    )
    run_dir = tmp_path / "reports" / "20261126-000000-abcd"
    journal = Journal(run_dir / "journal.jsonl")
    journal.start({"run_id": "20261126-000000-abcd", "started": "2026-11-26T00:00:00+00:00",
                   "plan_hosts": ["done-host", "no-password", "retired-host"], "rules": []})  # fmt: skip
    journal.host(HostResult("done-host", readiness=Readiness.READY))
    journal.close()

    req = ScanRequest(inventory=[str(inv)], resume="20261126-000000-abcd", reports_dir=tmp_path / "reports",
                      formats=("json",), history=False, verbosity=-1, environ={})  # fmt: skip
    outcome = await run_scan(req)
    by = {h.name: h for h in outcome.fleet.hosts}
    assert [h.name for h in outcome.fleet.hosts] == ["done-host", "no-password", "retired-host"]
    assert by["done-host"].status == HostStatus.OK and by["done-host"].readiness == Readiness.READY
    assert by["no-password"].status == HostStatus.SKIPPED and "UMCHECK_TEST_UNSET_PW" in by["no-password"].error
    assert by["retired-host"].status == HostStatus.SKIPPED and "no longer in the inventory" in by["retired-host"].error
    assert len(read_journal(run_dir).hosts) == 3
    report = json.loads((run_dir / "report.json").read_text())
    assert [h["name"] for h in report["hosts"]] == ["done-host", "no-password", "retired-host"]
