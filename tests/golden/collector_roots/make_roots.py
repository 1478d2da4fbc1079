"""Regenerates the fixture roots in this directory: python tests/golden/collector_roots/make_roots.py"""

import json
import os
import shutil
from pathlib import Path

OUT = Path(__file__).resolve().parent
WS1 = "d6c6a1d2-6a4f-4a2b-9d1e-0123456789ab"
WS2 = "f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f"
MOD = "opt/microsoft/omsconfig/modules/nxOMSAutomationWorker"
CFGPY = MOD + "/DSCResources/MSFT_nxOMSAutomationWorkerResource/automationworker/worker/configuration.py"


def w(root, rel, data):
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    p.write_bytes(data)


def proc(root, pid, uid, argv):
    w(root, f"proc/{pid}/cmdline", b"\0".join(a.encode() for a in argv) + b"\0")
    w(
        root,
        f"proc/{pid}/status",
        f"Name:\t{os.path.basename(argv[0])[:15]}\nState:\tS (sleeping)\nPid:\t{pid}\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n",
    )


def omsadmin(ws, extra=""):
    return (
        f"WORKSPACE_ID={ws}\nAGENT_GUID=5f1e9a3c-1111-4222-8333-944455556666\nLOG_FACILITY=local0\n"
        f"CERTIFICATE_UPDATE_ENDPOINT=https://{ws}.oms.opinsights.azure.com/ConfigurationService.Svc/RenewCertificate\n"
        f"URL_TLD=opinsights.azure.com\n"
        f"DSC_ENDPOINT=https://{ws}.agentsvc.azure-automation.net/Accounts/{ws}/Nodes\\(AgentId='5f1e9a3c-1111-4222-8333-944455556666'\\)\n"
        f"OMS_ENDPOINT=https://{ws}.ods.opinsights.azure.com/OperationalData.svc/PostJsonDataItems\n"
        f"AZURE_RESOURCE_ID=\nOMSCLOUD_ID=7783-7084-3265-9085-8269-3286-77\nUUID=0A1B2C3D-0000-1111-2222-333344445555\n"
        + extra
    )


def mof(ws, updates=True):
    settings = (
        '[{{\\"WorkspaceId\\":\\"{}\\",\\"AzureDnsAgentSvcZone\\":\\"azure-automation.net\\",'
        '\\"Solutions\\":{{\\"Updates\\":{{\\"Enabled\\":{}}},\\"AzureAutomation\\":{{\\"Enabled\\":false}}}}}}]'.format(
            ws, "true" if updates else "false"
        )
    )
    return (
        "/*\n@TargetNode='localhost'\n*/\n"
        "instance of MSFT_nxOMSAutomationWorkerResource as $MSFT_nxOMSAutomationWorkerResource1ref\n{\n"
        ' ResourceID = "[nxOMSAutomationWorker]AutomationWorker";\n'
        f' ResourceSettings = "{settings}";\n'
        ' ModuleName = "nxOMSAutomationWorker";\n ModuleVersion = "1.0";\n};\n'
    )


def worker_conf(ws):
    return (
        "[worker-required]\naccount_id = 0b2c3d4e-aaaa-4bbb-8ccc-1d2e3f405162\n"
        "jrds_base_uri = https://we-jobruntimedata-prod-su1.azure-automation.net\n"
        f"jrds_cert_path = /var/opt/microsoft/omsagent/{ws}/certs/oms.crt\n"
        "jrds_cert_thumbprint = 0123456789ABCDEF0123456789ABCDEF01234567\n"
        f"worker_type = auto-registered\nworkspace_id = {ws}\n"
    )


PASSWD = (
    "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "omsagent:x:998:997:OMS agent:/var/opt/microsoft/omsagent/run:/bin/bash\n"
    "nxautomation:x:997:996:nxOMSAutomation:/home/nxautomation/run:/bin/bash\n"
)
UBUNTU = 'NAME="Ubuntu"\nVERSION="20.04.6 LTS (Focal Fossa)"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 20.04.6 LTS"\nVERSION_ID="20.04"\n'
SOURCES = (
    "# See sources.list(5)\ndeb http://azure.archive.ubuntu.com/ubuntu/ focal main restricted\n"
    "deb http://azure.archive.ubuntu.com/ubuntu/ focal-updates main restricted\n"
    "# deb http://commented.example.invalid/ubuntu focal main\n"
    "deb [arch=amd64] http://security.ubuntu.com/ubuntu focal-security main\n"
)
MSPROD = "deb [arch=amd64,arm64,armhf] https://packages.microsoft.com/ubuntu/20.04/prod focal main\n"


