"""WinRM and PSRP transports against minimal loopback peers: each failure maps to its class.

These peers are deliberately dumb (one canned HTTP answer, a socket that never answers, a closed
port) so the failure paths are tested even without the fleet simulator; the simulator tests in
tests/integration/transports cover the full protocol.
"""

from __future__ import annotations

import time

import pytest
from loopback import black_hole, closed_port, http_responder

from umcheck.collectors.invocation import Invocation
from umcheck.errors import AuthFailed, HostError, ProtocolError, Unreachable
from umcheck.inventory.connection import ConnectionSettings
from umcheck.transports import make_transport
from umcheck.transports.shared import Shared

CANARY = "CANARY-pw-8c1f"
WINRS = Invocation(command="powershell.exe -NoProfile -EncodedCommand AAAA", stdin=b"x", script=None,
                   os_family="windows")
PSRP = Invocation(command="", stdin=None, script="Write-Output 1", os_family="windows")

VARIANTS = [
    ("winrm", dict(winrm_transport=("basic",))),
    ("winrm", dict(winrm_transport=("ntlm",))),
    ("psrp", dict(psrp_auth="ntlm")),
    ("psrp", dict(psrp_auth="negotiate")),
    ("psrp", dict(psrp_auth="basic", message_encryption="never")),
]
IDS = ["winrm-basic", "winrm-ntlm", "psrp-ntlm", "psrp-negotiate", "psrp-basic"]


def settings(kind: str, port: int, **extra: object) -> ConnectionSettings:
    return ConnectionSettings(name=f"{kind}-host", host="127.0.0.1", connection=kind, port=port, scheme="http",
                              user="simadmin", password=CANARY, read_timeout=6.0, operation_timeout=4.0,
                              connect_timeout=3.0, **extra)  # type: ignore[arg-type]


async def run(s: ConnectionSettings, seconds: float = 10.0) -> None:
    inv = PSRP if s.connection == "psrp" else WINRS
    async with make_transport(s, Shared()) as t:
        await t.run(inv, deadline=time.monotonic() + seconds, max_output=10_000)


def assert_safe(err: HostError) -> None:
    assert CANARY not in str(err) and CANARY not in repr(err) and "\n" not in str(err)
    assert err.__cause__ is not None or isinstance(err, Unreachable)


@pytest.mark.parametrize(("kind", "extra"), VARIANTS, ids=IDS)
async def test_refused_port_is_unreachable(kind, extra):
    with pytest.raises(Unreachable, match="refused") as info:
        await run(settings(kind, closed_port(), **extra))
    assert info.value.transient
    assert_safe(info.value)


@pytest.mark.parametrize(("kind", "extra"), VARIANTS, ids=IDS)
async def test_401_is_auth_failed_and_never_shows_the_password(kind, extra):
    headers = ("WWW-Authenticate: Negotiate", 'WWW-Authenticate: Basic realm="WSMAN"')
    with http_responder(status=401, headers=headers) as server, pytest.raises(AuthFailed) as info:
        await run(settings(kind, server.port, **extra))
    assert not info.value.transient
    assert_safe(info.value)


@pytest.mark.parametrize(("kind", "extra"), VARIANTS[:1] + VARIANTS[-1:], ids=["winrm-basic", "psrp-basic"])
async def test_http_500_without_soap_is_protocol_error(kind, extra):
    with http_responder(status=500) as server, pytest.raises(ProtocolError, match="HTTP 500") as info:
        await run(settings(kind, server.port, **extra))
    assert_safe(info.value)


@pytest.mark.parametrize(("kind", "extra"), VARIANTS[:1] + VARIANTS[-1:], ids=["winrm-basic", "psrp-basic"])
async def test_malformed_xml_is_protocol_error(kind, extra):
    with http_responder(status=200, body=b"<not really xml") as server, pytest.raises(ProtocolError) as info:
        await run(settings(kind, server.port, **extra))
    assert_safe(info.value)


@pytest.mark.parametrize(("kind", "extra"), VARIANTS, ids=IDS)
async def test_black_hole_is_unreachable_by_the_deadline(kind, extra):
    with black_hole() as port:
        start = time.monotonic()
        with pytest.raises(Unreachable) as info:
            await run(settings(kind, port, **extra), seconds=2.0)
        assert time.monotonic() - start < 2.0 + 0.5  # nothing to clean up: no grace needed
    assert_safe(info.value)
