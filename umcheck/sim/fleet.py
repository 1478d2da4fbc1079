"""Fleet: start every simulated host of a scenario on loopback, and stop them cleanly.

    async with Fleet(specs) as fleet:
        fleet.hosts[0].address, fleet.ca_file, fleet.write_inventory("sim.yml"), fleet.stats

Standard ports first (5985/5986/22, as a real inventory would use); when a port cannot be bound
(a real sshd on 0.0.0.0:22, no root for ports below 1024) the fleet falls back to the
alternative port, then to ephemeral ports, and says so in ``fleet.notes``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import shutil
import socket
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncssh

from umcheck.sim.addresses import loopback_addresses, raise_open_file_limit
from umcheck.sim.auth import Credentials, NtlmUserFiles
from umcheck.sim.certauth import ClientCert, host_subjects, issue_client_cert, request_client_certs
from umcheck.sim.hosts import KEYTAB_FROM_KDC, SIM_DOMAIN, SIM_REALM, HostSpec
from umcheck.sim.inventory_file import write_inventory
from umcheck.sim.ssh import SshHost
from umcheck.sim.stats import Stats
from umcheck.sim.tls import CertificateAuthority
from umcheck.sim.wsman import WsmanHost

if TYPE_CHECKING:
    from umcheck.sim.kdc import MiniKdc


class KdcError(RuntimeError):
    """The scenario has Kerberos hosts but the KDC for them cannot be started (krb5kdc missing, ...)."""


@dataclass(frozen=True)
class Ports:
    """Preferred ports and their fallbacks; 0 means an ephemeral port per host (tests)."""

    winrm_http: int = 5985
    winrm_https: int = 5986
    ssh: int = 22
    fallback: dict[str, int] = field(default_factory=lambda: {"winrm_http": 15985, "winrm_https": 15986, "ssh": 2222})

    @classmethod
    def ephemeral(cls) -> Ports:
        return cls(0, 0, 0, {})


@dataclass(frozen=True)
class SimHost:
    name: str
    address: str
    os: str
    transport: str
    group: str
    credentials: Credentials
    ports: dict[str, int]  # winrm_http / winrm_https / ssh -> bound port (or the refused one)
    spec: HostSpec

    @property
    def port(self) -> int:
        """The port the inventory names for this host's transport."""
        if self.os == "linux":
            return self.ports["ssh"]
        return self.ports["winrm_https" if self.spec.https else "winrm_http"]


def _closed_port(address: str) -> int:
    """A port on ``address`` that nothing listens on (for the connection-refused fault)."""
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