def agent(root, wss, primary, *, workers=True, other_ws_worker=False, mof_utf16=False, updates=True):
    w(root, "etc/hostname", "hrw-{}\n".format(root.name.replace("_", "-")))
    w(root, "etc/os-release", UBUNTU)
    w(root, "etc/passwd", PASSWD)
    w(root, "etc/apt/sources.list", SOURCES)
    w(root, "etc/apt/sources.list.d/microsoft-prod.list", MSPROD)
    w(root, "sys/class/dmi/id/chassis_asset_tag", "7783-7084-3265-9085-8269-3286-77\n")
    w(root, "etc/opt/microsoft/omsagent/conf/omsadmin.conf", omsadmin(primary))
    w(root, "var/opt/microsoft/omsagent/log/omsagent.log", "2024-05-01 10:00:00 +0000 [info]: starting\n")
    for ws in wss:
        w(root, f"var/opt/microsoft/omsagent/{ws}/log/omsagent.log", "started\n")
        w(
            root,
            f"var/opt/microsoft/omsagent/{ws}/state/automationworker/oms.conf",
            f"[oms-metadata]\nworkspace_id = {ws}\n",
        )
        w(root, f"var/opt/microsoft/omsagent/{ws}/state/automationworker/worker.conf", worker_conf(ws))
    w(root, f"{MOD}/VERSION", "1.6.10.2\n")
    w(root, CFGPY, "# configuration module (fixture)\n")
    text = mof(primary, updates)
    w(
        root,
        "etc/opt/omi/conf/omsconfig/configuration/Current.mof",
        b"\xff\xfe" + text.encode("utf-16-le") if mof_utf16 else text,
    )
    proc(root, 1, 0, ["/sbin/init", "splash"])
    proc(root, 612, 0, ["/usr/sbin/sshd", "-D"])
    for i, ws in enumerate(wss):
        proc(
            root,
            1001 + i,
            998,
            [
                "/opt/microsoft/omsagent/ruby/bin/ruby",
                "/opt/microsoft/omsagent/bin/omsagent",
                "-d",
                f"/var/opt/microsoft/omsagent/{ws}/run/omsagent.pid",
                "-o",
                f"/var/opt/microsoft/omsagent/{ws}/log/omsagent.log",
                "-c",
                f"/etc/opt/microsoft/omsagent/{ws}/conf/omsagent.conf",
            ],
        )
    base = "/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/DSCResources/MSFT_nxOMSAutomationWorkerResource/automationworker"
    if workers:
        proc(
            root,
            2001,
            997,
            [
                "python",
                f"{base}/worker/main.py",
                "/var/opt/microsoft/omsagent/state/automationworker/oms.conf",
                f"rworkspace:{primary}",
                "1.6.10.2",
            ],
        )
        proc(
            root,
            2002,
            997,
            [
                "python",
                f"{base}/worker/hybridworker.py",
                "/var/opt/microsoft/omsagent/state/automationworker/worker.conf",
                "managed",
                f"rworkspace:{primary}",
                "rversion:1.6.10.2",
            ],
        )
    if other_ws_worker:
        other = next(x for x in wss if x != primary)
        proc(
            root,
            2101,
            997,
            [
                "python",
                f"{base}/worker/main.py",
                "/var/opt/microsoft/omsagent/state/automationworker/oms.conf",
                f"rworkspace:{other}",
                "1.6.10.2",
            ],
        )


# ------------------------------------------------------------------------------------------
# Facts v2 roots: an Arc-onboarded host on the successor stack, and one with everything wrong.
# Commands are stand-in shell scripts inside the root (the collector runs tools by absolute path
# under --root): usr/bin/systemctl answers is-active/is-enabled from a table, opt/azcmagent/bin/
# azcmagent prints canned `show -j` / `config list -j` / `version` output. The `show -j` keys
# beyond status/lastHeartbeat are not documented (successor-readiness.md §2.2, §8): these use
# camelCase forms of the documented display names.
ACCOUNT = "0b2c3d4e-aaaa-4bbb-8ccc-1d2e3f405162"
ACCOUNT_URL = f"https://{ACCOUNT}.jrds.we.azure-automation.net/automationAccounts/{ACCOUNT}"
HRW = "Microsoft.Azure.Automation.HybridWorker.HybridWorkerForLinux"
PROTECTED = "MIIBsQYJKoZIhvcNAQcDoIIBojPROTECTEDSECRETBLOB"


