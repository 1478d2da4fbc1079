"""The real Linux collector on this machine, scanned over a real OpenSSH sshd and over
``ansible_connection: local``; every collector probe is pointed at a loopback listener.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml
from probe_listener import probe_listener

from umcheck.plan import Timeouts
from umcheck.results import CheckResult, HostStatus, Readiness
from umcheck.scan import ScanRequest, run_scan


def _agent_installed() -> bool:
    return any(Path(p).exists() for p in ("/opt/microsoft/omsagent", "/etc/opt/microsoft/omsagent/conf/omsadmin.conf"))


async def test_real_sshd_and_local_host_with_the_linux_collector(sshd, tmp_path):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {
        "linux": {"hosts": {"real-sshd": {
            "ansible_connection": "ssh", "ansible_host": sshd.host, "ansible_port": sshd.port,
            "ansible_user": sshd.user, "ansible_ssh_private_key_file": str(sshd.client_key),
            "umcheck_known_hosts": str(sshd.known_hosts), "umcheck_automation_account_location": "westeurope"}}},
        "controller": {"hosts": {"jump-host": {
            "ansible_connection": "local", "umcheck_automation_account_location": "westeurope"}}},
    }}}))  # fmt: skip
    async with probe_listener() as listener:
        req = ScanRequest(inventory=[str(inventory)], reports_dir=tmp_path / "reports", formats=("json",),
                          timeouts=Timeouts(connect=10, host=60, probe=2), verbosity=-1, forks=2,
                          probe_overrides=(("*", f"127.0.0.1:{listener.port}"),))  # fmt: skip
        outcome = await asyncio.wait_for(run_scan(req), 90)
    hosts = {h.name: h for h in outcome.fleet.hosts}
    assert set(hosts) == {"real-sshd", "jump-host"}
    assert hosts["real-sshd"].transport == "ssh" and hosts["jump-host"].transport == "local"
    # Every probe of both collectors landed on the loopback listener, and nowhere else.
    assert listener.peers and set(listener.peers) == {"127.0.0.1"}
    for name, h in hosts.items():
        assert (h.status, h.error, h.attempts) == (HostStatus.OK, None, 1), f"{name}: {h.error_kind}: {h.error}"
        assert h.os_family == "linux" and h.address in (sshd.host, name)
        ids = {o.RuleId: o for o in h.outcomes}
        assert len(ids) >= 10 and all(r.startswith(("Linux.", "SR.")) for r in ids), sorted(ids)
        # This machine has no Arc agent, no worker extension: the successor pack says so, read-only.
        assert ids["SR.Arc.AgentInstalled"].CheckResult != CheckResult.NOT_EVALUATED, ids["SR.Arc.AgentInstalled"]
        assert h.migration != "Unknown", h.migration_reason
        assert {"Linux.OperatingSystemCheck", "Linux.OMSAgentInstallCheck", "Linux.ImdsCheck",
                "Linux.AgentServiceConnectivityCheck"} <= set(ids)  # fmt: skip
        # The IMDS probe (169.254.169.254 on a real VM) was answered by the loopback listener.
        assert ids["Linux.ImdsCheck"].CheckResult == CheckResult.PASSED, ids["Linux.ImdsCheck"]
        if not _agent_installed():  # this machine is no Hybrid Runbook Worker
            assert ids["Linux.OMSAgentInstallCheck"].CheckResult == CheckResult.FAILED
            assert h.readiness == Readiness.NOT_CONFIGURED, h.readiness_reason
        else:
            assert h.readiness in (Readiness.READY, Readiness.DISCONNECTED, Readiness.NOT_CONFIGURED)
    # The same machine, seen two ways, gives the same verdicts.
    verdicts = [{o.RuleId: o.CheckResult for o in h.outcomes} for h in hosts.values()]
    assert verdicts[0] == verdicts[1]
