"""asyncssh client (unmodified) against simulated Linux hosts: password and key auth, exec, stdin."""

from __future__ import annotations

import asyncio

import asyncssh
import pytest

from umcheck.sim import CommandRule

from .conftest import PASSWORD, USER, spec


def _connect(fleet, host, **kw):
    kw.setdefault("known_hosts", str(fleet.known_hosts))
    return asyncio.wait_for(asyncssh.connect(host.address, host.port, username=USER, connect_timeout=5, **kw), 10)


async def test_password_auth_exec(make_fleet):
    fleet = await make_fleet([spec("lnx-a", "ssh")])
    host = fleet.hosts[0]
    async with await _connect(fleet, host, password=PASSWORD) as conn:
        r = await asyncio.wait_for(conn.run("hostname"), 10)
        bad = await asyncio.wait_for(conn.run("echo oops; exit 4"), 10)
    assert (r.stdout, r.exit_status) == ("lnx-a\n", 0)
    assert (bad.stdout, bad.exit_status) == ("oops\n", 4)
    assert fleet.stats["ssh_execs"] == 2


async def test_key_auth_and_known_hosts(make_fleet):
    fleet = await make_fleet([spec("lnx-key", "ssh", auth="key")])
    host = fleet.hosts[0]
    async with await _connect(fleet, host, client_keys=[str(fleet.client_key_file)]) as conn:
        r = await asyncio.wait_for(conn.run("hostname"), 10)
    assert r.stdout == "lnx-key\n"
    # the host key is pinned: an empty known_hosts list rejects it
    with pytest.raises(asyncssh.HostKeyNotVerifiable):
        await _connect(fleet, host, client_keys=[str(fleet.client_key_file)], known_hosts=([], [], []))


async def test_stdin_program_is_read_to_eof(make_fleet):
    rule = CommandRule(match=r"^python3 -$", stdout="ran script\n", rc=0)
    fleet = await make_fleet([spec("lnx-in", "ssh", commands=(rule,))])
    host = fleet.hosts[0]
    async with await _connect(fleet, host, password=PASSWORD) as conn:
        r = await asyncio.wait_for(conn.run("python3 -", input="print('hi')\n" * 1000), 10)
    assert (r.stdout, r.exit_status) == ("ran script\n", 0)


async def test_wrong_password_is_permission_denied(make_fleet):
    fleet = await make_fleet([spec("lnx-pw", "ssh")])
    with pytest.raises(asyncssh.PermissionDenied):
        await _connect(fleet, fleet.hosts[0], password="wrong")
    assert fleet.stats["auth_rejected"] >= 1
