"""``ansible_connection: fake``: settings from the inventory, and in-process simulator answers."""

from __future__ import annotations

import time

import pytest

from umcheck import envelope
from umcheck.errors import ExecTimeout, InputError
from umcheck.inventory.connection import build_connection
from umcheck.inventory.model import Origin
from umcheck.plan import RunOptions, target_for
from umcheck.sim.behaviour import reply_for
from umcheck.transports import make_transport
from umcheck.transports.shared import Shared
from umcheck.transports.simulated import SimulatedTransport, host_spec


def _settings(name: str, **values):
    return build_connection(name, {"ansible_connection": "fake", **values}, {})


def test_fake_settings_ignore_the_address_and_default_to_healthy():
    s = _settings("w1", ansible_host="10.0.0.9", umcheck_os="windows")
    assert (s.connection, s.host, s.os, s.fake_states) == ("fake", "w1", "windows", ("healthy",))
    assert _settings("l1", umcheck_fake_state="proxy_set, multihomed").fake_states == ("proxy_set", "multihomed")
    assert _settings("l2", umcheck_fake_state=["proxy_set"]).os == "linux"


def test_an_unknown_state_is_an_input_error_naming_the_variable_and_line():
    with pytest.raises(InputError, match="umcheck_fake_state.*unknown windows state 'no_such'") as info:
        build_connection("w", {"ansible_connection": "fake", "umcheck_os": "windows", "umcheck_fake_state": "no_such"},
                         {"umcheck_fake_state": Origin("inv.yml", 7)})  # fmt: skip
    assert info.value.line == 7


@pytest.mark.parametrize(("os_family", "state"), [("windows", "healthservice_stopped"), ("linux", "proxy_set")])
async def test_the_collector_gets_what_the_simulator_answers(os_family, state):
    s = _settings("h1", umcheck_os=os_family, umcheck_fake_state=state)
    target = target_for(s, RunOptions())
    transport = make_transport(s, Shared())
    assert isinstance(transport, SimulatedTransport) and transport.name == "fake"
    async with transport:
        res = await transport.run(target.invocation, deadline=time.monotonic() + 10, max_output=10**7)
    assert res.rc == 0 and not res.truncated
    doc = envelope.parse(res.stdout)
    command = target.invocation.script or target.invocation.command
    expected = envelope.parse(reply_for(host_spec(s), command, target.invocation.stdin).stdout)
    for d in (doc, expected):
        d.pop("collector")  # start time
    assert doc == expected and doc["os_family"] == os_family and doc["host"]["hostname"] == "h1"
    assert host_spec(s).machine.states == (state,)


async def test_deadline_and_output_cap():
    s = _settings("l1")
    target = target_for(s, RunOptions())
    transport = SimulatedTransport(s)
    with pytest.raises(ExecTimeout):
        await transport.run(target.invocation, deadline=time.monotonic() - 1, max_output=10**7)
    res = await transport.run(target.invocation, deadline=time.monotonic() + 10, max_output=100)
    assert res.truncated and res.rc == -1 and len(res.stdout) == 100
