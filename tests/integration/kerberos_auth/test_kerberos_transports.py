"""WinRM (pywinrm + pykerberos) and PSRP (pypsrp + pyspnego/gssapi) with Kerberos against the
simulator as a keytab acceptor and a real MIT KDC on loopback (conftest.py).

Host names never resolve: the client connects to the simulated host's 127.0.0.x address and asks
the KDC for HTTP/<name>.umcheck.test through the hostname override.
"""

from __future__ import annotations

import os
import time

import pytest
from simfleet import fleet_of, settings_for

from umcheck import envelope
from umcheck.collectors.invocation import CollectorParams, windows_psrp, windows_winrm
from umcheck.errors import AuthFailed
from umcheck.facts import Facts
from umcheck.sim import HostSpec
from umcheck.sim.kerberos import EVENTS
from umcheck.transports import make_transport
from umcheck.transports.shared import Shared

from .conftest import OTHER, PASSWORD, USER

PARAMS = CollectorParams(sections=["os"])
KINDS = ("winrm", "psrp")


async def collect(settings, seconds: float = 20.0):
    inv = windows_psrp(PARAMS) if settings.connection == "psrp" else windows_winrm(PARAMS)
    async with make_transport(settings, Shared()) as t:
        return await t.run(inv, deadline=time.monotonic() + seconds, max_output=8 << 20)


def krb_spec(krb, name: str, kind: str, **kw):
    return HostSpec(name, kind, auth="kerberos", keytab=krb.keytab_for(name), **kw)


def krb_settings(krb, fleet, name: str, **kw):
    over = dict(user=krb.upn(), password=PASSWORD, kerberos_hostname_override=krb.fqdn(name))
    h = fleet.host(name)
    if h.transport.startswith("winrm"):
        over["winrm_transport"] = ("kerberos",)
    else:
        over["psrp_auth"] = "kerberos"
    over.update(kw)
    return settings_for(fleet, name, **over)


@pytest.mark.parametrize("kind", KINDS)
async def test_managed_kinit_round_trip_with_encryption(krb, kind):
    async with fleet_of(krb_spec(krb, "kw1", kind)) as fleet:
        before = krb.kdc.as_requests(USER)
        ok = EVENTS[(krb.keytab_for("kw1"), "kerberos_ok")]
        # http + encryption "always": pywinrm/pypsrp must seal every body with the Kerberos context
        res = await collect(krb_settings(krb, fleet, "kw1", message_encryption="always"))
        assert res.rc == 0, res.stderr
        assert Facts.from_dict(envelope.parse(res.stdout)).os_family == "windows"
        assert krb.kdc.as_requests(USER) == before + 1  # one managed kinit
        assert EVENTS[(krb.keytab_for("kw1"), "kerberos_ok")] > ok  # the simulator accepted a Kerberos ticket
        assert os.environ["KRB5CCNAME"].startswith("DIR:") and "umcheck-krb5-" in os.environ["KRB5CCNAME"]


@pytest.mark.parametrize("kind", KINDS)
async def test_manual_ticket_cache(krb, kind, tmp_path):
    import subprocess

    cache = f"FILE:{tmp_path}/manual-cc"
    subprocess.run(["kinit", "-c", cache, krb.upn()], input=PASSWORD + "\n", text=True, check=True,
                   capture_output=True, env={**os.environ})
    os.environ["KRB5CCNAME"] = cache
    async with fleet_of(krb_spec(krb, "kw2", kind)) as fleet:
        before = krb.kdc.as_requests(USER)
        res = await collect(krb_settings(krb, fleet, "kw2", password=None, kinit_mode="manual"))
        assert res.rc == 0, res.stderr
        assert krb.kdc.as_requests(USER) == before  # the existing ticket, no new AS request


@pytest.mark.parametrize("kind", KINDS)
async def test_wrong_password_is_auth_failed(krb, kind):
    async with fleet_of(krb_spec(krb, "kw3", kind)) as fleet:
        with pytest.raises(AuthFailed) as ei:
            await collect(krb_settings(krb, fleet, "kw3", password="not-the-password"))
        msg = str(ei.value)
        assert "wrong password" in msg and "\n" not in msg and "not-the-password" not in msg, msg


