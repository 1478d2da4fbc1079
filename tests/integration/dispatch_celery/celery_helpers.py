"""Helpers for the Celery dispatch tests: a throwaway redis-server, `umcheck worker` processes.

redis-server missing: the tests skip, unless UMCHECK_REQUIRE_REDIS=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from scan.e2e import Procs, output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RedisServer:
    proc: subprocess.Popen
    port: int
    password: str | None = None
    tls_port: int | None = None
    ca_file: str | None = None

    @property
    def url(self) -> str:
        """Without the password: it travels in UMCHECK_BROKER_PASSWORD."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def tls_url(self) -> str:
        return f"rediss://127.0.0.1:{self.tls_port}/0"

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password, socket_timeout=10)


def redis_binary() -> str:
    found = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)
    if found is None:
        if os.environ.get("UMCHECK_REQUIRE_REDIS") == "1":
            pytest.fail("redis-server is not installed, and UMCHECK_REQUIRE_REDIS=1 requires these tests")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    return found


def start_redis(tmp: Path, *, password: str | None = None, tls: tuple[str, str, str] | None = None,
                timeout: float = 30, port: int | None = None, persist: bool = False) -> RedisServer:  # fmt: skip
    """A throwaway redis-server on 127.0.0.1 (a free port unless ``port``); ``tls`` = (cert, key, ca).
    ``persist``: an append-only file synced on every write, so a server killed and started again on
    the same folder has every queued chunk and result back (as a production broker should)."""
    tmp.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    aof = ["appendonly yes", "appendfsync always"] if persist else ["appendonly no"]
    conf = [f"port {port}", "bind 127.0.0.1", 'save ""', *aof, f"dir {tmp}", "protected-mode yes"]
    if password:
        conf.append(f"requirepass {password}")
    tls_port = None
    if tls:
        tls_port = free_port()
        cert, key, ca = tls
        conf += [f"tls-port {tls_port}", f"tls-cert-file {cert}", f"tls-key-file {key}", f"tls-ca-cert-file {ca}",
                 "tls-auth-clients no"]  # fmt: skip
    (tmp / "redis.conf").write_text("\n".join(conf) + "\n")
    log = open(tmp / "redis.log", "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([redis_binary(), str(tmp / "redis.conf")], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)  # fmt: skip
    proc._log = log  # type: ignore[attr-defined]
    server = RedisServer(proc, port, password, tls_port, tls[2] if tls else None)
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, (tmp / "redis.log").read_text()
        try:
            if server.client().ping():
                return server
        except Exception:  # noqa: BLE001 - not up yet
            pass
        assert time.monotonic() < deadline, "redis-server did not answer in time"
        time.sleep(0.05)


def stop_redis(server: RedisServer) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(10)
    server.proc._log.close()  # type: ignore[attr-defined]


def umcheck(*args: str) -> list[str]:
    return [sys.executable, "-m", "umcheck.cli", *args]


def start_worker(procs: Procs, tmp: Path, url: str, queue: str, name: str, env: dict[str, str], *extra: str,
                 timeout: float = 120) -> subprocess.Popen:  # fmt: skip
    """`umcheck worker` in its own process; returns once it says it is ready (its stderr line)."""
    argv = umcheck("worker", "--queue", queue, "--broker", url, "--name", name, *extra)
    proc = procs.start(argv, log=tmp / f"worker-{name}", env=env, cwd=tmp)
    deadline = time.monotonic() + timeout
    while "ready on" not in output(proc)[1]:
        assert proc.poll() is None, f"worker {name} exited: {output(proc)}"
        assert time.monotonic() < deadline, f"worker {name} did not become ready: {output(proc)}"
        time.sleep(0.05)
    return proc
