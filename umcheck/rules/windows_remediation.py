"""Windows remediation texts, keyed by message id (``remediation_for`` falls back to shorter prefixes).

Commands are PowerShell text for the report, run by an administrator on the host; umcheck never
executes them. Every failing or warning id of the Windows rules has an entry.
"""

from __future__ import annotations

from umcheck.results import Remediation

_DOCS = "https://learn.microsoft.com/azure"
_UM_TROUBLESHOOT = f"{_DOCS}/automation/troubleshoot/update-agent-issues"
_HRW_TROUBLESHOOT = f"{_DOCS}/automation/troubleshoot/hybrid-runbook-worker"
_NETWORK = f"{_DOCS}/automation/automation-network-configuration"
_HRW_NETWORK = f"{_DOCS}/automation/automation-hybrid-runbook-worker#network-planning"
_DNS_RECORDS = f"{_DOCS}/automation/how-to/automation-region-dns-records"
_AGENT_TROUBLESHOOT = f"{_DOCS}/azure-monitor/agents/agent-windows-troubleshoot"
_WUAGENT = f"{_DOCS}/automation/update-management/configure-wuagent"
_TLS_LINKS = [
    f"{_DOCS}/azure-monitor/agents/agent-windows#configure-agent-to-use-tls-12",
    "https://learn.microsoft.com/windows-server/security/tls/tls-registry-settings#tls-12",
    "https://support.microsoft.com/help/4019276",
]

_TLS_COMMANDS = [
    "$tls = 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2'",
    "foreach ($side in 'Client', 'Server') {",
    '    New-Item -Path "$tls\\$side" -Force | Out-Null',
    '    New-ItemProperty -Path "$tls\\$side" -Name Enabled -Value 1 -PropertyType DWord -Force | Out-Null',
    '    New-ItemProperty -Path "$tls\\$side" -Name DisabledByDefault -Value 0 -PropertyType DWord -Force | Out-Null',
    "}",
    "foreach ($net in 'HKLM:\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319',"
    " 'HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319') {",
    "    New-ItemProperty -Path $net -Name SchUseStrongCrypto -Value 1 -PropertyType DWord -Force | Out-Null",
    "}",
    "# SCHANNEL changes take effect after a reboot: schedule one in a maintenance window",
]
_TLS_VERIFY = "Re-run umcheck; Get-ItemProperty on the TLS 1.2 Client and Server keys shows Enabled=1, DisabledByDefault=0."


def _tcp(host_hint: str, extra: str = "") -> tuple[list[str], str]:
    return (
        [f"Test-NetConnection -ComputerName {host_hint} -Port 443", "netsh winhttp show proxy"],
        f"Test-NetConnection {host_hint} -Port 443 reports TcpTestSucceeded : True{extra}.",
    )


_AGENTSVC_CMDS, _AGENTSVC_VERIFY = _tcp("<workspaceId>.agentsvc.azure-automation.net")
_JRDS_CMDS, _JRDS_VERIFY = _tcp("<JRDS host from the finding>")
_LA_VERIFY = "the agent's heartbeat appears in Log Analytics: Heartbeat | where Computer == '<name>' | top 1 by TimeGenerated"

_LINKED_WORKSPACE = Remediation(
    summary="Connect the agent to exactly one workspace with the Updates solution: the one linked to the Automation account.",
    commands=[
        "$mma = New-Object -ComObject 'AgentConfigManager.MgmtSvcCfg'",
        "$mma.GetCloudWorkspaces() | Select-Object workspaceId",
        "# none listed: connect the workspace linked to the Automation account (key from the portal):",
        "$mma.AddCloudWorkspace('<workspaceId>', '<workspaceKey>'); $mma.ReloadConfiguration()",
        "# remove a workspace that should not be there, then apply:",
        "$mma.RemoveCloudWorkspace('<workspaceId>'); $mma.ReloadConfiguration()",
        "Restart-Service HealthService  # logs event 1210 again with the solutions in scope",
    ],
    verify="Event 1210 in the 'Operations Manager' log lists 'updates;' for the workspace, and " + _LA_VERIFY,
    links=[f"{_AGENT_TROUBLESHOOT}#connectivity-issues", _UM_TROUBLESHOOT],
)

_LA_ENDPOINT = Remediation(
    summary="Allow the Log Analytics endpoints (*.ods.opinsights / *.oms.opinsights on TCP 443) through firewall and proxy.",
    commands=[
        "Test-NetConnection -ComputerName <workspaceId>.ods.opinsights.azure.com -Port 443",
        "Test-NetConnection -ComputerName <workspaceId>.oms.opinsights.azure.com -Port 443",
        "& 'C:\\Program Files\\Microsoft Monitoring Agent\\Agent\\TestCloudConnection.exe'",
        "Get-WinEvent -LogName 'Operations Manager' -MaxEvents 200 |"
        " Where-Object Id -in 2133, 2129, 2138, 2127, 4000, 4001, 4002",
        "# with reason NoRegistrationFound / MultipleWorkspaces no probe ran: fix LinkedWorkspaceCheck first",
    ],
    verify=_LA_VERIFY[0].upper() + _LA_VERIFY[1:],
    links=[_AGENT_TROUBLESHOOT, _NETWORK],
)