@pytest.mark.parametrize("kind", KINDS)
async def test_unknown_principal_is_auth_failed(krb, kind):
    async with fleet_of(krb_spec(krb, "kw4", kind)) as fleet:
        with pytest.raises(AuthFailed) as ei:
            await collect(krb_settings(krb, fleet, "kw4", user=f"nobody@{krb.realm}"))
        assert "unknown to the KDC" in str(ei.value), str(ei.value)


@pytest.mark.parametrize("kind", KINDS)
async def test_wrong_spn_is_auth_failed(krb, kind):
    async with fleet_of(krb_spec(krb, "kw5", kind)) as fleet:
        with pytest.raises(AuthFailed) as ei:
            await collect(krb_settings(krb, fleet, "kw5", kerberos_hostname_override="nosuch.umcheck.test"))
        msg = str(ei.value)
        assert "no service principal " + ("HTTP" if kind == "winrm" else "host") + "/nosuch.umcheck.test" in msg and "\n" not in msg, msg


@pytest.mark.parametrize("kind", KINDS)
async def test_kerberos_only_host_refuses_ntlm(krb, kind):
    async with fleet_of(krb_spec(krb, "kw6", kind, kerberos_only=True)) as fleet:
        ntlm = settings_for(fleet, "kw6", winrm_transport=("ntlm",)) if kind == "winrm" else \
            settings_for(fleet, "kw6", psrp_auth="ntlm")
        with pytest.raises(AuthFailed):
            await collect(ntlm)
        assert EVENTS[(krb.keytab_for("kw6"), "ntlm_refused")] >= 1
        res = await collect(krb_settings(krb, fleet, "kw6"))  # Kerberos still works
        assert res.rc == 0


@pytest.mark.parametrize("kind", KINDS)
async def test_kerberos_host_still_accepts_ntlm_unless_kerberos_only(krb, kind):
    async with fleet_of(krb_spec(krb, "kw7", kind)) as fleet:
        ntlm = settings_for(fleet, "kw7", winrm_transport=("ntlm",)) if kind == "winrm" else \
            settings_for(fleet, "kw7", psrp_auth="ntlm")
        assert (await collect(ntlm)).rc == 0


async def test_domain_backslash_user_becomes_upn(krb):
    async with fleet_of(krb_spec(krb, "kw8", "psrp")) as fleet:
        s = krb_settings(krb, fleet, "kw8", user=f"{krb.realm.split('.')[0]}\\{OTHER}")
        # UMCHECK\bob -> bob@UMCHECK, a realm the KDC does not serve: a one-line reason, no traceback
        with pytest.raises(AuthFailed) as ei:
            await collect(s)
        assert "\n" not in str(ei.value)


FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


@pytest.mark.parametrize("kind", KINDS)
async def test_clock_skew_is_auth_failed(krb, kind, monkeypatch):
    """The controller's clock 2 h ahead (libfaketime on the kinit child only): the KDC refuses."""
    if not os.path.exists(FAKETIME_LIB):
        if os.environ.get("UMCHECK_REQUIRE_KERBEROS") == "1":
            pytest.fail("UMCHECK_REQUIRE_KERBEROS=1 but libfaketime is missing (apt-get install faketime)")
        pytest.skip("libfaketime missing (apt-get install faketime)")
    monkeypatch.setenv("LD_PRELOAD", FAKETIME_LIB)
    monkeypatch.setenv("FAKETIME", "+2h")
    async with fleet_of(krb_spec(krb, "kw9", kind)) as fleet:
        with pytest.raises(AuthFailed) as ei:
            await collect(krb_settings(krb, fleet, "kw9"))
        assert "clock skew" in str(ei.value), str(ei.value)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("delegate", [False, True])
async def test_delegation_only_when_asked(krb, kind, delegate):
    name = f"kd-{kind}"
    async with fleet_of(krb_spec(krb, name, kind)) as fleet:
        before = EVENTS[(krb.keytab_for(name), "delegated")]
        res = await collect(krb_settings(krb, fleet, name, kerberos_delegation=delegate))
        assert res.rc == 0
        assert (EVENTS[(krb.keytab_for(name), "delegated")] > before) == delegate