def script(root, rel, text):
    w(root, rel, text)
    os.chmod(root / rel, 0o755)


def systemctl(root, units):
    """units: {unit: (is-active, is-enabled)}; unknown units answer like systemd does."""
    cases = "".join(
        f"  is-active:{u}) echo {a}; [ {a} = active ] && exit 0; exit 3;;\n"
        f"  is-enabled:{u}) echo {e}; case {e} in enabled|static|indirect|alias) exit 0;; esac; exit 1;;\n"
        for u, (a, e) in units.items()
    )
    script(root, "usr/bin/systemctl",
           "#!/bin/sh\n# umcheck test stand-in for systemctl: read-only queries from a fixed table\n"
           f'case "$1:$2" in\n{cases}'
           '  is-active:*) echo inactive; exit 3;;\n'
           '  is-enabled:*) echo "Failed to get unit file state for $2: No such file or directory" >&2; exit 1;;\n'
           '  *) echo "stand-in: unsupported $*" >&2; exit 64;;\nesac\n')  # fmt: skip
    for u in units:
        w(root, f"lib/systemd/system/{u}", f"[Unit]\nDescription={u} (fixture)\n")


def azcmagent(root, show, config, version):
    script(root, "opt/azcmagent/bin/azcmagent",
           "#!/bin/sh\n# umcheck test stand-in for azcmagent: canned read-only output\n"
           'case "$*" in\n'
           f"  'show -j') cat <<'EOF'\n{json.dumps(show, indent=2)}\nEOF\n  ;;\n"
           f"  'config list -j') cat <<'EOF'\n{json.dumps(config, indent=2)}\nEOF\n  ;;\n"
           f"  version) echo 'azcmagent version {version}' ;;\n"
           '  *) echo "stand-in: unsupported $*" >&2; exit 64;;\nesac\n')  # fmt: skip


def status_file(root, ext_dir, seq, status, code, message):
    doc = [{"version": 1.0, "timestampUTC": "2026-12-01T05:40:00Z",
            "status": {"name": ext_dir.split("-")[0], "operation": "Assessment", "status": status, "code": code,
                       "formattedMessage": {"lang": "en-US", "message": message}, "substatus": []}}]  # fmt: skip
    w(root, f"var/lib/waagent/{ext_dir}/status/{seq}.status", json.dumps(doc))


def settings_file(root, rel, url):
    doc = {"runtimeSettings": [{"handlerSettings": {
        "protectedSettingsCertThumbprint": "A1B2C3D4E5F60718293A4B5C6D7E8F9011223344",
        "protectedSettings": PROTECTED, "publicSettings": {"AutomationAccountURL": url}}}]}  # fmt: skip
    w(root, rel, json.dumps(doc))


def successor_base(root, hostname):
    w(root, "etc/hostname", hostname + "\n")
    w(root, "etc/os-release", UBUNTU.replace("20.04.6 LTS (Focal Fossa)", "22.04.4 LTS (Jammy Jellyfish)")
      .replace('"20.04"', '"22.04"').replace("Ubuntu 20.04.6", "Ubuntu 22.04.4"))  # fmt: skip
    w(root, "etc/apt/sources.list", SOURCES.replace("focal", "jammy"))
    for b in ("usr/bin/apt-get", "usr/bin/python3"):
        script(root, b, "#!/bin/sh\nexit 0\n")
    proc(root, 1, 0, ["/sbin/init"])


