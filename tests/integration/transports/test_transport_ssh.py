"""SSH transport against a real OpenSSH sshd on 127.0.0.1 (fixture in tests/integration/sshd.py)."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from umcheck.collectors.invocation import Invocation
from umcheck.errors import AuthFailed, ExecTimeout, TlsError, Unreachable
from umcheck.transports import make_transport
from umcheck.transports.shared import Shared
from umcheck.transports.ssh import SSHTransport


def sh(command: str, stdin: bytes | None = None) -> Invocation:
    return Invocation(command=command, stdin=stdin, script=None, os_family="linux")


def soon(seconds: float = 20.0) -> float:
    return time.monotonic() + seconds


@pytest.fixture
def shared(sshd) -> Shared:
    return Shared(default_known_hosts=str(sshd.known_hosts), ssh_agent=False)


async def test_exec_with_stdin_rc_and_stderr(sshd, shared):
    t = make_transport(sshd.settings(), shared)
    assert isinstance(t, SSHTransport)
    payload = b"line one\n" + bytes(range(256)) * 400  # binary, ~100 KB, crosses several windows
    async with t:
        res = await t.run(sh("cat; echo oops >&2; exit 3", payload), deadline=soon(), max_output=1 << 20)
    assert res.stdout == payload
    assert res.stderr == b"oops\n"
    assert res.rc == 3
    assert not res.truncated
    assert res.timings.connect_ms > 0


async def test_two_runs_share_one_connection_and_options(sshd, shared):
    async with make_transport(sshd.settings(), shared) as t:
        first = await t.run(sh("echo $PPID"), deadline=soon(), max_output=1000)
        second = await t.run(sh("echo hi"), deadline=soon(), max_output=1000)
    assert second.stdout == b"hi\n" and second.timings.connect_ms == 0 and first.timings.connect_ms > 0
    async with make_transport(sshd.settings(name="other"), shared) as t2:
        await t2.run(sh("true"), deadline=soon(), max_output=10)
    assert shared.stats()["ssh_options"] == 1


async def test_wrong_key_is_auth_failed(sshd, shared):
    settings = sshd.settings(ssh_private_key_file=str(sshd.wrong_key))
    with pytest.raises(AuthFailed) as info:
        async with make_transport(settings, shared) as t:
            await t.run(sh("true"), deadline=soon(), max_output=10)
    assert "permission denied" in str(info.value)
    assert info.value.__cause__ is not None and not info.value.transient


async def test_unknown_host_key_is_rejected_when_checking(sshd):
    shared = Shared(default_known_hosts=str(sshd.other_known_hosts), ssh_agent=False)
    with pytest.raises(TlsError, match="host key not trusted"):
        async with make_transport(sshd.settings(), shared) as t:
            await t.run(sh("true"), deadline=soon(), max_output=10)


async def test_missing_known_hosts_file_trusts_nothing(sshd, tmp_path):
    shared = Shared(default_known_hosts=str(tmp_path / "absent"), ssh_agent=False)
    with pytest.raises(TlsError, match="host key not trusted"):
        async with make_transport(sshd.settings(), shared) as t:
            await t.run(sh("true"), deadline=soon(), max_output=10)


async def test_host_known_hosts_setting_beats_the_run_default(sshd):
    shared = Shared(default_known_hosts=str(sshd.other_known_hosts), ssh_agent=False)
    async with make_transport(sshd.settings(known_hosts=str(sshd.known_hosts)), shared) as t:
        res = await t.run(sh("echo ok"), deadline=soon(), max_output=10)
    assert res.stdout == b"ok\n"


async def test_host_key_checking_off_connects_to_unknown_host(sshd):
    shared = Shared(default_known_hosts=str(sshd.other_known_hosts), ssh_agent=False)
    async with make_transport(sshd.settings(ssh_host_key_checking=False), shared) as t:
        res = await t.run(sh("echo ok"), deadline=soon(), max_output=10)
    assert res.stdout == b"ok\n" and res.rc == 0


async def test_deadline_cuts_a_hanging_command(sshd, shared):
    async with make_transport(sshd.settings(), shared) as t:
        start = time.monotonic()
        with pytest.raises(ExecTimeout):
            await t.run(sh("sleep 30"), deadline=start + 1.5, max_output=10)
        assert time.monotonic() - start < 3.0


async def test_output_cap_stops_reading(sshd, shared):
    async with make_transport(sshd.settings(), shared) as t:
        start = time.monotonic()
        res = await t.run(sh("yes umcheck"), deadline=soon(30), max_output=100_000)
    assert res.truncated and len(res.stdout) == 100_000 and res.rc == -1
    assert res.stdout.startswith(b"umcheck\numcheck\n")
    assert time.monotonic() - start < 10


async def test_refused_port_is_unreachable(sshd, shared):
    from sshd import free_port

    settings = sshd.settings(port=free_port())
    with pytest.raises(Unreachable, match="refused") as info:
        async with make_transport(settings, shared) as t:
            await t.run(sh("true"), deadline=soon(), max_output=10)
    assert info.value.transient


async def test_password_never_appears_in_errors(sshd, shared):
    canary = "CANARY-pw-8c1f"
    settings = replace(sshd.settings(ssh_private_key_file=str(sshd.wrong_key)), password=canary)
    with pytest.raises(AuthFailed) as info:
        async with make_transport(settings, shared) as t:
            await t.run(sh("true"), deadline=soon(), max_output=10)
    assert canary not in str(info.value) and canary not in repr(info.value) and canary not in repr(settings)
