"""The Linux collector run for real against fixture roots, its probes aimed at loopback peers.

Roots live in tests/golden/collector_roots (files, /proc/<pid>/cmdline+status, /etc/passwd).
``probe_overrides`` sends every probe host to a loopback listener; the ``*`` entry catches any
host a test did not name, so nothing ever leaves 127.0.0.0/8.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from umcheck import envelope
from umcheck.collectors.invocation import CollectorParams
from umcheck.endpoints import ARC_ENDPOINTS, successor_templates
from umcheck.facts import Facts
from umcheck.packs.successor.migration import migration
from umcheck.rules import RuleContext, evaluate
from umcheck.rules.catalog import LEGACY_RULES as ALL_RULES  # the legacy pack
from umcheck.rules.catalog import select_rules

from .listeners import HttpListener, SilentListener, closed_port, make_tls

ROOTS = Path(__file__).resolve().parents[2] / "golden" / "collector_roots"
SCRIPT = Path(__file__).resolve().parents[3] / "umcheck" / "collectors" / "linux.py"
WS1 = "d6c6a1d2-6a4f-4a2b-9d1e-0123456789ab"
SR_ACCOUNT = "0b2c3d4e-aaaa-4bbb-8ccc-1d2e3f405162"  # the successor roots' worker account (ACCOUNT below)
# facts v2 probes (umcheck/endpoints.py): the Arc hosts, and the worker's own jrds/agentsvc hosts
ARC_TEMPLATES = [{"name": t.name, "template": t.template, "port": t.port, "kind": t.kind}
                 for t in successor_templates("public")]  # fmt: skip
ARC_HOSTS = [e.host for e in ARC_ENDPOINTS["public"]]
HRW2_HOSTS = [f"{SR_ACCOUNT}.jrds.we.azure-automation.net", f"{SR_ACCOUNT}.agentsvc.we.azure-automation.net"]
TLS_HOSTS = [
    "packages.microsoft.com",
    "rhui4-1.microsoft.com",
    "we-jobruntimedata-prod-su1.azure-automation.net",
    *ARC_HOSTS,
    *HRW2_HOSTS,
]


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory):
    ctx, ca = make_tls(tmp_path_factory.mktemp("tls"), TLS_HOSTS)
    http, https, silent = HttpListener(), HttpListener(tls=ctx), SilentListener()
    yield {"http": http, "https": https, "silent": silent, "closed": closed_port(), "ca": ca}
    for p in (http, https, silent):
        p.close()


def healthy_overrides(peers) -> dict[str, str]:
    return {"*": peers["http"].address, **{h: peers["https"].address for h in TLS_HOSTS}}


def collect(
    root: Path, peers, params: CollectorParams | None = None, extra_env: dict[str, str] | None = None
):
    params = params or CollectorParams(probe_timeout=2.0, probe_overrides=healthy_overrides(peers))
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update({"SSL_CERT_FILE": str(peers["ca"]), "NO_PROXY": "*"}, **(extra_env or {}))
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(root), "--params", params.to_blob()],
        capture_output=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    doc = envelope.parse(proc.stdout)
    return doc, Facts.from_dict(doc), time.monotonic() - start, proc.stdout.decode()


def outcomes(facts: Facts) -> dict[str, str]:
    ctx = RuleContext(cloud="public", is_azure=True)
    rows = [evaluate(r, facts, ctx) for r in ALL_RULES if r.os_family == "linux"]
    return {o.RuleId: o.CheckResultMessageId for o in rows if o is not None}


def test_healthy_root_collects_every_section_and_passes_the_rules(peers) -> None:
    doc, facts, _, _ = collect(ROOTS / "healthy", peers)
    assert doc["collector"]["errors"] == [] and facts.missing == {}
    assert facts.host.hostname == "hrw-healthy"
    assert facts.section("os").distro == "ubuntu-20.04"
    assert facts.section("dmi").asset_tag == "7783-7084-3265-9085-8269-3286-77"
    agent = facts.section("oms_agent")
    assert agent.running and agent.conf["WORKSPACE_ID"] == WS1 and agent.log_present
    assert facts.section("workspaces").dirs == [WS1]
    w = facts.section("worker")
    assert (w.manager_running, w.hybridworker_running, w.other_workspace_workers) == (True, True, False)
    assert w.nxautomation_user and w.version == "1.6.10.2"
    assert w.jrds_base_uri == "https://we-jobruntimedata-prod-su1.azure-automation.net"
    mof = facts.section("current_mof")  # this fixture's Current.mof is UTF-16-LE
    assert (mof.workspace_id, mof.updates_enabled, mof.automation_enabled) == (WS1, True, False)
    repos = facts.section("repos")
    assert repos.family == "debian"
    assert repos.urls == [
        "http://azure.archive.ubuntu.com",
        "http://security.ubuntu.com",
        "https://packages.microsoft.com",
    ]
    assert [(p.status, p.ok) for p in repos.probes] == [(200, True)] * 3
    names = {p.name: p for p in facts.probes()}
    assert set(names) == {"agentsvc", "la1", "la2", "jrds", "internet", "imds"}
    assert names["agentsvc"].target == f"{WS1}.agentsvc.azure-automation.net"
    assert names["la1"].target == f"{WS1}.ods.opinsights.azure.com" and names["la1"].workspace == WS1
    assert names["imds"].status == 200 and names["imds"].kind == "http"
    assert all(p.ok for p in facts.probes())
    assert any(b"Metadata: true" in r for r in peers["http"].requests)
    results = outcomes(facts)
    assert results and all(v.endswith(".Passed") for v in results.values()), results


def test_multihomed_root_fails_multihoming(peers) -> None:
    _, facts, _, _ = collect(ROOTS / "multihomed", peers)
    assert len(facts.section("workspaces").dirs) == 2
    assert facts.section("worker").other_workspace_workers is True
    assert outcomes(facts)["Linux.MultiHomingCheck"] == "Linux.MultiHomingCheck.Failed"


def test_worker_stopped_root_fails_hybrid_worker_status(peers) -> None:
    _, facts, _, _ = collect(ROOTS / "worker_stopped", peers)
    w = facts.section("worker")
    assert not w.manager_running and not w.hybridworker_running
    assert outcomes(facts)["Linux.HybridWorkerStatusCheck"] == "Linux.HybridWorkerStatusCheck.Failed"


def test_updates_disabled_root_reports_the_solution_off(peers) -> None:
    _, facts, _, _ = collect(ROOTS / "updates_disabled", peers)
    assert facts.section("current_mof").updates_enabled is False
    assert (outcomes(facts)["Linux.HybridWorkerStatusCheck"]
            == "Linux.HybridWorkerStatusCheck.Failed.UpdateDeploymentDisabled")  # fmt: skip


def test_no_agent_root(peers) -> None:
    _, facts, _, _ = collect(ROOTS / "no_agent", peers)
    assert facts.missing == {}
    assert facts.section("os").id == "rhel"
    assert facts.section("oms_agent").omsadmin_conf_present is False
    assert facts.section("workspaces").base_dir_present is False
    repos = facts.section("repos")  # disabled repo and metalink-only repo are not probed
    assert repos.family == "rhel" and repos.urls == ["https://rhui4-1.microsoft.com"]
    assert repos.probes[0].ok and repos.probes[0].status == 200
    probes = {p.name: p for p in facts.probes()}
    assert "agentsvc" not in probes and "jrds" not in probes
    assert probes["la1"].error == "skipped" and probes["la1"].target == "*.ods.opinsights.azure.com"
    results = outcomes(facts)
    assert results["Linux.OMSAgentInstallCheck"] == "Linux.OMSAgentInstallCheck.Failed"
    assert (
        results["Linux.AgentServiceConnectivityCheck"]
        == "Linux.AgentServiceConnectivityCheck.Failed.UnableToGetEndpoint"
    )


def test_broken_conf_root_keeps_going_and_redacts_the_proxy(peers) -> None:
    doc, facts, _, raw = collect(ROOTS / "broken_conf", peers)
    assert "S3cretPassw0rd" not in raw and "proxyuser" not in raw
    assert facts.section("proxy").agent_proxy == "http://***@proxy.corp.example:3128"
    assert facts.section("oms_agent").conf == {}  # no KEY=VALUE lines in the garbage
    mof = facts.section("current_mof")
    assert mof.has_resource_settings and mof.updates_enabled is None  # malformed JSON: unknown, not a crash
    repos = facts.section("repos")  # deb822 .sources; the "Enabled: no" stanza is skipped
    assert "http://deb.debian.org" in repos.urls and not any("off.example" in u for u in repos.urls)
    imds = [p for p in facts.probes("imds")]
    assert {p.via for p in imds} == {"direct", "proxy"}  # the agent proxy is used for HTTP probes
    assert all(p.ok and p.status == 200 for p in imds)
    assert any(r.startswith(b"GET http://169.254.169.254/") for r in peers["http"].requests)


def test_unreadable_file_becomes_a_section_error(peers, tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(ROOTS / "healthy", root, symlinks=True)
    conf = root / "etc/opt/microsoft/omsagent/conf/omsadmin.conf"
    conf.unlink()
    conf.mkdir()  # reading fails even as root (chmod 000 does not stop root)
    os.chmod(conf, 0)
    try:
        doc, facts, _, _ = collect(root, peers)
    finally:
        os.chmod(conf, 0o755)
    errors = {e["section"]: e["message"] for e in doc["collector"]["errors"]}
    assert set(errors) == {"oms_agent"} and "omsadmin.conf" in errors["oms_agent"]
    assert facts.missing["oms_agent"].startswith("collector error")
    assert facts.section("worker").manager_running  # the other sections still report
    assert outcomes(facts)["Linux.OMSAgentStatusCheck"] == "Linux.OMSAgentStatusCheck.NotEvaluated"


def test_probe_failures_are_classified_and_bounded_in_time(peers) -> None:
    params = CollectorParams(
        endpoints=[{"name": "https", "template": "https://we-jobruntimedata-prod-su1.azure-automation.net", "port": 443, "kind": "https"},
                   {"name": "ods", "template": "{workspace}.ods.opinsights.azure.com", "port": 443, "kind": "tcp"}],
        probe_timeout=1.0,
        sections=["probes"],
        probe_overrides={"*": peers["closed"], "bing.com": peers["http"].address,
                         "we-jobruntimedata-prod-su1.azure-automation.net": peers["silent"].address},
    )  # fmt: skip
    doc, facts, elapsed, _ = collect(ROOTS / "healthy", peers, params)
    assert set(doc["linux"]) == {"probes"}  # only the requested section
    by = {(p.name, p.kind): p for p in facts.probes()}
    assert by[("agentsvc", "tcp")].error == "refused"
    assert by[("internet", "tcp")].ok
    assert by[("jrds", "tcp")].ok  # the silent listener accepts TCP ...
    https = by[("https", "https")]  # ... but never completes the TLS handshake
    assert https.error == "timeout" and not https.ok and 900 <= https.elapsed_ms <= 2500
    assert by[("ods", "tcp")].workspace == WS1 and by[("ods", "tcp")].error == "refused"
    assert elapsed < 1.0 + 3.0  # parallel: about one probe timeout, not the sum


def test_bad_params_exit_2_with_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--params", "%%%"], capture_output=True, timeout=30, check=False
    )
    assert proc.returncode == 2 and proc.stdout == b""
    assert proc.stderr.decode().count("\n") == 1 and "bad arguments" in proc.stderr.decode()


def test_output_is_one_compact_json_line_between_markers(peers) -> None:
    _, _, _, raw = collect(ROOTS / "no_agent", peers)
    lines = raw.splitlines()
    assert lines[0] == envelope.BEGIN and lines[2] == envelope.END and len(lines) == 3
    assert json.loads(lines[1])["collector"]["name"] == "umcheck-linux"


def test_jrds_certificate_thumbprint_is_compared(peers, tmp_path) -> None:
    import hashlib
    import shutil
    import ssl

    root = tmp_path / "root"
    shutil.copytree(ROOTS / "healthy", root, symlinks=True)
    cert_dir = root / "etc/opt/microsoft/omsagent/certs"
    cert_dir.mkdir(parents=True, exist_ok=True)
    pem = peers["ca"].read_text()
    (cert_dir / "oms.crt").write_text(pem)
    thumb = hashlib.sha1(ssl.PEM_cert_to_DER_cert(pem)).hexdigest().upper()
    conf = root / f"var/opt/microsoft/omsagent/{WS1}/state/automationworker/worker.conf"
    original = conf.read_text()

    conf.write_text(original.replace("0123456789ABCDEF0123456789ABCDEF01234567", thumb))
    _, facts, _, _ = collect(root, peers)
    assert facts.section("worker").jrds_cert_thumbprint_matches is True
    assert outcomes(facts)["Linux.HybridWorkerStatusCheck"] == "Linux.HybridWorkerStatusCheck.Passed"

    conf.write_text(original)  # a thumbprint of some other certificate
    _, facts, _, _ = collect(root, peers)
    assert facts.section("worker").jrds_cert_thumbprint_matches is False
    assert outcomes(facts)["Linux.HybridWorkerStatusCheck"] == "Linux.HybridWorkerStatusCheck.Failed"


@pytest.mark.parametrize("status", [407, 502, 504, 403])
def test_the_proxys_own_answers_are_proxy_errors_with_the_status_kept(peers, status: int) -> None:
    """docs/facts.md "Proxy answers": a plain-HTTP request through the proxy that gets 407/502/504
    did not reach the endpoint; any status but 200 to CONNECT is the proxy refusing the tunnel.
    A 403 to a plain-HTTP request may come from the endpoint, so it stays an answer (IMDS then
    still needs a 2xx: Linux.ImdsCheck)."""
    proxy = HttpListener(status=status)
    try:
        params = CollectorParams(
            endpoints=[{"name": "https", "template": "https://we-jobruntimedata-prod-su1.azure-automation.net",
                        "port": 443, "kind": "https"}],
            probe_timeout=2.0,
            sections=["probes"],
            probe_overrides={**healthy_overrides(peers), "proxy.corp.example": proxy.address},
        )  # fmt: skip
        _, facts, _, _ = collect(ROOTS / "broken_conf", peers, params)  # agent proxy proxy.corp.example:3128
    finally:
        proxy.close()
    by = {(p.name, p.via): p for p in facts.probes()}
    imds, tunnel = by[("imds", "proxy")], by[("https", "proxy")]
    assert by[("imds", "direct")].ok and by[("https", "direct")].ok  # the direct path works
    assert tunnel.status == status and tunnel.error == "proxy" and not tunnel.ok
    assert imds.status == status
    if status == 403:
        assert imds.ok and imds.error is None
    else:
        assert imds.error == "proxy" and not imds.ok
    result = outcomes(facts)["Linux.ImdsCheck"]
    assert result == "Linux.ImdsCheck.Passed"  # the direct request got the metadata service's 200


# ------------------------------------------------------------------------------------------
# Facts v2 (the successor pack): roots successor_healthy and arc_troubled (make_roots.py), whose
# systemctl and azcmagent are stand-in scripts inside the root. Sources of each expectation:
# ../shared/reference/successor-readiness.md §2.1 (units, paths), §2.2 (azcmagent show/config,
# the himds 401 + Basic realm challenge), §3.1 (HRW folder, settings, hwd, hweautomation),
# §4.1-§4.2 (patch extension status files), §4.5 (OS auto-update mechanisms).

ACCOUNT = "0b2c3d4e-aaaa-4bbb-8ccc-1d2e3f405162"
ACCOUNT_URL = f"https://{ACCOUNT}.jrds.we.azure-automation.net/automationAccounts/{ACCOUNT}"
HRW_EXT = "Microsoft.Azure.Automation.HybridWorker.HybridWorkerForLinux"
PATCH_EXT = "Microsoft.CPlat.Core.LinuxPatchExtension"
HIMDS_PATH = b"/metadata/identity/oauth2/token?api-version=2020-06-01&resource=https%3A%2F%2Fmanagement.azure.com%2F"
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # the fixtures' heartbeat is 05:58Z, agent 1.65 (2026-06)


@pytest.fixture()
def himds():
    """A live himds answers a token request without the secret with 401 + Basic realm=<key file>."""
    listener = HttpListener(status=401, headers={"WWW-Authenticate": "Basic realm=/var/opt/azcmagent/tokens/k3yf1le.key"})
    yield listener
    listener.close()


def v2_params(peers, himds_address: str, **kw) -> CollectorParams:
    overrides = {**healthy_overrides(peers), "localhost": himds_address, "169.254.169.254": peers["closed"]}
    kw.setdefault("endpoints", ARC_TEMPLATES)
    return CollectorParams(probe_timeout=2.0, probe_overrides=overrides, **kw)


def successor_outcomes(facts: Facts, ctx: RuleContext) -> dict[str, str]:
    rows = [evaluate(r, facts, ctx) for r in select_rules(["pack:successor"], "linux")]
    return {o.RuleId: o.CheckResult for o in rows if o is not None}


def copy_root(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(ROOTS / name, root, symlinks=True)
    return root


def test_successor_healthy_root_is_collected_and_graded_migrated(peers, himds, tmp_path) -> None:
    root = copy_root("successor_healthy", tmp_path)
    status = root / f"var/lib/waagent/{PATCH_EXT}-1.6.48/status"
    os.utime(status / "11.status", (time.time() - 3600, time.time() - 3600))  # the older run's Error
    os.utime(status / "12.status")  # now: both set, whatever mtimes the checkout gave them
    doc, facts, _, raw = collect(root, peers, v2_params(peers, himds.address))
    assert doc["facts_version"] == 2 and facts.facts_version == 2
    assert doc["collector"]["errors"] == [] and facts.missing == {}
    arc = facts.section("arc")
    assert (arc.installed, arc.version, arc.status) == (True, "1.65.03167.1234", "Connected")
    assert arc.last_heartbeat == "2026-12-01T05:58:00Z" and arc.error_code is None and arc.location == "westeurope"
    assert arc.resource_id.endswith("/providers/Microsoft.HybridCompute/machines/arc-healthy")
    assert arc.config == {"connection.type": "direct", "extensions.enabled": "true", "extensions.allowlist": "",
                          "config.mode": "full", "proxy.url": ""}  # fmt: skip
    assert {s.name: (s.present, s.status, s.start_type) for s in arc.services} == {
        "himdsd": (True, "active", "enabled"), "extd": (True, "active", "enabled"), "gcad": (True, "active", "enabled"),
        "arcproxyd": (True, "inactive", "disabled")}  # fmt: skip
    assert (arc.himds.status, arc.himds.basic_realm, arc.himds.error) == (401, True, None)
    assert not arc.msft_arc_test and arc.https_proxy_env is None
    assert "k3yf1le" not in raw  # the realm names the key file: never read, never reported
    req = next(r for r in himds.requests if HIMDS_PATH in r)
    assert req.startswith(b"GET " + HIMDS_PATH) and b"Metadata: true" in req
    assert [s.present for s in facts.section("azure_vm").services] == [False, False]
    ext = {e.name: e for e in facts.section("extensions").items}
    assert set(ext) == {HRW_EXT, PATCH_EXT}  # newest version folder per extension only
    patch = ext[PATCH_EXT]
    assert (patch.version, patch.status, patch.code, patch.message) == ("1.6.48", "success", "0", "Assessment completed")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", patch.status_time)
    assert ext[HRW_EXT].settings_url == ACCOUNT_URL and ext[HRW_EXT].status == "success"
    assert "PROTECTEDSECRETBLOB" not in raw and "protectedSettings" not in raw
    hrw2 = facts.section("hrw2")
    assert hrw2.service.running and hrw2.service.name == "hwd" and hrw2.user_present is True
    updates = facts.section("linux_updates")
    assert (updates.package_manager, updates.python, updates.auto_updates, updates.autoassess_timer) == (
        "apt", ["python3"], [], "active")  # Unattended-Upgrade "0" is off

    ctx = RuleContext(hrw_account_url=ACCOUNT_URL, now=NOW)
    results = successor_outcomes(facts, ctx)
    not_applicable = {"SR.AzVm.GuestAgent"}  # an Arc server, not an Azure VM (IMDS refused, no guest agent)
    assert {k for k, v in results.items() if v != "Passed"} == not_applicable, results
    assert results["SR.AzVm.GuestAgent"] == "NotApplicable"
    rows = [o for o in (evaluate(r, facts, ctx) for r in select_rules(["pack:successor"], "linux")) if o]
    assert migration(rows).state == "Migrated"


def test_arc_troubled_root_fails_the_rules_it_was_built_for(peers, tmp_path) -> None:
    params = CollectorParams(probe_timeout=1.0, probe_overrides={**healthy_overrides(peers), "localhost": peers["closed"]})
    doc, facts, _, raw = collect(ROOTS / "arc_troubled", peers, params)
    assert doc["collector"]["errors"] == []
    assert "Arc0Secret" not in raw and "arcuser" not in raw  # proxy credentials redacted everywhere
    arc = facts.section("arc")
    assert (arc.status, arc.error_code, arc.version) == ("Disconnected", "AZCM0026", "1.50.02854.1")
    assert arc.last_heartbeat == "2026-11-20T08:15:00+00:00"  # "+0000" display form normalised
    assert arc.config["extensions.blocklist"] == "Microsoft.CPlat.Core/LinuxPatchExtension"
    assert arc.config["proxy.url"] == "http://***@proxy.corp.example:3128" and arc.config["incomingconnections.ports"] == "22,3389"
    assert arc.msft_arc_test is True and arc.https_proxy_env == "http://***@proxy.corp.example:3128"
    assert (arc.himds.status, arc.himds.error) == (None, "refused")
    items = facts.section("extensions").items
    assert len(items) == 64  # bounded; Microsoft's extensions are read first
    ext = {e.name: e for e in items}
    assert ext[PATCH_EXT].status == "Error" and ext[PATCH_EXT].code == "51" and len(ext[PATCH_EXT].message) == 500
    assert ext[HRW_EXT].settings_url == "https://not-an-automation-url.example.com/x"  # unversioned settings folder
    assert ext["Contoso.Noise.Ext00"].status is None  # a status file that is not JSON: unknown, not a crash
    hrw2 = facts.section("hrw2")
    assert hrw2.user_present is False and hrw2.service.status == "inactive"
    updates = facts.section("linux_updates")
    assert updates.auto_updates == ["apt: 20auto-upgrades", "zypper: automatic_online_update"]
    assert updates.autoassess_timer == "inactive"

    results = successor_outcomes(facts, RuleContext(now=NOW))
    assert results == {
        "SR.Arc.AgentInstalled": "NotApplicable",  # walinuxagent: an Azure VM
        "SR.Arc.Connected": "Failed", "SR.Arc.Services": "Failed", "SR.Arc.HimdsListening": "Failed",
        "SR.Arc.AgentVersion": "Failed", "SR.Arc.Proxy": "Failed", "SR.Arc.ExtensionPolicy": "Failed",
        "SR.Arc.NotOnAzureVm": "PassedWithWarning",  # MSFT_ARC_TEST=true: evaluation
        "SR.AzVm.GuestAgent": "Passed",
        "SR.Hrw2.ExtensionPresent": "Passed", "SR.Hrw2.Settings": "Failed", "SR.Hrw2.WorkerService": "Failed",
        "SR.Aum.PatchExtensions": "Failed", "SR.Aum.LinuxPrereqs": "Passed", "SR.Aum.LinuxAutoUpdates": "PassedWithWarning",
        "SR.Leg.MmaPresent": "Passed", "SR.Leg.HrwV1Registration": "Passed", "SR.Leg.UpdateManagementActive": "Passed",
        "SR.Arc.OsSupported": "NotApplicable",  # an Azure VM
        "SR.Hrw2.Prereqs": "Passed", "SR.Aum.LinuxRepos": "Passed",
        "SR.Aum.AutoAssessTimer": "PassedWithWarning",  # the timer is inactive
        "SR.Arc.Endpoints": "NotApplicable",  # an Azure VM
        # the settings URL's host (not-an-automation-url.example.com) answers plain HTTP: no TLS
        "SR.Hrw2.Connectivity": "Failed",
    }  # fmt: skip


def test_the_newest_status_file_wins_by_mtime(peers, himds, tmp_path) -> None:
    root = copy_root("successor_healthy", tmp_path)
    status = root / f"var/lib/waagent/{PATCH_EXT}-1.6.48/status"
    os.utime(status / "12.status", (time.time() - 3600, time.time() - 3600))  # 11.status is now the newest
    os.utime(status / "11.status")
    _, facts, _, _ = collect(root, peers, v2_params(peers, himds.address))
    patch = facts.section("extensions").named(PATCH_EXT)[0]
    assert (patch.status, patch.message) == ("error", "an older sequence: not the newest file")


def test_without_systemctl_unit_states_are_unknown_not_errors(peers, himds, tmp_path) -> None:
    root = copy_root("successor_healthy", tmp_path)
    (root / "usr/bin/systemctl").unlink()
    doc, facts, _, _ = collect(root, peers, v2_params(peers, himds.address))
    assert doc["collector"]["errors"] == []
    services = {s.name: s for s in facts.section("arc").services}
    assert services["himdsd"].present and services["himdsd"].status is None  # unit file seen, state unknown
    assert facts.section("hrw2").service.status is None
    assert facts.section("linux_updates").autoassess_timer is None
    results = successor_outcomes(facts, RuleContext(hrw_account_url=ACCOUNT_URL, now=NOW))
    assert results["SR.Arc.Services"] == "Failed"  # not known to run is not running (the rule's call)


def test_v1_roots_have_no_arc_and_run_no_command(peers) -> None:
    doc, facts, _, _ = collect(ROOTS / "healthy", peers)
    arc = facts.section("arc")
    assert not arc.installed and arc.himds is None and arc.version is None
    assert all(not s.present for s in arc.services)
    assert facts.section("extensions").items == []
    assert facts.section("hrw2").user_present is False
    assert facts.section("linux_updates").package_manager is None


def test_requested_sections_only_and_no_himds_probe_without_arc(peers, himds) -> None:
    params = v2_params(peers, himds.address, sections=["linux_updates", "hrw2"])
    doc, _, _, _ = collect(ROOTS / "successor_healthy", peers, params)
    assert set(doc["linux"]) == {"linux_updates", "hrw2"}
    assert not any(HIMDS_PATH in r for r in himds.requests)


def test_a_failing_v2_section_is_that_sections_error_only(peers, himds, tmp_path) -> None:
    root = copy_root("successor_healthy", tmp_path)
    stand_in = root / "opt/azcmagent/bin/azcmagent"
    stand_in.write_text("#!/bin/sh\necho '{\"status\": [1, 2], \"lastHeartbeat\": {}, garbage'\n")
    passwd = root / "etc/passwd"
    passwd.unlink()
    passwd.mkdir()  # unreadable even as root
    doc, facts, _, _ = collect(root, peers, v2_params(peers, himds.address))
    errors = {e["section"] for e in doc["collector"]["errors"]}
    assert "hrw2" in errors and not errors & {"arc", "azure_vm", "extensions", "linux_updates"}
    arc = facts.section("arc")  # unparseable azcmagent output: unknown fields, not a crash
    assert arc.installed and arc.status is None and arc.last_heartbeat is None and arc.config == {}
    assert arc.version is None


def test_v2_sections_do_not_lengthen_a_black_holed_run(peers) -> None:
    """The issue's bound: one probe timeout + 2 s with every endpoint (and himds) hanging; the v2
    sections and their commands run while the probes wait."""
    params = CollectorParams(probe_timeout=1.5, endpoints=ARC_TEMPLATES, probe_overrides={"*": peers["silent"].address})
    doc, facts, elapsed, _ = collect(ROOTS / "successor_healthy", peers, params)
    assert doc["collector"]["errors"] == []
    assert facts.section("arc").himds.error == "timeout"
    assert {"arc", "hrw2"} <= {p.kind for p in facts.probes()}  # the successor probes are in the bound too
    assert all(p.error == "timeout" for p in facts.probes() if p.kind not in ("tcp", "wireserver"))
    assert elapsed < 1.5 + 2.0


# --------------------------------------------------------------------------------------------
# Successor probes (docs/facts.md "Successor probes") and the opt-in azcmagent check


def test_successor_probes_are_inside_the_black_holed_bound(peers, tmp_path) -> None:
    """The bound with the successor probes too: Arc endpoints, WireServer (the root made to look like
    an Azure VM) and the worker's own jrds/agentsvc hosts, every one of them hanging."""
    root = copy_root("successor_healthy", tmp_path)
    (root / "lib/systemd/system/walinuxagent.service").write_text("[Service]\n")
    params = CollectorParams(probe_timeout=1.5, endpoints=ARC_TEMPLATES, probe_overrides={"*": peers["silent"].address})
    doc, facts, elapsed, _ = collect(root, peers, params)
    assert doc["collector"]["errors"] == []
    kinds = {p.kind for p in facts.probes()}
    assert {"arc", "wireserver", "hrw2"} <= kinds and "wu" not in kinds  # WU: the Windows client only
    assert {p.name for p in facts.probes(kind="hrw2")} == {"hrw2_jrds", "hrw2_agentsvc"}
    assert all(p.error == "timeout" for p in facts.probes() if p.kind in ("arc", "hrw2"))  # TLS never completes
    assert all(p.ok for p in facts.probes(kind="wireserver"))  # TCP connect only: the silent listener accepts
    assert elapsed < 1.5 + 2.0


