"""Helpers for the end-to-end scan tests: expected results from a HostSpec, fleets, subprocesses.

Expectations are derived from what each simulated host was told to be (its machine states and
faults) and the documented grading (docs/readiness.md, docs/transports.md, docs/simulator.md),
never from umcheck's own rule code.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from umcheck.plan import Timeouts
from umcheck.results import FleetResult, HostStatus, Readiness
from umcheck.scan import ScanOutcome, ScanRequest, run_scan
from umcheck.sim import Credentials, Fleet, HostSpec, Ports

T = TypeVar("T")
PASSWORD = "Scan-e2e-Passw0rd!"
PASSWORD_ENV = "UMCHECK_E2E_SIM_PASSWORD"
USER = "simadmin"
CREDS = Credentials(USER, PASSWORD)
_BLOCKS = itertools.count(1)

R, D, N = Readiness.READY, Readiness.DISCONNECTED, Readiness.NOT_CONFIGURED

# What each simulated machine state means for readiness (docs/simulator.md + docs/readiness.md):
# a missing onboarding artefact -> Not configured; a Failed rule that stops Update Management ->
# Disconnected; warnings (proxy, WSUS, auto-reboot/auto-update, WMF 4.0 "works, 5.1 recommended")
# and the informational IMDS rules (not_azure) -> still Ready.
WINDOWS_READINESS: dict[str, Readiness] = {
    "healthy": R, "tls12_disabled": D, "healthservice_stopped": D, "wuauserv_disabled": D, "no_workspace": N,
    # Two workspaces with the Updates solution: the registration rule keeps the official id
    # AutomationAgentServiceConnectivityCheck1.Failed.NoRegistrationFound (deviations.md Q-W7), but the
    # host is onboarded: Disconnected (docs/readiness.md), like Linux multihomed.
    "multihomed": D,
    "worker_stopped": D, "agent_errors": D, "endpoints_blocked": D, "proxy_set": R, "old_os": D,
    # The proxy's own answers (HttpsConnection PassedWithWarning, IMDSConnectivity Failed is informational).
    "proxy_error_page": R, "proxy_denies_tunnel": R, "proxy_auth_required": R,
    "missing_dotnet": D, "old_wmf": R, "wsus": R, "auto_reboot_keys": R, "auto_update": R,
    "machinekeys_denied": D, "not_configured": N, "not_azure": R,
    # Successor states (docs/simulator.md "Successor states"): the legacy worker is untouched (off Azure
    # for the Arc ones: informational IMDS only) -> Ready; the successor rules they fail do not grade
    # readiness. Migrated hosts have no MMA, workspace or V1 worker left -> Not configured, also when
    # the MMA still reports to a workspace without the Updates solution (legacy_mma_reporting).
    "arc_connected": R, "arc_disconnected": R, "arc_expired": R, "himds_stopped": R, "extension_policy_blocking": R,
    "hrw2_healthy": R, "hrw2_stopped": R, "hrw2_stale_registration": R, "wsus_misconfigured": R,
    "legacy_mma_reporting": N, "v1_and_v2_side_by_side": R, "os_auto_updates": R, "migrated": N,
    # Successor probe states: only the successor probes change, the legacy worker stays Ready.
    "arc_endpoints_blocked": R, "wu_endpoints_blocked": R, "wireserver_blocked": R, "hrw2_unreachable": R,
}  # fmt: skip
LINUX_READINESS: dict[str, Readiness] = {
    "healthy": R, "multihomed": D, "worker_stopped": D, "omsagent_stopped": D, "agent_missing": N,
    "not_configured": N, "updates_disabled": N, "repos_blocked": D, "endpoints_blocked": D, "proxy_set": R,
    "proxy_error_page": R, "proxy_denies_tunnel": R, "proxy_auth_required": R, "old_os": D, "not_azure": R,
    # Successor states: as on Windows; linux_repos_unreachable is repos_blocked (Disconnected).
    "arc_connected": R, "arc_disconnected": R, "arc_expired": R, "himds_stopped": R, "extension_policy_blocking": R,
    "hrw2_healthy": R, "hrw2_stopped": R, "legacy_mma_reporting": N, "linux_repos_unreachable": D,
    "os_auto_updates": R, "migrated": N,
    "arc_endpoints_blocked": R, "wireserver_blocked": R, "hrw2_unreachable": R,
}  # fmt: skip
_RANK = {R: 0, D: 1, N: 2}  # docs/readiness.md: first match wins -> Not configured, then Disconnected

# How each simulator fault ends (docs/transports.md error table, docs/simulator.md fault table).
FAULT_STATUS: dict[str, HostStatus] = {
    "refused": HostStatus.UNREACHABLE,
    "black_hole": HostStatus.UNREACHABLE,  # "a port that accepts but never answers" / SSH banner never sent
    "auth_failure": HostStatus.AUTH_FAILED,
    "http_500": HostStatus.PROTOCOL_ERROR,
    "soap_fault": HostStatus.PROTOCOL_ERROR,
    "malformed_xml": HostStatus.PROTOCOL_ERROR,
    "drop_mid_command": HostStatus.PROTOCOL_ERROR,
    "hang": HostStatus.TIMEOUT,
    "slow_output": HostStatus.OK,
    "huge_output": HostStatus.COLLECTOR_ERROR,  # over --max-output
    "invalid_json": HostStatus.COLLECTOR_ERROR,
    "garbage_output": HostStatus.COLLECTOR_ERROR,
    "unknown_ca": HostStatus.TLS_ERROR,
}
RETRIED = {HostStatus.UNREACHABLE, HostStatus.PROTOCOL_ERROR}  # transient: retried with backoff


def expected_readiness(spec: HostSpec) -> Readiness:
    table = WINDOWS_READINESS if spec.os == "windows" else LINUX_READINESS
    return max((table[s] for s in spec.states), key=_RANK.__getitem__)


def expected_status(spec: HostSpec) -> HostStatus:
    if not spec.faults:
        return HostStatus.OK
    return FAULT_STATUS[spec.faults[0]]


def expected_connection(spec: HostSpec) -> str:
    return {"winrm": "winrm", "winrm-https": "winrm", "psrp": "psrp", "psrp-https": "psrp", "ssh": "ssh"}[spec.transport]


def first_address() -> str:
    """A loopback /24 of our own (sim tests use 127.100-249.x.x, transport tests 127.40-89.x.x)."""
    return f"127.{10 + os.getpid() % 30}.{next(_BLOCKS) * 2 % 250 + 1}.2"  # two /24s: room for 300+ hosts


def spec(name: str, transport: str = "winrm", **kw: Any) -> HostSpec:
    kw.setdefault("credentials", CREDS)
    return HostSpec(name, transport, **kw)


def run_sync(coro: Coroutine[Any, Any, T], timeout: float) -> T:
    """Run a coroutine in a fresh event loop (module-scoped fixtures), bounded in time."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


