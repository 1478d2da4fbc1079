"""The collector invocation, exactly as umcheck builds it, answered with the host's facts over every transport."""

from __future__ import annotations

import asyncio

import asyncssh

from umcheck import envelope
from umcheck.collectors import invocation as inv
from umcheck.facts import V2_SECTIONS, Facts
from umcheck.packs.successor.migration import BLOCKED, MIGRATED, READY, UNKNOWN, migration
from umcheck.rules.base import RuleContext
from umcheck.rules.catalog import evaluate_host
from umcheck.sim.collector import CollectorRequest, facts_document
from umcheck.sim.machines import STATES, Machine
from umcheck.sim.probes import default_templates

from .conftest import PASSWORD, USER, in_thread, spec, winrm_session

PARAMS = inv.params_for(location="westeurope", account_id="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")


def _winrs_collect(host, params=PARAMS):
    i = inv.windows_winrm(params)
    p = winrm_session(host, "ntlm").protocol
    shell = p.open_shell()
    cid = p.run_command(shell, i.command, console_mode_stdin=False)
    p.send_command_input(shell, cid, i.stdin, end=True)
    out, err, rc = p.get_command_output(shell, cid)
    p.cleanup_command(shell, cid)
    p.close_shell(shell)
    return out, rc


def _psrp_collect(host, params=PARAMS):
    from pypsrp.powershell import PowerShell, RunspacePool
    from pypsrp.wsman import WSMan

    i = inv.windows_psrp(params)
    wsman = WSMan(host.address, port=host.ports["winrm_http"], username=USER, password=PASSWORD, ssl=False,
                  auth="ntlm", connection_timeout=5, read_timeout=10, operation_timeout=4)  # fmt: skip
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_script(i.script)
        for name, value in i.parameters:
            ps.add_parameter(name, value)
        output = ps.invoke()
    return "\n".join(str(o) for o in output), ps.had_errors


async def test_winrs_collector_run_returns_the_hosts_facts(make_fleet):
    fleet = await make_fleet([spec("win-tls", states=("tls12_disabled",))])
    out, rc = await in_thread(_winrs_collect, fleet.hosts[0])
    facts = Facts.from_dict(envelope.parse(out))
    assert rc == 0 and facts.os_family == "windows" and facts.host.hostname == "win-tls"
    assert facts.missing == {}
    assert facts.section("tls").client_enabled == 0
    probes = {(p.name, p.via) for p in facts.probes()}
    assert {("agentsvc", "direct"), ("https", "proxy"), ("https", "direct"), ("jrds_recorded", "direct")} <= probes
    assert fleet.stats["collector_runs"] == 1


async def test_psrp_collector_honours_sections(make_fleet):
    fleet = await make_fleet([spec("win-ps", "psrp", states=("healthservice_stopped",))])
    params = inv.CollectorParams(endpoints=PARAMS.endpoints, sections=["services", "probes"])
    out, had_errors = await in_thread(_psrp_collect, fleet.hosts[0], params)
    facts = Facts.from_dict(envelope.parse(out))
    assert not had_errors
    assert facts.section("services").health_service.status == "Stopped"
    assert set(facts.missing) == {"os", "dotnet", "powershell", "tls", "workspaces", "agent_events",
                                  "system_worker", "hrw", "machine_keys", "windows_update", "proxy",
                                  "arc", "azure_vm", "extensions", "hrw2"}  # fmt: skip


async def test_ssh_collector_with_blocked_endpoints(make_fleet):
    fleet = await make_fleet([spec("lnx-blocked", "ssh", states=("endpoints_blocked",))])
    host = fleet.hosts[0]
    i = inv.linux(PARAMS)
    async with asyncssh.connect(host.address, host.port, username=USER, password=PASSWORD,
                                known_hosts=str(fleet.known_hosts), connect_timeout=5) as conn:  # fmt: skip
        r = await asyncio.wait_for(conn.run(i.command, input=i.stdin.decode()), 15)
    facts = Facts.from_dict(envelope.parse(r.stdout))
    assert r.exit_status == 0 and facts.os_family == "linux" and facts.missing == {}
    by_name = {p.name: p for p in facts.probes()}
    assert not by_name["agentsvc"].ok and by_name["agentsvc"].error == "timeout"
    assert by_name["internet"].ok and by_name["imds"].ok