def test_wireserver_is_not_probed_off_azure_and_arc_goes_through_the_agents_proxy(peers, himds, tmp_path) -> None:
    root = copy_root("successor_healthy", tmp_path)
    (root / "etc/environment").write_text('HTTPS_PROXY="http://arcproxy.corp.example:3128"\n')
    params = v2_params(peers, himds.address)
    params = CollectorParams(probe_timeout=2.0, endpoints=ARC_TEMPLATES,
                             probe_overrides={**params.probe_overrides, "arcproxy.corp.example": peers["http"].address})
    _, facts, _, _ = collect(root, peers, params)
    assert facts.probes(kind="wireserver") == []  # an Arc server: no guest agent, no Azure asset tag
    arc = facts.probes(kind="arc")
    assert arc and all(p.via == "proxy" for p in arc)  # the agent's proxy (§2.5), not direct
    assert any(r.startswith(b"CONNECT login.microsoftonline.com:443") for r in peers["http"].requests)


CHECK_STAND_IN = """#!/bin/sh
echo "$*" >> "$UMC_AZCMAGENT_LOG"
case "$1" in
  check) cat <<'EOF2'
{"location": "westeurope", "cloud": "AzureCloud",
 "endpoints": [{"endpoint": "https://gbl.his.arc.azure.com", "reachable": true, "private": false},
               {"endpoint": "https://pas.windows.net", "reachable": false}]}
EOF2
  ;;
  *) exec "$(dirname "$0")/azcmagent.orig" "$@" ;;
esac
"""


