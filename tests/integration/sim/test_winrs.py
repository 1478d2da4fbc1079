"""pywinrm (unmodified) against the simulator's WinRS: Basic, NTLM with message encryption, HTTPS."""

from __future__ import annotations

import base64

import pytest
import winrm
from winrm.exceptions import WinRMOperationTimeoutError

from umcheck.sim import CommandRule

from .conftest import in_thread, spec, winrm_session


@pytest.mark.parametrize("transport", ["basic", "ntlm"])
async def test_run_cmd_and_run_ps(make_fleet, transport):
    fleet = await make_fleet([spec("win-a")])
    host = fleet.hosts[0]

    def run():
        s = winrm_session(host, transport)
        return s.run_cmd("hostname"), s.run_cmd("echo", ["hello", "world"]), s.run_ps("Write-Error 'boom'; exit 3")

    hostname, echo, failed = await in_thread(run)
    assert (hostname.std_out, hostname.status_code) == (b"win-a\r\n", 0)
    assert echo.std_out == b"hello world\r\n"
    assert failed.status_code == 3
    assert failed.std_err == b"boom"  # CLIXML stderr, cleaned by pywinrm exactly as for Windows PowerShell 5.1
    assert fleet.stats["commands"] == 3 and fleet.stats["shells"] == 3


async def test_ntlm_bodies_are_sealed(make_fleet):
    """pywinrm's ntlm transport encrypts over HTTP; the simulator must unseal and seal in order."""
    fleet = await make_fleet([spec("win-enc")])
    host = fleet.hosts[0]

    def run():
        s = winrm_session(host, "ntlm", message_encryption="always")
        return s.run_cmd("hostname"), s.protocol.transport.encryption is not None

    r, encrypted = await in_thread(run)
    assert r.std_out == b"win-enc\r\n" and encrypted


@pytest.mark.parametrize("transport", ["ssl", "ntlm"])
async def test_https_with_fleet_ca(make_fleet, transport):
    fleet = await make_fleet([spec("win-tls", "winrm-https")])
    host = fleet.hosts[0]
    r = await in_thread(lambda: winrm_session(host, transport, https=True, ca=str(fleet.ca_file)).run_cmd("hostname"))
    assert r.std_out == b"win-tls\r\n"


async def test_ntlm_channel_binding_strict(make_fleet):
    """With CbtHardeningLevel=Strict the binding is checked: the default client passes, send_cbt=False is refused."""
    fleet = await make_fleet([spec("win-cbt", "winrm-https", cbt_strict=True)])
    host = fleet.hosts[0]
    ok = await in_thread(lambda: winrm_session(host, "ntlm", https=True, ca=str(fleet.ca_file)).run_cmd("hostname"))
    assert ok.std_out == b"win-cbt\r\n"
    with pytest.raises(winrm.exceptions.InvalidCredentialsError):
        await in_thread(lambda: winrm_session(host, "ntlm", https=True, ca=str(fleet.ca_file),
                                              send_cbt=False).run_cmd("hostname"))  # fmt: skip


async def test_stdin_is_delivered(make_fleet):
    rule = CommandRule(match=r"^findstr", stdout="matched\r\n")
    fleet = await make_fleet([spec("win-in", commands=(rule,))])
    host = fleet.hosts[0]

    def run():
        p = winrm_session(host, "ntlm").protocol
        shell = p.open_shell()
        cid = p.run_command(shell, "findstr", ["x"], console_mode_stdin=False)
        p.send_command_input(shell, cid, b"line x\r\n", end=True)
        out = p.get_command_output(shell, cid)
        p.cleanup_command(shell, cid)
        p.close_shell(shell)
        return out

    stdout, stderr, rc = await in_thread(run)
    assert (stdout, rc) == (b"matched\r\n", 0)


async def test_long_poll_times_out_and_client_repolls(make_fleet):
    """A command slower than OperationTimeout: Receive answers w:TimedOut, pywinrm re-polls, output arrives."""
    rule = CommandRule(match="slow-task", stdout="finally\r\n", delay=1.6)
    fleet = await make_fleet([spec("win-slow", commands=(rule,))])
    host = fleet.hosts[0]
    r = await in_thread(lambda: winrm_session(host, "basic", op=1, read=5).run_cmd("slow-task"))
    assert r.std_out == b"finally\r\n"
    assert fleet.stats["timeouts"] >= 1


async def test_timed_out_fault_is_windows_shaped(make_fleet):
    fleet = await make_fleet([spec("win-hang", faults=("hang",))])
    host = fleet.hosts[0]

    def run():
        p = winrm_session(host, "ntlm", op=1, read=5).protocol
        shell = p.open_shell()
        cid = p.run_command(shell, "hostname")
        try:
            with pytest.raises(WinRMOperationTimeoutError):
                p.get_command_output_raw(shell, cid)
        finally:
            p.cleanup_command(shell, cid)
            p.close_shell(shell)
        return True

    assert await in_thread(run)


async def test_unknown_shell_is_invalid_selectors(make_fleet):
    fleet = await make_fleet([spec("win-sel")])
    host = fleet.hosts[0]

    def run():
        p = winrm_session(host, "basic").protocol
        p.run_command("NOT-A-SHELL", "hostname")

    with pytest.raises(winrm.exceptions.WSManFaultError) as err:
        await in_thread(run)
    assert err.value.wsman_fault_code == 2150858843 and err.value.code == 500


async def test_encoded_powershell_is_decoded(make_fleet):
    fleet = await make_fleet([spec("win-enc2")])
    host = fleet.hosts[0]
    script = "Write-Output 'from encoded'"
    cmd = "powershell -EncodedCommand " + base64.b64encode(script.encode("utf-16-le")).decode()
    r = await in_thread(lambda: winrm_session(host, "ntlm").run_cmd(cmd))
    assert r.std_out == b"from encoded\r\n"


async def test_hostile_requests_get_faults_not_a_dead_server(make_fleet):
    """Garbage SOAP, a bad PSRP payload and a wrong method are answered; the host keeps serving."""
    import requests

    fleet = await make_fleet([spec("win-robust")])
    host = fleet.hosts[0]
    url = f"http://{host.address}:{host.ports['winrm_http']}/wsman"
    create_ps = (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header>'
        "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Create</a:Action><a:MessageID>uuid:1</a:MessageID>"
        "<w:ResourceURI>http://schemas.microsoft.com/powershell/Microsoft.PowerShell</w:ResourceURI></s:Header>"
        '<s:Body><rsp:Shell xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" ShellId="X">'
        '<creationXml xmlns="http://schemas.microsoft.com/powershell">AAAAAAAAAAEAAAAAAAAAAAMAAAAH</creationXml>'
        "</rsp:Shell></s:Body></s:Envelope>"
    )

    def run():
        auth = ("simadmin", "Sim-Passw0rd!")
        posts = [requests.post(url, data=b, auth=auth, timeout=5) for b in (create_ps, "<not xml", "<a/>")]
        return [(r.status_code, "<s:Fault>" in r.text) for r in posts], requests.get(url, timeout=5).status_code

    faults, get_status = await in_thread(run)
    assert faults == [(500, True)] * 3 and get_status == 404
    assert fleet.stats["internal_errors"] == 1
    r = await in_thread(lambda: winrm_session(host, "ntlm").run_cmd("hostname"))
    assert r.std_out == b"win-robust\r\n"