async def test_invalid_json_fault_breaks_only_the_document(make_fleet):
    fleet = await make_fleet([spec("win-bad", faults=("invalid_json",))])
    out, rc = await in_thread(_winrs_collect, fleet.hosts[0])
    assert rc == 0 and envelope.BEGIN.encode() in out
    try:
        envelope.parse(out)
    except envelope.EnvelopeError as exc:
        assert "not valid JSON" in str(exc)
    else:
        raise AssertionError("broken JSON parsed")


def test_every_state_yields_loadable_facts_and_the_promised_rule_result():
    """Each named state loads cleanly and changes exactly the rule outcomes it is named after."""
    ctx = RuleContext(location="westeurope", is_azure=True)
    expected = {  # state -> a rule message id it must produce
        ("windows", "tls12_disabled"): "TlsVersionCheck.Failed.ExplicitlyDisabled",
        ("windows", "healthservice_stopped"): "MonitoringAgentServiceRunningCheck.Failed",
        ("windows", "wuauserv_disabled"): "WUServiceRunningCheck.Failed",
        ("windows", "no_workspace"): "LinkedWorkspaceCheck.Failed.NoWorkspace",
        ("windows", "worker_stopped"): "SystemHybridRunbookWorkerRunningCheck.Failed",
        ("windows", "endpoints_blocked"): "AutomationAgentServiceConnectivityCheck1.Failed",
        ("windows", "old_os"): "OperatingSystemCheck.Failed",
        ("windows", "missing_dotnet"): "DotNetFrameworkInstalledCheck.Failed",
        ("windows", "wsus"): "WSUSServerConfigured.PassedWithWarning",
        ("windows", "auto_reboot_keys"): "AlwaysAutoRebootCheck.PassedWithWarning",
        ("windows", "machinekeys_denied"): "CryptoRsaMachineKeysFolderAccessCheck.Failed",
        ("windows", "not_configured"): "MonitoringAgentServiceRunningCheck.Failed",
        ("windows", "proxy_error_page"): "IMDSConnectivity.Failed",
        ("windows", "proxy_denies_tunnel"): "HttpsConnection.PassedWithWarning",
        ("windows", "proxy_auth_required"): "IMDSConnectivity.Failed",
        ("linux", "multihomed"): "Linux.MultiHomingCheck.Failed",
        ("linux", "worker_stopped"): "Linux.HybridWorkerStatusCheck.Failed",
        ("linux", "agent_missing"): "Linux.OMSAgentInstallCheck.Failed",
        ("linux", "repos_blocked"): "Linux.ReposAccessCheck.Failed",
        ("linux", "old_os"): "Linux.OperatingSystemCheck.Failed",
        # successor states seen by the legacy pack
        ("windows", "wsus_misconfigured"): "WSUSServerConfigured.PassedWithWarning",
        ("windows", "os_auto_updates"): "AutomaticUpdateCheck.PassedWithWarning",
        ("windows", "migrated"): "MonitoringAgentServiceRunningCheck.Failed",
        ("linux", "linux_repos_unreachable"): "Linux.ReposAccessCheck.Failed",
        ("linux", "migrated"): "Linux.OMSAgentInstallCheck.Failed",
    }
    for os_family, states in STATES.items():
        for state in states:
            facts = _facts(os_family, state)
            assert facts.missing == {}, (state, facts.missing)
            assert facts.facts_version == 2
            ids = {o.CheckResultMessageId for o in evaluate_host(facts, ctx, ["pack:legacy"]) if o.CheckResult != "Passed"}
            if state == "healthy":
                assert ids == set(), (os_family, ids)
            elif (os_family, state) in expected:
                assert expected[(os_family, state)] in ids, (os_family, state, ids)


def _facts(os_family: str, state: str, version: int = 2) -> Facts:
    m = Machine("h", os_family, (state,))
    doc = facts_document(m, CollectorRequest(None, default_templates(m) if os_family == "windows" else None))
    if version == 1:
        doc["facts_version"] = 1
        for section in V2_SECTIONS:
            doc[os_family].pop(section, None)
    return Facts.from_dict(doc)