def successor_healthy(root):
    """Arc-onboarded, connected, patch + worker extensions healthy, no legacy leftovers."""
    successor_base(root, "arc-healthy")
    w(root, "etc/passwd", PASSWD.split("omsagent")[0]
      + "hweautomation:x:996:995:Hybrid worker:/home/hweautomation:/bin/bash\n")  # fmt: skip
    w(root, "etc/apt/apt.conf.d/20auto-upgrades",
      'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "0";\n')  # fmt: skip
    systemctl(root, {"himdsd.service": ("active", "enabled"), "extd.service": ("active", "enabled"),
                     "gcad.service": ("active", "enabled"), "arcproxyd.service": ("inactive", "disabled"),
                     "hwd.service": ("active", "enabled"), "MsftLinuxPatchAutoAssess.timer": ("active", "enabled")})  # fmt: skip
    azcmagent(root, show={
        "resourceName": "arc-healthy", "resourceGroupName": "rg-arc", "subscriptionId": "11111111-2222-4333-8444-555555555555",
        "resourceId": "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg-arc/providers/Microsoft.HybridCompute/machines/arc-healthy",
        "tenantId": "99999999-8888-4777-8666-555555555555", "location": "westeurope", "cloud": "AzureCloud",
        "agentVersion": "1.65.03167.1234", "status": "Connected", "lastHeartbeat": "2026-12-01T05:58:00Z",
        "agentErrorCode": "", "agentErrorDetails": "", "agentErrorTimestamp": "", "httpsProxy": "",
        "dependentServices": {"himds": {"serviceName": "himdsd", "status": "running"},
                              "extensionservice": {"serviceName": "extd", "status": "running"}},
    }, config={"LocalSettings": [{"Key": "connection.type", "Value": "direct"},
                                  {"Key": "extensions.enabled", "Value": True},
                                  {"Key": "extensions.allowlist", "Value": []},
                                  {"Key": "config.mode", "Value": "full"},
                                  {"Key": "proxy.url", "Value": ""}]},
       version="1.65.03167.1234")  # fmt: skip
    patch = "Microsoft.CPlat.Core.LinuxPatchExtension-1.6.48"
    status_file(root, "Microsoft.CPlat.Core.LinuxPatchExtension-1.6.40", 3, "error", 1, "old version: ignored")
    status_file(root, patch, 11, "error", 1, "an older sequence: not the newest file")
    status_file(root, patch, 12, "success", 0, "Assessment completed")
    hrw = f"{HRW}-1.1.13"
    status_file(root, hrw, 0, "success", 0, "Enable succeeded")
    settings_file(root, f"var/lib/waagent/{hrw}/config/0.settings", ACCOUNT_URL)
    w(root, f"var/lib/waagent/{hrw}/mrseq", "0\n")
    w(root, "var/lib/waagent/Microsoft.Azure.Automation.HybridWorker.HybridWorkerForLinux/README", "settings folder\n")
    w(root, "var/lib/waagent/waagent_status.json", "{}\n")  # files beside the folders are not extensions
    # git keeps no mtimes: equal mtimes fall back to the higher sequence number (12 over 11);
    # test_linux_collector sets mtimes itself where it tests "newest".


def arc_troubled(root):
    """Arc on an Azure VM (MSFT_ARC_TEST), disconnected, old agent, a service down, the patch
    extension blocked and failing, OS auto-updates on, the worker user missing."""
    successor_base(root, "arc-troubled")
    w(root, "etc/passwd", PASSWD.split("omsagent")[0])
    w(root, "etc/environment", 'PATH="/usr/local/sbin:/usr/bin"\nMSFT_ARC_TEST=true\n')
    w(root, "lib/systemd/system.conf.d/proxy.conf",
      '[Manager]\nDefaultEnvironment="https_proxy=http://arcuser:Arc0Secret@proxy.corp.example:3128"\n')  # fmt: skip
    w(root, "etc/apt/apt.conf.d/20auto-upgrades",
      'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n')  # fmt: skip
    w(root, "etc/sysconfig/automatic_online_update", 'AOU_ENABLE_CRONJOB="true"\n')
    systemctl(root, {"himdsd.service": ("active", "enabled"), "extd.service": ("failed", "enabled"),
                     "gcad.service": ("inactive", "disabled"), "walinuxagent.service": ("active", "enabled"),
                     "hwd.service": ("inactive", "enabled"), "MsftLinuxPatchAutoAssess.timer": ("inactive", "disabled")})  # fmt: skip
    azcmagent(root, show={
        "status": "Disconnected", "lastHeartbeat": "2026-11-20 08:15:00 +0000",
        "agentErrorCode": "AZCM0026", "agentErrorDetails": "Network Error: could not reach login.microsoftonline.com",
        "location": "eastus",
    }, config={"extensions.blocklist": ["Microsoft.CPlat.Core/LinuxPatchExtension"], "connection.type": "gateway",
               "proxy.url": "http://arcuser:Arc0Secret@proxy.corp.example:3128", "proxy.bypass": ["Arc"],
               "incomingconnections.ports": [22, 3389]},
       version="1.50.02854.1")  # fmt: skip
    patch = "Microsoft.CPlat.Core.LinuxPatchExtension-1.6.48"
    status_file(root, patch, 2, "Error", 51, "Package manager on machine is not healthy. " + "x" * 2000)
    hrw = f"{HRW}-1.1.13"
    status_file(root, hrw, 0, "transitioning", 0, "Enabling")
    # settings in the unversioned settings folder (successor-readiness.md §3.1)
    settings_file(root, f"var/lib/waagent/{HRW}/0.settings", "https://not-an-automation-url.example.com/x")
    for i in range(80):  # more folders than the collector reads
        w(root, f"var/lib/waagent/Contoso.Noise.Ext{i:02d}-1.0.{i}/status/0.status", "not json")


