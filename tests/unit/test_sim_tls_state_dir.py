"""A simulator restarted on the same --state-dir serves certificates that match its key file."""

from __future__ import annotations

import ssl

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from umcheck.sim.tls import CertificateAuthority


def test_a_stale_host_key_from_an_earlier_process_is_replaced(tmp_path):
    # What a previous simulator process left behind: a host key this process did not generate.
    stale = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "host-key.pem").write_bytes(stale.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    ca = CertificateAuthority(tmp_path)
    issued = ca.issue("127.0.0.2", "host-a.sim.example")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(issued.cert_file, issued.key_file)  # raised "key values mismatch" before
    assert (tmp_path / "host-key.pem").stat().st_mode & 0o077 == 0
