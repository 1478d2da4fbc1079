"""Throwaway TLS material for the HTTPS listeners: a fleet CA and one certificate per host.

Clients connect to ``https://127.0.0.N:5986``, so each certificate carries the host's IP address
as a SAN (and its DNS name). RSA key generation is the slow part, so one key pair is generated
per process and shared by every host certificate; only the (fast) signing happens per host.
A second, unpublished CA issues certificates for the "unknown CA" fault.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@functools.cache
def _shared_key(purpose: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when the file existed with wider permissions
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def cert_hash(der: bytes) -> bytes:
    """RFC 5929 tls-server-end-point hash: the signature hash, upgraded to SHA-256 from MD5/SHA-1."""
    cert = x509.load_der_x509_certificate(der)
    algo = cert.signature_hash_algorithm
    name = algo.name if algo is not None else "sha256"
    if name in ("md5", "sha1"):
        name = "sha256"
    return hashlib.new(name, der).digest()


@dataclass(frozen=True)
class HostCert:
    cert_file: Path
    key_file: Path
    cert_hash: bytes  # for NTLM channel binding

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx


class CertificateAuthority:
    """A CA that issues host certificates into ``directory``."""

    def __init__(self, directory: Path, name: str = "umcheck simulator CA"):
        self.directory = directory
        self._key = _shared_key(f"ca:{name}")
        self._host_key = _shared_key("hosts")
        now = dt.datetime.now(dt.UTC)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self._name = subject
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.ca_file = directory / f"{name.replace(' ', '-').lower()}.pem"
        self.ca_file.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self._key_file = directory / "host-key.pem"
        pem = self._host_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # A restarted simulator reusing --state-dir has a new host key: the old file must not stay.
        if not self._key_file.exists() or self._key_file.read_bytes() != pem:
            _write_private(self._key_file, pem)

    def issue(self, address: str, dns_name: str) -> HostCert:
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_name)]))
            .issuer_name(self._name)
            .public_key(self._host_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address)), x509.DNSName(dns_name)]),
                critical=False,
            )
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        der = cert.public_bytes(serialization.Encoding.DER)
        path = self.directory / f"host-{address}-{self.ca_file.stem}.pem"
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return HostCert(path, self._key_file, cert_hash(der))
