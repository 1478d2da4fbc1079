"""No host can slow another: a host printing a megabyte of hostile text beside healthy hosts.

``garbage_output=<bytes>`` makes a simulated host print ``[{[{...`` and no facts: output without
umcheck's markers goes to the official-JSON fallback, which once retried a full parse from every
bracket on the event loop (1 MB: ~20 s of CPU with the loop frozen, every healthy host beside it
reported ``timeout``). Now the fallback is linear and runs in a worker thread bounded by the host's
deadline, so the hostile hosts cost only themselves.
"""

from __future__ import annotations

import time

import pytest
from scan.e2e import run_sync, scan_fleet, spec

from umcheck.compat import OfficialOutputError, parse_official
from umcheck.plan import Timeouts
from umcheck.results import HostStatus, Readiness
from umcheck.runner import DEADLINE_GRACE

MB = 1024 * 1024
HOST_DEADLINE = 10.0
HOSTILE = {"hostile-ssh": "ssh", "hostile-winrm": "winrm"}
HEALTHY = {
    "ok-ssh-1": "ssh",
    "ok-ssh-2": "ssh",
    "ok-winrm-1": "winrm",
    "ok-winrm-2": "winrm",
    "ok-psrp": "psrp",
}


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    specs = [spec(n, t, faults=(f"garbage_output={MB}",)) for n, t in HOSTILE.items()]
    specs += [spec(n, t) for n, t in HEALTHY.items()]
    coro = scan_fleet(
        specs, tmp, forks=len(specs), retries=0, timeouts=Timeouts(connect=5, host=HOST_DEADLINE)
    )
    return run_sync(coro, timeout=120)


def test_healthy_hosts_beside_hostile_ones_are_all_ok(scan) -> None:
    for name in HEALTHY:
        h = scan.host(name)
        assert (h.status, h.readiness, h.attempts) == (HostStatus.OK, Readiness.READY, 1), (name, h.error)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_host_costs_at_most_its_own_deadline(scan, name: str) -> None:
    """Normally its own collector_error (~1 s of parsing); on a starved machine possibly its own timeout."""
    h = scan.host(name)
    assert h.status in (HostStatus.COLLECTOR_ERROR, HostStatus.TIMEOUT), (h.status, h.error)
    if h.status == HostStatus.COLLECTOR_ERROR:
        assert "neither umcheck facts nor official troubleshooter JSON" in h.error
    assert h.elapsed_ms <= (HOST_DEADLINE + DEADLINE_GRACE) * 1000, h.elapsed_ms


@pytest.mark.parametrize("pattern", ["[{", "[x", "{", "[}", '["'])
def test_official_fallback_is_linear_on_a_megabyte_of_brackets(pattern: str) -> None:
    """The parse itself: well under a second per megabyte (it was quadratic: ~20 s for 1 MB)."""
    text = '"RuleId" ' + pattern * (MB // len(pattern))  # with the key, the whole text is scanned
    t0 = time.process_time()
    with pytest.raises(OfficialOutputError):
        parse_official(text)
    assert time.process_time() - t0 < 5.0  # generous for a loaded 2-core machine; ~1 s measured