# Successor states (docs/simulator.md "Successor states"): the successor message id each one is named
# after, and the migration grade (docs/readiness.md "Migration readiness"). The context is a scan's
# whose inventory says nothing about Azure: the host's own facts decide (Arc states are off Azure).
SUCCESSOR_CTX = RuleContext(location="westeurope")
SUCCESSOR_EXPECTED: dict[str, str] = {
    "arc_connected": "SR.Arc.Connected.Passed",
    "arc_disconnected": "SR.Arc.Connected.Failed",
    "arc_expired": "SR.Arc.AgentVersion.Failed",
    "himds_stopped": "SR.Arc.HimdsListening.Failed",
    "extension_policy_blocking": "SR.Arc.ExtensionPolicy.Failed",
    "hrw2_healthy": "SR.Hrw2.WorkerService.Passed",
    "hrw2_stopped": "SR.Hrw2.WorkerService.Failed",
    "hrw2_stale_registration": "SR.Hrw2.Registration.PassedWithWarning",
    "wsus_misconfigured": "SR.Aum.WsusConfig.Failed",
    "legacy_mma_reporting": "SR.Leg.MmaPresent.Failed",
    "v1_and_v2_side_by_side": "SR.Leg.HrwV1Registration.PassedWithWarning",
    "os_auto_updates": "SR.Aum.AutoUpdatePolicy.PassedWithWarning",  # Linux: SR.Aum.LinuxAutoUpdates
    "migrated": "SR.Aum.PatchExtensions.Passed",
    "healthy": "SR.Aum.PatchExtensions.PassedWithWarning",  # the legacy worker: Update Manager never ran
    "not_azure": "SR.Arc.AgentInstalled.Failed",  # not onboarded to Arc yet
    "arc_endpoints_blocked": "SR.Arc.Endpoints.Failed",
    "wu_endpoints_blocked": "SR.Aum.WuEndpoints.Failed",
    "wireserver_blocked": "SR.AzVm.GuestAgent.Failed",
    "hrw2_unreachable": "SR.Hrw2.Connectivity.Failed",
}
MIGRATION_EXPECTED: dict[str, str] = {  # every state not listed here: Ready to migrate
    "arc_disconnected": BLOCKED, "arc_expired": BLOCKED, "himds_stopped": BLOCKED, "extension_policy_blocking": BLOCKED,
    "hrw2_stopped": BLOCKED, "wsus_misconfigured": BLOCKED, "wuauserv_disabled": BLOCKED, "migrated": MIGRATED,
    # SR.Aum.LinuxRepos: no repository answers. (old_os is an Azure VM: SR.Arc.OsSupported is NotApplicable)
    "repos_blocked": BLOCKED, "linux_repos_unreachable": BLOCKED,
    "arc_endpoints_blocked": BLOCKED, "wu_endpoints_blocked": BLOCKED, "wireserver_blocked": BLOCKED,
    "hrw2_unreachable": BLOCKED,
}  # fmt: skip


def test_every_successor_state_yields_its_rule_and_migration_grade():
    for os_family, states in STATES.items():
        for state in states:
            outcomes = evaluate_host(_facts(os_family, state), SUCCESSOR_CTX, ["pack:successor"])
            ids = {o.CheckResultMessageId for o in outcomes}
            want = SUCCESSOR_EXPECTED.get(state)
            if os_family == "linux" and state == "os_auto_updates":
                want = "SR.Aum.LinuxAutoUpdates.PassedWithWarning"
            if want:
                assert want in ids, (os_family, state, sorted(ids))
            grade = migration(outcomes)
            assert grade.state == MIGRATION_EXPECTED.get(state, READY), (os_family, state, grade)
            if grade.state == BLOCKED:
                failed = {o.RuleId for o in outcomes if o.CheckResult == "Failed"}
                assert set(grade.blockers) <= failed and grade.blockers
    assert not {"NotEvaluated"} & {o.CheckResult for o in evaluate_host(_facts("linux", "healthy"), SUCCESSOR_CTX)}


def test_successor_states_leave_the_legacy_rules_alone():
    """The v2 sections are invisible to the legacy pack: the same host read as facts v1 grades the same,
    and a v1 document of it gives the migration grade Unknown."""
    ctx = RuleContext(location="westeurope", is_azure=True)
    for os_family, states in STATES.items():
        for state in states:
            legacy = [(o.CheckResultMessageId, o.CheckResultMessageArguments) for o in
                      evaluate_host(_facts(os_family, state), ctx, ["pack:legacy"])]  # fmt: skip
            v1 = [(o.CheckResultMessageId, o.CheckResultMessageArguments) for o in
                  evaluate_host(_facts(os_family, state, version=1), ctx, ["pack:legacy"])]  # fmt: skip
            assert legacy == v1, (os_family, state)
    assert migration(evaluate_host(_facts("windows", "migrated", version=1), ctx)).state == UNKNOWN
