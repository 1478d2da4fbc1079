"""The whole scan (run_scan) over Kerberos: inventory variables -> managed kinit -> WinRM/PSRP.

The inventory is the simulator's own with the Kerberos variables a domain fleet would have:
``ansible_user: alice@UMCHECK.TEST``, the password, and the hostname override that names the
SPN while ``ansible_host`` stays the 127.0.0.x address.
"""

from __future__ import annotations

import pytest
from scan.e2e import run_sync, scan_fleet, spec

from umcheck.plan import Timeouts
from umcheck.results import HostStatus

from .conftest import PASSWORD, USER

HOSTS = {"ks-winrm": "winrm", "ks-psrp": "psrp", "ks-badpw": "winrm", "ks-nospn": "psrp"}


@pytest.fixture(scope="module")
def scan(krb_realm, tmp_path_factory):
    from umcheck.transports import kerberos

    kerberos.reset()
    krb = krb_realm
    specs = [spec(n, kind, auth="kerberos", keytab=krb.keytab_for(n)) for n, kind in HOSTS.items()]

    def edit(doc, fleet):
        for group in doc["all"]["children"].values():
            for name, v in (group.get("hosts") or {}).items():
                v["ansible_user"] = krb.upn()
                v["ansible_password"] = "wrong-" + PASSWORD if name == "ks-badpw" else PASSWORD
                key = ("ansible_winrm_kerberos_hostname_override" if HOSTS[name] == "winrm"
                       else "ansible_psrp_negotiate_hostname_override")
                v[key] = "nosuch.umcheck.test" if name == "ks-nospn" else krb.fqdn(name)
                if HOSTS[name] == "winrm":
                    v["ansible_winrm_transport"] = "kerberos"
                else:
                    v["ansible_psrp_auth"] = "kerberos"

    before = krb.kdc.as_requests(USER)
    try:
        result = run_sync(scan_fleet(specs, tmp_path_factory.mktemp("krbscan"), edit_inventory=edit, forks=4,
                                     timeouts=Timeouts(connect=5, host=30)), timeout=120)
    finally:
        kerberos.reset()
    result.extra["as_requests"] = krb.kdc.as_requests(USER) - before
    return result


@pytest.mark.parametrize("name", ["ks-winrm", "ks-psrp"])
def test_scan_ok_with_managed_kinit(scan, name):
    h = scan.host(name)
    assert (h.status, h.attempts) == (HostStatus.OK, 1), h.error


def test_wrong_password_host_is_auth_failed_once(scan):
    h = scan.host("ks-badpw")
    assert h.status == HostStatus.AUTH_FAILED and h.attempts == 1, (h.status, h.error)
    assert "wrong password" in h.error and "\n" not in h.error and PASSWORD not in h.error


def test_missing_spn_host_is_auth_failed(scan):
    h = scan.host("ks-nospn")
    assert h.status == HostStatus.AUTH_FAILED and h.attempts == 1, (h.status, h.error)
    assert "no service principal " in h.error and "/nosuch.umcheck.test in the KDC" in h.error, h.error


def test_one_as_request_per_principal_and_password(scan):
    # alice with the right password: one AS request; with the wrong one: one more (refused)
    assert scan.extra["as_requests"] == 2, scan.extra
