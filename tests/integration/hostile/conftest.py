"""Fixtures for the hostile-host tests (the scan tests' helpers live in tests/integration/scan/e2e.py)."""

from __future__ import annotations

import os

import pytest
from scan.e2e import PASSWORD, PASSWORD_ENV


@pytest.fixture
def sim_env() -> dict[str, str]:
    """Environment for `umcheck sim start` / `umcheck scan` subprocesses: the fleet password, loopback only."""
    env = {**os.environ, PASSWORD_ENV: PASSWORD, "NO_PROXY": "127.0.0.0/8,localhost,::1"}
    env["no_proxy"] = env["NO_PROXY"]
    return env
