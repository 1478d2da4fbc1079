"""The successor pack's probe plan and the opt-in ``azcmagent check`` flag, from the CLI to the
params blob (docs/facts.md "Successor probes", docs/successor.md "Network checks")."""

from __future__ import annotations

import argparse

import pytest

from umcheck.collectors.invocation import CollectorParams, ParamsError, extract_params, params_for
from umcheck.endpoints import (
    ARC_ENDPOINTS,
    WIRESERVER,
    WU_HOSTS,
    arc_endpoint,
    plan_endpoints,
    successor_templates,
)
from umcheck.inventory.connection import ConnectionSettings
from umcheck.plan import RunOptions, target_for


@pytest.mark.parametrize("cloud", ["public", "usgov", "china"])
def test_every_cloud_plans_arc_wu_and_wireserver_probes(cloud: str) -> None:
    by_kind: dict[str, list] = {}
    for t in successor_templates(cloud):
        by_kind.setdefault(t.kind, []).append(t)
    assert [t.template for t in by_kind["arc"]] == [f"https://{e.host}" for e in ARC_ENDPOINTS[cloud]]
    assert [t.template for t in by_kind["wu"]] == [f"https://{h}" for h in WU_HOSTS]
    assert {(t.template, t.port) for t in by_kind["wireserver"]} == {(WIRESERVER, 80), (WIRESERVER, 32526)}
    assert "hrw2" not in by_kind  # the worker's hosts are known on the host only
    # network-requirements: login and PAS are required in every cloud; inferred hosts never are
    required = {e.name for e in ARC_ENDPOINTS[cloud] if e.required}
    assert {"arc_login", "arc_pas"} <= required
    assert all(not e.required for e in ARC_ENDPOINTS[cloud] if e.basis == "I")
    assert arc_endpoint(cloud, "arc_arm") is not None and not arc_endpoint(cloud, "arc_arm").required


def test_the_plan_carries_the_successor_templates_after_the_legacy_ones() -> None:
    plan = plan_endpoints("public", "westeurope")
    kinds = [t.kind for t in plan.templates]
    assert kinds.index("arc") > max(i for i, k in enumerate(kinds) if k in ("tcp", "https", "http"))
    params = params_for(None, "public", "westeurope")
    assert CollectorParams.from_blob(params.to_blob()) == params  # the new kinds pass the border check


def test_arc_check_is_off_unless_asked_and_its_region_is_a_plain_name() -> None:
    assert not params_for(None, "public", "westeurope").arc_check
    p = params_for(None, "public", "West Europe", arc_check=True)
    assert (p.arc_check, p.arc_location) == (True, "westeurope")
    back = CollectorParams.from_blob(p.to_blob())
    assert back.arc_check and back.arc_location == "westeurope"
    assert params_for(None, "public", "west-europe; rm", arc_check=True).arc_location is None
    for bad in ({"arc_check": "yes"}, {"arc_check": True, "arc_location": "west europe"},
                {"arc_check": True, "arc_location": "x --cloud y"}):  # fmt: skip
        with pytest.raises(ParamsError):
            CollectorParams.from_dict(bad)


def _settings(os_family: str) -> ConnectionSettings:
    return ConnectionSettings(name="h", host="127.0.0.1", connection="ssh" if os_family == "linux" else "winrm",
                              os=os_family, automation_account_location="westeurope")  # fmt: skip


@pytest.mark.parametrize("os_family", ["windows", "linux"])
def test_run_option_arc_check_reaches_the_collector_params(os_family: str) -> None:
    for flag in (False, True):
        inv = target_for(_settings(os_family), RunOptions(arc_check=flag)).invocation
        params = extract_params(inv.command or "", inv.stdin) if inv.script is None else CollectorParams.from_blob(
            dict(inv.parameters)["ParamsBlob"])
        assert params is not None and params.arc_check is flag
        assert params.arc_location == ("westeurope" if flag else None)


def test_scan_flag_arc_check_is_parsed_and_defaults_off() -> None:
    from umcheck.commands import scan as scan_command

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    scan_command.register(sub)
    assert parser.parse_args(["scan", "-i", "inv.ini"]).arc_check is False
    assert parser.parse_args(["scan", "-i", "inv.ini", "--arc-check"]).arc_check is True


def _linux_collector():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "umcheck" / "collectors" / "linux.py"
    spec = importlib.util.spec_from_file_location("umcheck_linux_collector", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("doc", "rows"),
    [
        ({"endpoints": [{"url": "https://pas.windows.net", "status": "Reachable"},
                        {"Endpoint": "gbl.his.arc.azure.com", "isReachable": False, "privateEndpoint": True}]},
         [("https://pas.windows.net", True, None), ("gbl.his.arc.azure.com", False, True)]),
        ({"checks": {"https://login.microsoftonline.com": True, "https://management.azure.com": "failed"}},
         [("https://login.microsoftonline.com", True, None), ("https://management.azure.com", False, None)]),
        ([{"name": "proxy", "status": "ok"}, {"host": "agentserviceapi.guestconfiguration.azure.com"}], []),
        ({"status": "Connected", "location": "westeurope"}, []),
    ],
)
def test_azcmagent_check_rows_are_read_tolerantly(doc, rows) -> None:
    """Its schema is undocumented [U]: rows need an endpoint-like text (a dot) and a reachable-like value."""
    got = [(r["endpoint"], r["reachable"], r["private"]) for r in _linux_collector().parse_arc_check(doc)]
    assert got == rows


def test_the_windows_offline_defaults_match_the_plan() -> None:
    """windows.ps1 run by hand (no params) probes what the controller would plan for the public cloud."""
    import re

    from umcheck.collectors.invocation import script_text

    text = script_text("windows.ps1")
    fn = text[text.index("function Get-UmcDefaultEndpoints"):text.index("function Get-UmcSuccessorProxies")]
    arc = re.findall(r"@\('(arc_\w+)', '([\w.]+)'\)", fn)
    assert arc == [(e.name, e.host) for e in ARC_ENDPOINTS["public"] if e.required]
    assert all(f"'{h}'" in fn for h in WU_HOSTS) and f"'{WIRESERVER}'; port = 80" in fn and "port = 32526" in fn
