"""Remediation for the successor pack, keyed by message id (umcheck never runs these commands)."""

from __future__ import annotations

from umcheck.results import Remediation

_L = "https://learn.microsoft.com/azure"
_ARC = f"{_L}/azure-arc/servers"
_HRW_TS = f"{_L}/automation/troubleshoot/extension-based-hybrid-runbook-worker"
_HRW_INSTALL = f"{_L}/automation/extension-based-hybrid-runbook-worker-install"
_HRW_MIGRATE = f"{_L}/automation/migrate-existing-agent-based-hybrid-worker-to-extension-based-workers"
_AUM_MIGRATE = f"{_L}/update-manager/guidance-migration-automation-update-management-azure-update-manager"
_AUM_WU = f"{_L}/update-manager/configure-wu-agent"
_AUM_TS = f"{_L}/update-manager/troubleshoot"


def _r(summary: str, commands: list[str], verify: str, links: list[str], shell: str = "powershell") -> Remediation:
    return Remediation(summary, commands, shell, verify, links)


SUCCESSOR_REMEDIATION: dict[str, Remediation] = {
    "SR.Arc.AgentInstalled.Failed": _r(
        "Onboard the server to Azure Arc (from the Update Management blade: 'Add managed servers', or the Arc onboarding script).",
        ["azcmagent connect --resource-group <rg> --tenant-id <tenant> --location <region> --subscription-id <sub>"],
        "azcmagent show reports Agent Status: Connected.", [f"{_ARC}/onboard-update-management-machines", f"{_ARC}/agent-overview"]),
    "SR.Arc.AgentInstalled.PassedWithWarning": _r(
        "Tell umcheck whether this is an Azure VM: set umcheck_is_azure in the inventory.", [], "Re-run umcheck.",
        [f"{_ARC}/plan-evaluate-on-azure-virtual-machine"], "text"),
    "SR.Arc.Connected": _r(
        "Find why the agent is disconnected: check its network access, then reconnect.",
        ["azcmagent show", "azcmagent check", "azcmagent logs"], "azcmagent show: Connected, heartbeat within 5 minutes.",
        [f"{_ARC}/azcmagent-show", f"{_ARC}/troubleshoot-agent-onboard"]),
    "SR.Arc.Services": _r(
        "Start the Arc agent services.", ["Start-Service himds, ExtensionService, GCArcService",
                                          "# Linux: sudo systemctl start himdsd extd gcad"],
        "Get-Service himds, ExtensionService, GCArcService shows Running.", [f"{_ARC}/agent-overview"]),
    "SR.Arc.HimdsListening": _r(
        "Restart himds and make sure nothing else holds port 40342.",
        ["Restart-Service himds", "Get-NetTCPConnection -LocalPort 40342"], "Re-run umcheck.",
        [f"{_ARC}/managed-identity-authentication"]),
    "SR.Arc.AgentVersion": _r(
        "Upgrade the Connected Machine agent (Microsoft Update, the MSI, or the package manager).",
        ["azcmagent version", "# Linux: sudo apt-get install --only-upgrade azcmagent (or yum/zypper update azcmagent)"],
        "azcmagent version shows a release from the last 12 months.", [f"{_ARC}/agent-release-notes", f"{_ARC}/manage-agent"]),
    "SR.Arc.Proxy": _r(
        "Give the agent a plain HTTP proxy without credentials (it ignores the system proxy).",
        ['azcmagent config set proxy.url "http://proxy.example:8080"', "azcmagent config list"],
        "azcmagent show: Using HTTPS Proxy is the proxy; azcmagent check passes.", [f"{_ARC}/manage-agent"]),
    "SR.Arc.ExtensionPolicy": _r(
        "Allow the patch and Hybrid Worker extensions on the agent.",
        ['azcmagent config set extensions.allowlist "Microsoft.CPlat.Core/WindowsPatchExtension" --add',
         'azcmagent config set extensions.allowlist "Microsoft.SoftwareUpdateManagement/WindowsOsUpdateExtension" --add',
         'azcmagent config set extensions.allowlist "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForWindows" --add',
         "azcmagent config set config.mode full"],
        "azcmagent config list shows them allowed.", [f"{_ARC}/security-extensions"]),
    "SR.Arc.NotOnAzureVm": _r(
        "Remove the Arc agent from this Azure VM and use the VM's native extensions.",
        ["azcmagent disconnect", "# then uninstall 'Azure Connected Machine Agent'"], "Re-run umcheck.",
        [f"{_ARC}/plan-evaluate-on-azure-virtual-machine"]),
    "SR.AzVm.GuestAgent": _r(
        "Start the Azure VM agent and allow the WireServer (168.63.129.16:80 and :32526).",
        ["Start-Service WindowsAzureGuestAgent, RdAgent", "# Linux: sudo systemctl start walinuxagent (or waagent)"],
        "Re-run umcheck.", [f"{_L}/virtual-machines/extensions/agent-windows"]),
    "SR.Hrw2.ExtensionPresent": _r(
        "Add the machine to its Hybrid Worker group as an extension-based worker, then remove the V1 worker.",
        ["az automation hrwg hrw create --automation-account-name <aa> -g <rg> --hybrid-runbook-worker-group-name <group> "
         "--hybrid-runbook-worker-id <guid> --vm-resource-id <machine resource id>"],
        "The group lists the machine as Platform 'Extension based (V2)'.", [_HRW_MIGRATE, _HRW_INSTALL], "sh"),
    "SR.Hrw2.Settings": _r(
        "Reinstall the worker extension with the account's AutomationHybridServiceUrl as AutomationAccountURL.",
        ["az automation account show -n <aa> -g <rg> --query automationHybridServiceUrl"],
        "The newest RuntimeSettings file carries that URL.", [_HRW_TS], "sh"),
    "SR.Hrw2.WorkerService": _r(
        "Start the Hybrid Worker service; if the install is stuck, follow the documented reinstall steps.",
        ["Start-Service HybridWorkerService", "# Linux: sudo systemctl start hwd"], "Re-run umcheck.", [_HRW_TS]),
    "SR.Hrw2.Registration": _r(
        "Remove stale worker keys, then reinstall the extension.",
        ["Remove-Item HKLM:\\Software\\Microsoft\\Azure\\HybridWorker -Recurse",
         "Remove-Item HKLM:\\Software\\Microsoft\\HybridRunbookWorkerV2 -Recurse"], "Re-run umcheck.", [_HRW_TS]),
    "SR.Arc.ServiceLogonRight": _r(
        "Add NT SERVICE\\himds (or NT SERVICE\\ALL SERVICES) to the GPO's 'Log on as a service' user right.",
        ["gpresult /h gpresult.html  # find the GPO that sets 'Log on as a service', then edit it"],
        "gpupdate /force; Start-Service himds; azcmagent show reports Connected.", [f"{_ARC}/prerequisites"]),
    "SR.Arc.TlsCipherSuites": _r(
        "Enable a TLS 1.3 or ECDHE-RSA AES-GCM cipher suite (or set them in the GPO 'SSL Cipher Suite Order').",
        ["Enable-TlsCipherSuite -Name TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
         "Enable-TlsCipherSuite -Name TLS_AES_256_GCM_SHA384"],
        "Get-TlsCipherSuite | Select-Object Name lists one of them; azcmagent check passes.",
        [f"{_ARC}/troubleshoot-networking"]),
    "SR.Hrw2.CustomCredAcl": _r(
        "Grant the run-as user Read on the Arc Tokens folder and Read & Execute on the worker's plugin folder, "
        "directly (not through a group); repeat after every Arc agent update.",
        ["icacls C:\\ProgramData\\AzureConnectedMachineAgent\\Tokens /grant '<DOMAIN\\user>:(R)'",
         "icacls C:\\Packages\\Plugins\\Microsoft.Azure.Automation.HybridWorker.HybridWorkerForWindows "
         "/grant '<DOMAIN\\user>:(OI)(CI)(RX)'"],
        "icacls on both folders lists the user; a test runbook job on the group completes.", [_HRW_TS]),
    "SR.Hrw2.JobErrors": _r(
        "For [2148734720] grant the run-as user Read on the Arc Tokens folder and Read & Execute on the plugin folder "
        "(again after every Arc agent update); for [4294967295] check runbook authentication, the firewall and the size.",
        ["icacls C:\\ProgramData\\AzureConnectedMachineAgent\\Tokens /grant '<domain\\user>:(R)'",
         "Get-WinEvent -LogName Microsoft-SMA/Operational -MaxEvents 50 | Where-Object Message -like '*Win32 Process Exited*'"],
        "New jobs on this worker complete; no new events.", [_HRW_TS]),
    "SR.Aum.PatchExtensions": _r(
        "Trigger 'Check for updates' for the machine in Update Manager and read the extension's log if it fails.",
        ["Get-Content C:\\WindowsAzure\\Logs\\Plugins\\Microsoft.CPlat.Core.WindowsPatchExtension\\*\\WindowsUpdateExtension.log -Tail 50"],
        "The extension's newest status is Success.", [_AUM_TS, f"{_L}/update-manager/workflow-update-manager"]),
    "SR.Aum.WuService": _r("Set the Windows Update service back to manual start.", ["sc.exe config wuauserv start= demand"],
                           "Get-Service wuauserv shows StartType Manual.", [_AUM_TS]),
    "SR.Aum.WsusConfig": _r("Complete or remove the WSUS policy (WUServer with UseWUServer = 1).", [],
                            "Re-run umcheck.", [_AUM_WU], "text"),
    "SR.Aum.AutoUpdatePolicy": _r("Set Automatic Updates to pre-download only (AUOptions 3) or disable them.", [],
                                  "Re-run umcheck.", [_AUM_WU], "text"),
    "SR.Aum.AutoReboot": _r("Remove the AlwaysAutoRebootAtScheduledTime policy.", [], "Re-run umcheck.", [_AUM_WU], "text"),
    "SR.Aum.MicrosoftUpdate": _r(
        "Opt in to Microsoft Update (or set the GPO 'Install updates for other Microsoft products').",
        ["(New-Object -ComObject Microsoft.Update.ServiceManager).AddService2('7971f918-a847-4430-9279-4a52d1efe18d', 7, '')"],
        "(New-Object -ComObject Microsoft.Update.ServiceManager).Services | Where-Object IsDefaultAUService | "
        "Select-Object Name  # Microsoft Update", [_AUM_WU]),
    "SR.Aum.LinuxPrereqs": _r("Install python3 and the distribution's package manager tooling.",
                              ["sudo apt-get install -y python3  # or yum/zypper"], "python3 --version",
                              [f"{_L}/update-manager/prerequisites"], "sh"),
    "SR.Aum.LinuxAutoUpdates": _r("Disable OS automatic updates, or accept that they patch beside Update Manager.",
                                  ["sudo systemctl disable --now dnf-automatic.timer  # or unattended-upgrades, yum-cron"],
                                  "Re-run umcheck.", [_AUM_TS], "sh"),
    "SR.Arc.OsSupported": _r(
        "Upgrade the OS to one the Arc agent supports (Windows Server 2012 or later; current Linux releases).", [],
        "Re-run umcheck.", [f"{_ARC}/prerequisites"], "text"),
    "SR.Hrw2.Prereqs": _r(
        "Install Windows PowerShell 5.1 (WMF 5.1) and .NET Framework 4.6.2 or later; on Linux, python3.", [],
        "$PSVersionTable.PSVersion; Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full' Release",
        [_HRW_INSTALL], "text"),
    "SR.Aum.LinuxRepos": _r("Make the package repositories reachable (firewall, proxy, RHUI).",
                            ["sudo apt-get update  # or: sudo yum makecache / sudo zypper refresh"],
                            "The package manager refreshes without errors.", [_AUM_TS], "sh"),
    "SR.Aum.AutoAssessTimer": _r("Re-enable periodic assessment for the machine in Update Manager.",
                                 ["systemctl status MsftLinuxPatchAutoAssess.timer"],
                                 "systemctl is-active MsftLinuxPatchAutoAssess.timer prints active.", [_AUM_TS], "sh"),
    "SR.Arc.Endpoints": _r(
        "Open outbound TCP 443 to the Arc endpoints (or give the agent a proxy that allows them), then verify with "
        "the agent's own check.",
        ['azcmagent config set proxy.url "http://proxy.example:8080"  # only if a proxy is the way out',
         "azcmagent check --location <region>"],
        "azcmagent check reports every endpoint reachable; re-run umcheck (scan --arc-check runs it for you).",
        [f"{_ARC}/network-requirements", f"{_ARC}/azcmagent-check"]),
    "SR.Hrw2.Connectivity": _r(
        "Allow TCP 443 to *.azure-automation.net (US Gov: *.azure-automation.us); with Private Link, link the VNet to "
        "privatelink.azure-automation.net; set the extension's own proxy if one is needed (it does not use the agent's).",
        ["Resolve-DnsName <accountId>.jrds.<region>.azure-automation.net",
         "Test-NetConnection <accountId>.jrds.<region>.azure-automation.net -Port 443"],
        "Both names resolve (to the private endpoint under Private Link) and connect; re-run umcheck.",
        [_HRW_INSTALL, f"{_L}/automation/automation-network-configuration", _HRW_TS]),
    "SR.Aum.WuEndpoints": _r(
        "Allow the Windows Update endpoints through the firewall and the WinHTTP proxy (or use WSUS only).",
        ["netsh winhttp show proxy", "Test-NetConnection dl.delivery.mp.microsoft.com -Port 443"],
        "Update Manager's 'Check for updates' completes; re-run umcheck.",
        [f"{_L}/update-manager/prerequisites", _AUM_TS]),
    "SR.Leg.MmaPresent": _r("After Update Manager and the extension worker are validated, remove the Log Analytics agent.",
                            ["# Control Panel > Microsoft Monitoring Agent: remove the workspaces, then uninstall"],
                            "Re-run umcheck.", [f"{_L}/azure-monitor/agents/agent-manage"]),
    "SR.Leg.HrwV1Registration": _r(
        "Deregister the agent-based (V1) worker once the extension-based one works.",
        ["Remove-HybridRunbookWorker -Url <endpoint> -Key <key>  # Linux: onboarding.py --deregister"],
        "The Hybrid Worker group lists only 'Extension based (V2)'.", [_HRW_MIGRATE]),
    "SR.Leg.UpdateManagementActive": _r(
        "Run the MigrateToAzureUpdateManager runbook, then DeboardFromAutomationUpdateManagement.", [],
        "The Updates solution is gone from the linked workspace.", [_AUM_MIGRATE], "text"),
}  # fmt: skip
