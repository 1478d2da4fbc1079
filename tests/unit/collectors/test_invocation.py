"""Invocation contract: parameter blobs, command lines per transport, recognising a collector run."""

from __future__ import annotations

import base64
import json

import pytest

from umcheck.collectors import invocation
from umcheck.collectors.invocation import CollectorParams, ParamsError


def test_blob_round_trip_is_compact_base64_json() -> None:
    p = CollectorParams(
        endpoints=[
            {
                "name": "agentsvc",
                "template": "{workspace}.agentsvc.azure-automation.net",
                "port": 443,
                "kind": "tcp",
            }
        ],
        probe_timeout=2.5,
        sections=["probes", "services"],
        event_window_hours=6,
        probe_overrides={"bing.com": "127.0.0.1:4443"},
        cloud="usgov",
    )
    blob = p.to_blob()
    assert blob.isascii() and " " not in blob
    doc = json.loads(base64.b64decode(blob))
    assert doc["v"] == 1 and doc["probe_timeout"] == 2.5
    assert CollectorParams.from_blob(blob) == p
    assert CollectorParams.from_blob("") == CollectorParams()


@pytest.mark.parametrize(
    ("blob", "needle"),
    [
        ("not base64!", "not base64"),
        (base64.b64encode(b"{nope").decode(), "does not decode"),
        (base64.b64encode(b"[1,2]").decode(), "not a JSON object"),
        (base64.b64encode(b'{"probe_timeout": "5"}').decode(), "probe_timeout"),
        (base64.b64encode(b'{"probe_timeout": 0}').decode(), "probe_timeout"),
        (base64.b64encode(b'{"endpoints": [{"name": 1}]}').decode(), "endpoints"),
        (base64.b64encode(b'{"sections": "probes"}').decode(), "sections"),
        (base64.b64encode(b'{"probe_overrides": {"a": 1}}').decode(), "probe_overrides"),
        (base64.b64encode(b'{"event_window_hours": true}').decode(), "event_window_hours"),
        (base64.b64encode(b'{"cloud": "mars"}').decode(), "cloud"),
    ],
)
def test_bad_blobs_raise_one_line_params_errors(blob: str, needle: str) -> None:
    with pytest.raises(ParamsError) as err:
        CollectorParams.from_blob(blob)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_linux_invocation_runs_python_from_stdin() -> None:
    p = CollectorParams(probe_timeout=1.0)
    inv = invocation.linux(p)
    assert inv.command == f"python3 - --params {p.to_blob()}"
    assert inv.stdin == invocation.script_text("linux.py").encode()
    assert inv.os_family == "linux"
    assert invocation.linux(p, become=True).command.startswith("sudo -n python3 - --params ")


def test_extract_params_recognises_every_transport_form() -> None:
    p = CollectorParams(sections=["os"], probe_overrides={"*": "127.0.0.1:1"})
    win = invocation.windows_winrm(p)
    psrp = invocation.windows_psrp(p)
    lin = invocation.linux(p)
    assert invocation.extract_params(win.command, win.stdin) == p
    assert invocation.extract_params(win.command, win.stdin.decode()) == p
    assert invocation.extract_params(invocation.psrp_text(psrp.script, psrp.parameters), None) == p
    assert invocation.extract_params(lin.command, lin.stdin) == p
    assert invocation.extract_params(invocation.linux(p, become=True).command, lin.stdin) == p
    # The scripts run by hand (no parameters) are still collector runs, with default params.
    assert (
        invocation.extract_params("python3 linux.py", invocation.script_text("linux.py")) == CollectorParams()
    )


@pytest.mark.parametrize(
    ("command", "stdin"),
    [
        ("hostname", None),
        ("powershell -encodedcommand " + base64.b64encode("Get-Date".encode("utf-16-le")).decode(), None),
        ("python3 -", b"print('hi')"),
        ("", None),
    ],
)
def test_other_commands_are_not_collector_runs(command: str, stdin: bytes | None) -> None:
    assert not invocation.is_collector_invocation(command, stdin)
    assert invocation.extract_params(command, stdin) is None


def test_a_malformed_blob_in_a_collector_run_raises() -> None:
    inv = invocation.linux(CollectorParams())
    with pytest.raises(ParamsError):
        invocation.extract_params("python3 - --params e30=====", inv.stdin)


def test_params_for_builds_endpoints_from_the_plan_and_sections_from_rules() -> None:
    from umcheck.endpoints import plan_endpoints
    from umcheck.rules.base import RuleSpec

    p = invocation.params_for(None, "public", "westeurope", None, 3.0, {"*": "127.0.0.1:1"})
    names = [e["name"] for e in p.endpoints]
    assert names == [t.name for t in plan_endpoints("public", "westeurope").templates]
    jrds = next(e for e in p.endpoints if e["name"] == "jrds")
    assert jrds == {
        "name": "jrds",
        "template": "we-jobruntimedata-prod-su1.azure-automation.net",
        "port": 443,
        "kind": "tcp",
    }
    assert p.sections is None and p.probe_timeout == 3.0 and p.cloud == "public"
    rule = RuleSpec(
        "X", "g", "G", "n", "d", "linux", ("X.Passed",), lambda f, c: None, needs=("probes", "oms_agent")
    )
    assert invocation.params_for([rule]).sections == ["oms_agent", "probes"]
    assert invocation.params_for([], "usgov").cloud == "usgov"
