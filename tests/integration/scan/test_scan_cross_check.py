"""``--cross-check``: umcheck's collector and Microsoft's script on the same connection, compared.

The simulator answers the official script's invocation (umcheck/sim/official.py) with the rows
the official logic gives for the machine: agreement on healthy hosts; on proxy_denies_tunnel the
official script passes HttpsConnection (a 403 counts as success) where umcheck warns — a
disagreement explained by Q-W6b; and on hosts whose scenario forces the official answer to
differ, an unexplained disagreement. Every report format carries it.
"""

from __future__ import annotations

import json

import pytest

from umcheck.errors import UsageError
from umcheck.results import HostStatus

from .e2e import run_sync, scan_fleet, spec

WINDOWS_SCRIPT = "param([string]$automationAccountLocation, [switch]$returnAsJson)\n# stand-in\n"
LINUX_SCRIPT = "# reads /etc/opt/microsoft/omsagent/conf/omsadmin.conf on a real host\nprint('[]')\n"
FORCED_WIN = {"MonitoringAgentServiceRunningCheck": "Failed"}
FORCED_LNX = {"Linux.OMSAgentStatusCheck": "Failed"}


def _specs():
    return [
        spec("w-healthy", "winrm"),
        spec("w-psrp-healthy", "psrp"),
        spec("w-denies-tunnel", "winrm-https", states=("proxy_denies_tunnel",)),
        spec("w-forced", "psrp", official=tuple(FORCED_WIN.items())),
        spec("l-healthy", "ssh"),
        spec("l-forced", "ssh", official=tuple(FORCED_LNX.items())),
    ]


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cross")
    win, lnx = tmp / "UM_Windows_Troubleshooter_Offline.ps1", tmp / "UM_Linux_Troubleshooter_Offline.py"
    win.write_text(WINDOWS_SCRIPT)
    lnx.write_text(LINUX_SCRIPT)
    cross = (("windows", str(win)), ("linux", str(lnx)))
    return run_sync(scan_fleet(_specs(), tmp, cross_check=cross, formats=("json", "html", "text")), timeout=600)


def test_healthy_hosts_agree_on_every_rule(scan) -> None:
    for name, rules in (("w-healthy", 20), ("w-psrp-healthy", 20), ("l-healthy", 15)):
        h = scan.host(name)
        assert h.status == HostStatus.OK and h.cross_check is not None, (name, h.error)
        assert h.cross_check.status == "compared" and h.cross_check.disagreements == [], h.cross_check
        assert h.cross_check.agreed == rules and h.cross_check.official_readiness == "Ready"
        assert scan.stats[name]["collector_runs"] == 1  # the official run is not a second collector run


def test_a_documented_deviation_is_named(scan) -> None:
    c = scan.host("w-denies-tunnel").cross_check
    assert [(d.rule_id, d.umcheck, d.official, d.deviation) for d in c.disagreements] == [
        ("HttpsConnection", "HttpsConnection.PassedWithWarning", "HttpsConnection.Passed", "Q-W6b")
    ]
    assert c.unexplained == []


@pytest.mark.parametrize(("name", "forced"), [("w-forced", FORCED_WIN), ("l-forced", FORCED_LNX)])
def test_a_forced_disagreement_is_reported_unexplained(scan, name: str, forced: dict[str, str]) -> None:
    h = scan.host(name)
    assert h.readiness == "Ready"  # umcheck's own verdict is untouched by the official answer
    (rule, result), = forced.items()
    (d,) = h.cross_check.disagreements
    assert (d.rule_id, d.umcheck, d.official, d.deviation) == (rule, f"{rule}.Passed", f"{rule}.{result}", None)
    assert h.cross_check.official_readiness == "Disconnected"


def test_every_report_carries_it(scan) -> None:
    run_dir = scan.outcome.run_dir
    data = json.loads((run_dir / "report.json").read_text())
    by = {h["name"]: h for h in data["hosts"]}
    assert by["w-forced"]["cross_check"]["disagreements"][0]["rule_id"] == "MonitoringAgentServiceRunningCheck"
    assert by["w-healthy"]["cross_check"]["agreed"] == 20
    text = (run_dir / "summary.txt").read_text()
    assert "Cross-check with the official troubleshooter" in text
    lines = text.splitlines()
    assert "  w-forced: MonitoringAgentServiceRunningCheck: umcheck Passed, official Failed (NOT EXPLAINED)" in lines
    assert "  l-forced: Linux.OMSAgentStatusCheck: umcheck Passed, official Failed (NOT EXPLAINED)" in lines
    assert "  w-denies-tunnel: HttpsConnection: umcheck PassedWithWarning, official Passed (deviation Q-W6b)" in lines
    assert "6 hosts: 3 agree, 1 differ only where a documented deviation explains it, 2 with unexplained" in text
    html = (run_dir / "report.html").read_text()
    assert 'id="cross-check"' in html and "<strong>not explained</strong>" in html and "<code>Q-W6b</code>" in html


def test_script_and_cross_check_for_the_same_os_is_a_usage_error(tmp_path) -> None:
    import argparse

    from umcheck.commands import scan as scan_cmd

    script = tmp_path / "UM_Windows_Troubleshooter_Offline.ps1"
    script.write_text(WINDOWS_SCRIPT)
    args = argparse.Namespace(script=[f"official-windows={script}"], cross_check=[f"official-windows={script}"])
    with pytest.raises(UsageError, match="choose one"):
        scan_cmd._cross_check(args)
    args = argparse.Namespace(script=[], cross_check=["windows=" + str(script)])
    with pytest.raises(UsageError, match="--cross-check 'windows="):
        scan_cmd._cross_check(args)
