"""Kerberos settings from inventory variables, principal forms and the admin-facing error reasons."""

from __future__ import annotations

import pytest

from umcheck.errors import InputError
from umcheck.inventory.connection import build_connection
from umcheck.transports import kerberos


def conn(**values):
    return build_connection("h", values, {})


def test_winrm_kerberos_variables() -> None:
    s = conn(ansible_connection="winrm", ansible_user="alice@corp.example", ansible_password="pw",
             ansible_winrm_kerberos_hostname_override="web01.corp.example",
             ansible_winrm_kerberos_delegation="yes", ansible_winrm_kinit_mode="manual")
    assert s.winrm_transport[0] == "kerberos"  # a UPN puts kerberos first, as Ansible does
    assert (s.kerberos_hostname_override, s.kerberos_delegation, s.kinit_mode) == ("web01.corp.example", True, "manual")


def test_psrp_kerberos_variables() -> None:
    s = conn(ansible_connection="psrp", ansible_psrp_auth="kerberos", ansible_user="CORP\\alice",
             ansible_psrp_negotiate_hostname_override="web01.corp.example", ansible_psrp_negotiate_delegate=True)
    assert (s.psrp_auth, s.kerberos_hostname_override, s.kerberos_delegation, s.kinit_mode) == \
        ("kerberos", "web01.corp.example", True, None)


def test_bad_kinit_mode_points_at_the_variable() -> None:
    with pytest.raises(InputError, match="ansible_winrm_kinit_mode"):
        conn(ansible_connection="winrm", ansible_winrm_kinit_mode="sometimes")


@pytest.mark.parametrize(("user", "expected"), [
    ("alice@corp.example", "alice@CORP.EXAMPLE"), ("CORP\\alice", "alice@CORP"), ("alice", "alice"), (None, None)])
def test_principal(user, expected) -> None:
    assert kerberos.principal(user) == expected


def test_kinit_mode_default_follows_the_password() -> None:
    assert kerberos.kinit_mode(None, "pw") == "managed"
    assert kerberos.kinit_mode(None, None) == "manual"
    assert kerberos.kinit_mode("manual", "pw") == "manual"


@pytest.mark.parametrize(("text", "reason"), [
    ("kinit: Password incorrect while getting initial credentials", "wrong password"),
    ("kinit: Client 'bob@R' not found in Kerberos database while getting initial credentials", "unknown to the KDC"),
    ("Minor (2529638919): Server HTTP/x@R not found in Kerberos database", "no service principal HTTP/x"),
    ("kinit: Clock skew too great in KDC reply while getting initial credentials", "clock skew"),
    ("kinit: Cannot contact any KDC for realm 'R' while getting initial credentials", "no KDC reachable"),
    ("Major (720896): The referenced credential has expired", "expired"),
    ("No Kerberos credentials available (default cache: FILE:/tmp/x)", "no ticket"),
])
def test_classify(text, reason) -> None:
    got = kerberos.classify(text, "bob@R", "HTTP/x")
    assert got is not None and reason in got and "\n" not in got


def test_unknown_text_is_not_classified() -> None:
    assert kerberos.classify("connection refused") is None


def test_managed_kinit_without_kdc_is_one_line(monkeypatch, tmp_path) -> None:
    """A realm whose KDC port is closed: 'no KDC reachable', no traceback, nothing of the password."""
    if not kerberos.shutil.which("kinit"):
        pytest.skip("kinit missing (apt-get install krb5-user)")
    conf = tmp_path / "krb5.conf"
    conf.write_text("[libdefaults]\n default_realm = NOWHERE.TEST\n dns_lookup_kdc = false\n"
                    "[realms]\n NOWHERE.TEST = {\n  kdc = 127.0.0.1:9\n }\n")
    monkeypatch.setenv("KRB5_CONFIG", str(conf))
    monkeypatch.delenv("KRB5CCNAME", raising=False)
    kerberos.reset()
    try:
        with pytest.raises(kerberos.AuthFailed) as ei:
            kerberos.ensure_ticket("alice@NOWHERE.TEST", "Secret-pw-1", None, timeout=20)
        assert "no KDC reachable" in str(ei.value) and "Secret-pw-1" not in str(ei.value)
        assert "KRB5CCNAME" not in __import__("os").environ  # a failed kinit leaves the environment alone
    finally:
        kerberos.reset()
