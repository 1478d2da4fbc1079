"""The shared SSLContext really carries every HTTPS connection, and is built once per trust setting."""

from __future__ import annotations

import ssl

import pytest
import requests
from loopback import http_responder, make_pki

from umcheck.errors import TlsError, UsageError
from umcheck.inventory.connection import ConnectionSettings
from umcheck.transports import tls
from umcheck.transports.shared import Shared
from umcheck.transports.winrm import WinRMTransport
from umcheck.transports.winrm import map_error as winrm_map_error


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def other_pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki2"), "other")


def _session(ctx: ssl.SSLContext, verify: bool | str = True) -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    s.verify = verify
    tls.mount(s, ctx)
    return s


def test_shared_context_is_used_and_ca_loaded_once(pki):
    shared = Shared()
    ctx = shared.ssl_context(True, str(pki.ca_file))
    assert shared.ssl_context(True, str(pki.ca_file)) is ctx
    loaded = ctx.cert_store_stats()["x509_ca"]
    with http_responder(body=b"ok", pki=pki) as server:
        for _ in range(3):  # three sessions = three hosts, three TLS connections
            r = _session(ctx).post(f"https://127.0.0.1:{server.port}/wsman", data=b"x", timeout=5)
            assert r.status_code == 200 and r.content == b"ok"
    assert ctx.session_stats()["connect"] == 3  # the handshakes went through *this* context
    assert ctx.cert_store_stats()["x509_ca"] == loaded == 1  # and nothing re-loaded a CA into it
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname


def test_a_path_in_verify_does_not_bypass_the_shared_context(pki, other_pki):
    # requests would normally turn verify=<path> into urllib3 ca_certs; the adapter strips it.
    ctx = Shared().ssl_context(True, str(other_pki.ca_file))
    with http_responder(pki=pki) as server, pytest.raises(requests.exceptions.SSLError):
        _session(ctx, verify=str(pki.ca_file)).post(f"https://127.0.0.1:{server.port}/wsman", timeout=5)
    assert ctx.cert_store_stats()["x509_ca"] == 1


def test_unknown_ca_maps_to_tls_error(pki, other_pki):
    ctx = Shared().ssl_context(True, str(other_pki.ca_file))
    with http_responder(pki=pki) as server:
        with pytest.raises(requests.exceptions.SSLError) as info:
            _session(ctx).post(f"https://127.0.0.1:{server.port}/wsman", timeout=5)
    err = winrm_map_error(info.value)
    assert isinstance(err, TlsError) and "certificate" in str(err) and err.__cause__ is info.value


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_validation_off_context_accepts_any_certificate(pki):
    shared = Shared()
    ctx = shared.ssl_context(False, "/ignored/when/not/verifying")
    assert ctx is shared.ssl_context(False) and ctx.verify_mode == ssl.CERT_NONE
    with http_responder(body=b"ok", pki=pki) as server:
        r = _session(ctx, verify=False).post(f"https://127.0.0.1:{server.port}/wsman", timeout=5)
    assert r.content == b"ok" and ctx.verify_mode == ssl.CERT_NONE
    assert shared.stats()["ssl_contexts"] == 1


def test_bad_ca_path_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="CA trust path"):
        Shared().ssl_context(True, str(tmp_path / "missing.pem"))


def test_winrm_session_gets_the_shared_adapter(pki):
    shared = Shared()
    settings = ConnectionSettings(name="w1", host="127.0.0.1", connection="winrm", port=5986, scheme="https",
                                  user="u", password="p", winrm_transport=("ssl",), ca_trust_path=str(pki.ca_file))
    t = WinRMTransport(settings, shared)
    proto = t._build()
    session = proto.transport.build_session()  # basic auth: builds without network I/O
    adapter = session.get_adapter("https://127.0.0.1:5986/wsman")
    assert isinstance(adapter, tls.SharedContextAdapter)
    assert adapter.context is shared.ssl_context(True, str(pki.ca_file))
