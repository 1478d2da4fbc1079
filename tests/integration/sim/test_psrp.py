"""pypsrp (unmodified) against the simulator's PSRP endpoint (psrpcore server side)."""

from __future__ import annotations

import pytest

from .conftest import in_thread, psrp_client, spec


@pytest.mark.parametrize("auth", ["ntlm", "negotiate"])
async def test_execute_ps_and_cmd_over_http(make_fleet, auth):
    fleet = await make_fleet([spec("win-ps", "psrp")])
    host = fleet.hosts[0]

    def run():
        c = psrp_client(host, auth)
        return c.execute_ps("Write-Output 'hello'"), c.execute_cmd("hostname")

    (out, streams, had_errors), (stdout, stderr, rc) = await in_thread(run)
    assert (out, had_errors, streams.error) == ("hello", False, [])
    assert (stdout, rc) == ("win-ps\r\n", 0)
    assert fleet.stats["psrp_pipelines"] == 1


async def test_errors_and_exit_code_reach_the_client(make_fleet):
    fleet = await make_fleet([spec("win-err", "psrp")])
    host = fleet.hosts[0]

    def run():
        c = psrp_client(host, "negotiate")
        return c.execute_ps("throw 'disk on fire'"), c.execute_ps("Write-Output 'x'; exit 5")

    (out, streams, had_errors), (_, streams5, had_errors5) = await in_thread(run)
    assert had_errors is True
    assert [str(e) for e in streams.error] == ["disk on fire"]
    assert had_errors5 is True
    assert [str(e) for e in streams5.error] == ["The command exited with code 5."]


async def test_execute_ps_over_https(make_fleet):
    fleet = await make_fleet([spec("win-ps-tls", "psrp-https")])
    host = fleet.hosts[0]
    out, _, had_errors = await in_thread(
        lambda: psrp_client(host, "negotiate", https=True, ca=str(fleet.ca_file)).execute_ps("hostname"))
    assert (out, had_errors) == ("win-ps-tls", False)


async def test_large_output_spans_many_receives(make_fleet):
    """2 MB of output: psrpcore fragments are sized per request and reassembled by pypsrp."""
    from umcheck.sim import CommandRule

    line = "x" * 99 + "\r\n"
    rule = CommandRule(match="big", stdout=line * 20000)
    fleet = await make_fleet([spec("win-big", "psrp", commands=(rule,))])
    host = fleet.hosts[0]
    out, _, had_errors = await in_thread(lambda: psrp_client(host, "ntlm").execute_ps("big"))
    assert not had_errors
    assert out.count("\n") == 19999 and len(out) == 20000 * 100 - 1
    assert fleet.stats.hosts["win-big"]["http_requests"] > 10
