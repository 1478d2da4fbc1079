"""WinRM client certificate authentication for the simulator's HTTPS listener.

A host with ``auth: certificate`` asks every TLS client for a certificate (``CERT_OPTIONAL``,
so password clients still connect) and verifies it against the fleet CA during the handshake:
an expired certificate, or one from another CA, fails the handshake itself (the client sees a
TLS alert). A verified certificate is then mapped to a user like
``New-Item WSMan:\\localhost\\ClientCertificate -Subject <UPN> -Issuer <CA thumbprint> -Credential …``:
its subjectAltName UPN (otherName 1.3.6.1.4.1.311.20.2.3) must be one of the host's
``cert_subjects`` (default ``<user>@sim.umcheck.test``). Requests then authenticate with
``Authorization: http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual`` (what
pywinrm and pypsrp send); a certificate that maps to nobody, or no certificate, gets a 401.
"""

from __future__ import annotations

import datetime as dt
import re
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from umcheck.sim.auth import AuthPolicy, ConnectionAuth, NtlmUserFiles, _challenge
from umcheck.sim.http import Request, Response
from umcheck.sim.tls import CertificateAuthority, _write_private

MUTUAL = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"
UPN_OID = ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
UPN_DOMAIN = "sim.umcheck.test"
_X509_V_FLAG_NO_CHECK_TIME = 0x200000  # OpenSSL; ssl.SSLContext.verify_flags passes any X509_V_FLAG_* through


def default_subject(user: str) -> str:
    return f"{user.split(chr(92))[-1]}@{UPN_DOMAIN}"


def host_subjects(user: str, subjects: tuple[str, ...]) -> tuple[str, ...]:
    return subjects or (default_subject(user),)


@dataclass(frozen=True)
class ClientCert:
    cert_file: Path
    key_file: Path
    upn: str


def _der_utf8(text: str) -> bytes:
    data = text.encode("utf-8")
    if len(data) < 128:
        return b"\x0c" + bytes([len(data)]) + data
    return b"\x0c\x82" + len(data).to_bytes(2, "big") + data


def _upns(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    out = []
    for other in san.get_values_for_type(x509.OtherName):
        if other.type_id != UPN_OID:
            continue
        raw = other.value
        # [0] EXPLICIT UTF8String as cryptography hands it over (with or without the context tag)
        m = re.search(rb"\x0c(?:([\x00-\x7f])|\x81(.)|\x82(..))", raw, re.DOTALL)
        if m is None:
            continue
        size = m.group(1) or m.group(2) or m.group(3)
        n = int.from_bytes(size, "big")
        out.append(raw[m.end() : m.end() + n].decode("utf-8", "replace"))
    return out


def issue_client_cert(ca: CertificateAuthority, directory: Path, upn: str, *, name: str | None = None,
                      expired: bool = False) -> ClientCert:  # fmt: skip
    """A client certificate (clientAuth EKU, UPN in the SAN, as WinRM requires) signed by ``ca``."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    start, end = (now - dt.timedelta(days=30), now - dt.timedelta(days=1)) if expired else \
        (now - dt.timedelta(days=1), now + dt.timedelta(days=30))  # fmt: skip
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, upn.split("@")[0])]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([x509.OtherName(UPN_OID, _der_utf8(upn))]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca._key, hashes.SHA256())
    )
    stem = name or re.sub(r"[^A-Za-z0-9_.-]", "_", upn)
    cert_file, key_file = directory / f"client-{stem}.pem", directory / f"client-{stem}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_private(key_file, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))  # fmt: skip
    return ClientCert(cert_file, key_file, upn)


def request_client_certs(ctx: ssl.SSLContext, ca_file: Path) -> None:
    """Make a host's HTTPS server context ask for (and verify) client certificates."""
    ctx.load_verify_locations(cafile=str(ca_file))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    # The chain is checked in the handshake, the validity period by the mapping (a 401, as WinRM does).
    ctx.verify_flags |= _X509_V_FLAG_NO_CHECK_TIME
    # TLS 1.2 (Server 2019's HTTP.sys): a refused certificate then fails the client's own handshake;
    # under TLS 1.3 the client has finished before the server checks, and sees a dropped connection.
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2


class CertificateAuth(ConnectionAuth):
    """ConnectionAuth that also accepts the WS-Man mutual (client certificate) profile."""

    def __init__(self, policy: AuthPolicy, files: NtlmUserFiles, cert_hash: bytes | None, *,
                 peer_der: bytes | None, subjects: tuple[str, ...]):  # fmt: skip
        super().__init__(policy, files, cert_hash)
        self._mapped: str | None = None
        if peer_der:
            wanted = {s.casefold() for s in subjects}
            cert = x509.load_der_x509_certificate(peer_der)
            now = dt.datetime.now(dt.UTC)
            current = cert.not_valid_before_utc <= now <= cert.not_valid_after_utc
            if current and any(u.casefold() in wanted for u in _upns(cert)):
                self._mapped = policy.accepted.user

    def check(self, req: Request) -> tuple[Response | None, list[tuple[str, str]]]:
        if req.header("authorization").strip().lower() != MUTUAL:
            return super().check(req)
        self.rejected = False
        if self._mapped is None:  # no certificate, or one no ClientCertificate entry maps
            self.rejected = True
            return _challenge(self.policy), []
        self.scheme, self.user = "certificate", self._mapped
        return None, []
