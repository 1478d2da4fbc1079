"""The KDC knows the SPN and issues the ticket, but the host cannot accept it: its keytab lacks that
service key (the SPN is registered on another computer or account) or holds an older key version
(kvno: the KDC's key changed after the keytab was written, as with a stale computer account).
The host answers a plain 401; umcheck reports auth_failed with one line naming the SPN."""

from __future__ import annotations

import pytest
from simfleet import fleet_of

from umcheck.errors import AuthFailed
from umcheck.sim import HostSpec
from umcheck.sim.kerberos import EVENTS

from .test_kerberos_transports import collect, krb_settings

KINDS = ("winrm", "psrp")


def _spn(krb, kind: str, name: str) -> str:
    return f"{'HTTP' if kind == 'winrm' else 'host'}/{krb.fqdn(name)}"  # pywinrm: HTTP/, pypsrp: host/


async def _refused(krb, kind: str, name: str, keytab: str) -> str:
    async with fleet_of(HostSpec(name, kind, auth="kerberos", keytab=keytab)) as fleet:
        before = EVENTS[(keytab, "kerberos_rejected")]
        with pytest.raises(AuthFailed) as ei:
            await collect(krb_settings(krb, fleet, name))
        assert EVENTS[(keytab, "kerberos_rejected")] > before  # the host got a ticket and could not accept it
    return str(ei.value)


@pytest.mark.parametrize("kind", KINDS)
async def test_keytab_without_the_spn_is_auth_failed_naming_it(krb, kind):
    name = f"kn-{kind}"
    krb.keytab_for(name)  # the SPN exists in the KDC ...
    msg = await _refused(krb, kind, name, krb.keytab_for("kn-other"))  # ... but the host has another's keys
    spn = _spn(krb, kind, name)
    assert msg.startswith(f"Kerberos: the host refused the ticket for {spn} ("), msg
    assert f"setspn -Q {spn}" in msg and "kvno" in msg and "\n" not in msg and len(msg) <= 300


@pytest.mark.parametrize("kind", KINDS)
async def test_kvno_mismatch_is_auth_failed_naming_the_spn(krb, kind):
    name = f"kv-{kind}"
    keytab = krb.keytab_for(name)
    for service in ("HTTP", "host"):  # new keys in the KDC; the host keeps the old ones (older kvno)
        krb.kdc.kadmin(f"cpw -randkey {service}/{krb.fqdn(name)}@{krb.realm}")
    msg = await _refused(krb, kind, name, keytab)
    assert msg.startswith(f"Kerberos: the host refused the ticket for {_spn(krb, kind, name)} ("), msg
    assert "\n" not in msg
