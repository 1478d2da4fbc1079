"""A real OpenSSH ``sshd`` on a free loopback port, for SSH transport and runner tests.

Keys live in a temporary directory: a host key (written to a known_hosts file for
127.0.0.1:PORT), a client key that is authorised, and a second client key that is not. Password
login is off, so only key auth works. sshd runs in the foreground (``-D -e``) as the current user;
as root it can log in as root. With ``UMCHECK_REQUIRE_SSHD=1`` (CI) a missing sshd is a failure.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path

import asyncssh
import pytest

from umcheck.inventory.connection import ConnectionSettings

SSHD_CANDIDATES = ("/usr/sbin/sshd", "/usr/local/sbin/sshd", "/usr/bin/sshd")


def find_sshd() -> str | None:
    for path in SSHD_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("sshd")


def require_or_skip(reason: str) -> None:
    if os.environ.get("UMCHECK_REQUIRE_SSHD") == "1":
        pytest.fail(f"{reason} (UMCHECK_REQUIRE_SSHD=1)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Sshd:
    host: str
    port: int
    user: str
    client_key: Path
    wrong_key: Path
    known_hosts: Path  # trusts this sshd's host key for [127.0.0.1]:PORT
    other_known_hosts: Path  # trusts a different key: the real one is "unknown"
    tmp: Path

    def settings(self, **overrides: object) -> ConnectionSettings:
        """ConnectionSettings for this sshd (key auth, host key checking on, known_hosts above)."""
        base = ConnectionSettings(name="sshd-host", host=self.host, connection="ssh", port=self.port, user=self.user,
                                  ssh_private_key_file=str(self.client_key), connect_timeout=10.0)
        return replace(base, **overrides)  # type: ignore[arg-type]


def _write_key(path: Path, key: asyncssh.SSHKey) -> None:
    key.write_private_key(str(path))
    path.chmod(0o600)
    key.write_public_key(str(path) + ".pub")


def start_sshd(tmp: Path) -> tuple[Sshd, subprocess.Popen]:
    sshd = find_sshd()
    if sshd is None:
        require_or_skip("OpenSSH sshd is not installed (apt-get install openssh-server)")
    host_key, client_key, wrong_key, other_host = tmp / "host_ed25519", tmp / "id_client", tmp / "id_wrong", tmp / "other"
    hk = asyncssh.generate_private_key("ssh-ed25519")
    _write_key(host_key, hk)
    ck = asyncssh.generate_private_key("ssh-ed25519")
    _write_key(client_key, ck)
    _write_key(wrong_key, asyncssh.generate_private_key("ssh-ed25519"))
    other = asyncssh.generate_private_key("ssh-ed25519")
    _write_key(other_host, other)
    (tmp / "authorized_keys").write_bytes(ck.export_public_key())
    port = free_port()
    pattern = f"[127.0.0.1]:{port}"
    (tmp / "known_hosts").write_bytes(pattern.encode() + b" " + hk.export_public_key())
    (tmp / "other_known_hosts").write_bytes(pattern.encode() + b" " + other.export_public_key())
    cfg = tmp / "sshd_config"
    cfg.write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {host_key}",
        f"AuthorizedKeysFile {tmp / 'authorized_keys'}", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no", f"PidFile {tmp / 'sshd.pid'}",
        "PermitRootLogin prohibit-password", "LogLevel VERBOSE", "MaxStartups 100:30:200", "MaxSessions 50", "",
    ]))
    Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege separation directory sshd insists on
    log = open(tmp / "sshd.log", "wb")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen([sshd, "-D", "-e", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT)
    end = time.monotonic() + 10
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited at start: {(tmp / 'sshd.log').read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        raise RuntimeError("sshd did not start listening within 10 s")
    info = Sshd(host="127.0.0.1", port=port, user=getpass.getuser(), client_key=client_key, wrong_key=wrong_key,
                known_hosts=tmp / "known_hosts", other_known_hosts=tmp / "other_known_hosts", tmp=tmp)
    return info, proc


def stop_sshd(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
