"""Client certificate authentication (WS-Man https/mutual profile) with unmodified pywinrm and pypsrp."""

from __future__ import annotations

import pytest

from umcheck.sim.certauth import default_subject, issue_client_cert

from .conftest import in_thread, psrp_client, spec, winrm_session


async def test_pywinrm_certificate_transport(make_fleet):
    fleet = await make_fleet([spec("win-cert", "winrm-https", auth="certificate")])
    host, cc = fleet.hosts[0], fleet.client_certs["win-cert"]
    assert cc.upn == default_subject("simadmin") == "simadmin@sim.umcheck.test"
    s = winrm_session(host, "certificate", https=True, ca=str(fleet.ca_file), cert_pem=str(cc.cert_file),
                      cert_key_pem=str(cc.key_file))  # fmt: skip
    r = await in_thread(s.run_cmd, "hostname")
    assert (r.status_code, r.std_out) == (0, b"win-cert\r\n")
    assert "auth_rejected" not in fleet.stats.hosts["win-cert"]


async def test_pypsrp_certificate_auth(make_fleet):
    fleet = await make_fleet([spec("ps-cert", "psrp-https", auth="certificate")])
    host, cc = fleet.hosts[0], fleet.client_certs["ps-cert"]
    c = psrp_client(host, "certificate", https=True, ca=str(fleet.ca_file), certificate_pem=str(cc.cert_file),
                    certificate_key_pem=str(cc.key_file))  # fmt: skip
    out, _, had_errors = await in_thread(c.execute_ps, "hostname")
    assert (out, had_errors) == ("ps-cert", False)


async def test_mapping_decides_which_certificates_are_accepted(make_fleet, tmp_path):
    import winrm.exceptions

    fleet = await make_fleet([spec("win-map", "winrm-https", auth="certificate",
                                   cert_subjects=("ops@corp.example", "simadmin@sim.umcheck.test"))])  # fmt: skip
    host = fleet.hosts[0]
    assert fleet.client_certs["win-map"].upn == "ops@corp.example"  # the first mapped subject

    def run(upn):
        cc = issue_client_cert(fleet.ca, tmp_path, upn)
        s = winrm_session(host, "certificate", https=True, ca=str(fleet.ca_file), cert_pem=str(cc.cert_file),
                          cert_key_pem=str(cc.key_file))  # fmt: skip
        return s.run_cmd("hostname").std_out

    assert await in_thread(run, "simadmin@sim.umcheck.test") == b"win-map\r\n"
    with pytest.raises(winrm.exceptions.InvalidCredentialsError):
        await in_thread(run, "intruder@sim.umcheck.test")
    assert fleet.stats.hosts["win-map"]["auth_rejected"] == 1


async def test_the_host_still_accepts_passwords(make_fleet):
    """Certificate auth is offered in addition to Negotiate/Basic, as on Windows."""
    fleet = await make_fleet([spec("win-both", "winrm-https", auth="certificate")])
    r = await in_thread(winrm_session(fleet.hosts[0], "ntlm", https=True, ca=str(fleet.ca_file)).run_cmd, "hostname")
    assert r.std_out == b"win-both\r\n"


async def test_mutual_header_without_a_certificate_is_401(make_fleet):
    import requests

    from umcheck.sim.certauth import MUTUAL

    fleet = await make_fleet([spec("win-nocert", "winrm-https", auth="certificate")])
    host = fleet.hosts[0]
    url = f"https://{host.address}:{host.ports['winrm_https']}/wsman"
    r = await in_thread(requests.post, url, data=b"<x/>", headers={"Authorization": MUTUAL},
                        verify=str(fleet.ca_file), timeout=10)  # fmt: skip
    assert r.status_code == 401


async def test_inventory_and_scenario_carry_the_certificate(make_fleet, tmp_path):
    import yaml

    from umcheck.sim.scenario import load_scenario

    path = tmp_path / "s.yml"
    path.write_text("hosts:\n  - {name: w, transport: winrm-https, auth: certificate, cert_subjects: [a@b.c]}\n"
                    "  - {name: p, transport: psrp-https, auth: certificate}\n")  # fmt: skip
    scenario = load_scenario(path, "pw")
    assert [h.cert_subjects for h in scenario.hosts] == [("a@b.c",), ()]
    fleet = await make_fleet(list(scenario.hosts))
    doc = yaml.safe_load(fleet.write_inventory(tmp_path / "inv.yml").read_text())["all"]["children"]
    w, p = doc["windows_winrm"]["hosts"]["w"], doc["windows_psrp"]["hosts"]["p"]
    assert w["ansible_winrm_transport"] == "certificate" and p["ansible_psrp_auth"] == "certificate"
    assert w["ansible_winrm_cert_pem"] == str(fleet.client_certs["w"].cert_file)
    assert w["ansible_winrm_cert_key_pem"] == str(fleet.client_certs["w"].key_file)
    assert p["ansible_psrp_certificate_pem"] == str(fleet.client_certs["p"].cert_file)
    assert p["ansible_psrp_certificate_key_pem"] == str(fleet.client_certs["p"].key_file)