@dataclass
class FleetScan:
    outcome: ScanOutcome
    specs: dict[str, HostSpec]
    stats: dict[str, dict[str, int]]  # per simulated host request counters
    inventory: Path
    ca_file: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fleet(self) -> FleetResult:
        return self.outcome.fleet

    def host(self, name: str):
        found = [h for h in self.fleet.hosts if h.name == name]
        assert len(found) == 1, f"{name} appears {len(found)} times in the result"
        return found[0]


async def scan_fleet(specs: Sequence[HostSpec], tmp: Path, *, edit_inventory=None, **request: Any) -> FleetScan:
    """Start ``specs`` on loopback (ephemeral ports), scan them with run_scan, stop the fleet."""
    async with Fleet(list(specs), first_address=first_address(), ports=Ports.ephemeral()) as fleet:
        inventory = fleet.write_inventory(tmp / "inventory.yml", PASSWORD_ENV)
        if edit_inventory is not None:
            doc = yaml.safe_load(inventory.read_text())
            edit_inventory(doc, fleet)
            inventory.write_text(yaml.safe_dump(doc, sort_keys=False))
        # Generous by default: on a loaded 2-core machine a slow handshake must not become a retry
        # (attempts == 1 is asserted); tests about deadlines pass their own.
        request.setdefault("timeouts", Timeouts(connect=60, host=120))
        request.setdefault("formats", ("json",))
        request.setdefault("verbosity", -1)
        req = ScanRequest(inventory=[str(inventory)], reports_dir=tmp / "reports",
                          environ={**os.environ, PASSWORD_ENV: PASSWORD}, **request)  # fmt: skip
        outcome = await run_scan(req)
        stats = {name: dict(counter) for name, counter in fleet.stats.hosts.items()}
        return FleetScan(outcome, {s.name: s for s in specs}, stats, inventory, str(fleet.ca_file))


