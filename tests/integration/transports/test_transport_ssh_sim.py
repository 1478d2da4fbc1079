"""SSH transport against the simulator's SSH hosts: password auth, faults, and the canary."""

from __future__ import annotations

import time

import pytest
from simfleet import fleet_of, settings_for

from umcheck import envelope
from umcheck.collectors.invocation import CollectorParams, linux
from umcheck.errors import AuthFailed, ExecTimeout, HostError, Unreachable
from umcheck.facts import Facts
from umcheck.sim import HostSpec
from umcheck.transports import make_transport
from umcheck.transports.shared import Shared

CANARY = "CANARY-pw-8c1f"
INV = linux(CollectorParams(sections=["os"]))


async def run(fleet, name: str, seconds: float = 15.0, max_output: int = 8 << 20, **overrides):
    shared = Shared(default_known_hosts=str(fleet.known_hosts), ssh_agent=False)
    async with make_transport(settings_for(fleet, name, **overrides), shared) as t:
        return await t.run(INV, deadline=time.monotonic() + seconds, max_output=max_output)


async def test_password_login_runs_the_collector():
    async with fleet_of(HostSpec("l1", "ssh")) as fleet:
        res = await run(fleet, "l1")
    assert res.rc == 0
    assert Facts.from_dict(envelope.parse(res.stdout)).os_family == "linux"


FAULTS = [("refused", Unreachable), ("black_hole", Unreachable), ("auth_failure", AuthFailed), ("hang", ExecTimeout)]


@pytest.mark.parametrize(("fault", "error"), FAULTS, ids=[f for f, _ in FAULTS])
async def test_faults(fault, error):
    async with fleet_of(HostSpec("l1", "ssh", faults=(fault,))) as fleet:
        start = time.monotonic()
        with pytest.raises(HostError) as info:
            await run(fleet, "l1", seconds=3.0, connect_timeout=2.0)
        assert time.monotonic() - start < 5.0
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    assert "\n" not in str(info.value)


async def test_huge_output_is_capped():
    async with fleet_of(HostSpec("l1", "ssh", faults=("huge_output",))) as fleet:
        res = await run(fleet, "l1", max_output=1 << 20)
    assert res.truncated and len(res.stdout) == 1 << 20


async def test_canary_password_never_in_errors():
    async with fleet_of(HostSpec("l1", "ssh", faults=("auth_failure",))) as fleet:
        with pytest.raises(AuthFailed) as info:
            await run(fleet, "l1", password=CANARY)
    exc: BaseException | None = info.value
    while exc is not None:
        assert CANARY not in str(exc) and CANARY not in repr(exc)
        exc = exc.__cause__
