"""Kerberos hosts in a scenario file: `umcheck sim start` starts a KDC, the written inventory scans.

Both steps run as the user would run them - two processes (`python -m umcheck.sim start`, then
`python -m umcheck.cli scan -i <written inventory>` with ``KRB5_CONFIG`` exported) - and the
simulator's own KDC (not the conftest's realm) serves the tickets.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from umcheck.errors import InputError
from umcheck.sim.hosts import KEYTAB_FROM_KDC
from umcheck.sim.scenario import load_scenario

from .conftest import require_kerberos

PASSWORD = "Sim-Krb-Pass-2718"
SCENARIO = """\
name: kerberos-pair
defaults: {user: alice}
hosts:
  - {name: krb-winrm, transport: winrm, auth: kerberos}
  - {name: krb-psrp, transport: psrp, auth: kerberos, kerberos_only: true}
"""


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any Kerberos variable a fixture may have set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRB5")}
    env.update(extra)
    return env


def test_scenario_kerberos_keys(tmp_path):
    path = tmp_path / "s.yml"
    path.write_text(SCENARIO)
    hosts = {h.name: h for h in load_scenario(path, PASSWORD, env={}).hosts}
    assert hosts["krb-winrm"].keytab == KEYTAB_FROM_KDC and not hosts["krb-winrm"].kerberos_only
    assert hosts["krb-psrp"].kerberos_only and hosts["krb-psrp"].client_auth == "kerberos"
    path.write_text("hosts:\n  - {name: a, transport: winrm, kerberos_only: true}\n")
    with pytest.raises(InputError) as err:
        load_scenario(path, PASSWORD, env={})
    assert str(err.value) == f"{path}:2: host a: 'kerberos_only' is true or false, and only for auth: kerberos"
    path.write_text("hosts:\n  - {name: a, transport: ssh, auth: kerberos}\n")
    with pytest.raises(InputError) as err:
        load_scenario(path, PASSWORD, env={})
    assert "auth 'kerberos' does not fit ssh" in str(err.value)


def test_missing_kdc_is_one_line_naming_the_packages(tmp_path, monkeypatch, capsys):
    from umcheck import cli
    from umcheck.sim import kdc

    monkeypatch.setattr(kdc, "find_tool", lambda name: None)
    monkeypatch.setenv("UMCHECK_SIM_PASSWORD", PASSWORD)
    path = tmp_path / "s.yml"
    path.write_text(SCENARIO)
    rc = cli.main(["sim", "start", "--scenario", str(path), "--ephemeral-ports", "--state-dir",
                   str(tmp_path / "state"), "--duration", "1"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1, err
    assert "Kerberos hosts, which need a local KDC: missing krb5kdc" in err
    assert "apt-get install krb5-kdc krb5-admin-server krb5-user" in err


def _first_address() -> str:
    return f"127.{100 + os.getpid() % 150}.251.2"


def test_scenario_fleet_scans_with_its_own_kdc(tmp_path):
    require_kerberos()
    scenario, state, inv, ready = (tmp_path / "krb.yml", tmp_path / "state", tmp_path / "inv.yml",
                                   tmp_path / "ready.json")  # fmt: skip
    scenario.write_text(SCENARIO)
    env = _clean_env(UMCHECK_SIM_PASSWORD=PASSWORD)
    sim = subprocess.Popen([sys.executable, "-m", "umcheck.sim", "start", "--scenario", str(scenario),
                            "--ephemeral-ports", "--first-address", _first_address(), "--state-dir", str(state),
                            "--write-inventory", str(inv), "--ready-file", str(ready)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while not ready.exists():
            assert sim.poll() is None, sim.communicate()
            assert time.monotonic() < deadline, "simulator did not become ready"
            time.sleep(0.1)
        desc = json.loads(ready.read_text())
        krb = desc["kerberos"]
        assert krb["realm"] == "SIM.UMCHECK.TEST" and krb["krb5_config"] == str(state / "krb5.conf")
        assert krb["export"] == f"export KRB5_CONFIG={state / 'krb5.conf'}"
        assert krb["kdc"].startswith("127.0.0.1:")
        assert (state / "keytabs" / "krb-winrm.keytab").exists() and (state / "keytabs" / "krb-psrp.keytab").exists()
        text = inv.read_text()
        assert PASSWORD not in text and f"export KRB5_CONFIG={state / 'krb5.conf'}" in text
        children = yaml.safe_load(text)["all"]["children"]
        w = children["windows_winrm"]["hosts"]["krb-winrm"]
        p = children["windows_psrp"]["hosts"]["krb-psrp"]
        assert w["ansible_user"] == p["ansible_user"] == "alice@SIM.UMCHECK.TEST"
        assert w["ansible_password"] == "{{ lookup('env', 'UMCHECK_SIM_PASSWORD') }}"
        assert (w["ansible_winrm_transport"], p["ansible_psrp_auth"]) == ("kerberos", "kerberos")
        assert w["ansible_winrm_kerberos_hostname_override"] == "krb-winrm.sim.umcheck.test"
        assert p["ansible_psrp_negotiate_hostname_override"] == "krb-psrp.sim.umcheck.test"
        kdc_log = state / "kdc" / "kdc.log"
        before = kdc_log.read_text().count("AS_REQ")

        reports = tmp_path / "reports"
        scan = subprocess.run([sys.executable, "-m", "umcheck.cli", "scan", "-i", str(inv), "-v", "--format", "json",
                               "-o", str(reports), "--timeout", "60", "--retries", "0"],
                              capture_output=True, text=True, timeout=180, cwd=tmp_path,
                              env=_clean_env(UMCHECK_SIM_PASSWORD=PASSWORD, KRB5_CONFIG=krb["krb5_config"]))  # fmt: skip
        run_dir = next(d for d in reports.iterdir() if d.is_dir())
        hosts = {h["name"]: h for h in json.loads((run_dir / "report.json").read_text())["hosts"]}
        assert {n: h["status"] for n, h in hosts.items()} == {"krb-winrm": "ok", "krb-psrp": "ok"}, \
            (hosts, scan.stderr[-2000:])
        assert PASSWORD not in scan.stdout + scan.stderr
        as_reqs = [ln for ln in kdc_log.read_text().splitlines()[:] if "AS_REQ" in ln]
        assert len(as_reqs) - before == 1, as_reqs  # one managed kinit for both hosts
        assert "alice@SIM.UMCHECK.TEST for krbtgt/SIM.UMCHECK.TEST" in as_reqs[-1]
    finally:
        if sim.poll() is None:
            sim.send_signal(signal.SIGTERM)
        out, err = sim.communicate(timeout=30)
    assert sim.returncode == 0, err
    assert f"export KRB5_CONFIG={state / 'krb5.conf'}" in out and "Kerberos realm SIM.UMCHECK.TEST" in out
    assert PASSWORD not in out + err


async def test_one_user_with_two_passwords_is_refused(tmp_path):
    require_kerberos()
    from umcheck.sim.fleet import Fleet, KdcError, Ports

    path = tmp_path / "s.yml"
    path.write_text("hosts:\n  - {name: a, auth: kerberos}\n  - {name: b, auth: kerberos, password_env: OTHER_PW}\n")
    scenario = load_scenario(path, PASSWORD, env={"OTHER_PW": "Another-Pass-1"})
    fleet = Fleet(scenario, first_address=_first_address(), ports=Ports.ephemeral(), state_dir=tmp_path / "state")
    with pytest.raises(KdcError) as err:
        await fleet.start()
    assert str(err.value) == ("Kerberos user simadmin@SIM.UMCHECK.TEST has two different passwords in the scenario "
                              "(a principal has one password)")
    assert fleet.kdc is None