def main():
    for name in ("successor_healthy", "arc_troubled"):
        shutil.rmtree(OUT / name, ignore_errors=True)
    successor_healthy(OUT / "successor_healthy")
    arc_troubled(OUT / "arc_troubled")
    for name in ("healthy", "multihomed", "worker_stopped", "updates_disabled", "no_agent", "broken_conf"):
        shutil.rmtree(OUT / name, ignore_errors=True)
    agent(OUT / "healthy", [WS1], WS1, mof_utf16=True)
    agent(OUT / "multihomed", [WS1, WS2], WS1, other_ws_worker=True)
    agent(OUT / "worker_stopped", [WS1], WS1, workers=False)
    agent(OUT / "updates_disabled", [WS1], WS1, updates=False)
    r = OUT / "no_agent"
    w(r, "etc/hostname", "plain-rhel8\n")
    w(
        r,
        "etc/os-release",
        'NAME="Red Hat Enterprise Linux"\nVERSION="8.9 (Ootpa)"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="8.9"\nPRETTY_NAME="Red Hat Enterprise Linux 8.9 (Ootpa)"\n',
    )
    w(r, "etc/passwd", PASSWD.split("omsagent")[0])
    w(
        r,
        "etc/yum.repos.d/rh-cloud.repo",
        "[rhui-rhel-8-for-x86_64-baseos-rhui-rpms]\nname=Red Hat Enterprise Linux 8 for x86_64 - BaseOS from RHUI (RPMs)\n"
        "baseurl=https://rhui4-1.microsoft.com/pulp/repos/content/dist/rhel8/rhui/$releasever/x86_64/baseos/os\n"
        "enabled=1\ngpgcheck=1\n\n[rhui-disabled]\nname=disabled\nbaseurl=http://disabled.example.invalid/repo\nenabled=0\n\n"
        "[epel]\nname=EPEL\nmetalink=https://mirrors.fedoraproject.org/metalink?repo=epel-8&arch=$basearch\nenabled=1\n",
    )
    proc(r, 1, 0, ["/usr/lib/systemd/systemd", "--switched-root", "--system"])
    r = OUT / "broken_conf"
    agent(r, [WS1], WS1)
    w(
        r,
        "etc/opt/microsoft/omsagent/conf/omsadmin.conf",
        b"\x00\x01garbage without keys\n=novalue\n\xff\xfe\n",
    )
    w(
        r,
        "etc/opt/omi/conf/omsconfig/configuration/Current.mof",
        'instance of X\n{\n ResourceSettings = "[{\\"WorkspaceId\\": broken json";\n};\n',
    )
    w(r, "etc/opt/microsoft/omsagent/proxy.conf", "http://proxyuser:S3cretPassw0rd@proxy.corp.example:3128\n")
    w(r, "etc/os-release", 'NAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\n')
    (r / "etc/apt/sources.list.d/microsoft-prod.list").unlink()
    w(
        r,
        "etc/apt/sources.list.d/debian.sources",
        "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n"
        "Types: deb\nURIs: http://off.example.invalid/debian\nSuites: bookworm\nEnabled: no\n",
    )


main()
