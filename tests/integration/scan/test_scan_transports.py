"""run_scan against the simulator over every transport and auth umcheck can use here.

One fleet, one scan (module fixture): per transport/auth combination a healthy host, a host
with a problem that makes it Disconnected and a host that was never onboarded; plus one host per
machine state. Every host must end ``ok`` with the readiness its simulated machine implies.
"""

from __future__ import annotations

import collections
import json

import pytest

from tests.integration.sim.test_collector import MIGRATION_EXPECTED
from umcheck.inventory import load_inventory
from umcheck.packs.successor.migration import READY
from umcheck.results import HostStatus, Readiness
from umcheck.sim.machines import LINUX_STATES, SUCCESSOR_STATES, WINDOWS_STATES

from .e2e import PASSWORD, PASSWORD_ENV, expected_connection, expected_readiness, run_sync, scan_fleet, spec

# (simulator transport, client auth the inventory names) -> what the combination exercises
COMBOS = {
    ("winrm", "basic"): "WinRM http Basic",
    ("winrm", "ntlm"): "WinRM http NTLM with message encryption",
    ("winrm-https", "ntlm"): "WinRM https NTLM, certificate validated against the fleet CA",
    ("winrm-https", "basic"): "WinRM https Basic (ansible_winrm_transport: ssl)",
    ("psrp", "ntlm"): "PSRP http NTLM (encrypted)",
    ("psrp", "negotiate"): "PSRP http Negotiate/SPNEGO (encrypted)",
    ("psrp", "basic"): "PSRP http Basic (message_encryption never)",
    ("psrp-https", "negotiate"): "PSRP https Negotiate, CA validated",
    ("psrp-https", "ntlm"): "PSRP https NTLM, CA validated",
    ("psrp-https", "basic"): "PSRP https Basic, CA validated",
    ("ssh", "password"): "SSH password",
    ("ssh", "key"): "SSH public key",
}
PROBLEM = {"windows": ("tls12_disabled", "not_configured"), "linux": ("omsagent_stopped", "not_configured")}


def _combo_name(transport: str, auth: str) -> str:
    return f"{transport}-{auth}"


def _specs():
    specs = []
    for transport, auth in COMBOS:
        base = _combo_name(transport, auth)
        os_family = "linux" if transport == "ssh" else "windows"
        specs.append(spec(f"{base}-healthy", transport, auth=auth))
        for state in PROBLEM[os_family]:
            specs.append(spec(f"{base}-{state.replace('_', '-')}", transport, auth=auth, states=(state,)))
    specs += [spec(f"state-win-{s.replace('_', '-')}", "winrm", states=(s,)) for s in WINDOWS_STATES]
    specs += [spec(f"state-lnx-{s.replace('_', '-')}", "ssh", states=(s,)) for s in LINUX_STATES]
    # A fleet mid-migration over PSRP too (WinRM and SSH hosts of every state are above).
    specs += [spec(f"mig-psrp-{s.replace('_', '-')}", "psrp", auth="ntlm", states=(s,))
              for s in sorted(SUCCESSOR_STATES & set(WINDOWS_STATES))]
    return specs


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    return run_sync(scan_fleet(_specs(), tmp_path_factory.mktemp("transports"), forks=40), timeout=600)


def _check_host(scan, name: str) -> None:
    s = scan.specs[name]
    h = scan.host(name)
    assert (h.status, h.error) == (HostStatus.OK, None), f"{name}: {h.status} {h.error_kind}: {h.error}"
    assert h.readiness == expected_readiness(s), f"{name} {s.states}: {h.readiness} ({h.readiness_reason})"
    assert h.attempts == 1 and h.transport == expected_connection(s) and h.os_family == s.os
    legacy = [o for o in h.outcomes if not o.RuleId.startswith("SR.")]  # the successor pack is shared by both OSes
    assert legacy and all(o.RuleId.startswith("Linux.") == (s.os == "linux") for o in legacy)
    assert h.migration != "Unknown", f"{name}: {h.migration_reason}"  # facts v2 arrive over every transport
    assert scan.stats[name]["collector_runs"] == 1, scan.stats[name]  # scanned exactly once


@pytest.mark.parametrize(("transport", "auth"), list(COMBOS), ids=[_combo_name(*c) for c in COMBOS])
def test_transport_and_auth_combination(scan, transport, auth):
    names = [n for n, s in scan.specs.items() if n.startswith(_combo_name(transport, auth) + "-")
             and (s.transport, s.client_auth) == (transport, auth)]  # fmt: skip
    assert len(names) == 3
    for name in names:
        _check_host(scan, name)
    got = {scan.host(n).readiness for n in names}
    assert got == {Readiness.READY, Readiness.DISCONNECTED, Readiness.NOT_CONFIGURED}


