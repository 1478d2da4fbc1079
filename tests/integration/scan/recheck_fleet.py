"""A simulated fleet whose machine states change between two scans, and `umcheck` as a subprocess.

The simulator (``umcheck sim start``) runs in its own process. To change what a host reports
(the firewall got fixed, TLS 1.2 is still off), the process is stopped and started again with a
scenario in which that host has other machine states, on the **same loopback addresses and
ports**, so the inventory names the same hosts at the same places. Each start gets a fresh
``--state-dir`` (CA, SSH keys): the inventory is rewritten to point at it.

Expectations come from the machine states (docs/simulator.md) and the rule ids ``umcheck rules``
lists, never from umcheck's rule code.
"""

from __future__ import annotations

import json
import random
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .e2e import PASSWORD_ENV, Procs, first_address, output, umcheck_cmd

# name -> (transport, client auth). host-a and host-b are the ones whose states change.
HOSTS: dict[str, tuple[str, str]] = {
    "host-a": ("winrm", "ntlm"),
    "host-b": ("psrp", "negotiate"),
    "ok-win": ("winrm", "ntlm"),
    "ok-lnx": ("ssh", "password"),
}
# A: TLS 1.2 off and the Automation/Log Analytics endpoints blocked; B: endpoints blocked only.
BEFORE: dict[str, list[str]] = {
    "host-a": ["tls12_disabled", "endpoints_blocked"],
    "host-b": ["endpoints_blocked"],
}
# The firewall was fixed for both; A keeps TLS 1.2 disabled.
AFTER: dict[str, list[str]] = {"host-a": ["tls12_disabled"]}

TLS = "TlsVersionCheck"
JRDS = "AutomationJobRuntimeDataServiceConnectivityCheck"
# `umcheck rules`: the Windows rules of the connectivity group.
WIN_CONNECTIVITY = frozenset({
    "AutomationAgentServiceConnectivityCheck1", JRDS, "HttpsConnection", "ProxySettings", "IMDSConnectivity",
    "LAOdsEndpointConnectivity", "LAOmsEndpointConnectivity",
})  # fmt: skip
LINUX_CONNECTIVITY = frozenset({
    "Linux.ProxyCheck", "Linux.ImdsCheck", "Linux.InternetConnectionCheck", "Linux.AgentServiceConnectivityCheck",
    "Linux.JRDSConnectivityCheck", "Linux.LogAnalyticsConnectivityCheck1", "Linux.LogAnalyticsConnectivityCheck2",
    "Linux.LogAnalyticsConnectivityCheck3", "Linux.LogAnalyticsConnectivityCheck4", "Linux.ReposAccessCheck",
})  # fmt: skip
CONNECTIVITY = WIN_CONNECTIVITY | LINUX_CONNECTIVITY
NOTHING_TO_DO = re.compile(r"^umcheck: no selected host .*nothing to re-check$")


def _next_address(address: str, n: int) -> str:
    a, b, c, d = (int(x) for x in address.split("."))
    return f"{a}.{b}.{c}.{d + n}"


def _free_ports(addresses: list[str], count: int) -> list[int]:
    """Ports below the ephemeral range that are free on every address (the simulator re-binds them)."""
    rng = random.Random()
    ports: list[int] = []
    while len(ports) < count:
        port = rng.randrange(20000, 32000)
        if port in ports:
            continue
        try:
            for address in addresses:
                with socket.socket() as s:
                    s.bind((address, port))
        except OSError:
            continue
        ports.append(port)
    return ports


def scenario_text(states: dict[str, list[str]]) -> str:
    lines = ["name: rechecks", "hosts:"]
    for name, (transport, auth) in HOSTS.items():
        lines.append(f"  - {{name: {name}, transport: {transport}, auth: {auth}, "
                     f"states: [{', '.join(states.get(name, ['healthy']))}]}}")  # fmt: skip
    return "\n".join(lines) + "\n"


