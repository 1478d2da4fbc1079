"""The Linux collector run for real against fixture roots, its probes aimed at loopback peers.

Roots live in tests/golden/collector_roots (files, /proc/<pid>/cmdline+status, /etc/passwd).
``probe_overrides`` sends every probe host to a loopback listener; the ``*`` entry catches any
host a test did not name, so nothing ever leaves 127.0.0.0/8.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from umcheck import envelope
from umcheck.collectors.invocation import CollectorParams
from umcheck.facts import Facts
from umcheck.rules import ALL_RULES, RuleContext, evaluate

from .listeners import HttpListener, SilentListener, closed_port, make_tls

ROOTS = Path(__file__).resolve().parents[2] / "golden" / "collector_roots"
SCRIPT = Path(__file__).resolve().parents[3] / "umcheck" / "collectors" / "linux.py"
WS1 = "d6c6a1d2-6a4f-4a2b-9d1e-0123456789ab"
TLS_HOSTS = [
    "packages.microsoft.com",
    "rhui4-1.microsoft.com",
    "we-jobruntimedata-prod-su1.azure-automation.net",
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
