"""Fixtures for Celery dispatch: a real redis-server on loopback, real `umcheck worker` processes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery_helpers import RedisServer, start_redis, stop_redis
from scan.e2e import PASSWORD_ENV


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = start_redis(tmp_path / "redis")
    try:
        yield server
    finally:
        stop_redis(server)


@pytest.fixture
def worker_env(sim_env: dict[str, str]) -> dict[str, str]:
    """A worker's environment: the simulated fleet's password is known here (and only here)."""
    return sim_env


@pytest.fixture
def controller_env() -> dict[str, str]:
    """The controller's environment: without the fleet's password (the workers resolve it)."""
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.0/8,localhost,::1"
    return env
