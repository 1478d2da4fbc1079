"""Each injected fault makes the unmodified client fail the way it fails against a broken real host."""

from __future__ import annotations

import asyncio
import time
import xml.etree.ElementTree as ET

import asyncssh
import pytest
import requests
import winrm
from pypsrp.exceptions import AuthenticationError, WSManFaultError

from umcheck import envelope
from umcheck.collectors import invocation as inv

from .conftest import PASSWORD, USER, in_thread, psrp_client, spec, winrm_session


def _run(host, transport="ntlm", **kw):
    return winrm_session(host, transport, **kw).run_cmd("hostname")


@pytest.fixture
async def win(make_fleet):
    faults = ["refused", "black_hole", "auth_failure", "http_500", "soap_fault", "malformed_xml",
              "drop_mid_command", "hang", "slow_output", "unknown_ca"]  # fmt: skip
    specs = [spec(f"w-{f}", "winrm-https" if f == "unknown_ca" else "winrm", faults=(f,)) for f in faults]
    specs.append(spec("w-huge", faults=("huge_output",), huge_output_mb=3))
    specs.append(spec("w-psrp-auth", "psrp", faults=("auth_failure",)))
    specs.append(spec("w-psrp-soap", "psrp", faults=("soap_fault",)))
    fleet = await make_fleet(specs)
    return fleet


async def test_refused_is_connection_error(win):
    with pytest.raises(requests.exceptions.ConnectionError) as err:
        await in_thread(_run, win.host("w-refused"))
    assert "refused" in str(err.value).lower()


async def test_black_hole_is_read_timeout(win):
    with pytest.raises(requests.exceptions.ReadTimeout):
        await in_thread(_run, win.host("w-black_hole"), op=1, read=2)


@pytest.mark.parametrize("transport", ["basic", "ntlm"])
async def test_auth_failure_is_invalid_credentials(win, transport):
    with pytest.raises(winrm.exceptions.InvalidCredentialsError):
        await in_thread(_run, win.host("w-auth_failure"), transport)
    assert win.stats.hosts["w-auth_failure"]["auth_rejected"] >= 1


async def test_psrp_auth_failure_is_authentication_error(win):
    with pytest.raises(AuthenticationError):
        await in_thread(lambda: psrp_client(win.host("w-psrp-auth"), "negotiate").execute_ps("hostname"))


async def test_http_500_is_transport_error(win):
    with pytest.raises(winrm.exceptions.WinRMTransportError) as err:
        await in_thread(_run, win.host("w-http_500"))
    assert err.value.code == 500


async def test_soap_fault_is_wsman_fault(win):
    with pytest.raises(winrm.exceptions.WSManFaultError) as err:
        await in_thread(_run, win.host("w-soap_fault"))
    assert err.value.wmierror_code == 2150859174 and err.value.fault_subcode == "w:InternalError"
    with pytest.raises(WSManFaultError) as perr:
        await in_thread(lambda: psrp_client(win.host("w-psrp-soap"), "ntlm").execute_ps("hostname"))
    assert perr.value.code == 2150859174


async def test_malformed_xml_fails_parsing(win):
    with pytest.raises(ET.ParseError):
        await in_thread(_run, win.host("w-malformed_xml"))


async def test_dropped_connection_mid_command(win):
    with pytest.raises(requests.exceptions.ConnectionError):
        await in_thread(_run, win.host("w-drop_mid_command"))


async def test_hang_never_finishes(win):
    """The caller owns the deadline: raw Receives keep timing out, the command never reaches Done."""

    def poll_for(seconds):
        p = winrm_session(win.host("w-hang"), "ntlm", op=1, read=3).protocol
        shell = p.open_shell()
        cid = p.run_command(shell, "hostname")
        timeouts, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                p.get_command_output_raw(shell, cid)
                return None  # a reply: not hung
            except winrm.exceptions.WinRMOperationTimeoutError:
                timeouts += 1
        p.cleanup_command(shell, cid)
        p.close_shell(shell)
        return timeouts

    assert await in_thread(poll_for, 2.5) >= 2


async def test_slow_output_trickles(win):
    t0 = time.monotonic()
    r = await in_thread(_run, win.host("w-slow_output"), "basic")
    assert r.std_out == b"w-slow_output\r\n"
    assert win.stats.hosts["w-slow_output"]["http_requests"] >= 5  # create, command, 1+ receive, signal, delete
    assert time.monotonic() - t0 < 10


async def test_huge_output_precedes_the_facts(win):
    i = inv.windows_winrm(inv.CollectorParams())

    def collect():
        p = winrm_session(win.host("w-huge"), "ntlm", op=3, read=20).protocol
        shell = p.open_shell()
        cid = p.run_command(shell, i.command, console_mode_stdin=False)
        p.send_command_input(shell, cid, i.stdin, end=True)
        out, _, rc = p.get_command_output(shell, cid)
        p.close_shell(shell)
        return out, rc

    out, rc = await in_thread(collect, timeout=120)
    assert rc == 0 and len(out) > 3 * 1024 * 1024
    assert envelope.parse(out)["host"]["hostname"] == "w-huge"
    assert win.stats.hosts["w-huge"]["http_requests"] > 20  # chunked below MaxEnvelopeSize


async def test_unknown_ca_fails_certificate_validation(win):
    with pytest.raises(requests.exceptions.SSLError) as err:
        await in_thread(_run, win.host("w-unknown_ca"), "ssl", https=True, ca=str(win.ca_file))
    assert "certificate verify failed" in str(err.value)


# ---------------------------------------------------------------------------------------------- SSH


@pytest.fixture
async def lnx(make_fleet):
    faults = ["refused", "auth_failure", "black_hole", "hang", "garbage_output"]
    return await make_fleet([spec(f"l-{f}", "ssh", faults=(f,)) for f in faults])


def _ssh(fleet, name, **kw):
    h = fleet.host(name)
    return asyncssh.connect(h.address, h.port, username=USER, password=PASSWORD, known_hosts=str(fleet.known_hosts),
                            connect_timeout=kw.pop("connect_timeout", 5), **kw)  # fmt: skip


async def test_ssh_refused(lnx):
    with pytest.raises(ConnectionRefusedError):
        await asyncio.wait_for(_ssh(lnx, "l-refused"), 10)


async def test_ssh_auth_failure(lnx):
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncio.wait_for(_ssh(lnx, "l-auth_failure"), 10)


async def test_ssh_black_hole_times_out(lnx):
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(_ssh(lnx, "l-black_hole", connect_timeout=1), 10)


async def test_ssh_hang(lnx):
    async with await asyncio.wait_for(_ssh(lnx, "l-hang"), 10) as conn:
        with pytest.raises(asyncssh.TimeoutError):
            await asyncio.wait_for(conn.run("hostname", timeout=1), 10)


async def test_ssh_garbage_output(lnx):
    i = inv.linux(inv.CollectorParams())
    async with await asyncio.wait_for(_ssh(lnx, "l-garbage_output"), 10) as conn:
        r = await asyncio.wait_for(conn.run(i.command, input=i.stdin, encoding=None), 10)
    assert r.exit_status == 0 and len(r.stdout) == 4096
    with pytest.raises(envelope.EnvelopeError):
        envelope.parse(r.stdout)
