"""WinRM and PSRP transports against the fleet simulator (umcheck.sim) on loopback.

Real pywinrm/pypsrp clients, real NTLM/SPNEGO handshakes, HTTP message encryption and TLS with
the simulator's CA; every simulator fault must surface as the right umcheck error class.
"""

from __future__ import annotations

import time

import pytest
from simfleet import fleet_of, settings_for

from umcheck import envelope
from umcheck.collectors.invocation import CollectorParams, windows_psrp, windows_winrm
from umcheck.errors import AuthFailed, ExecTimeout, HostError, ProtocolError, TlsError, Unreachable
from umcheck.facts import Facts
from umcheck.sim import HostSpec
from umcheck.transports import make_transport
from umcheck.transports.psrp import PSRPTransport
from umcheck.transports.shared import Shared
from umcheck.transports.winrm import WinRMTransport

CANARY = "CANARY-pw-8c1f"
PARAMS = CollectorParams(sections=["os", "services"])


def invocation_for(kind: str, params: CollectorParams = PARAMS):
    return windows_psrp(params) if kind == "psrp" else windows_winrm(params)


async def collect(settings, shared: Shared | None = None, seconds: float = 20.0, max_output: int = 8 << 20):
    async with make_transport(settings, shared or Shared()) as t:
        return await t.run(invocation_for(settings.connection), deadline=time.monotonic() + seconds,
                           max_output=max_output)


OK_CASES = [
    ("winrm", "basic", False),
    ("winrm", "ntlm", False),  # NTLM with HTTP message encryption (the default for ntlm over http)
    ("winrm", "ntlm", True),  # NTLM over HTTPS, certificate validated against the simulator CA
    ("winrm", "basic", True),
    ("psrp", "ntlm", False),
    ("psrp", "negotiate", False),
    ("psrp", "negotiate", True),
    ("psrp", "basic", False),
]


@pytest.mark.parametrize(("kind", "auth", "https"), OK_CASES,
                         ids=[f"{k}-{a}-{'https' if h else 'http'}" for k, a, h in OK_CASES])
async def test_collector_round_trip(kind, auth, https):
    transport = f"{kind}-https" if https else kind
    async with fleet_of(HostSpec("h1", transport, auth=auth)) as fleet:
        settings = settings_for(fleet, "h1")
        shared = Shared()
        res = await collect(settings, shared)
        assert res.rc == 0 and not res.truncated
        facts = Facts.from_dict(envelope.parse(res.stdout))
        assert facts.os_family == "windows"
        # The parameters reached the collector (over stdin for WinRM, inside the script for PSRP):
        # only the two requested sections came back.
        assert set(facts.missing) >= {"probes"} and facts.section("os") is not None
        assert fleet.stats["collector_runs"] == 1
        assert shared.stats()["ssl_contexts"] == (1 if https else 0)
        expected = PSRPTransport if kind == "psrp" else WinRMTransport
        assert isinstance(make_transport(settings, shared), expected)


async def test_shared_context_serves_many_https_hosts():
    specs = [HostSpec(f"h{i}", "winrm-https" if i % 2 else "psrp-https") for i in range(6)]
    async with fleet_of(*specs) as fleet:
        shared = Shared()
        for spec in specs:
            assert (await collect(settings_for(fleet, spec.name), shared)).rc == 0
        ctx = shared.ssl_context(True, str(fleet.ca_file))
        assert shared.stats()["ssl_contexts"] == 1
        assert ctx.session_stats()["connect"] >= 6  # every host's TLS handshake used the one context
        assert ctx.cert_store_stats()["x509_ca"] == 1


async def test_validation_off_accepts_an_unknown_ca():
    async with fleet_of(HostSpec("rogue", "winrm-https", auth="basic", faults=("unknown_ca",))) as fleet:
        res = await collect(settings_for(fleet, "rogue", cert_validation=False))
        assert res.rc == 0


FAULTS = [
    ("refused", Unreachable),
    ("black_hole", Unreachable),
    ("auth_failure", AuthFailed),
    ("http_500", ProtocolError),
    ("soap_fault", ProtocolError),
    ("malformed_xml", ProtocolError),
    ("drop_mid_command", ProtocolError),
    ("hang", ExecTimeout),
    ("unknown_ca", TlsError),
]


