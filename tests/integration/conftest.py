"""Fixtures shared by the integration tests: a real OpenSSH sshd on loopback, subprocesses killed
at teardown, and the environment of simulator/scan/worker subprocesses."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scan.e2e import PASSWORD, PASSWORD_ENV, Procs  # noqa: E402
from sshd import Sshd, start_sshd, stop_sshd  # noqa: E402


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """One sshd for the whole session (see ``tests/integration/sshd.py``)."""
    info, proc = start_sshd(tmp_path_factory.mktemp("sshd"))
    try:
        yield info
    finally:
        stop_sshd(proc)


@pytest.fixture
def procs() -> Iterator[Procs]:
    p = Procs()
    try:
        yield p
    finally:
        p.close()


@pytest.fixture
def sim_env() -> dict[str, str]:
    """Environment for `umcheck sim start` / `umcheck scan` / `umcheck worker` subprocesses: the
    simulated fleet's password, loopback only."""
    env = {**os.environ, PASSWORD_ENV: PASSWORD, "NO_PROXY": "127.0.0.0/8,localhost,::1"}
    env["no_proxy"] = env["NO_PROXY"]
    return env
