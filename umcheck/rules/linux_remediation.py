"""Linux remediation by message id (rules reference §5.2), looked up by ``remediation.remediation_for``.

Commands are text shown in reports for an operator to run; umcheck never executes them.
Every failing Linux message id has an entry; the most specific id wins.
"""

from __future__ import annotations

from umcheck.results import Remediation

_LEARN = "https://learn.microsoft.com/azure"
LINUX_DOC = f"{_LEARN}/automation/troubleshoot/update-agent-issues-linux"
OS_REQUIREMENTS = f"{_LEARN}/automation/update-management/operating-system-requirements"
AGENT_LINUX = f"{_LEARN}/azure-monitor/agents/agent-linux"
AGENT_TROUBLESHOOT = f"{_LEARN}/azure-monitor/agents/agent-linux-troubleshoot"
OMS_TROUBLESHOOTING = "https://github.com/microsoft/OMS-Agent-for-Linux/blob/master/docs/Troubleshooting.md"
LOG_COLLECTOR = "https://github.com/microsoft/OMS-Agent-for-Linux/blob/master/tools/LogCollector/OMS_Linux_Agent_Log_Collector.md"
HRW_TROUBLESHOOT = f"{_LEARN}/automation/troubleshoot/hybrid-runbook-worker"
NETWORK = f"{_LEARN}/automation/automation-network-configuration"
NETWORK_SHORT = "https://aka.ms/aumv1networkconf"
DNS_RECORDS = f"{_LEARN}/automation/how-to/automation-region-dns-records"
IMDS = f"{_LEARN}/virtual-machines/instance-metadata-service"
RHUI = (
    f"{_LEARN}/virtual-machines/workloads/redhat/redhat-rhui#troubleshoot-connection-problems-to-azure-rhui"
)

_CONFIG_PULL = (
    "sudo su omsagent -c 'python /opt/microsoft/omsconfig/Scripts/PerformRequiredConfigurationChecks.py'"
)
_HIDE_USERINFO = "sed -E 's#//[^@/]*@#//***@#'"  # show proxy URLs without user:password
_WORKER_PS = "ps -u nxautomation -o pid=,args= | grep -E 'worker/(main|hybridworker)\\.py'"


def _sh(summary: str, commands: list[str], verify: str | None, links: list[str]) -> Remediation:
    return Remediation(summary=summary, commands=commands, shell="sh", verify=verify, links=links)


def _tcp(setup: list[str], host: str, summary: str, links: list[str]) -> Remediation:
    """A TCP 443 test like the official one; ``setup`` sets the shell variables ``host`` uses."""
    return _sh(
        summary,
        [*setup, f'timeout 10 bash -c "</dev/tcp/{host}/443" && echo reachable'],
        "The test prints 'reachable'. Behind a proxy test through it instead: "
        f"curl -x <proxy> -sS -o /dev/null -w '%{{http_code}}\\n' https://{host}/",
        links,
    )


_WS = "WS=$(sudo awk -F= '/^WORKSPACE_ID=/{print $2}' /etc/opt/microsoft/omsagent/conf/omsadmin.conf)"
_LA_HOSTS = {
    1: ("$WS.ods.opinsights.azure.com", "usge-jobruntimedata-prod-1.usgovtrafficmanager.net"),
    2: ("$WS.oms.opinsights.azure.com", "usge-agentservice-prod-1.usgovtrafficmanager.net"),
    3: ("$WS.ods.opinsights.azure.us", None),
    4: ("$WS.oms.opinsights.azure.us", None),
}


def _la(n: int) -> Remediation:
    host, gov = _LA_HOSTS[n]
    if gov:
        summary = (
            f"Allow {host.replace('$WS', '<workspaceId>')} on TCP 443 (azure.cn in China). "
            f"In US Gov check {n} is the Automation endpoint {gov}: allow that (and *.azure-automation.us) instead."
        )
    else:
        summary = f"Allow the Log Analytics endpoint {host.replace('$WS', '<workspaceId>')} on TCP 443 (US Gov only check)."
    return _tcp([_WS], host, summary, [NETWORK, AGENT_TROUBLESHOOT])