@pytest.mark.parametrize("kind", ["winrm", "psrp"])
@pytest.mark.parametrize(("fault", "error"), FAULTS, ids=[f for f, _ in FAULTS])
async def test_fault_maps_to_error_class(kind, fault, error):
    https = fault == "unknown_ca"
    transport = f"{kind}-https" if https else kind
    auth = "basic" if (https and kind == "winrm") else ""
    async with fleet_of(HostSpec("f1", transport, auth=auth, faults=(fault,))) as fleet:
        settings = settings_for(fleet, "f1", **({"password": CANARY} if fault == "auth_failure" else {}))
        deadline = 4.0
        start = time.monotonic()
        with pytest.raises(HostError) as info:
            await collect(settings, seconds=deadline)
        elapsed = time.monotonic() - start
    err = info.value
    assert type(err) is error, f"{fault}: {type(err).__name__}: {err}"
    assert elapsed < deadline + 2.0  # the runner's grace past the deadline
    assert "\n" not in str(err) and CANARY not in str(err)
    if fault not in ("black_hole", "hang"):  # those two are umcheck's own deadline, not a library error
        assert err.__cause__ is not None
    assert err.transient == error.transient


@pytest.mark.parametrize("kind", ["winrm", "psrp"])
async def test_huge_output_is_capped(kind):
    async with fleet_of(HostSpec("big", kind, faults=("huge_output",))) as fleet:
        start = time.monotonic()
        res = await collect(settings_for(fleet, "big"), max_output=1 << 20)
    assert res.truncated and len(res.stdout) == 1 << 20 and res.rc == -1
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("kind", ["winrm", "psrp"])
async def test_slow_output_is_read_to_the_end(kind):
    async with fleet_of(HostSpec("slow", kind, faults=("slow_output",))) as fleet:
        res = await collect(settings_for(fleet, "slow"))
    assert res.rc == 0 and Facts.from_dict(envelope.parse(res.stdout)).os_family == "windows"


@pytest.mark.parametrize("kind", ["winrm", "psrp"])
async def test_hang_is_cut_at_the_deadline(kind):
    async with fleet_of(HostSpec("hang", kind, faults=("hang",))) as fleet:
        settings = settings_for(fleet, "hang", operation_timeout=1.0, read_timeout=3.0)
        start = time.monotonic()
        with pytest.raises(ExecTimeout):
            await collect(settings, seconds=2.5)
        assert 2.4 < time.monotonic() - start < 4.5


@pytest.mark.parametrize("kind", ["winrm", "psrp"])
async def test_canary_password_never_in_any_error(kind):
    """Every error a failing-auth host produces, for every auth, never contains the password."""
    auths = ["basic", "ntlm"] if kind == "winrm" else ["basic", "ntlm", "negotiate"]
    specs = [HostSpec(f"{kind}-{a}", kind, auth=a, faults=("auth_failure",)) for a in auths]
    async with fleet_of(*specs) as fleet:
        for spec in specs:
            settings = settings_for(fleet, spec.name, password=CANARY)
            with pytest.raises(AuthFailed) as info:
                await collect(settings)
            chain, exc = [], info.value
            while exc is not None:
                chain.append(exc)
                exc = exc.__cause__
            assert CANARY not in str(info.value) and CANARY not in repr(info.value)
            assert all(CANARY not in str(e) for e in chain)


async def test_second_run_reuses_the_shell():
    async with fleet_of(HostSpec("h1", "psrp")) as fleet:
        async with make_transport(settings_for(fleet, "h1"), Shared()) as t:
            first = await t.run(invocation_for("psrp"), deadline=time.monotonic() + 20, max_output=8 << 20)
            second = await t.run(invocation_for("psrp"), deadline=time.monotonic() + 20, max_output=8 << 20)
        assert first.rc == second.rc == 0 and first.stdout.count(b"UMCHECK-FACTS-BEGIN") == 1
        assert first.timings.connect_ms > 0 and second.timings.connect_ms == 0
        assert fleet.stats["shells"] == 1 and fleet.stats["collector_runs"] == 2


async def test_winrm_run_is_one_exchange_that_leaves_no_shell_behind():
    """WinRM runs shell, command, stdin, receive and clean-up in one pool call per run."""
    async with fleet_of(HostSpec("h1", "winrm")) as fleet:
        async with make_transport(settings_for(fleet, "h1"), Shared()) as t:
            first = await t.run(invocation_for("winrm"), deadline=time.monotonic() + 20, max_output=8 << 20)
            second = await t.run(invocation_for("winrm"), deadline=time.monotonic() + 20, max_output=8 << 20)
        assert first.rc == second.rc == 0 and second.stdout.count(b"UMCHECK-FACTS-BEGIN") == 1
        assert fleet.stats["shells"] == 2 and fleet.stats["collector_runs"] == 2
        assert all(not host.shells for host in fleet._wsman)  # both shells were deleted on the host
