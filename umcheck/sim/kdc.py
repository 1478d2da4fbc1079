"""A throwaway MIT Kerberos realm on loopback for tests and demos: krb5kdc, principals, keytabs.

``MiniKdc(directory).start()`` writes its own krb5.conf / kdc.conf, creates the database, starts
``krb5kdc -n`` listening on ``127.0.0.1:<free port>`` only (UDP and TCP; ``kdc_listen`` /
``kdc_tcp_listen``), and never uses DNS (``dns_lookup_kdc``/``rdns``/``dns_canonicalize_hostname``
off), so host names such as ``win01.umcheck.test`` need not resolve: the client connects to
127.0.0.x and names the service principal itself (hostname override). ``env`` holds the
variables (``KRB5_CONFIG``, ``KRB5_KDC_PROFILE``, ``KRB5RCACHETYPE=none``) a process needs to use
the realm. Needs the Debian packages krb5-kdc, krb5-admin-server (kadmin.local) and krb5-user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

REALM = "UMCHECK.TEST"
DOMAIN = "umcheck.test"
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin")


def find_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for d in _SBIN:
        if os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    return None


def available() -> str | None:
    """None when a KDC can be started here, else what is missing (one line)."""
    missing = [t for t in ("krb5kdc", "kdb5_util", "kadmin.local") if find_tool(t) is None]
    if missing:
        return f"missing {', '.join(missing)} (apt-get install krb5-kdc krb5-admin-server krb5-user)"
    return None


def _free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                try:
                    u.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port on 127.0.0.1")


class MiniKdc:
    def __init__(self, directory: Path, realm: str = REALM, domain: str = DOMAIN):
        self.dir = Path(directory)
        self.realm, self.domain = realm, domain
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.krb5_conf = self.dir / "krb5.conf"
        self.kdc_conf = self.dir / "kdc.conf"
        self.log = self.dir / "kdc.log"
        self.env: dict[str, str] = {}

    # -- set-up ------------------------------------------------------------------------------
    def _write_conf(self) -> None:
        d, r, p = self.dir, self.realm, self.port
        self.krb5_conf.write_text(
            "[libdefaults]\n"
            f" default_realm = {r}\n dns_lookup_kdc = false\n dns_lookup_realm = false\n rdns = false\n"
            " dns_canonicalize_hostname = false\n udp_preference_limit = 1\n forwardable = true\n"
            " ignore_acceptor_hostname = true\n kdc_timesync = 0\n\n"
            f"[realms]\n {r} = {{\n  kdc = 127.0.0.1:{p}\n }}\n\n"
            f"[domain_realm]\n .{self.domain} = {r}\n {self.domain} = {r}\n"
        )
        self.kdc_conf.write_text(
            f"[kdcdefaults]\n kdc_listen = 127.0.0.1:{p}\n kdc_tcp_listen = 127.0.0.1:{p}\n\n"
            f"[realms]\n {r} = {{\n  database_name = {d}/principal\n  key_stash_file = {d}/stash\n"
            f"  acl_file = {d}/kadm5.acl\n  kdc_listen = 127.0.0.1:{p}\n  kdc_tcp_listen = 127.0.0.1:{p}\n"
            "  max_life = 10h\n  max_renewable_life = 1d\n }\n\n"
            f"[logging]\n kdc = FILE:{self.log}\n"
        )
        (d / "kadm5.acl").write_text("")

    def _run(self, *argv: str) -> str:
        res = subprocess.run(list(argv), env={**os.environ, **self.env}, capture_output=True, text=True,
                             timeout=60, stdin=subprocess.DEVNULL)
        if res.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:2])} failed: {res.stderr.strip() or res.stdout.strip()}")
        return res.stdout

    def kadmin(self, query: str) -> str:
        return self._run(find_tool("kadmin.local") or "kadmin.local", "-q", query)

    def start(self) -> MiniKdc:
        problem = available()
        if problem:
            raise RuntimeError(problem)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self._write_conf()
        self.env = {"KRB5_CONFIG": str(self.krb5_conf), "KRB5_KDC_PROFILE": str(self.kdc_conf),
                    "KRB5RCACHETYPE": "none", "KRB5_TRACE": "/dev/null"}
        self._run(find_tool("kdb5_util") or "kdb5_util", "create", "-s", "-r", self.realm, "-P", "umcheck-master-key")
        self.proc = subprocess.Popen([find_tool("krb5kdc") or "krb5kdc", "-n", "-r", self.realm],
                                     env={**os.environ, **self.env}, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=open(self.dir / "krb5kdc.err", "wb"))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"krb5kdc exited: {(self.dir / 'krb5kdc.err').read_text()[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("krb5kdc did not start listening within 15 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    # -- principals --------------------------------------------------------------------------
    def principal(self, name: str) -> str:
        return name if "@" in name else f"{name}@{self.realm}"

    def add_user(self, name: str, password: str) -> str:
        princ = self.principal(name)
        self.kadmin(f"addprinc -pw {password} {princ}")
        return princ

    def add_service(self, hostname: str, keytab: Path, service: str = "HTTP") -> str:
        """``HTTP/<hostname>@REALM`` with a random key, exported to ``keytab`` (appended)."""
        princ = f"{service}/{hostname}@{self.realm}"
        self.kadmin(f"addprinc -randkey {princ}")
        self.kadmin(f"ktadd -k {keytab} {princ}")
        return princ

    def add_services(self, hostnames: list[str], keytab: Path, services: tuple[str, ...] = ("HTTP", "host")) -> None:
        """Many ``<service>/<hostname>`` principals into one keytab with one kadmin.local run."""
        queries = []
        for host in hostnames:
            for service in services:
                princ = f"{service}/{host}@{self.realm}"
                queries += [f"addprinc -randkey {princ}", f"ktadd -k {keytab} {princ}"]
        res = subprocess.run([find_tool("kadmin.local") or "kadmin.local"], input="\n".join(queries) + "\nquit\n",
                             env={**os.environ, **self.env}, capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            raise RuntimeError(f"kadmin.local failed: {res.stderr.strip()[-300:]}")

    def provision(self, users: dict[str, str], keytabs: dict[str, Path],
                  services: tuple[str, ...] = ("HTTP", "host")) -> None:
        """Users (principal -> password) and, per host fqdn, ``<service>/<fqdn>`` keys exported to a keytab
        of that host's own - all in one kadmin.local run, passwords on its stdin (never on a command line)."""
        for princ, password in users.items():
            if not password or any(c.isspace() or c in "\"'\\" for c in password):
                raise ValueError(f"the password of Kerberos principal {princ} must not be empty or contain "
                                 "spaces or quotes (the simulated KDC's kadmin.local cannot take it)")
        queries = [f"addprinc -pw {pw} {self.principal(u)}" for u, pw in users.items()]
        for fqdn, keytab in keytabs.items():
            princs = [f"{service}/{fqdn}@{self.realm}" for service in services]
            queries += [f"addprinc -randkey {p}" for p in princs]
            queries.append(f"ktadd -k {keytab} {' '.join(princs)}")
        res = subprocess.run([find_tool("kadmin.local") or "kadmin.local"], input="\n".join(queries) + "\nquit\n",
                             env={**os.environ, **self.env}, capture_output=True, text=True, timeout=600)
        if res.returncode != 0:
            raise RuntimeError(f"kadmin.local failed: {res.stderr.strip()[-300:]}")
        for keytab in keytabs.values():
            if not Path(keytab).exists():
                raise RuntimeError(f"kadmin.local wrote no keytab {keytab}: {res.stderr.strip()[-300:]}")
            os.chmod(keytab, 0o600)

    def as_requests(self, principal: str | None = None) -> int:
        """AS requests the KDC logged so far (optionally for one client principal)."""
        if not self.log.exists():
            return 0
        lines = [ln for ln in self.log.read_text(errors="replace").splitlines() if "AS_REQ" in ln]
        if principal:
            lines = [ln for ln in lines if f" {self.principal(principal)} for " in ln]
        return len(lines)

    def __enter__(self) -> MiniKdc:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
