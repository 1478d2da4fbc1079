"""Kerberos at fleet scale and ticket lifetime: one TGT for 50 hosts; an expired manual ticket."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time

import pytest
from simfleet import fleet_of, settings_for

from umcheck.errors import AuthFailed
from umcheck.sim import HostSpec
from umcheck.transports import pool

from .conftest import PASSWORD, USER
from .test_kerberos_transports import collect

N = 50


async def test_fifty_hosts_one_as_request(krb):
    names = [f"kf{i:02d}" for i in range(N)]
    keytab = krb.kdc.dir / "fleet.keytab"
    if not keytab.exists():
        krb.kdc.add_services([krb.fqdn(n) for n in names], keytab)
    specs = [HostSpec(n, "winrm" if i % 2 else "psrp", auth="kerberos", keytab=str(keytab))
             for i, n in enumerate(names)]
    pool.configure(16)
    async with fleet_of(*specs) as fleet:
        before = krb.kdc.as_requests(USER)
        settings = []
        for n in names:
            h = fleet.host(n)
            kind = {"winrm_transport": ("kerberos",)} if h.transport == "winrm" else {"psrp_auth": "kerberos"}
            settings.append(settings_for(fleet, n, user=krb.upn(), password=PASSWORD,
                                         kerberos_hostname_override=krb.fqdn(n), **kind))
        started = time.monotonic()
        results = await asyncio.gather(*(collect(s, seconds=60) for s in settings))
        assert [r.rc for r in results] == [0] * N
        assert krb.kdc.as_requests(USER) == before + 1, "one AS request (managed kinit) for the whole run"
        assert time.monotonic() - started < 60


@pytest.mark.parametrize("kind", ("winrm", "psrp"))
async def test_expired_manual_ticket(krb, kind, tmp_path):
    cache = f"FILE:{tmp_path}/short-cc"
    subprocess.run(["kinit", "-l", "2s", "-c", cache, krb.upn()], input=PASSWORD + "\n", text=True,
                   check=True, capture_output=True, env={**os.environ})
    os.environ["KRB5CCNAME"] = cache
    await asyncio.sleep(3)
    name = f"kx-{kind}"
    async with fleet_of(HostSpec(name, kind, auth="kerberos", keytab=krb.keytab_for(name))) as fleet:
        auth = {"winrm_transport": ("kerberos",)} if kind == "winrm" else {"psrp_auth": "kerberos"}
        s = settings_for(fleet, name, user=krb.upn(), password=None, kinit_mode="manual",
                         kerberos_hostname_override=krb.fqdn(name), **auth)
        with pytest.raises(AuthFailed) as ei:
            await collect(s)
        assert "expired" in str(ei.value), str(ei.value)



def _listeners(proto: str, port: int) -> list[str]:
    addrs = []
    for path in (f"/proc/net/{proto}", f"/proc/net/{proto}6"):
        try:
            lines = open(path).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local = line.split()[1]
            addr, _, p = local.rpartition(":")
            if int(p, 16) == port:
                addrs.append(addr)
    return addrs


def test_kdc_listens_on_loopback_only(krb):
    port = krb.kdc.port
    for proto in ("tcp", "udp"):
        addrs = _listeners(proto, port)
        assert addrs and set(addrs) == {"0100007F"}, (proto, addrs)  # 127.0.0.1, nothing else
