"""Auth selection: optional mechanisms are guarded and fail with a clear, non-transient error."""

from __future__ import annotations

import importlib.util

import pytest
import winrm.transport

from umcheck.errors import AuthFailed
from umcheck.inventory.connection import ConnectionSettings
from umcheck.transports.psrp import check_auth
from umcheck.transports.shared import Shared
from umcheck.transports.winrm import WinRMTransport, choose_auth


def winrm_settings(*transports: str, scheme: str = "http") -> ConnectionSettings:
    return ConnectionSettings(name="w", host="127.0.0.1", connection="winrm", scheme=scheme, port=5985,
                              user="u", password="p", winrm_transport=transports)


def test_first_usable_winrm_transport_wins(monkeypatch):
    monkeypatch.setattr(winrm.transport, "HAVE_KERBEROS", False)
    assert choose_auth(winrm_settings("kerberos", "ntlm")) == "ntlm"
    with pytest.raises(AuthFailed, match="kerberos needs pykerberos") as info:
        choose_auth(winrm_settings("kerberos"))
    assert not info.value.transient
    monkeypatch.setattr(winrm.transport, "HAVE_KERBEROS", True)
    assert choose_auth(winrm_settings("kerberos", "ntlm")) == "kerberos"


def test_winrm_defaults_follow_the_scheme():
    assert choose_auth(winrm_settings(scheme="https")) == "ssl"
    assert choose_auth(winrm_settings()) == "plaintext"


async def test_certificate_auth_without_files_is_auth_failed():
    t = WinRMTransport(winrm_settings("certificate", scheme="https"), Shared())
    with pytest.raises(AuthFailed, match="cert_pem"):
        await t.open()


def test_psrp_kerberos_without_library_is_explained(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    s = ConnectionSettings(name="p", host="127.0.0.1", connection="psrp", psrp_auth="kerberos")
    with pytest.raises(AuthFailed, match="gssapi"):
        check_auth(s)


def test_psrp_basic_over_http_with_encryption_is_refused_clearly():
    from umcheck.transports.psrp import PSRPTransport

    s = ConnectionSettings(name="p", host="127.0.0.1", connection="psrp", port=5985, scheme="http", user="u",
                           password="p", psrp_auth="basic", message_encryption="auto")
    with pytest.raises(AuthFailed, match="encryption"):
        PSRPTransport(s, Shared())._build()
