"""WinRM/PSRP client certificate authentication through run_scan, TLS validation on (issue #12 item 4).

The simulator's HTTPS listener asks hosts with ``auth: certificate`` for a client certificate,
verifies it against the fleet CA in the TLS handshake and maps its UPN to the host's user
(umcheck/sim/certauth.py). The inventory carries ``ansible_winrm_cert_pem``/``_key_pem`` or
``ansible_psrp_certificate_pem``/``_key_pem``; the test edits them per host:

* the certificate the fleet issued for the mapped UPN: ``ok``;
* a certificate from the fleet CA for a UPN nothing maps (``unknown``): HTTP 401, ``auth_failed``;
* an expired certificate for the mapped UPN: the server refuses it *in the TLS handshake*
  (alert ``certificate expired``), before any HTTP request: ``tls_error``;
* a certificate from a CA the server does not trust: handshake alert, ``tls_error``;
* a key file that does not belong to the certificate: the controller cannot even build its TLS
  context; one line naming the problem, the host fails and no connection is made.
"""

from __future__ import annotations

import pytest

from umcheck.plan import Timeouts
from umcheck.results import HostStatus, Readiness
from umcheck.sim.certauth import issue_client_cert
from umcheck.sim.tls import CertificateAuthority

from .e2e import CREDS, run_sync, scan_fleet, spec

KINDS = ("winrm", "psrp")
CASES = ("good", "unknown", "expired", "rogue", "mismatch")
VARS = {"winrm": ("ansible_winrm_cert_pem", "ansible_winrm_cert_key_pem"),
        "psrp": ("ansible_psrp_certificate_pem", "ansible_psrp_certificate_key_pem")}  # fmt: skip
EXPECTED = {
    "good": (HostStatus.OK, None),
    "unknown": (HostStatus.AUTH_FAILED, "rejected"),
    "expired": (HostStatus.AUTH_FAILED, "rejected"),
    "rogue": (HostStatus.TLS_ERROR, "tls handshake failed"),
    "mismatch": (HostStatus.AUTH_FAILED, "does not match"),
}


def _name(kind: str, case: str) -> str:
    return f"cert-{kind}-{case}"


def _specs():
    return [spec(_name(k, c), f"{k}-https", auth="certificate") for k in KINDS for c in CASES]


def _edit(tmp):
    def edit(doc, fleet):
        rogue = CertificateAuthority(tmp, "client rogue CA")
        for kind in KINDS:
            hosts = doc["all"]["children"][f"windows_{kind}"]["hosts"]
            for case in CASES:
                name = _name(kind, case)
                v = hosts[name]
                cert_var, key_var = VARS[kind]
                assert v[cert_var] == str(fleet.client_certs[name].cert_file)  # what the fleet wrote
                upn = fleet.client_certs[name].upn
                if case == "unknown":
                    cc = issue_client_cert(fleet.ca, tmp, "intruder@sim.umcheck.test", name=name)
                elif case == "expired":
                    cc = issue_client_cert(fleet.ca, tmp, upn, name=name, expired=True)
                elif case == "rogue":
                    cc = issue_client_cert(rogue, tmp, upn, name=name)
                elif case == "mismatch":
                    other = issue_client_cert(fleet.ca, tmp, upn, name=f"{name}-other")
                    v[key_var] = str(other.key_file)
                    continue
                else:
                    continue
                v[cert_var], v[key_var] = str(cc.cert_file), str(cc.key_file)

    return edit


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("certauth")
    specs = _specs()
    coro = scan_fleet(specs, tmp, forks=len(specs), edit_inventory=_edit(tmp), timeouts=Timeouts(connect=2, host=15))
    return run_sync(coro, timeout=90)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES)
def test_certificate_auth(scan, kind, case):
    name = _name(kind, case)
    h = scan.host(name)
    status, words = EXPECTED[case]
    assert h.status == status, f"{name}: {h.status} ({h.error_kind}: {h.error})"
    stats = scan.stats[name]
    if status == HostStatus.OK:
        assert h.readiness == Readiness.READY and h.error is None and h.attempts == 1
        assert stats["collector_runs"] == 1 and "auth_rejected" not in stats
        return
    assert h.error and "\n" not in h.error and CREDS.password not in h.error and "Traceback" not in h.error
    assert words in h.error.lower(), h.error
    assert h.attempts == 1, f"{name}: {status} must not be retried"
    assert "collector_runs" not in stats, stats
    if case == "unknown":
        assert stats["auth_rejected"] >= 1
    if case == "mismatch":
        assert "connections" not in stats, stats  # refused at the controller, before any connection

