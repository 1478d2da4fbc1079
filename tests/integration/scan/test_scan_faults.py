"""Every simulator fault, through run_scan, ends in the documented host status and error class.

One fleet with one host per (transport, fault) plus healthy controls, scanned once with short
deadlines (connect 2 s, host 5 s) and every host at once, so the black-hole and hang hosts cost
one host deadline in total. docs/transports.md: unreachable and protocol_error are transient and
retried with backoff; auth_failed, tls_error, timeout and collector_error never are.
"""

from __future__ import annotations

import asyncio

import pytest

from umcheck.plan import Timeouts
from umcheck.results import HostStatus, Readiness
from umcheck.runner import DEADLINE_GRACE
from umcheck.sim.faults import SSH_FAULTS, WINRM_FAULTS

from .e2e import CREDS, FAULT_STATUS, RETRIED, expected_readiness, run_sync, scan_fleet, spec

# Generous: a transient fault is retried only while the deadline leaves room (backoff + 1 s), and
# on a loaded 2-core machine a first attempt alone can take 3-4 s.
HOST_DEADLINE = 12.0
MAX_OUTPUT = 1 << 20
SSH_UNTRUSTED_KEY = "f-ssh-untrusted-host-key"

# What the one-line error says (docs: "the message says why").
MESSAGE = {
    "refused": ("refused",),
    "auth_failure": ("rejected", "authentication failed"),
    "hang": ("deadline",),
    "huge_output": (str(MAX_OUTPUT),),
    "invalid_json": ("json",),
    "garbage_output": ("neither umcheck facts",),
    "unknown_ca": ("certificate not trusted",),
}


def _name(kind: str, fault: str) -> str:
    return f"f-{kind}-{fault.replace('_', '-')}"


def _specs():
    specs = []
    for kind in ("winrm", "psrp"):
        for fault in WINRM_FAULTS:
            transport = f"{kind}-https" if fault == "unknown_ca" else kind
            auth = "negotiate" if transport == "psrp-https" else "ntlm"
            specs.append(spec(_name(kind, fault), transport, auth=auth, faults=(fault,), huge_output_mb=3))
    # unknown CA with Basic over https too (ansible_winrm_transport: ssl)
    specs.append(spec(_name("winrm-ssl", "unknown_ca"), "winrm-https", auth="basic", faults=("unknown_ca",)))
    for fault in SSH_FAULTS:
        specs.append(spec(_name("ssh", fault), "ssh", faults=(fault,), huge_output_mb=3))
    specs.append(spec(_name("ssh-key", "auth_failure"), "ssh", auth="key", faults=("auth_failure",)))
    specs.append(spec(SSH_UNTRUSTED_KEY, "ssh"))  # healthy, but its host key is not in the known_hosts we give
    specs += [spec("f-control-winrm", "winrm"), spec("f-control-psrp", "psrp"), spec("f-control-ssh", "ssh", auth="key")]
    return specs


def _untrust_one_host_key(tmp):
    empty = tmp / "empty_known_hosts"
    empty.write_text("")

    def edit(doc, fleet):
        host = doc["all"]["children"]["linux"]["hosts"][SSH_UNTRUSTED_KEY]
        host["umcheck_known_hosts"] = str(empty)

    return edit


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    specs = _specs()
    coro = scan_fleet(specs, tmp, forks=len(specs), max_output=MAX_OUTPUT, edit_inventory=_untrust_one_host_key(tmp),
                      timeouts=Timeouts(connect=2, host=HOST_DEADLINE))  # fmt: skip
    return run_sync(coro, timeout=90)


CASES = [_name(k, f) for k in ("winrm", "psrp") for f in WINRM_FAULTS] + [_name("winrm-ssl", "unknown_ca")]
CASES += [_name("ssh", f) for f in SSH_FAULTS] + [_name("ssh-key", "auth_failure")]


