"""Fixtures for the --workers tests: subprocesses killed at teardown, the simulator's environment."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from scan.e2e import PASSWORD, PASSWORD_ENV, Procs


@pytest.fixture
def procs() -> Iterator[Procs]:
    p = Procs()
    try:
        yield p
    finally:
        p.close()


@pytest.fixture
def sim_env() -> dict[str, str]:
    """Environment for `umcheck sim start` / `umcheck scan` subprocesses: the fleet password, loopback only."""
    env = {**os.environ, PASSWORD_ENV: PASSWORD, "NO_PROXY": "127.0.0.0/8,localhost,::1"}
    env["no_proxy"] = env["NO_PROXY"]
    return env
