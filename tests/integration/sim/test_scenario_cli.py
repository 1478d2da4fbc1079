"""Scenario files, the mix generator, the written inventory, address allocation and `umcheck sim start`."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from umcheck.errors import InputError
from umcheck.sim.addresses import CapacityError, loopback_addresses, raise_open_file_limit
from umcheck.sim.faults import SSH_FAULTS, WINRM_FAULTS
from umcheck.sim.machines import LINUX_STATES, SUCCESSOR_STATES, WINDOWS_STATES
from umcheck.sim.scenario import SCENARIO_DIR, load_scenario, mix

from .conftest import PASSWORD, first_address, in_thread, spec, winrm_session


def test_shipped_scenarios_load_and_cover_every_state_and_fault():
    loaded = {p.stem: load_scenario(p, PASSWORD) for p in SCENARIO_DIR.glob("*.yml")}
    assert {"small", "all-states", "faults"} <= set(loaded)
    states = {(h.os, s) for h in loaded["all-states"].hosts for s in h.states}
    assert states == {("windows", s) for s in WINDOWS_STATES} | {("linux", s) for s in LINUX_STATES}
    faults = {(h.os, f) for h in loaded["faults"].hosts for f in h.faults}
    assert faults == {("windows", f) for f in WINRM_FAULTS} | {("linux", f) for f in SSH_FAULTS}
    assert all(h.credentials.password == PASSWORD for s in loaded.values() for h in s.hosts)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("hosts:\n  - {name: a, transport: winrm, states: [bogus]}\n", "unknown windows state 'bogus'", 2),
        ("hosts:\n  - name: a\n    transport: ssh\n    faults: [soap_fault]\n", "unknown linux fault 'soap_fault'", 2),
        ("hosts:\n  - {name: a, transport: telnet}\n", "unknown transport 'telnet'", 2),
        ("hosts:\n  - {name: a, colour: red}\n", "unknown host key(s) colour", 2),
        ("hosts:\n  - {name: a, password_env: NOT_SET_ANYWHERE_42}\n", "is not set in the environment", 2),
        ("hosts:\n  - {name: a}\n  - {name: a}\n", "duplicate host names: a", None),
        ("hosts: [\n", "not valid YAML", 2),
        ("hosts: []\n", "non-empty 'hosts' list", 1),
        ("hosts:\n  - {name: a, transport: ssh, auth: ntlm}\n", "auth 'ntlm' does not fit ssh", 2),
        ("hosts:\n  - {name: a, commands: [{match: '('}]}\n", "not a valid regex", 2),
    ],
)
def test_scenario_errors_name_file_and_line(tmp_path, text, message, line):
    path = tmp_path / "bad.yml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_scenario(path, PASSWORD, env={})
    assert message in str(err.value)
    assert str(err.value).startswith(f"{path}:{line}: " if line else f"{path}: ")
    assert "\n" not in str(err.value)


def test_count_expands_and_password_env_is_per_host(tmp_path):
    path = tmp_path / "s.yml"
    path.write_text("defaults: {location: northeurope}\nhosts:\n"
                    "  - {name: web, count: 12, transport: psrp-https, auth: negotiate}\n"
                    "  - {name: db, transport: ssh, password_env: DB_PW}\n")  # fmt: skip
    s = load_scenario(path, PASSWORD, env={"DB_PW": "other"})
    assert [h.name for h in s.hosts][:2] == ["web-01", "web-02"] and len(s.hosts) == 13
    assert s.hosts[-1].credentials.password == "other" and s.hosts[0].credentials.password == PASSWORD
    assert {h.location for h in s.hosts} == {"northeurope"}


def test_mix_is_deterministic_and_mostly_healthy():
    a, b, c = mix(500, seed=7, password="x"), mix(500, seed=7, password="x"), mix(500, seed=8, password="x")
    assert a.hosts == b.hosts and a.hosts != c.hosts
    migrating = [h for h in a.hosts if set(h.states) & SUCCESSOR_STATES]
    problems = sum(h.states != ("healthy",) and h not in migrating for h in a.hosts) / 500
    faulty = sum(bool(h.faults) for h in a.hosts) / 500
    by_os = collections.Counter(h.os for h in a.hosts)
    assert 0.2 < problems < 0.4 and 0 < faulty < 0.08
    # a fleet mid-migration: migrated hosts, V1 and V2 workers side by side, hosts on the way, both OSes
    assert all(len(h.states) == 1 for h in migrating) and 0.1 < len(migrating) / 500 < 0.3
    stages = collections.Counter((h.os, h.states[0]) for h in migrating)
    assert stages[("windows", "migrated")] and stages[("linux", "migrated")] and stages[("windows", "v1_and_v2_side_by_side")]
    assert stages[("linux", "hrw2_healthy")] and len(stages) >= 10
    assert 0.6 < by_os["windows"] / 500 < 0.8
    assert {h.transport for h in a.hosts} == {"winrm", "winrm-https", "psrp", "psrp-https", "ssh"}


def test_mix_keeps_the_legacy_draws_of_a_seed():
    """Migration stages come from their own random stream: without them a seed is the fleet it was."""
    with_stages, without = mix(300, seed=3, password="x"), mix(300, seed=3, password="x", migration_share=0)
    assert not any(set(h.states) & SUCCESSOR_STATES for h in without.hosts)
    for h, w in zip(with_stages.hosts, without.hosts, strict=True):
        assert (h.name, h.transport, h.faults) == (w.name, w.transport, w.faults)
        assert h.states == w.states or (w.states == ("healthy",) and set(h.states) <= SUCCESSOR_STATES)


def test_loopback_addresses_skip_network_and_dot_one():
    addrs = list(zip(range(300), loopback_addresses(), strict=False))
    got = [a for _, a in addrs]
    assert got[0] == "127.0.0.2" and got[252] == "127.0.0.254" and got[253] == "127.0.1.2"
    assert len(set(got)) == 300


def test_open_file_limit_is_checked():
    soft, needed = raise_open_file_limit(10)
    assert soft >= needed
    with pytest.raises(CapacityError) as err:
        raise_open_file_limit(10**9)
    assert "open files" in str(err.value) and "simulate at most" in str(err.value)


async def test_inventory_points_at_the_fleet_without_passwords(make_fleet, tmp_path):
    fleet = await make_fleet([spec("w1"), spec("w2", "winrm-https"), spec("p1", "psrp-https", auth="negotiate"),
                              spec("l1", "ssh"), spec("l2", "ssh", auth="key", states=("multihomed",))])  # fmt: skip
    path = fleet.write_inventory(tmp_path / "inv.yml")
    text = path.read_text()
    assert PASSWORD not in text
    doc = yaml.safe_load(text)["all"]["children"]
    assert set(doc) == {"windows_winrm", "windows_psrp", "linux"}
    w1, w2 = doc["windows_winrm"]["hosts"]["w1"], doc["windows_winrm"]["hosts"]["w2"]
    assert (w1["ansible_host"], w1["ansible_port"]) == (fleet.host("w1").address, fleet.host("w1").ports["winrm_http"])
    assert w1["ansible_password"] == "{{ lookup('env', 'UMCHECK_SIM_PASSWORD') }}"
    assert w2["ansible_winrm_ca_trust_path"] == str(fleet.ca_file) and w2["ansible_winrm_scheme"] == "https"
    p1 = doc["windows_psrp"]["hosts"]["p1"]
    assert (p1["ansible_connection"], p1["ansible_psrp_auth"], p1["ansible_psrp_protocol"]) == ("psrp", "negotiate", "https")
    l1, l2 = doc["linux"]["hosts"]["l1"], doc["linux"]["hosts"]["l2"]
    assert l1["umcheck_known_hosts"] == str(fleet.known_hosts) and l1["ansible_connection"] == "ssh"
    assert l2["ansible_ssh_private_key_file"] == str(fleet.client_key_file) and "ansible_password" not in l2
    assert l2["sim_states"] == ["multihomed"]
    known = fleet.known_hosts.read_text().splitlines()
    assert len(known) == 2 and known[0].startswith(f"[{fleet.host('l1').address}]:")


def _cli(*args, env=None, **kw):
    return subprocess.Popen([sys.executable, "-m", "umcheck.sim", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kw)  # fmt: skip


def test_cli_needs_the_password_variable():
    env = {k: v for k, v in os.environ.items() if k != "UMCHECK_SIM_PASSWORD"}
    proc = _cli("start", "--hosts", "2", env=env)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip() == "umcheck: error: set the environment variable UMCHECK_SIM_PASSWORD to the password simulated hosts accept"


def test_cli_bad_scenario_is_one_line(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("hosts:\n  - {name: a, states: [nope]}\n")
    proc = _cli("start", "--scenario", str(bad), env={**os.environ, "UMCHECK_SIM_PASSWORD": PASSWORD})
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and err.count("\n") == 1 and f"{bad}:2: unknown windows state 'nope'" in err


async def test_cli_start_serves_and_stops_on_sigterm(tmp_path):
    ready, inv = tmp_path / "ready.json", tmp_path / "inv.yml"
    proc = _cli("start", "--scenario", "small", "--hosts", "4", "--ephemeral-ports", "--first-address",
                first_address(), "--write-inventory", str(inv), "--ready-file", str(ready), "--state-dir",
                str(tmp_path / "state"), env={**os.environ, "UMCHECK_SIM_PASSWORD": PASSWORD})  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "simulator did not become ready"
            await asyncio.sleep(0.1)
        desc = json.loads(ready.read_text())
        first = desc["hosts"][0]
        assert first["name"] == "win-ok-1" and inv.exists()

        class H:  # what winrm_session needs
            address, ports = first["address"], first["ports"]

        r = await in_thread(lambda: winrm_session(H, "ntlm").run_cmd("hostname"))
        assert r.std_out == b"win-ok-1\r\n"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "simulating 4 hosts" in out and "stopped (" in out and "collector runs" in out
    assert PASSWORD not in out + err


async def test_busy_port_falls_back_and_says_so():
    import socket

    from umcheck.sim import Fleet, Ports

    addr = first_address()
    with socket.socket() as busy:
        busy.bind((addr, 0))
        busy.listen()
        taken = busy.getsockname()[1]
        fleet = Fleet([spec("w1"), spec("w2")], first_address=addr,
                      ports=Ports(taken, 0, 0, fallback={"winrm_http": 0}))  # fmt: skip
        async with fleet:
            assert fleet.host("w1").ports["winrm_http"] not in (0, taken)
            assert any(f"winrm_http port {taken} unavailable" in n for n in fleet.notes)
            r = await in_thread(lambda: winrm_session(fleet.host("w1"), "basic").run_cmd("hostname"))
    assert r.std_out == b"w1\r\n"


async def test_written_inventory_loads_in_umcheck(make_fleet, tmp_path, monkeypatch):
    from umcheck.inventory import load_inventory

    monkeypatch.setenv("UMCHECK_SIM_PASSWORD", PASSWORD)
    fleet = await make_fleet([spec("w1"), spec("w2", "winrm-https"), spec("p1", "psrp", auth="negotiate"),
                              spec("l1", "ssh"), spec("l2", "ssh", auth="key")])  # fmt: skip
    inv = load_inventory([str(fleet.write_inventory(tmp_path / "inv.yml"))])
    conns = {h.name: h.connection for h in inv.select("all")}
    assert set(conns) == {"w1", "w2", "p1", "l1", "l2"}
    assert (conns["w1"].connection, conns["w1"].port, conns["w1"].winrm_transport) == (
        "winrm", fleet.host("w1").port, ("ntlm",))
    assert conns["w1"].password == PASSWORD and conns["w2"].ca_trust_path == str(fleet.ca_file)
    assert (conns["p1"].connection, conns["p1"].psrp_auth, conns["p1"].scheme) == ("psrp", "negotiate", "http")
    assert conns["l1"].known_hosts == str(fleet.known_hosts)
    assert conns["l2"].ssh_private_key_file == str(fleet.client_key_file)