LINUX_REMEDIATION: dict[str, Remediation] = {
    "Linux.OperatingSystemCheck.Failed": _sh(
        "Move the machine to a distribution and version Update Management supports (x64 only).",
        ["cat /etc/os-release"],
        "ID and VERSION_ID name a supported release (Ubuntu 14.04-20.04, RHEL/CentOS/Oracle 6-8, SLES 12/15).",
        [OS_REQUIREMENTS],
    ),
    "Linux.DmidecodeCheck.Failed": _sh(
        "On an Azure VM without the Azure asset tag, reboot the VM so it re-registers; on other machines this check does not apply.",
        ["sudo dmidecode -s chassis-asset-tag", "sudo reboot"],
        "sudo dmidecode -s chassis-asset-tag prints 7783-7084-3265-9085-8269-3286-77.",
        [LINUX_DOC],
    ),
    "Linux.OMSAgentInstallCheck.Failed": _sh(
        "Install the Log Analytics agent for Linux and onboard it to the workspace linked to Update Management.",
        ["ls -l /etc/opt/microsoft/omsagent/conf/omsadmin.conf /var/opt/microsoft/omsagent/log/omsagent.log"],
        "omsadmin.conf and omsagent.log exist.",
        [AGENT_LINUX, OMS_TROUBLESHOOTING],
    ),
    "Linux.OMSAgentStatusCheck.Failed": _sh(
        "Restart the Log Analytics agent; if it keeps stopping, read its log.",
        ["sudo /opt/microsoft/omsagent/bin/service_control restart", "sudo tail -n 50 /var/opt/microsoft/omsagent/log/omsagent.log"],
        "ps aux | grep [o]msagent shows the omsagent process.",
        [AGENT_TROUBLESHOOT, OMS_TROUBLESHOOTING],
    ),
    "Linux.MultiHomingCheck.Failed": _sh(
        "The agent reports to several workspaces: purge it and reinstall it against the one workspace linked to Update Management.",
        ["ls /var/opt/microsoft/omsagent", "sudo /opt/microsoft/omsagent/bin/omsadmin.sh -l"],
        "Exactly one workspace directory remains under /var/opt/microsoft/omsagent.",
        [f"{AGENT_TROUBLESHOOT}#purge-and-reinstall-the-linux-agent"],
    ),
    "Linux.MultiHomingCheck.Failed.NoWorkspace": _sh(
        "The agent is not connected to any workspace: onboard it to the workspace linked to Update Management (purge and reinstall if onboarding fails).",
        ["sudo /opt/microsoft/omsagent/bin/omsadmin.sh -l"],
        "One workspace directory exists under /var/opt/microsoft/omsagent.",
        [f"{AGENT_TROUBLESHOOT}#purge-and-reinstall-the-linux-agent", AGENT_LINUX],
    ),
    "Linux.HybridWorkerPackgeCheck.Failed": _sh(
        "The worker module has not been downloaded: force the agent's configuration pull.",
        [_CONFIG_PULL],
        "/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/VERSION exists.",
        [LINUX_DOC],
    ),
    "Linux.HybridWorkerStatusCheck.Failed": _sh(
        "The system hybrid worker is not running: force the configuration pull; if it still fails, run the agent log collector. "
        "A failing operations (JRDS) endpoint can also cause this.",
        [_CONFIG_PULL, _WORKER_PS],
        "worker/main.py (oms.conf) and worker/hybridworker.py (worker.conf managed) run as user nxautomation.",
        [f"{HRW_TROUBLESHOOT}#oms-agent-not-running", LOG_COLLECTOR],
    ),
    "Linux.HybridWorkerStatusCheck.Failed.MissingCurrentMofFile": _sh(
        "The DSC configuration never arrived: force the configuration pull; if omsconfig.log says "
        "'The specified class does not exist', reinstall the agent with onboard_agent.sh.",
        [_CONFIG_PULL, "sudo grep -i 'class does not exist' /var/opt/microsoft/omsconfig/omsconfig.log"],
        "/etc/opt/omi/conf/omsconfig/configuration/Current.mof exists.",
        [f"{HRW_TROUBLESHOOT}#class-does-not-exist", LINUX_DOC],
    ),
    "Linux.HybridWorkerStatusCheck.Failed.UpdateDeploymentDisabled": _sh(
        "The Updates solution is not enabled for this machine: enable Update Management for it "
        "(add it to the solution's scope configuration), then force the configuration pull.",
        [_CONFIG_PULL],
        "Current.mof ResourceSettings shows Solutions.Updates.Enabled true and the worker processes start.",
        [LINUX_DOC],
    ),
    "Linux.ProxyCheck.Failed": _sh(
        "The configured proxy blocks required endpoints: allow the Update Management URLs through it, or remove the proxy.",
        [f"env | grep -i _proxy | {_HIDE_USERINFO}", f"sudo {_HIDE_USERINFO} /etc/opt/microsoft/omsagent/proxy.conf"],
        "The agent service, JRDS and Log Analytics endpoints answer through the proxy.",
        [NETWORK_SHORT, NETWORK],
    ),
    "Linux.ImdsCheck.Failed": _sh(
        "On an Azure VM, allow direct access to 169.254.169.254 and exclude it from any proxy (no_proxy).",
        ["curl -sS --noproxy '*' -m 5 -H 'Metadata: true' 'http://169.254.169.254/metadata/instance?api-version=2018-02-01' -o /dev/null -w '%{http_code}\\n'"],
        "The request returns HTTP 200.",
        [IMDS],
    ),
    "Linux.InternetConnectionCheck.Failed": _sh(
        "General internet access is blocked; this may be ignored when the required URLs are allow-listed.",
        ["timeout 10 bash -c '</dev/tcp/bing.com/443' && echo reachable"],
        "The required endpoint checks pass.",
        [NETWORK],
    ),
    "Linux.AgentServiceConnectivityCheck.Failed": _tcp(
        ["HOST=$(sudo grep -m1 agentsvc /etc/opt/microsoft/omsagent/conf/omsadmin.conf | cut -d/ -f3)"],
        "$HOST",
        "Allow the registration (agent service) endpoint from omsadmin.conf on TCP 443 (*.azure-automation.net, .us, .cn).",
        [NETWORK],
    ),
    "Linux.AgentServiceConnectivityCheck.Failed.UnableToGetEndpoint": _sh(
        "omsadmin.conf has no agent service endpoint: re-onboard the agent to the workspace.",
        ["sudo grep -E 'DSC_ENDPOINT|WORKSPACE_ID' /etc/opt/microsoft/omsagent/conf/omsadmin.conf"],
        "omsadmin.conf has a DSC_ENDPOINT line.",
        [AGENT_LINUX, NETWORK],
    ),
    "Linux.JRDSConnectivityCheck.Failed": _tcp(
        [_WS, "HOST=$(sudo grep -m1 jrds_base_uri /var/opt/microsoft/omsagent/$WS/state/automationworker/worker.conf | cut -d/ -f3)"],
        "$HOST",
        "Allow the operations (JRDS) endpoint recorded in worker.conf on TCP 443 (*.azure-automation.net, .us, .cn).",
        [NETWORK, DNS_RECORDS],
    ),
    "Linux.JRDSConnectivityCheck.Failed.UnableToGetEndpoint": _sh(
        "worker.conf has no JRDS URI: the system worker was never registered; fix the hybrid worker status first.",
        ["sudo grep jrds_base_uri /var/opt/microsoft/omsagent/*/state/automationworker/worker.conf"],
        "worker.conf has a jrds_base_uri line.",
        [f"{HRW_TROUBLESHOOT}#oms-agent-not-running", NETWORK],
    ),
    **{f"Linux.LogAnalyticsConnectivityCheck{n}.Failed": _la(n) for n in (1, 2, 3, 4)},
    "Linux.ReposAccessCheck.Failed": _sh(
        "Allow the package repositories (RHEL on Azure: the RHUI servers) and refresh the package lists to confirm.",
        ["sudo apt-get update  # Debian/Ubuntu", "sudo yum check-update  # RHEL/CentOS/Oracle", "sudo zypper --non-interactive refresh  # SUSE"],
        "The refresh completes without network errors.",
        [RHUI, LINUX_DOC],
    ),
}  # fmt: skip