WINDOWS_REMEDIATION: dict[str, Remediation] = {
    "OperatingSystemCheck.Failed": Remediation(
        summary="Move the workload to a supported Windows Server version (2008 R2 or later).",
        commands=["[Environment]::OSVersion.Version"],
        verify="The version is 6.1.7600 or later.",
        links=[f"{_DOCS}/automation/update-management/operating-system-requirements"],
    ),
    "DotNetFrameworkInstalledCheck.Failed": Remediation(
        summary="Install .NET Framework 4.6.2 or later and reboot.",
        commands=[
            "Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full' -Name Release"
        ],
        verify="Release is 394802 or greater.",
        links=["https://dotnet.microsoft.com/download/dotnet-framework/net462"],
    ),
    "WindowsManagementFrameworkInstalledCheck.PassedWithWarning": Remediation(
        summary="Install Windows Management Framework 5.1 (Windows PowerShell 5.1), recommended for Update Management.",
        commands=["powershell.exe -NoProfile -Command '$PSVersionTable.PSVersion.ToString()'"],
        verify="Windows PowerShell (powershell.exe, not pwsh) reports 5.1 or later.",
        links=["https://www.microsoft.com/download/details.aspx?id=54616"],
    ),
    "WindowsManagementFrameworkInstalledCheck.Failed": Remediation(
        summary="Install Windows Management Framework 5.1; this Windows PowerShell is too old for the worker.",
        commands=["powershell.exe -NoProfile -Command '$PSVersionTable.PSVersion.ToString()'"],
        verify="Windows PowerShell (powershell.exe, not pwsh) reports 5.1 or later.",
        links=["https://www.microsoft.com/download/details.aspx?id=54616"],
    ),
    "AutomationAgentServiceConnectivityCheck1.Failed": Remediation(
        summary="Allow the workspace's Automation agent service endpoint (TCP 443) through firewall and proxy.",
        commands=_AGENTSVC_CMDS,
        verify=_AGENTSVC_VERIFY,
        links=[_NETWORK, _HRW_NETWORK],
    ),
    "AutomationAgentServiceConnectivityCheck1.Failed.NoRegistrationFound": Remediation(
        summary="No single Update Management workspace was found: fix the workspace link first (see LinkedWorkspaceCheck).",
        commands=_LINKED_WORKSPACE.commands,
        verify=_LINKED_WORKSPACE.verify,
        links=[f"{_AGENT_TROUBLESHOOT}#connectivity-issues", _NETWORK],
    ),
    "AutomationJobRuntimeDataServiceConnectivityCheck.Failed": Remediation(
        summary="Allow the Automation job runtime data service (JRDS) endpoint (TCP 443) through firewall and proxy.",
        commands=_JRDS_CMDS,
        verify=_JRDS_VERIFY,
        links=[_DNS_RECORDS, _NETWORK],
    ),
    "MonitoringAgentServiceRunningCheck.Failed": Remediation(
        summary="Start the Microsoft Monitoring Agent service; reinstall the Log Analytics agent if it is missing.",
        commands=["Get-Service HealthService", "Start-Service HealthService"],
        verify="Get-Service HealthService shows Status Running.",
        links=[f"{_HRW_TROUBLESHOOT}#mma-not-running", f"{_DOCS}/azure-monitor/agents/agent-windows"],
    ),
    "SystemHybridRunbookWorkerRunningCheck.Failed": Remediation(
        summary="Make the agent re-register the system Hybrid Runbook Worker (this also drops a user worker registration: re-add it).",
        commands=[
            "Remove-Item -Path 'HKLM:\\SOFTWARE\\Microsoft\\HybridRunbookWorker' -Recurse -Force",
            "Restart-Service HealthService",
            "# still nothing? force a configuration download:",
            "Stop-Service HealthService",
            "Remove-Item 'C:\\Program Files\\Microsoft Monitoring Agent\\Agent\\Health Service State' -Recurse -Force",
            "Start-Service HealthService",
        ],
        verify="A new event 15003 appears in 'Microsoft-SMA/Operational'.",
        links=[f"{_HRW_TROUBLESHOOT}#corrupt-cache", f"{_HRW_TROUBLESHOOT}#already-registered"],
    ),
    "MonitoringAgentServiceEventsCheck.Failed.EventFound": Remediation(
        summary="Event 4502 usually means a proxy/firewall block or TLS inspection: allow *.azure-automation.net on TCP 443 and bypass HTTPS inspection for it.",
        commands=[
            "Get-WinEvent -FilterHashtable @{LogName='Operations Manager'; Id=4502; StartTime=(Get-Date).AddDays(-1)} |"
            " Select-Object -First 5 TimeCreated, Message | Format-List",
            "Get-WinEvent -LogName 'Microsoft-SMA/Operational' -MaxEvents 50 | Where-Object Level -le 3",
        ],
        verify="No new Hybrid Worker event 4502 in the last 24 hours.",
        links=[f"{_HRW_TROUBLESHOOT}#event-4502", _NETWORK],
    ),
    "MonitoringAgentServiceEventsCheck.Failed.NoLog": Remediation(
        summary="The Log Analytics agent is not installed or never ran: install it and connect it to the workspace.",
        commands=["Get-WinEvent -ListLog 'Operations Manager'", "Get-Service HealthService"],
        verify="The 'Operations Manager' event log exists and HealthService is running.",
        links=[f"{_DOCS}/azure-monitor/agents/agent-windows"],
    ),
    "LinkedWorkspaceCheck.Failed": _LINKED_WORKSPACE,
    "LinkedWorkspaceCheck.Failed.NoWorkspace": _LINKED_WORKSPACE,
    "LinkedWorkspaceCheck.PassedWithWarning": _LINKED_WORKSPACE,
    "CryptoRsaMachineKeysFolderAccessCheck.Failed": Remediation(
        summary="Grant SYSTEM Modify (or Full Control) on the RSA MachineKeys folder and remove Deny entries that hit it.",
        commands=[
            "$dir = 'C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys'",
            "(Get-Acl $dir).Access | Format-Table IdentityReference, AccessControlType, FileSystemRights",
            "$acl = Get-Acl $dir",
            "$system = New-Object System.Security.Principal.SecurityIdentifier 'S-1-5-18'",
            "$acl.AddAccessRule((New-Object System.Security.AccessControl.FileSystemAccessRule($system, 'Modify', 'Allow')))",
            "Set-Acl -Path $dir -AclObject $acl",
        ],
        verify="(Get-Acl <folder>).Access lists an Allow entry for NT AUTHORITY\\SYSTEM with Modify or FullControl.",
        links=[_UM_TROUBLESHOOT],
    ),
    "TlsVersionCheck.Failed": Remediation(
        summary="Enable TLS 1.2 in SCHANNEL and for .NET (SchUseStrongCrypto), then reboot.",
        commands=_TLS_COMMANDS,
        verify=_TLS_VERIFY,
        links=_TLS_LINKS,
    ),
    "TlsVersionCheck.Failed.NotExplicitlyEnabled": Remediation(
        summary="Windows Server 2008 R2 SP1 / Windows 7 SP1: install the TLS 1.1/1.2 update (KB4019276), enable TLS 1.2 explicitly, reboot.",
        commands=_TLS_COMMANDS,
        verify=_TLS_VERIFY,
        links=_TLS_LINKS,
    ),
    "TlsVersionCheck.Failed.ExplicitlyDisabled": Remediation(
        summary="Remove the SCHANNEL values that switch TLS 1.2 off (Enabled=0 or DisabledByDefault=1), then reboot.",
        commands=_TLS_COMMANDS,
        verify=_TLS_VERIFY,
        links=_TLS_LINKS,
    ),
    "TlsVersionCheck.Failed.NoDefaultSupport": Remediation(
        summary="This Windows version cannot use TLS 1.2 as installed: install Service Pack 1 (2008 R2) or move to a supported OS.",
        commands=["[Environment]::OSVersion.Version"],
        verify="The version is 6.1.7601 or later, then enable TLS 1.2 as documented.",
        links=_TLS_LINKS,
    ),
    "AlwaysAutoRebootCheck.PassedWithWarning": Remediation(
        summary="Remove the 'always reboot at scheduled time' policy so the deployment's reboot option decides.",
        commands=[
            "$au = 'HKLM:\\Software\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU'",
            "Remove-ItemProperty -Path $au -Name AlwaysAutoRebootAtScheduledTime, AlwaysAutoRebootAtScheduledTimeMinutes"
            " -ErrorAction SilentlyContinue",
            "# if a GPO sets them, change the GPO instead: the values come back at the next refresh",
        ],
        verify="Neither value exists under the AU policy key after gpupdate /force.",
        links=[f"{_WUAGENT}#configure-reboot-settings"],
    ),
    "WSUSServerConfigured.PassedWithWarning": Remediation(
        summary="WSUS is the update source: approve updates in WSUS before each deployment and keep the server reachable, or remove the WSUS policy if it is not intended.",
        commands=[
            "Get-ItemProperty 'HKLM:\\Software\\Policies\\Microsoft\\Windows\\WindowsUpdate' | Select-Object WUServer, WUStatusServer",
            "Get-ItemProperty 'HKLM:\\Software\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU' | Select-Object UseWUServer",
        ],
        verify="WUServer is the intended WSUS server (or absent), and approved updates show up in the deployment.",
        links=[
            f"{_WUAGENT}#make-wsus-configuration-settings",
            "https://learn.microsoft.com/windows/deployment/update/windows-update-resources#how-do-i-reset-windows-update-components",
        ],
    ),
    "AutomaticUpdateCheck.PassedWithWarning": Remediation(
        summary="Set the 'Configure Automatic Updates' policy to Disabled or to download-only (3; 7 on 2016 and later) so Update Management controls installs.",
        commands=[
            "Get-ItemProperty 'HKLM:\\Software\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU' | Select-Object AUOptions, NoAutoUpdate",
            "# change the GPO 'Configure Automatic Updates', then: gpupdate /force",
        ],
        verify="AUOptions is not 4 (or NoAutoUpdate is 1).",
        links=[
            f"{_WUAGENT}#pre-download-updates",
            "https://learn.microsoft.com/windows-server/administration/windows-server-update-services/deploy/"
            "4-configure-group-policy-settings-for-automatic-updates#configure-automatic-updates",
        ],
    ),
    "HttpsConnection.Failed": Remediation(
        summary="HTTPS to the Automation endpoint fails: allow the Automation URLs (service tag GuestAndHybridManagement); an 'underlying connection was closed' error usually means TLS 1.2 / SchUseStrongCrypto is off.",
        commands=[
            "Invoke-WebRequest -UseBasicParsing -Uri '<URL from the finding>' -Method Get",
            "netsh winhttp show proxy",
        ],
        verify="Invoke-WebRequest gets an HTTP answer from the endpoint (any status, also 403/404).",
        links=[_NETWORK, _TLS_LINKS[0]],
    ),
    "HttpsConnection.PassedWithWarning": Remediation(
        summary="HTTPS works directly but not through the configured proxy: let the proxy allow the Automation and Log Analytics URLs.",
        commands=[
            "netsh winhttp show proxy",
            "Invoke-WebRequest -UseBasicParsing -Uri '<URL from the finding>'",
        ],
        verify="The request through the proxy gets an HTTP answer from the endpoint.",
        links=[_NETWORK],
    ),
    "ProxySettings.PassedWithWarning": Remediation(
        summary="A proxy is configured: make sure it allows the Update Management endpoints, or bypass it for them.",
        commands=[
            "netsh winhttp show proxy",
            "Get-ItemProperty 'HKCU:\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings' |"
            " Select-Object ProxyEnable, ProxyServer",
        ],
        verify="The connectivity rules pass through the proxy.",
        links=[_NETWORK],
    ),
    "IMDSConnectivity.Failed": Remediation(
        summary="IMDS works only without the proxy: exclude 169.254.169.254 from the proxy (add it to the bypass list).",
        commands=[
            "netsh winhttp show proxy",
            "Invoke-RestMethod -Headers @{Metadata='true'} -NoProxy"
            " -Uri 'http://169.254.169.254/metadata/instance?api-version=2018-02-01'  # -NoProxy needs PowerShell 7",
        ],
        verify="The IMDS request succeeds with the proxy settings in place.",
        links=[f"{_DOCS}/virtual-machines/windows/instance-metadata-service"],
    ),
    "IMDSConnectivity.PassedWithWarning": Remediation(
        summary="IMDS is unreachable: expected outside Azure; on an Azure VM allow 169.254.169.254 (port 80) and keep it off the proxy.",
        commands=[
            "Invoke-RestMethod -Headers @{Metadata='true'}"
            " -Uri 'http://169.254.169.254/metadata/instance?api-version=2018-02-01'",
        ],
        verify="On an Azure VM the request returns the instance metadata.",
        links=[f"{_DOCS}/virtual-machines/windows/instance-metadata-service"],
    ),
    "WUServiceRunningCheck.Failed": Remediation(
        summary="Set the Windows Update service to Manual start (it is Disabled or missing), then start it.",
        commands=["Set-Service -Name wuauserv -StartupType Manual", "Start-Service -Name wuauserv"],
        verify="Get-Service wuauserv shows StartType Manual or Automatic.",
        links=[_UM_TROUBLESHOOT],
    ),
    "LAOdsEndpointConnectivity.Failed": _LA_ENDPOINT,
    "LAOmsEndpointConnectivity.Failed": _LA_ENDPOINT,
}