class ChangingFleet:
    """``umcheck sim start`` for HOSTS; ``change(states)`` restarts it with other machine states."""

    def __init__(self, procs: Procs, tmp: Path, env: dict[str, str]):
        self.procs, self.tmp, self.env = procs, tmp, env
        self.first = first_address()
        self.addresses = [_next_address(self.first, i) for i in range(len(HOSTS))]
        self.winrm_port, self.https_port, self.ssh_port = _free_ports(self.addresses, 3)
        self.inventory = tmp / "inventory.yml"
        self.generation = 0
        self.proc: subprocess.Popen | None = None
        self.places: dict[str, tuple[str, int]] = {}  # host -> (address, port) of the first start

    def start(self, states: dict[str, list[str]], timeout: float = 60) -> None:
        assert self.proc is None, "already running"
        self.generation += 1
        gen = self.generation
        scenario = self.tmp / f"scenario-{gen}.yml"
        scenario.write_text(scenario_text(states))
        ready = self.tmp / f"sim-ready-{gen}.json"
        argv = [sys.executable, "-m", "umcheck.sim", "start", "--scenario", str(scenario),
                "--first-address", self.first, "--winrm-port", str(self.winrm_port),
                "--winrm-https-port", str(self.https_port), "--ssh-port", str(self.ssh_port),
                "--write-inventory", str(self.inventory), "--ready-file", str(ready),
                "--state-dir", str(self.tmp / f"sim-state-{gen}"), "--password-env", PASSWORD_ENV,
                "--duration", "600"]  # fmt: skip
        proc = self.procs.start(argv, log=self.tmp / f"sim-{gen}", env=self.env, cwd=self.tmp)
        deadline = time.monotonic() + timeout
        while not ready.exists():
            assert proc.poll() is None, f"simulator exited: {output(proc)}"
            assert time.monotonic() < deadline, "simulator did not become ready"
            time.sleep(0.05)
        self.proc = proc
        described = json.loads(ready.read_text())
        places = {h["name"]: (h["address"], h["port"]) for h in described["hosts"]}
        got_states = {h["name"]: h["states"] for h in described["hosts"]}
        assert got_states == {n: states.get(n, ["healthy"]) for n in HOSTS}, got_states
        if not self.places:
            self.places = places
        assert places == self.places, f"the restarted simulator moved hosts: {self.places} -> {places}"

    def change(self, states: dict[str, list[str]]) -> None:
        """New machine states for the same hosts at the same addresses and ports."""
        self.stop()
        self.start(states)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        assert proc.returncode == 0, output(proc)[1][-2000:]


# ------------------------------------------------------------------------------- umcheck runs

_last_scan = [0.0]


def umcheck(*args: str, cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    proc = subprocess.run(umcheck_cmd(*args), capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env,
                          stdin=subprocess.DEVNULL)  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return proc


@dataclass
class Run:
    """One `umcheck scan` / `umcheck run` and the report it wrote (none when nothing was done)."""

    rc: int
    out: str
    err: str
    run_dir: Path | None
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return self.report["run_id"]

    @property
    def names(self) -> list[str]:
        return [h["name"] for h in self.report["hosts"]]

    def host(self, name: str) -> dict[str, Any]:
        found = [h for h in self.report["hosts"] if h["name"] == name]
        assert len(found) == 1, f"{name} appears {len(found)} times in {self.run_dir}"
        return found[0]

    def why(self) -> str:
        return f"rc {self.rc}\n--- stdout\n{self.out[-3000:]}\n--- stderr\n{self.err[-3000:]}"


def _pace() -> None:
    """Runs are ordered by their start time (whole seconds): start each scan in a later second."""
    wait = _last_scan[0] + 1.05 - time.time()
    if wait > 0:
        time.sleep(wait)
    _last_scan[0] = time.time()


def run_umcheck(*args: str, cwd: Path, env: dict[str, str]) -> Run:
    """`umcheck <args>` that may write a run; the run folder is the one its `reports:` line names."""
    _pace()
    proc = umcheck(*args, cwd=cwd, env=env)
    found = re.findall(r"^reports: (.+)$", proc.stdout, re.MULTILINE)
    if not found:
        return Run(proc.returncode, proc.stdout, proc.stderr, None)
    run_dir = Path(found[-1])
    run_dir = run_dir if run_dir.is_absolute() else cwd / run_dir
    report = json.loads((run_dir / "report.json").read_text())
    return Run(proc.returncode, proc.stdout, proc.stderr, run_dir, report)


def scan(fleet: ChangingFleet, reports: Path, *args: str, env: dict[str, str]) -> Run:
    """`umcheck scan` of the fleet's inventory into ``reports`` with its history in reports/umcheck.db."""
    return run_umcheck("scan", "-i", str(fleet.inventory), "-o", str(reports), "--db", str(reports / "umcheck.db"),
                       "--format", "json,html", "-f", "10", "--timeout", "60", "--connect-timeout", "10", *args,
                       cwd=reports.parent, env=env)  # fmt: skip


def failed(host: dict[str, Any]) -> set[str]:
    return {o["RuleId"] for o in host["outcomes"] if o["CheckResult"] == "Failed"}


def outcome(host: dict[str, Any], rule_id: str) -> dict[str, Any]:
    found = [o for o in host["outcomes"] if o["RuleId"] == rule_id]
    assert len(found) == 1, f"{host['name']}: {len(found)} outcomes of {rule_id}"
    return found[0]


def when(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def journal_header(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "journal.jsonl").read_text().splitlines()[0])