@pytest.mark.parametrize("name", CASES)
def test_fault_status_and_error_class(scan, name):
    s = scan.specs[name]
    fault = s.faults[0]
    h = scan.host(name)
    expected = FAULT_STATUS[fault]
    assert h.status == expected, f"{name}: {h.status} ({h.error_kind}: {h.error}), expected {expected}"
    assert h.elapsed_ms <= (HOST_DEADLINE + DEADLINE_GRACE + 1) * 1000, h.elapsed_ms
    if expected == HostStatus.OK:  # slow_output: the whole document, read to the end
        assert h.readiness == expected_readiness(s) == Readiness.READY and h.error is None
        # Read to the end once per attempt, never more. (On a 2-core machine under full load a
        # transient error can cost one retry, which attempts records; the suite is run loaded.)
        assert 1 <= scan.stats[name]["collector_runs"] <= h.attempts, (scan.stats[name], h.attempts)
        return
    assert h.readiness == Readiness.UNKNOWN and h.readiness_reason
    assert h.error and "\n" not in h.error and CREDS.password not in h.error
    assert h.outcomes == []
    assert h.error_kind == expected
    if fault in MESSAGE:
        assert any(m in h.error.lower() for m in MESSAGE[fault]), h.error
    if fault == "black_hole":  # retried only while the deadline leaves room for another connect timeout
        assert h.attempts >= 1
    elif expected in RETRIED:
        assert h.attempts >= 2, f"{name}: transient error not retried"
    else:
        assert h.attempts == 1, f"{name}: {expected} must never be retried (attempts={h.attempts})"
    if fault == "auth_failure":  # one connection, rejected, nothing ran; never a second attempt
        stats = scan.stats[name]
        assert "collector_runs" not in stats, stats
        assert stats.get("ssh_connections" if s.os == "linux" else "connections") == 1, stats
        assert stats.get("auth_rejected", 1) == 1, stats  # (public-key rejections are not counted)
    if fault == "hang":
        assert h.elapsed_ms >= HOST_DEADLINE * 1000 * 0.9  # cut at umcheck's own deadline, not earlier


def test_untrusted_ssh_host_key_is_a_tls_error(scan):
    h = scan.host(SSH_UNTRUSTED_KEY)
    assert (h.status, h.error_kind, h.attempts) == (HostStatus.TLS_ERROR, "tls_error", 1), h.error
    assert "collector_runs" not in scan.stats[SSH_UNTRUSTED_KEY]  # nothing ran on a host we do not trust


def test_faults_stay_confined_to_their_host(scan):
    for name in ("f-control-winrm", "f-control-psrp", "f-control-ssh"):
        h = scan.host(name)
        assert (h.status, h.readiness, h.attempts) == (HostStatus.OK, Readiness.READY, 1), (name, h.error)
    names = [h.name for h in scan.fleet.hosts]
    assert sorted(names) == sorted(scan.specs) and len(set(names)) == len(names)
    statuses = {h.status for h in scan.fleet.hosts}
    assert statuses == {HostStatus.OK, HostStatus.UNREACHABLE, HostStatus.AUTH_FAILED, HostStatus.TLS_ERROR,
                        HostStatus.PROTOCOL_ERROR, HostStatus.TIMEOUT, HostStatus.COLLECTOR_ERROR}  # fmt: skip


async def test_connect_timeout_is_the_runs_not_the_librarys(tmp_path) -> None:
    """--connect-timeout reaches the transports: a black-holed SSH host fails after ~2 s, not 10 s."""
    from umcheck.scan import ScanRequest, run_scan
    from umcheck.sim import Fleet, HostSpec, Ports

    spec = HostSpec(name="bh", transport="ssh", credentials=CREDS, faults=("black_hole",))
    async with Fleet([spec], first_address="127.41.0.2", ports=Ports.ephemeral(), state_dir=tmp_path / "sim") as fleet:
        inv = fleet.write_inventory(tmp_path / "inv.yml", "BH_PW")
        req = ScanRequest(inventory=[str(inv)], timeouts=Timeouts(connect=1.5, host=20), retries=0, formats=("json",),
                          reports_dir=tmp_path / "r", history=False, verbosity=-1,
                          environ={"BH_PW": CREDS.password})  # fmt: skip
        outcome = await asyncio.wait_for(run_scan(req), 30)
    host = outcome.fleet.hosts[0]
    assert host.status == HostStatus.UNREACHABLE
    assert host.elapsed_ms < 6000, host.elapsed_ms
