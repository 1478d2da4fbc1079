"""Fixtures for the environment tests: a simulated fleet in its own process, umcheck subprocesses."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from scan.e2e import PASSWORD, PASSWORD_ENV, Procs, SimProcess


def scenario(tmp: Path, *, run_ms: int = 0, **counts: int) -> Path:
    """A scenario file: ``winrm=``, ``psrp=``, ``ssh=`` host counts, each host taking ``run_ms``."""
    kinds = {"winrm": "transport: winrm, auth: ntlm", "psrp": "transport: psrp, auth: negotiate",
             "ssh": "transport: ssh, auth: key"}  # fmt: skip
    lines = ["name: environment", "hosts:"]
    for kind, count in counts.items():
        if count:
            lines.append(f"  - {{name: {kind}-h, count: {count}, {kinds[kind]}, run_ms: {run_ms}}}")
    path = tmp / "scenario.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def env_vars() -> dict[str, str]:
    env = {**os.environ, PASSWORD_ENV: PASSWORD, "NO_PROXY": "127.0.0.0/8,localhost,::1"}
    env["no_proxy"] = env["NO_PROXY"]
    return env


@pytest.fixture(scope="module")
def module_procs() -> Iterator[Procs]:
    p = Procs()
    try:
        yield p
    finally:
        p.close()


@pytest.fixture(scope="module")
def small_fleet(tmp_path_factory, module_procs, env_vars) -> SimProcess:
    """Four quick hosts (SSH, WinRM, PSRP) for the whole module."""
    tmp = tmp_path_factory.mktemp("small-fleet")
    return SimProcess.start(module_procs, tmp, scenario(tmp, ssh=2, winrm=1, psrp=1), env_vars)