class Fleet:
    def __init__(
        self,
        hosts: Sequence[HostSpec] | Any,
        *,
        first_address: str = "127.0.0.2",
        ports: Ports | None = None,
        state_dir: str | Path | None = None,
    ):
        specs = list(getattr(hosts, "hosts", hosts))
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"duplicate host names: {', '.join(dupes[:5])}")
        self.specs = specs
        self.first_address = first_address
        self.ports = ports or Ports()
        self._own_dir = state_dir is None
        self.state_dir = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="umcheck-sim-"))
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.chmod(0o700)
        self.stats = Stats()
        self.notes: list[str] = []
        self.hosts: list[SimHost] = []
        self._servers: list[Any] = []
        self._wsman: list[WsmanHost] = []
        self._ssh: list[SshHost] = []
        self._chosen: dict[str, int] = {}
        self.ca_file = self.state_dir / "umcheck-simulator-ca.pem"
        self.known_hosts = self.state_dir / "known_hosts"
        self.client_key_file = self.state_dir / "id_ed25519"
        self.ca: CertificateAuthority | None = None  # the fleet CA (also issues client certificates)
        self.client_certs: dict[str, ClientCert] = {}  # host name -> its mapped client certificate (auth certificate)
        self.kdc: MiniKdc | None = None  # scenario Kerberos hosts (keytab "kdc:"): a throwaway realm on 127.0.0.1
        self.krb5_conf = self.state_dir / "krb5.conf"  # the realm's client configuration (KRB5_CONFIG) when kdc is set

    # ---------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> Fleet:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        raise_open_file_limit(len(self.specs))
        if any(s.keytab == KEYTAB_FROM_KDC for s in self.specs):
            self._start_kdc()
        files = NtlmUserFiles(self.state_dir)
        ca = rogue = None
        if any(s.os == "windows" for s in self.specs):
            ca = self.ca = CertificateAuthority(self.state_dir, "umcheck simulator CA")
            if any(s.has("unknown_ca") for s in self.specs):
                rogue = CertificateAuthority(self.state_dir, "untrusted rogue CA")
        host_key = client_key = None
        if any(s.os == "linux" for s in self.specs):
            host_key = asyncssh.generate_private_key("ssh-ed25519")
            client_key = asyncssh.generate_private_key("ssh-ed25519")
            client_key.write_private_key(str(self.client_key_file))
            self.client_key_file.chmod(0o600)
            client_key.write_public_key(str(self.client_key_file) + ".pub")
        known: list[str] = []
        try:
            for spec, address in zip(self.specs, loopback_addresses(self.first_address), strict=False):
                if spec.os == "windows":
                    host = await self._start_windows(spec, address, files, rogue if spec.has("unknown_ca") else ca)
                else:
                    host = await self._start_linux(spec, address, host_key, client_key)
                    pub = host_key.export_public_key("openssh").decode().strip()
                    port = host.ports["ssh"]
                    known.append(f"{address if port == 22 else f'[{address}]:{port}'} {pub}")
                self.hosts.append(host)
        except BaseException:
            await self.stop()
            raise
        if ca is not None:
            self.ca_file = ca.ca_file
        self.known_hosts.write_text("\n".join(known) + ("\n" if known else ""))

    async def _bind(self, kind: str, factory: Any) -> tuple[Any, int]:
        """Bind with the chosen/preferred port, falling back once per kind; returns (server, port)."""
        candidates = [self._chosen[kind]] if kind in self._chosen else [getattr(self.ports, kind)]
        if kind not in self._chosen and self.ports.fallback.get(kind) is not None:
            candidates += [self.ports.fallback[kind], 0]
        last: OSError | None = None
        for port in dict.fromkeys(candidates):
            try:
                server = await factory(port)
            except OSError as exc:
                if exc.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EPERM):
                    raise
                last = exc
                continue
            if kind not in self._chosen:
                self._chosen[kind] = port
                if port != getattr(self.ports, kind):
                    self.notes.append(f"{kind} port {getattr(self.ports, kind)} unavailable ({last.strerror if last else ''}); "
                                      f"using {'ephemeral ports' if port == 0 else port} instead")  # fmt: skip
            if isinstance(server, asyncssh.SSHAcceptor):
                return server, server.get_port()
            return server, server.sockets[0].getsockname()[1]
        assert last is not None
        raise last

    async def _start_windows(self, spec: HostSpec, address: str, files: NtlmUserFiles,
                             ca: CertificateAuthority | None) -> SimHost:  # fmt: skip
        host = WsmanHost(spec, address, files, self.stats.counter(spec.name))
        ports: dict[str, int] = {}
        if spec.has("refused"):
            ports = {"winrm_http": _closed_port(address), "winrm_https": _closed_port(address)}
        else:
            if ca is not None:
                host.cert = ca.issue(address, f"{spec.name}.sim.umcheck.test")
            srv, ports["winrm_http"] = await self._bind(
                "winrm_http", lambda p: asyncio.start_server(lambda r, w: host.handle(r, w, False), address, p))
            self._servers.append(srv)
            assert host.cert is not None
            ctx = host.cert.server_context()
            if spec.client_auth == "certificate" and self.ca is not None:
                request_client_certs(ctx, self.ca.ca_file)
                upn = host_subjects(spec.credentials.user, spec.cert_subjects)[0]
                self.client_certs[spec.name] = issue_client_cert(self.ca, self.state_dir, upn, name=spec.name)
            srv, ports["winrm_https"] = await self._bind(
                "winrm_https", lambda p: asyncio.start_server(lambda r, w: host.handle(r, w, True), address, p, ssl=ctx))
            self._servers.append(srv)
            host.ports.update(http=ports["winrm_http"], https=ports["winrm_https"])
            self._wsman.append(host)
        return SimHost(spec.name, address, spec.os, spec.transport, spec.group, spec.credentials, ports, spec)

    async def _start_linux(self, spec: HostSpec, address: str, host_key: Any, client_key: Any) -> SimHost:
        if spec.has("refused"):
            ports = {"ssh": _closed_port(address)}
        else:
            host = SshHost(spec, address, self.stats.counter(spec.name), host_key, client_key)
            srv, port = await self._bind("ssh", host.listen)
            self._servers.append(srv)
            self._ssh.append(host)
            ports = {"ssh": port}
        return SimHost(spec.name, address, spec.os, spec.transport, spec.group, spec.credentials, ports, spec)

    async def stop(self) -> None:
        servers, self._servers = self._servers, []
        for srv in servers:
            srv.close()
        for host in [*self._wsman, *self._ssh]:
            host.close()
        self._wsman, self._ssh = [], []
        for srv in servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(srv.wait_closed(), 2)
        if self.kdc is not None:
            self.kdc.stop()
        if self._own_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    # ---------------------------------------------------------------- queries

    def _start_kdc(self) -> None:
        """A MIT KDC for the realm SIM.UMCHECK.TEST on 127.0.0.1 with a principal per scenario user and
        ``HTTP/`` + ``host/<name>.sim.umcheck.test`` in a keytab per host (``keytabs/<name>.keytab``)."""
        from umcheck.sim import kdc as kdcmod

        problem = kdcmod.available()
        if problem:
            raise KdcError(f"the scenario has Kerberos hosts, which need a local KDC: {problem}")
        krb = [s for s in self.specs if s.keytab == KEYTAB_FROM_KDC]
        users: dict[str, str] = {}
        for s in krb:
            princ = self.kerberos_user(s.credentials.user)
            if users.setdefault(princ, s.credentials.password) != s.credentials.password:
                raise KdcError(f"Kerberos user {princ} has two different passwords in the scenario "
                               "(a principal has one password)")  # fmt: skip
        ktdir = self.state_dir / "keytabs"
        ktdir.mkdir(mode=0o700, exist_ok=True)
        keytabs = {s.name: ktdir / f"{s.name}.keytab" for s in krb}
        for kt in keytabs.values():
            kt.unlink(missing_ok=True)  # a reused state dir: ktadd appends
        kdc = kdcmod.MiniKdc(self.state_dir / "kdc", realm=SIM_REALM, domain=SIM_DOMAIN)
        if kdc.dir.exists():  # a reused state dir: a fresh database
            shutil.rmtree(kdc.dir)
        self.kdc = kdc
        try:
            kdc.start()
            kdc.provision(users, {self.kerberos_fqdn(n): kt for n, kt in keytabs.items()})
        except BaseException as exc:
            kdc.stop()
            self.kdc = None
            if isinstance(exc, (RuntimeError, ValueError, OSError)):
                raise KdcError(f"cannot start the simulated KDC: {' '.join(str(exc).split())}") from None
            raise
        shutil.copyfile(kdc.krb5_conf, self.krb5_conf)
        self.specs = [dataclasses.replace(s, keytab=str(keytabs[s.name])) if s.name in keytabs else s
                      for s in self.specs]  # fmt: skip

    def kerberos_fqdn(self, name: str) -> str:
        """The name a Kerberos host has in the fleet's realm (its SPNs are HTTP/ and host/<this>)."""
        return f"{name}.{self.kdc.domain if self.kdc else SIM_DOMAIN}".lower()

    def kerberos_user(self, user: str) -> str:
        return user if "@" in user else f"{user}@{self.kdc.realm if self.kdc else SIM_REALM}"

    def host(self, name: str) -> SimHost:
        for h in self.hosts:
            if h.name == name:
                return h
        raise KeyError(name)

    def write_inventory(self, path: str | Path, password_env: str = "UMCHECK_SIM_PASSWORD") -> Path:
        return write_inventory(self, path, password_env)

    def summary(self) -> str:
        by_group: dict[str, int] = {}
        for h in self.hosts:
            by_group[h.group] = by_group.get(h.group, 0) + 1
        groups = ", ".join(f"{n} {g}" for g, n in by_group.items())
        span = f"{self.hosts[0].address}..{self.hosts[-1].address}" if self.hosts else "-"
        return f"simulating {len(self.hosts)} hosts ({groups}) on {span}"