@pytest.mark.parametrize("state", list(WINDOWS_STATES))
def test_windows_machine_state(scan, state):
    _check_host(scan, f"state-win-{state.replace('_', '-')}")


@pytest.mark.parametrize("state", list(LINUX_STATES))
def test_linux_machine_state(scan, state):
    _check_host(scan, f"state-lnx-{state.replace('_', '-')}")


def test_every_host_once_in_result_report_and_journal(scan):
    names = [h.name for h in scan.fleet.hosts]
    assert sorted(names) == sorted(scan.specs) and not scan.fleet.interrupted
    report = json.loads((scan.outcome.run_dir / "report.json").read_text())
    assert collections.Counter(h["name"] for h in report["hosts"]) == collections.Counter(list(scan.specs))
    journal = [json.loads(x) for x in (scan.outcome.run_dir / "journal.jsonl").read_text().splitlines()]
    assert collections.Counter(r["name"] for r in journal if r["type"] == "host") == collections.Counter(list(scan.specs))
    assert journal[0]["type"] == "run" and journal[-1] == {**journal[-1], "type": "end", "interrupted": False}


def test_https_hosts_validated_against_the_fleet_ca(scan):
    """The https hosts above were scanned with certificate validation on, trusting only the fleet CA."""
    inv = load_inventory([str(scan.inventory)], environ={PASSWORD_ENV: PASSWORD})
    https = [h for h in inv.select("all", check_usable=False) if scan.specs[h.name].https]
    assert len(https) == 3 * 5
    for h in https:
        s = h.settings
        assert s is not None and s.scheme == "https" and s.cert_validation is True
        assert s.ca_trust_path == scan.ca_file
    plain_ntlm = next(h.settings for h in inv.select("all", check_usable=False) if h.name == "winrm-ntlm-healthy")
    assert plain_ntlm.scheme == "http" and plain_ntlm.message_encryption == "auto"  # auto = encrypt on http


# The proxy's own answers, end to end (docs/facts.md "Proxy answers"; official verdicts from
# /work/shared/reference/rules-reference.md W15/W17 decision tables, fixtures in tests/golden/rules):
# HttpsConnection: proxy refused + direct 200 -> PassedWithWarning (the 403 tunnel refusal is Q-W6b,
# where the official script says Passed); IMDSConnectivity: Invoke-RestMethod throws on any non-2xx
# from the proxy, the direct retry succeeds -> Failed ("behind a proxy").
PROXY_VERDICTS = {
    "proxy_error_page": ("HttpsConnection.PassedWithWarning", "IMDSConnectivity.Failed", 502),
    "proxy_denies_tunnel": ("HttpsConnection.PassedWithWarning", "IMDSConnectivity.Passed", 403),
    "proxy_auth_required": ("HttpsConnection.PassedWithWarning", "IMDSConnectivity.Failed", 407),
}


@pytest.mark.parametrize("state", sorted(PROXY_VERDICTS))
def test_proxy_answers_give_the_official_branches_end_to_end(scan, state: str) -> None:
    https, imds, status = PROXY_VERDICTS[state]
    h = scan.host(f"state-win-{state.replace('_', '-')}")
    by = {o.RuleId: o for o in h.outcomes}
    assert by["HttpsConnection"].CheckResultMessageId == https
    assert by["HttpsConnection"].evidence["proxy"]["status"] == status
    assert by["HttpsConnection"].evidence["proxy"]["error"] == "proxy"
    assert by["IMDSConnectivity"].CheckResultMessageId == imds
    lnx = {o.RuleId: o for o in scan.host(f"state-lnx-{state.replace('_', '-')}").outcomes}
    assert lnx["Linux.ImdsCheck"].CheckResult == "Passed"  # the direct request reached IMDS


def test_mid_migration_fleet_gets_its_migration_grades_over_every_transport(scan):
    """Every successor state, scanned over WinRM and PSRP (Windows) and SSH (Linux), carries the
    migration grade its machine implies (docs/readiness.md), the same as from its facts alone."""
    by_transport: collections.Counter = collections.Counter()
    for name, s in scan.specs.items():
        if not name.startswith(("state-", "mig-")) or len(s.states) != 1 or s.states[0] not in SUCCESSOR_STATES:
            continue
        h = scan.host(name)
        assert h.status == HostStatus.OK, f"{name}: {h.status} {h.error}"
        want = MIGRATION_EXPECTED.get(s.states[0], READY)
        assert h.migration == want, f"{name}: {h.migration} ({h.migration_reason})"
        by_transport[h.transport] += 1
    assert set(by_transport) == {"winrm", "psrp", "ssh"}, by_transport
    assert by_transport["psrp"] == by_transport["winrm"] >= 10, by_transport
