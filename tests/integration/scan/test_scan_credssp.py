"""CredSSP over HTTPS through run_scan, TLS validation on (issue #12 item 5).

The simulator accepts ``Authorization: CredSSP`` on hosts with ``auth: credssp`` with pyspnego's
CredSSP acceptor (umcheck/sim/credssp.py): TLS inside the HTTP 401 legs, NTLM inside that, then
the delegated credentials. The controller uses pywinrm's ``credssp`` transport or pypsrp's
``credssp`` auth, both through requests-credssp (the ``credssp`` extra).
"""

from __future__ import annotations

import pytest

from umcheck.plan import Timeouts
from umcheck.results import HostStatus, Readiness

from .e2e import CREDS, run_sync, scan_fleet, spec

pytest.importorskip("requests_credssp", reason="CredSSP needs the 'credssp' extra (requests-credssp)")

KINDS = ("winrm", "psrp")


def _specs():
    specs = []
    for kind in KINDS:
        specs.append(spec(f"credssp-{kind}-good", f"{kind}-https", auth="credssp"))
        specs.append(spec(f"credssp-{kind}-badpw", f"{kind}-https", auth="credssp", faults=("auth_failure",)))
    return specs


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("credssp")
    return run_sync(scan_fleet(_specs(), tmp, forks=4, timeouts=Timeouts(connect=2, host=20)), timeout=90)


@pytest.mark.parametrize("kind", KINDS)
def test_credssp_scan_ok(scan, kind):
    name = f"credssp-{kind}-good"
    h = scan.host(name)
    assert (h.status, h.readiness, h.attempts) == (HostStatus.OK, Readiness.READY, 1), h.error
    stats = scan.stats[name]
    assert stats["collector_runs"] == 1 and "auth_rejected" not in stats
    v = __import__("yaml").safe_load(scan.inventory.read_text())["all"]["children"][f"windows_{kind}"]["hosts"][name]
    assert v.get("ansible_winrm_transport", v.get("ansible_psrp_auth")) == "credssp"
    assert v.get("ansible_winrm_ca_trust_path") == scan.ca_file  # validated against the fleet CA


@pytest.mark.parametrize("kind", KINDS)
def test_credssp_wrong_password_is_auth_failed(scan, kind):
    name = f"credssp-{kind}-badpw"
    h = scan.host(name)
    assert h.status == HostStatus.AUTH_FAILED, f"{h.status}: {h.error}"
    assert h.error and "\n" not in h.error and CREDS.password not in h.error
    assert "rejected" in h.error and "CredSSP" in h.error, h.error
    assert h.attempts == 1
    stats = scan.stats[name]
    assert "collector_runs" not in stats and stats["auth_rejected"] >= 1, stats