def _check_root(tmp_path: Path) -> Path:
    root = copy_root("successor_healthy", tmp_path)
    agent = root / "opt/azcmagent/bin/azcmagent"
    agent.rename(agent.with_name("azcmagent.orig"))
    agent.write_text(CHECK_STAND_IN)
    agent.chmod(0o755)
    return root


def test_azcmagent_check_runs_only_when_asked_and_is_read_tolerantly(peers, himds, tmp_path) -> None:
    """azcmagent-check on Learn: `check -j --location <region>`; the region is the agent's own (show -j).
    Its JSON schema is undocumented: rows are read tolerantly, and never fail a host alone."""
    root = _check_root(tmp_path)
    log = tmp_path / "azcmagent.log"
    env = {"UMC_AZCMAGENT_LOG": str(log)}
    _, facts, _, _ = collect(root, peers, v2_params(peers, himds.address), extra_env=env)
    assert facts.section("arc").check is None and "check" not in log.read_text()  # opt-in only
    log.write_text("")
    _, facts, _, _ = collect(root, peers, v2_params(peers, himds.address, arc_check=True, arc_location="eastus"),
                             extra_env=env)  # fmt: skip
    assert "check -j --location westeurope" in log.read_text().splitlines()  # the agent's region wins
    check = facts.section("arc").check
    assert (check.location, check.exit_code, check.error) == ("westeurope", 0, None)
    assert {(e.endpoint, e.reachable) for e in check.endpoints} == {
        ("https://gbl.his.arc.azure.com", True), ("https://pas.windows.net", False)}  # fmt: skip
    results = successor_outcomes(facts, RuleContext(hrw_account_url=ACCOUNT_URL, now=NOW))
    assert results["SR.Arc.Endpoints"] == "PassedWithWarning"  # umcheck's own probe of pas.windows.net answered
