"""The real Linux collector through the SSH (real sshd) and local transports; probes stay on loopback."""

from __future__ import annotations

import sys
import time

from probe_listener import probe_listener

from umcheck import envelope
from umcheck.collectors.invocation import CollectorParams, linux
from umcheck.facts import Facts
from umcheck.transports import make_transport
from umcheck.transports.local import LocalTransport
from umcheck.transports.shared import Shared

ENDPOINTS = [{"name": "agentsvc", "template": "{workspace}.agentsvc.azure-automation.net", "port": 443, "kind": "tcp"}]


def _params(overrides: dict[str, str]) -> CollectorParams:
    return CollectorParams(endpoints=ENDPOINTS, probe_timeout=2.0, probe_overrides=overrides, cloud="public")


def _check(stdout: bytes, listener) -> Facts:
    facts = Facts.from_dict(envelope.parse(stdout))
    assert facts.os_family == "linux"
    probes = facts.probes()
    assert probes, "the collector made no probes"
    assert listener.peers and set(listener.peers) == {"127.0.0.1"}  # every probe landed on loopback
    return facts


async def test_linux_collector_over_ssh(sshd):
    shared = Shared(default_known_hosts=str(sshd.known_hosts), ssh_agent=False)
    async with probe_listener() as listener:
        inv = linux(_params(listener.overrides), python="/usr/bin/python3")
        async with make_transport(sshd.settings(), shared) as t:
            res = await t.run(inv, deadline=time.monotonic() + 60, max_output=4 << 20)
    assert res.rc == 0, res.stderr[-2000:]
    facts = _check(res.stdout, listener)
    assert facts.section("os") is not None


async def test_linux_collector_locally(tmp_path):
    async with probe_listener() as listener:
        inv = linux(_params(listener.overrides), python=sys.executable)
        async with LocalTransport() as t:
            res = await t.run(inv, deadline=time.monotonic() + 60, max_output=4 << 20)
    assert res.rc == 0, res.stderr[-2000:]
    _check(res.stdout, listener)