# ------------------------------------------------------------------------------- processes


def umcheck_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "umcheck.cli", *args]


def read_journal_lines(path: Path) -> list[dict[str, Any]]:
    """Every complete JSON line of a journal (a line torn by kill -9 is skipped, as umcheck does)."""
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def host_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in lines if r.get("type") == "host"]


class Procs:
    """Subprocesses started by one test; whatever still runs at teardown is killed (by its pid)."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, argv: list[str], *, log: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen:
        out = open(log.with_suffix(".out"), "wb")  # noqa: SIM115 - closed in close()
        err = open(log.with_suffix(".err"), "wb")  # noqa: SIM115
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd, stdin=subprocess.DEVNULL)
        proc._e2e_files = (out, err)  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    pass
            for fh in proc._e2e_files:  # type: ignore[attr-defined]
                fh.close()


def output(proc: subprocess.Popen) -> tuple[str, str]:
    out, err = proc._e2e_files  # type: ignore[attr-defined]
    out.flush()
    err.flush()
    return Path(out.name).read_text(errors="replace"), Path(err.name).read_text(errors="replace")


@dataclass
class SimProcess:
    """``umcheck sim start`` in its own process, on our own loopback block with ephemeral ports."""

    proc: subprocess.Popen
    inventory: Path
    ready: dict[str, Any]

    @classmethod
    def start(cls, procs: Procs, tmp: Path, scenario: Path, env: dict[str, str], timeout: float = 60) -> SimProcess:
        ready, inventory = tmp / "sim-ready.json", tmp / "sim-inventory.yml"
        argv = [sys.executable, "-m", "umcheck.sim", "start", "--scenario", str(scenario), "--ephemeral-ports",
                "--first-address", first_address(), "--write-inventory", str(inventory), "--ready-file", str(ready),
                "--state-dir", str(tmp / "sim-state"), "--password-env", PASSWORD_ENV, "--duration", "300"]  # fmt: skip
        proc = procs.start(argv, log=tmp / "sim", env=env, cwd=tmp)
        deadline = time.monotonic() + timeout
        while not ready.exists():
            assert proc.poll() is None, f"simulator exited: {output(proc)}"
            assert time.monotonic() < deadline, "simulator did not become ready"
            time.sleep(0.05)
        return cls(proc, inventory, json.loads(ready.read_text()))

    def stop(self) -> int:
        """SIGTERM; returns the number of collector runs the simulator served."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        out, err = output(self.proc)
        assert self.proc.returncode == 0, err
        m = re.search(r"(\d+) collector runs", out)
        assert m, out
        return int(m.group(1))


def wait_for_hosts_in_journal(reports: Path, proc: subprocess.Popen, at_least: int, timeout: float = 60,
                              stderr: Callable[[], str] | None = None) -> Path:  # fmt: skip
    """Poll until the (only) run's journal holds ``at_least`` finished hosts; returns the run folder.
    ``stderr`` gives the scan's error output when it is not on ``proc``'s pipes (a log file)."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"scan ended early (rc {proc.returncode}): {(stderr or (lambda: output(proc)[1]))()[-2000:]}")
        assert time.monotonic() < deadline, "not enough hosts reached the journal in time"
        journals = list(reports.glob("*/journal.jsonl"))
        if journals and len(host_lines(read_journal_lines(journals[0]))) >= at_least:
            return journals[0].parent
        time.sleep(0.05)


def slow_scenario(tmp: Path, run_ms: int, windows: int, psrp: int, linux: int) -> Path:
    """A scenario of WinRM, PSRP and SSH hosts each taking ``run_ms``: time to interrupt a run."""
    path = tmp / "scenario.yml"
    path.write_text(
        "name: slow-fleet\n"
        "hosts:\n"
        f"  - {{name: slow-win, count: {windows}, transport: winrm, auth: ntlm, run_ms: {run_ms}}}\n"
        f"  - {{name: slow-psrp, count: {psrp}, transport: psrp, auth: negotiate, run_ms: {run_ms}}}\n"
        f"  - {{name: slow-lnx, count: {linux}, transport: ssh, auth: key, run_ms: {run_ms}}}\n"
    )
    return path
