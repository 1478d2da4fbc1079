"""Regenerates the fixture roots in this directory: python tests/golden/collector_roots/make_roots.py"""

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


def main():
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
