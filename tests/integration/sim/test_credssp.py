"""CredSSP over HTTPS (pyspnego's acceptor in the simulator) with unmodified pywinrm and pypsrp."""

from __future__ import annotations

import pytest

from .conftest import in_thread, psrp_client, spec, winrm_session

pytest.importorskip("requests_credssp", reason="CredSSP needs the 'credssp' extra (requests-credssp)")


async def test_pywinrm_credssp(make_fleet):
    fleet = await make_fleet([spec("win-cssp", "winrm-https", auth="credssp")])
    r = await in_thread(winrm_session(fleet.hosts[0], "credssp", https=True, ca=str(fleet.ca_file)).run_cmd, "hostname")
    assert (r.status_code, r.std_out) == (0, b"win-cssp\r\n")
    assert "auth_rejected" not in fleet.stats.hosts["win-cssp"]


async def test_pypsrp_credssp(make_fleet):
    fleet = await make_fleet([spec("ps-cssp", "psrp-https", auth="credssp")])
    c = psrp_client(fleet.hosts[0], "credssp", https=True, ca=str(fleet.ca_file))
    out, _, had_errors = await in_thread(c.execute_ps, "hostname")
    assert (out, had_errors) == ("ps-cssp", False)


@pytest.mark.parametrize("kind", ["winrm", "psrp"])
async def test_wrong_password_is_refused_with_logon_denied(make_fleet, kind):
    from requests_credssp.exceptions import NTStatusException

    fleet = await make_fleet([spec("bad-cssp", f"{kind}-https", auth="credssp")])
    host = fleet.hosts[0]
    if kind == "winrm":
        call = winrm_session(host, "credssp", https=True, ca=str(fleet.ca_file), password="wrong").run_cmd
    else:
        call = psrp_client(host, "credssp", https=True, ca=str(fleet.ca_file), password="wrong").execute_ps
    with pytest.raises(NTStatusException) as info:
        await in_thread(call, "hostname")
    assert info.value.status == 0x8009030C  # SEC_E_LOGON_DENIED in the TSRequest errorCode
    assert fleet.stats.hosts["bad-cssp"]["auth_rejected"] == 1


async def test_challenge_offers_credssp_and_ntlm_still_works(make_fleet):
    import requests

    fleet = await make_fleet([spec("win-cssp2", "winrm-https", auth="credssp")])
    host = fleet.hosts[0]
    url = f"https://{host.address}:{host.ports['winrm_https']}/wsman"
    r = await in_thread(requests.post, url, data=b"<x/>", verify=str(fleet.ca_file), timeout=10)
    assert r.status_code == 401 and "CredSSP" in r.headers["WWW-Authenticate"]
    r2 = await in_thread(winrm_session(host, "ntlm", https=True, ca=str(fleet.ca_file)).run_cmd, "hostname")
    assert r2.std_out == b"win-cssp2\r\n"
