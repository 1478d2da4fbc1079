"""A throwaway PostgreSQL cluster for the history tests, and the ``history_db`` backends fixture.

Debian's server binaries (``/usr/lib/postgresql/<n>/bin``, or ``initdb`` on PATH) start one
cluster per test session in a temporary folder: loopback only (127.0.0.1, a free port, its unix
socket in that folder), password (SCRAM) authentication, fsync off, stopped and removed at the
end. initdb refuses root, so as root the cluster runs as the ``postgres`` user (``runuser``).
Without the binaries the PostgreSQL cases skip — unless ``UMCHECK_REQUIRE_POSTGRES=1`` (CI),
where they fail. Each test gets a database of its own (``CREATE DATABASE``), dropped afterwards.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ADMIN, ADMIN_PASSWORD = "umcheck_admin", "Pg-admin-Passw0rd!"
BACKENDS = ("sqlite", "postgresql")
_NAMES = itertools.count(1)


def _bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgCluster:
    port: int
    folder: Path

    def url(self, database: str, *, user: str = ADMIN, password: str | None = ADMIN_PASSWORD) -> str:
        secret = f":{password}" if password else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{database}"

    def admin(self, database: str = "postgres"):
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user=ADMIN, password=ADMIN_PASSWORD,
                               dbname=database, autocommit=True)  # fmt: skip

    def create_database(self, prefix: str = "t") -> str:
        name = f"{prefix}_{os.getpid()}_{next(_NAMES)}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@pytest.fixture(scope="session")
def postgres() -> Iterator[PgCluster]:
    bins = _bin_dir()
    if bins is None:
        if os.environ.get("UMCHECK_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found and UMCHECK_REQUIRE_POSTGRES=1")
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed")
    folder = Path(tempfile.mkdtemp(prefix="umcheck-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    pwfile = folder / "pw"
    pwfile.write_text(ADMIN_PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(pwfile, "postgres", "postgres")
    port = _free_port()
    run = [*_as_postgres()]
    subprocess.run([*run, str(bins / "initdb"), "-D", str(folder / "data"), "-U", ADMIN, f"--pwfile={pwfile}",
                    "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--no-sync"],
                   check=True, capture_output=True, cwd=folder)  # fmt: skip
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c full_page_writes=off "
               "-c synchronous_commit=off -c max_connections=200")  # fmt: skip
    subprocess.run([*run, str(bins / "pg_ctl"), "-D", str(folder / "data"), "-o", options, "-l",
                    str(folder / "server.log"), "-w", "-t", "60", "start"], check=True, capture_output=True,
                   cwd=folder)  # fmt: skip
    try:
        yield PgCluster(port, folder)
    finally:
        subprocess.run([*run, str(bins / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "-w", "stop"],
                       capture_output=True, cwd=folder)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=BACKENDS)
def history_db(request, tmp_path) -> Iterator[Path | str]:
    """Where a test's history lives: a SQLite file, or a fresh PostgreSQL database's URL."""
    if request.param == "sqlite":
        yield tmp_path / "reports" / "umcheck.db"
        return
    cluster: PgCluster = request.getfixturevalue("postgres")
    name = cluster.create_database()
    try:
        yield cluster.url(name)
    finally:
        cluster.drop_database(name)


def sql(location: Path | str, statement: str, **params: object) -> list[tuple]:
    """Rows of one SQL statement against a history, outside any Store (what a DBA would see)."""
    from sqlalchemy import create_engine, text

    url = location if isinstance(location, str) else f"sqlite:///{location}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()
