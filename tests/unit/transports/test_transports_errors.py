"""Each transport's ``map_error``: the right class, one line, cause kept, never the password."""

from __future__ import annotations

import errno
import socket
import ssl
import xml.etree.ElementTree as ET

import asyncssh
import pypsrp.exceptions as pexc
import pytest
import requests
import winrm.exceptions as wexc

from umcheck.errors import (
    AuthFailed,
    CollectorError,
    ExecTimeout,
    HostError,
    ProtocolError,
    TlsError,
    Unreachable,
)
from umcheck.transports import local, psrp, ssh, winrm
from umcheck.transports.neterrors import one_line

CANARY = "CANARY-pw-8c1f"


def _conn_error(inner: BaseException) -> requests.exceptions.ConnectionError:
    outer = requests.exceptions.ConnectionError(inner)
    outer.__context__ = inner
    return outer


HTTP_CASES = [
    (requests.exceptions.ConnectTimeout("timed out"), Unreachable),
    (_conn_error(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")), Unreachable),
    (_conn_error(OSError(errno.EHOSTUNREACH, "No route to host")), Unreachable),
    (_conn_error(OSError(errno.ENETUNREACH, "Network is unreachable")), Unreachable),
    (_conn_error(socket.gaierror(-2, "Name or service not known")), Unreachable),
    (_conn_error(ConnectionResetError(errno.ECONNRESET, "reset")), ProtocolError),
    (requests.exceptions.SSLError(ssl.SSLError(1, "handshake failure")), TlsError),
    (ET.ParseError("not well-formed"), ProtocolError),
]


@pytest.mark.parametrize("mapper", [winrm.map_error, psrp.map_error], ids=["winrm", "psrp"])
@pytest.mark.parametrize(("exc", "cls"), HTTP_CASES, ids=lambda v: type(v).__name__)
def test_http_level_errors(mapper, exc, cls):
    err = mapper(exc)
    assert type(err) is cls and err.__cause__ is exc and "\n" not in str(err)


@pytest.mark.parametrize("mapper", [winrm.map_error, psrp.map_error], ids=["winrm", "psrp"])
def test_read_timeout_depends_on_whether_the_host_ever_answered(mapper):
    exc = requests.exceptions.ReadTimeout("read timed out")
    assert isinstance(mapper(exc, answered=False), Unreachable)
    assert isinstance(mapper(exc, answered=True), ExecTimeout)


def test_pywinrm_specific_errors():
    assert isinstance(winrm.map_error(wexc.InvalidCredentialsError("rejected")), AuthFailed)
    assert isinstance(winrm.map_error(wexc.WinRMTransportError("http", 401, "")), AuthFailed)
    e500 = winrm.map_error(wexc.WinRMTransportError("http", 500, "boom"))
    assert isinstance(e500, ProtocolError) and "HTTP 500" in str(e500) and e500.transient
    fault = wexc.WSManFaultError(code=500, message="m", response="r", reason="Access is denied.",
                                 wsman_fault_code=5)
    assert isinstance(winrm.map_error(fault), ProtocolError) and "Access is denied" in str(winrm.map_error(fault))
    assert isinstance(winrm.map_error(StopIteration()), ProtocolError)
    assert isinstance(winrm.map_error(wexc.WinRMOperationTimeoutError()), ExecTimeout)


def test_pypsrp_specific_errors():
    assert isinstance(psrp.map_error(pexc.AuthenticationError("Failed to authenticate the user u with ntlm")),
                      AuthFailed)
    fault = pexc.WSManFaultError(2150858843, "m", "Machine", "shell gone", "w:InvalidSelectors")
    assert isinstance(psrp.map_error(fault), ProtocolError)
    assert isinstance(psrp.map_error(pexc.WSManFaultError(2150858793, "m", "M", "t", None)), ExecTimeout)
    assert isinstance(psrp.map_error(pexc.WinRMTransportError("http", 503, "")), ProtocolError)
    assert isinstance(psrp.map_error(pexc.WinRMError("Received related id does not match")), ProtocolError)


def test_ssh_errors():
    assert isinstance(ssh.map_error(asyncssh.PermissionDenied("no")), AuthFailed)
    hk = ssh.map_error(asyncssh.HostKeyNotVerifiable("Host key is not trusted for host x"))
    assert isinstance(hk, TlsError) and "host key not trusted" in str(hk)
    assert isinstance(ssh.map_error(asyncssh.ConnectionLost("gone")), ProtocolError)
    assert isinstance(ssh.map_error(asyncssh.DisconnectError(11, "bye")), ProtocolError)
    assert isinstance(ssh.map_error(ConnectionRefusedError(errno.ECONNREFUSED, "refused")), Unreachable)
    assert isinstance(ssh.map_error(socket.gaierror(-2, "Name or service not known")), Unreachable)
    assert isinstance(ssh.map_error(TimeoutError()), Unreachable)


def test_local_errors():
    assert isinstance(local.map_error(FileNotFoundError(2, "No such file", "python9")), CollectorError)
    assert isinstance(local.map_error(PermissionError(13, "denied", "/x")), CollectorError)


def test_transient_is_only_for_connection_level_errors():
    assert Unreachable.transient and ProtocolError.transient
    assert not AuthFailed.transient and not TlsError.transient and not ExecTimeout.transient
    assert not CollectorError.transient


@pytest.mark.parametrize("mapper", [winrm.map_error, psrp.map_error, ssh.map_error, local.map_error])
def test_a_password_echoed_by_a_library_is_removed(mapper):
    exc = OSError(f"weird failure for password {CANARY}\nsecond line")
    kwargs = {} if mapper is local.map_error else {"secrets": (CANARY,)}
    err = mapper(exc, **kwargs)
    assert isinstance(err, HostError)
    if mapper is not local.map_error:
        assert CANARY not in str(err)
    assert "\n" not in str(err)


def test_one_line_caps_and_scrubs():
    text = one_line("a\nb\t" + "x" * 1000 + CANARY, [CANARY, None, ""])
    assert len(text) <= 300 and "\n" not in text and CANARY not in text
