# UMCHECK-COLLECTOR windows 1
<#
umcheck Windows fact collector (facts contract v2). Windows PowerShell 5.1; also runs under 7.

Read-only: it reads the registry, services, event logs (filtered and bounded), the agent's COM
configuration, ACLs and proxy settings, extension status/settings files, probes endpoints in
parallel with a timeout each, and prints one JSON facts document between the umcheck marker lines.
It never writes, stops or sets anything; the one process it starts is azcmagent.exe with a
read-only argument line (show -j, config list -j, version; check -j [--location <region>] only
when the params ask, scan --arc-check, as it contacts Azure) and a timeout (Invoke-UmcAzcmagent).
tests/unit/collectors/test_windows_static.py enforces an allowlist.

Run by hand:  powershell -NoProfile -ExecutionPolicy Bypass -File windows.ps1 > facts.txt
then on the jump host:  umcheck evaluate facts.txt
#>
param([string]$ParamsBlob = '')

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$UmcBegin = '<<<UMCHECK-FACTS-BEGIN>>>'
$UmcEnd = '<<<UMCHECK-FACTS-END>>>'
$UmcVersion = '2.0.0'
$UmcStarted = [System.DateTime]::UtcNow
$UmcClock = [System.Diagnostics.Stopwatch]::StartNew()
$UmcErrors = New-Object System.Collections.ArrayList
$UmcFacts = @{}
$UmcWorkspaceCap = 4
$UmcImdsUrl = 'http://169.254.169.254/metadata/instance?api-version=2018-02-01'

# ------------------------------------------------------------------------------------------
# Parameters: one base64 JSON blob, never interpolated into code.

$P = @{ endpoints = @(); probe_timeout = 5.0; sections = $null; event_window_hours = 24; overrides = @{}; cloud = $null
        arc_check = $false; arc_location = $null }
$UmcParamsError = $null
if ($ParamsBlob) {
    try {
        $json = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String($ParamsBlob.Trim()))
        $doc = ConvertFrom-Json -InputObject $json
        if ($null -ne $doc.endpoints) { $P.endpoints = @($doc.endpoints) }
        if ($null -ne $doc.probe_timeout) { $P.probe_timeout = [double]$doc.probe_timeout }
        if ($null -ne $doc.sections) { $P.sections = @($doc.sections | ForEach-Object { [string]$_ }) }
        if ($null -ne $doc.event_window_hours) { $P.event_window_hours = [int]$doc.event_window_hours }
        if ($null -ne $doc.cloud) { $P.cloud = [string]$doc.cloud }
        if ($doc.arc_check -eq $true) { $P.arc_check = $true }
        if ($null -ne $doc.arc_location) { $P.arc_location = [string]$doc.arc_location }
        if ($null -ne $doc.probe_overrides) {
            foreach ($prop in $doc.probe_overrides.PSObject.Properties) { $P.overrides[[string]$prop.Name] = [string]$prop.Value }
        }
    } catch {
        $UmcParamsError = 'bad params blob: ' + $_.Exception.Message
    }
}
if ($P.probe_timeout -le 0 -or $P.probe_timeout -gt 300) { $P.probe_timeout = 5.0 }

# ------------------------------------------------------------------------------------------
# Helpers (read-only)

function Test-UmcWanted {
    param([string]$Name)
    return (($null -eq $P.sections) -or ($P.sections -contains $Name))
}

function Add-UmcError {
    param([string]$Section, [string]$Message)
    if ($Message.Length -gt 500) { $Message = $Message.Substring(0, 500) }
    [void]$UmcErrors.Add(@{ section = $Section; message = $Message })
}

function Invoke-UmcSection {
    param([string]$Name, [scriptblock]$Block)
    if (-not (Test-UmcWanted $Name)) { return }
    try {
        $UmcFacts[$Name] = & $Block
    } catch {
        Add-UmcError $Name ($_.Exception.Message)
    }
}

function Get-UmcRegValue {
    param([string]$Path, [string]$Name)
    $item = Get-ItemProperty -LiteralPath $Path -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    return $item.$Name
}

function ConvertTo-UmcInt {
    param($Value)
    if ($null -eq $Value) { return $null }
    if ($Value -is [int]) {
        if ($Value -lt 0) { return ([long]$Value + 4294967296) }
        return [long]$Value
    }
    if ($Value -is [long]) { return $Value }
    $n = [long]0
    if ([long]::TryParse(([string]$Value).Trim(), [ref]$n)) { return $n }
    return $null
}

function ConvertTo-UmcStr {
    param($Value)
    if ($null -eq $Value) { return $null }
    $s = ([string]$Value).Trim()
    if ($s.Length -eq 0) { return $null }
    return $s
}

function Get-UmcRedacted {
    # Proxy URLs may carry user:password@ - never report it.
    param([string]$Url)
    if (-not $Url) { return $null }
    return ($Url.Trim() -replace '^([A-Za-z][A-Za-z0-9+.-]*://)?[^@/\s]+@', '$1***@')
}

function Test-UmcLog {
    param([string]$Name)
    $log = Get-WinEvent -ListLog $Name -ErrorAction SilentlyContinue
    return ($null -ne $log)
}

function Get-UmcEvents {
    # Bounded by MaxEvents (and StartTime where the filter has one): never a full log scan.
    param([hashtable]$Filter, [int]$Max)
    try {
        return @(Get-WinEvent -FilterHashtable $Filter -MaxEvents $Max -ErrorAction Stop)
    } catch {
        if ($_.FullyQualifiedErrorId -like 'NoMatchingEventsFound*') { return @() }
        throw
    }
}

function Get-UmcServiceFacts {
    param([string]$Name)
    $svc = Get-Service -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $svc) { return @{ present = $false; status = $null; start_type = $null } }
    $start = $null
    if ($svc.PSObject.Properties['StartType']) { $start = [string]$svc.StartType }
    if (-not $start) {
        $code = Get-UmcRegValue ('HKLM:\SYSTEM\CurrentControlSet\Services\' + $Name) 'Start'
        $names = @{ 0 = 'Boot'; 1 = 'System'; 2 = 'Automatic'; 3 = 'Manual'; 4 = 'Disabled' }
        if ($null -ne $code) { $start = $names[[int]$code] }
    }
    return @{ present = $true; status = [string]$svc.Status; start_type = $start }
}

$UmcCfg = $null
try { $UmcCfg = New-Object -ComObject 'AgentConfigManager.MgmtSvcCfg' } catch { $UmcCfg = $null }

function Get-UmcConfiguredWorkspaces {
    if ($null -eq $UmcCfg) { return }
    foreach ($w in @($UmcCfg.GetCloudWorkspaces())) {
        $id = ConvertTo-UmcStr $w.workspaceId
        if ($id) { $id.ToLower() }
    }
}

function Get-UmcManagementGroupWorkspaces {
    $key = 'HKLM:\SYSTEM\CurrentControlSet\Services\HealthService\Parameters\Management Groups'
    foreach ($k in @(Get-ChildItem -LiteralPath $key -ErrorAction SilentlyContinue)) {
        if ($k.PSChildName -like 'AOI-*') { $k.PSChildName.Substring(4).ToLower() }
    }
}

function Get-UmcAgentProxy {
    if ($null -eq $UmcCfg) { return $null }
    try { return Get-UmcRedacted ([string]$UmcCfg.proxyUrl) } catch { return $null }
}

function Get-UmcWinHttpProxy {
    # WinHttpSettings: DWORD version, DWORD counter, DWORD flags, DWORD len + proxy, DWORD len + bypass.
    $raw = Get-UmcRegValue 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections' 'WinHttpSettings'
    $out = @{ proxy = $null; bypass = $null }
    if ($null -eq $raw -or $raw.Length -lt 16) { return $out }
    $bytes = [byte[]]$raw
    $len = [System.BitConverter]::ToInt32($bytes, 12)
    if ($len -gt 0 -and (16 + $len) -le $bytes.Length) {
        $out.proxy = Get-UmcRedacted ([System.Text.Encoding]::ASCII.GetString($bytes, 16, $len))
        $at = 16 + $len
        if (($at + 4) -le $bytes.Length) {
            $blen = [System.BitConverter]::ToInt32($bytes, $at)
            if ($blen -gt 0 -and ($at + 4 + $blen) -le $bytes.Length) {
                $out.bypass = [System.Text.Encoding]::ASCII.GetString($bytes, $at + 4, $blen)
            }
        }
    }
    return $out
}

function Get-UmcWinInetSystemProxy {
    $key = 'Registry::HKEY_USERS\S-1-5-18\Software\Microsoft\Windows\CurrentVersion\Internet Settings'
    if ((ConvertTo-UmcInt (Get-UmcRegValue $key 'ProxyEnable')) -eq 1) {
        return Get-UmcRedacted (ConvertTo-UmcStr (Get-UmcRegValue $key 'ProxyServer'))
    }
    return $null
}

function Get-UmcWinInetPolicyProxy {
    $key = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\CurrentVersion\Internet Settings'
    return Get-UmcRedacted (ConvertTo-UmcStr (Get-UmcRegValue $key 'ProxyServer'))
}

function Get-UmcHrwRegistrations {
    # v1: HybridRunbookWorker\<AccountId>\<Group> (older: values on the key itself); v2: ...V2.
    $layouts = @(@{ key = 'HKLM:\SOFTWARE\Microsoft\HybridRunbookWorker'; layout = 'v1' },
                 @{ key = 'HKLM:\SOFTWARE\Microsoft\HybridRunbookWorkerV2'; layout = 'v2' })
    foreach ($l in $layouts) {
        if (-not (Test-Path -LiteralPath $l.key)) { continue }
        $rootUri = ConvertTo-UmcStr (Get-UmcRegValue $l.key 'JobRuntimeDataServiceUri')
        $rootGroup = ConvertTo-UmcStr (Get-UmcRegValue $l.key 'RunbookWorkerGroup')
        if ($rootUri -or $rootGroup) {
            @{ account_id = $null; group = $rootGroup; jrds_uri = $rootUri; layout = $l.layout }
        }
        foreach ($acct in @(Get-ChildItem -LiteralPath $l.key -ErrorAction SilentlyContinue | Select-Object -First 16)) {
            $acctUri = ConvertTo-UmcStr $acct.GetValue('JobRuntimeDataServiceUri')
            $groups = @(Get-ChildItem -LiteralPath $acct.PSPath -ErrorAction SilentlyContinue | Select-Object -First 16)
            if ($groups.Count -eq 0 -and $acctUri) {
                @{ account_id = $acct.PSChildName; group = $null; jrds_uri = $acctUri; layout = $l.layout }
            }
            foreach ($g in $groups) {
                $uri = ConvertTo-UmcStr $g.GetValue('JobRuntimeDataServiceUri')
                if (-not $uri) { $uri = $acctUri }
                @{ account_id = $acct.PSChildName; group = $g.PSChildName; jrds_uri = $uri; layout = $l.layout }
            }
        }
    }
}

# ------------------------------------------------------------------------------------------
# Sections

Invoke-UmcSection 'os' {
    $cv = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    @{ version = [System.Environment]::OSVersion.Version.ToString(); caption = ConvertTo-UmcStr (Get-UmcRegValue $cv 'ProductName') }
}

Invoke-UmcSection 'dotnet' {
    $full = 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full'
    $subs = New-Object System.Collections.ArrayList
    foreach ($k in @(Get-ChildItem -LiteralPath $full -ErrorAction SilentlyContinue)) {
        $r = ConvertTo-UmcInt $k.GetValue('Release')
        if ($null -ne $r) { [void]$subs.Add($r) }
    }
    @{ release = ConvertTo-UmcInt (Get-UmcRegValue $full 'Release'); subkey_releases = @($subs.ToArray()) }
}

Invoke-UmcSection 'powershell' {
    $engine = Get-UmcRegValue 'HKLM:\SOFTWARE\Microsoft\PowerShell\3\PowerShellEngine' 'PowerShellVersion'
    @{ engine_version = ConvertTo-UmcStr $engine; collector_host_version = $PSVersionTable.PSVersion.ToString() }
}

Invoke-UmcSection 'tls' {
    $base = 'HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\'
    @{
        client_enabled = ConvertTo-UmcInt (Get-UmcRegValue ($base + 'Client') 'Enabled')
        client_disabled_by_default = ConvertTo-UmcInt (Get-UmcRegValue ($base + 'Client') 'DisabledByDefault')
        server_enabled = ConvertTo-UmcInt (Get-UmcRegValue ($base + 'Server') 'Enabled')
        server_disabled_by_default = ConvertTo-UmcInt (Get-UmcRegValue ($base + 'Server') 'DisabledByDefault')
        strong_crypto = ConvertTo-UmcInt (Get-UmcRegValue 'HKLM:\SOFTWARE\Microsoft\.NETFramework\v4.0.30319' 'SchUseStrongCrypto')
        strong_crypto_wow64 = ConvertTo-UmcInt (Get-UmcRegValue 'HKLM:\SOFTWARE\Wow6432Node\Microsoft\.NETFramework\v4.0.30319' 'SchUseStrongCrypto')
    }
}

Invoke-UmcSection 'workspaces' {
    $present = Test-UmcLog 'Operations Manager'
    $updates = New-Object System.Collections.ArrayList
    if ($present) {
        foreach ($e in (Get-UmcEvents @{ LogName = 'Operations Manager'; Id = 1210 } 200)) {
            $msg = [string]$e.Message
            $at = $msg.IndexOf('AOI-')
            if ($msg.Contains('updates;') -and $at -ge 0 -and ($at + 40) -le $msg.Length) {
                $id = $msg.Substring($at + 4, 36).ToLower()
                if (-not $updates.Contains($id)) { [void]$updates.Add($id) }
            }
        }
    }
    @{ configured = @(Get-UmcConfiguredWorkspaces); with_updates = @($updates.ToArray()); operations_log_present = $present }
}

Invoke-UmcSection 'services' {
    @{ health_service = Get-UmcServiceFacts 'HealthService'; wuauserv = Get-UmcServiceFacts 'wuauserv' }
}

Invoke-UmcSection 'agent_events' {
    $window = $P.event_window_hours
    $present = Test-UmcLog 'Operations Manager'
    $total = 0
    $hybrid = 0
    if ($present) {
        $since = (Get-Date).AddHours(-$window)
        $filter = @{ LogName = 'Operations Manager'; ProviderName = 'Health Service Modules'; Id = 4502; StartTime = $since }
        foreach ($e in (Get-UmcEvents $filter 1000)) {
            $total++
            if (([string]$e.Message).Contains('AzureAutomation.HybridAgent')) { $hybrid++ }
        }
    }
    @{ operations_log_present = $present; events_4502 = $total; events_4502_hybrid = $hybrid; window_hours = $window }
}

Invoke-UmcSection 'system_worker' {
    $present = Test-UmcLog 'Microsoft-SMA/Operational'
    $out = @{ sma_log_present = $present; last_event_id = $null; last_event_time = $null; group = $null }
    if ($present) {
        # Newest first; keep the system worker group only: property[1] = property[2] + '_' + property[3].
        foreach ($e in (Get-UmcEvents @{ LogName = 'Microsoft-SMA/Operational'; Id = 15003, 15004 } 500)) {
            $props = @($e.Properties | ForEach-Object { [string]$_.Value })
            if ($props.Count -ge 4 -and $props[1] -eq ($props[2] + '_' + $props[3])) {
                $out.last_event_id = [int]$e.Id
                $out.last_event_time = $e.TimeCreated.ToUniversalTime().ToString('o')
                $out.group = $props[1]
                break
            }
        }
    }
    $out
}

Invoke-UmcSection 'hrw' {
    $present = (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\HybridRunbookWorker') -or (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\HybridRunbookWorkerV2')
    @{ key_present = $present; registrations = @(Get-UmcHrwRegistrations) }
}

function Get-UmcFolderAcl {
    # One folder's access entries (SID, name, rights mask, allow, inherited): read with Get-Acl only.
    param([string]$Path)
    $aces = New-Object System.Collections.ArrayList
    $exists = Test-Path -LiteralPath $Path
    if ($exists) {
        $acl = Get-Acl -LiteralPath $Path
        foreach ($rule in $acl.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])) {
            $name = $null
            try { $name = $rule.IdentityReference.Translate([System.Security.Principal.NTAccount]).Value } catch { $name = $null }
            [void]$aces.Add(@{
                sid = $rule.IdentityReference.Value
                name = $name
                rights = ConvertTo-UmcInt ([int]$rule.FileSystemRights)
                allow = ([string]$rule.AccessControlType -eq 'Allow')
                inherited = [bool]$rule.IsInherited
            })
        }
    }
    @{ path = $Path; exists = $exists; aces = @($aces.ToArray()) }
}

Invoke-UmcSection 'machine_keys' { Get-UmcFolderAcl (Join-Path $env:ProgramData 'Microsoft\Crypto\RSA\MachineKeys') }

Invoke-UmcSection 'windows_update' {
    $wu = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate'
    $au = $wu + '\AU'
    # WUServer keeps an empty value as "" (present but empty), unlike other strings: the official
    # script warns whenever the value exists, and with UseWUServer = 1 an empty one leaves Windows
    # Update without a server (docs/deviations.md Q-W10b).
    $wuServer = Get-UmcRegValue $wu 'WUServer'
    if ($null -ne $wuServer) { $wuServer = ([string]$wuServer).Trim() }
    @{
        wu_server = $wuServer
        wu_status_server = ConvertTo-UmcStr (Get-UmcRegValue $wu 'WUStatusServer')
        use_wu_server = ConvertTo-UmcInt (Get-UmcRegValue $au 'UseWUServer')
        au_options = ConvertTo-UmcInt (Get-UmcRegValue $au 'AUOptions')
        no_auto_update = ConvertTo-UmcInt (Get-UmcRegValue $au 'NoAutoUpdate')
        always_auto_reboot = ConvertTo-UmcInt (Get-UmcRegValue $au 'AlwaysAutoRebootAtScheduledTime')
        always_auto_reboot_minutes = ConvertTo-UmcInt (Get-UmcRegValue $au 'AlwaysAutoRebootAtScheduledTimeMinutes')
        # Microsoft Update opt-in (configure-wu-agent; successor-readiness.md s.4.2): 0 when absent.
        microsoft_update = [int](0 + (ConvertTo-UmcInt (Get-UmcRegValue 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Services\7971f918-a847-4430-9279-4a52d1efe18d' 'RegisteredWithAU')))
        # GPO "Do not connect to any Windows Update Internet locations" (waas-wu-settings; the value
        # name is unverified, successor-readiness.md s.4.3): with WSUS, the WU endpoints are unused.
        do_not_connect = ConvertTo-UmcInt (Get-UmcRegValue $wu 'DoNotConnectToWindowsUpdateInternetLocations')
    }
}

Invoke-UmcSection 'proxy' {
    $winhttp = Get-UmcWinHttpProxy
    @{
        winhttp_proxy = $winhttp.proxy
        winhttp_bypass = $winhttp.bypass
        wininet_system_proxy = Get-UmcWinInetSystemProxy
        wininet_policy_proxy = Get-UmcWinInetPolicyProxy
        agent_proxy = Get-UmcAgentProxy
    }
}

# ------------------------------------------------------------------------------------------
# Facts v2: the successor pack (Azure Arc, Azure VM agent, extensions, extension-based worker).
# Sources: ../shared/reference/successor-readiness.md s.2-s.4 (Learn pages cited there).

$UmcAzcmagentExe = Join-Path $env:ProgramFiles 'AzureConnectedMachineAgent\azcmagent.exe'
$UmcPluginsDir = Join-Path $env:SystemDrive 'Packages\Plugins'
$UmcHrwWindows = 'Microsoft.Azure.Automation.HybridWorker.HybridWorkerForWindows'
$UmcHimdsUrl = 'http://localhost:40342/metadata/identity/oauth2/token?api-version=2020-06-01&resource=https%3A%2F%2Fmanagement.azure.com%2F'
$UmcExtensionCap = 64
$UmcLastRun = @{ exit_code = $null }  # Invoke-UmcAzcmagent's last exit code (a shared object: any scope)
$UmcMessageCap = 500

function Get-UmcSvcState {
    param([string]$Name)
    $s = Get-UmcServiceFacts $Name
    return @{ name = $Name; present = $s.present; status = $s.status; start_type = $s.start_type }
}

function Invoke-UmcAzcmagent {
    # The only process this collector starts: azcmagent.exe by its full path, with one of the
    # read-only argument lines (azcmagent-show, azcmagent-config "list", azcmagent-version on
    # Learn; azcmagent-check only for scan --arc-check, since it contacts Azure), no shell, a
    # timeout, output captured. Never `extension list` (needs the extension service stopped).
    # A region only ever joins `check` as [a-z0-9]{1,40}. ps_readonly.py pins all of this.
    param([string]$Which, [int]$TimeoutMs, [string]$Region = '')
    if ($Region -cnotmatch '^[a-z0-9]{0,40}$') { return $null }  # -c: case-sensitive
    $psi = New-Object System.Diagnostics.ProcessStartInfo
    $psi.FileName = $UmcAzcmagentExe
    if ($Which -eq 'show') { $psi.Arguments = 'show -j' }
    elseif ($Which -eq 'config') { $psi.Arguments = 'config list -j' }
    elseif ($Which -eq 'check' -and $Region) { $psi.Arguments = 'check -j --location ' + $Region }
    elseif ($Which -eq 'check') { $psi.Arguments = 'check -j' }
    else { $psi.Arguments = 'version' }
    $psi.UseShellExecute = $false
    $psi.CreateNoWindow = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $proc = $null
    try { $proc = [System.Diagnostics.Process]::Start($psi) } catch { return $null }
    $UmcLastRun.exit_code = $null
    try {
        $out = $proc.StandardOutput.ReadToEndAsync()
        $err = $proc.StandardError.ReadToEndAsync()
        if (-not $proc.WaitForExit($TimeoutMs)) {
            try { $proc.Kill() } catch { }  # our own child, past its timeout
            return $null
        }
        [void]$err.Wait(1000)
        $UmcLastRun.exit_code = $proc.ExitCode
        if ($out.Wait(1000)) { return [string]$out.Result }
        return $null
    } finally {
        $proc.Dispose()
    }
}

function ConvertTo-UmcKey {
    param([string]$Name)
    return ($Name.ToLower() -replace '[^a-z0-9]', '')
}

function ConvertTo-UmcJson {
    param([string]$Text)
    if (-not $Text) { return $null }
    $start = $Text.IndexOf('{')
    $arr = $Text.IndexOf('[')
    if ($arr -ge 0 -and ($start -lt 0 -or $arr -lt $start)) { $start = $arr }
    if ($start -lt 0) { return $null }
    try { return (ConvertFrom-Json -InputObject $Text.Substring($start)) } catch { return $null }
}

function Get-UmcJsonField {
    # First non-empty scalar under any of the normalised names, searched breadth-first (depth 4):
    # the JSON keys of `azcmagent show -j` other than status/lastHeartbeat are not documented.
    param($Doc, [string[]]$Names, [int]$Depth = 0)
    if ($null -eq $Doc -or $Depth -gt 4) { return $null }
    $nested = New-Object System.Collections.ArrayList
    foreach ($item in @($Doc)) {
        if ($null -eq $item -or $item -is [string] -or $item -is [bool] -or $item -is [int] -or $item -is [long] -or $item -is [double]) { continue }
        foreach ($prop in $item.PSObject.Properties) {
            $v = $prop.Value
            if ($null -eq $v) { continue }
            # PowerShell 7's ConvertFrom-Json turns ISO 8601 strings into dates: back to ISO (UTC)
            if ($v -is [System.DateTime]) { $v = $v.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") }
            if (($v -is [string] -or $v -is [int] -or $v -is [long] -or $v -is [double]) -and ($Names -contains (ConvertTo-UmcKey $prop.Name))) {
                $s = ([string]$v).Trim()
                if ($s) {
                    if ($s.Length -gt $UmcMessageCap) { $s = $s.Substring(0, $UmcMessageCap) }
                    return $s
                }
            } elseif ($v -is [array] -or $v -is [System.Management.Automation.PSCustomObject]) {
                [void]$nested.Add($v)
            }
        }
    }
    foreach ($n in $nested) {
        $found = Get-UmcJsonField $n $Names ($Depth + 1)
        if ($null -ne $found) { return $found }
    }
    return $null
}

function ConvertTo-UmcIsoTime {
    param([string]$Value)
    if (-not $Value) { return $null }
    $v = $Value.Trim()
    if ($v -match '^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$') {
        $zone = [string]$Matches[4]
        if ($zone -eq 'UTC') { $zone = 'Z' }
        if ($zone.Length -eq 5) { $zone = $zone.Substring(0, 3) + ':' + $zone.Substring(3) }
        return $Matches[1] + 'T' + $Matches[2] + $zone
    }
    if ($v.Length -gt 64) { $v = $v.Substring(0, 64) }
    return $v
}

function ConvertTo-UmcConfigValue {
    param($Value)
    if ($null -eq $Value) { return $null }
    if ($Value -is [bool]) { if ($Value) { return 'true' } else { return 'false' } }
    if ($Value -is [string] -or $Value -is [int] -or $Value -is [long] -or $Value -is [double]) { return [string]$Value }
    if ($Value -is [array]) {
        $parts = @($Value | Where-Object { $null -ne $_ -and ($_ -is [string] -or $_ -is [int] -or $_ -is [long] -or $_ -is [bool]) } | ForEach-Object { ConvertTo-UmcConfigValue $_ })
        return ($parts -join ',')
    }
    return $null
}

function Add-UmcConfigEntry {
    param([hashtable]$Out, [string]$Key, $Value)
    $Key = $Key.Trim()
    $v = ConvertTo-UmcConfigValue $Value
    if (-not $Key.Contains('.') -or $null -eq $v -or $Out.ContainsKey($Key) -or $Out.Count -ge 64) { return }
    if ($v.Length -gt $UmcMessageCap) { $v = $v.Substring(0, $UmcMessageCap) }
    if ($Key.ToLower() -eq 'proxy.url') { $v = Get-UmcRedacted $v; if ($null -eq $v) { $v = '' } }
    $Out[$Key] = $v
}

function Add-UmcConfigTree {
    # `azcmagent config list -j`: its JSON shape is undocumented, so both {"proxy.url": ...}
    # objects and [{"Key"/"Name": ..., "Value": ...}] lists are read.
    param([hashtable]$Out, $Doc, [int]$Depth)
    if ($null -eq $Doc -or $Depth -gt 4) { return }
    foreach ($item in @($Doc)) {
        if ($null -eq $item -or $item -is [string] -or $item -is [bool] -or $item -is [int] -or $item -is [long] -or $item -is [double]) { continue }
        $name = $null
        $hasValue = $false
        $value = $null
        foreach ($prop in $item.PSObject.Properties) {
            $k = ConvertTo-UmcKey $prop.Name
            if (($k -eq 'key' -or $k -eq 'name') -and $prop.Value -is [string] -and -not $name) { $name = $prop.Value }
            if ($k -eq 'value') { $hasValue = $true; $value = $prop.Value }
        }
        if ($name -and $hasValue) { Add-UmcConfigEntry $Out $name $value }
        foreach ($prop in $item.PSObject.Properties) {
            $v = $prop.Value
            if ($prop.Name.Contains('.') -or -not ($v -is [array] -or $v -is [System.Management.Automation.PSCustomObject])) {
                Add-UmcConfigEntry $Out $prop.Name $v
            } else {
                Add-UmcConfigTree $Out $v ($Depth + 1)
            }
        }
    }
}

function ConvertTo-UmcTruth {
    param($Value)
    if ($Value -is [bool]) { return $Value }
    $t = ([string]$Value).Trim().ToLower()
    if (@('true', 'reachable', 'ok', 'passed', 'pass', 'success', 'succeeded', 'yes') -contains $t) { return $true }
    if (@('false', 'unreachable', 'failed', 'fail', 'error', 'no', 'timeout') -contains $t) { return $false }
    return $null
}

function Add-UmcCheckRows {
    # `azcmagent check -j`: its JSON schema is undocumented (successor-readiness.md s.2.4, s.8), so
    # any object with an endpoint-like string (a host or URL) and a reachable-like value is a row.
    param($Rows, $Doc, [int]$Depth)
    if ($null -eq $Doc -or $Depth -gt 5) { return }
    foreach ($item in @($Doc)) {
        if ($null -eq $item -or $item -is [string] -or $item -is [bool] -or $item -is [int] -or $item -is [long] -or $item -is [double]) { continue }
        $ep = $null; $ok = $null; $priv = $null
        foreach ($prop in $item.PSObject.Properties) {
            $k = ConvertTo-UmcKey $prop.Name
            $v = $prop.Value
            if ($v -is [array] -or $v -is [System.Management.Automation.PSCustomObject]) { continue }
            if (-not $ep -and @('endpoint', 'url', 'uri', 'address', 'host', 'hostname', 'fqdn', 'name') -contains $k -and $v -is [string] -and $v.Contains('.')) { $ep = $v.Trim() }
            if ($null -eq $ok -and @('reachable', 'isreachable', 'success', 'succeeded', 'passed', 'status', 'result', 'connectivity', 'reachability') -contains $k) { $ok = ConvertTo-UmcTruth $v }
            if ($null -eq $priv -and @('private', 'privateendpoint', 'isprivate', 'privatelink', 'usedprivateendpoint') -contains $k) { $priv = ConvertTo-UmcTruth $v }
            if (($prop.Name.Contains('://') -or $prop.Name.Split('.').Count -ge 3) -and $null -ne (ConvertTo-UmcTruth $v)) {
                Add-UmcCheckRow $Rows $prop.Name.Trim() (ConvertTo-UmcTruth $v) $null
            }
        }
        if ($ep -and $null -ne $ok) { Add-UmcCheckRow $Rows $ep $ok $priv }
        foreach ($prop in $item.PSObject.Properties) {
            $v = $prop.Value
            if ($v -is [array] -or $v -is [System.Management.Automation.PSCustomObject]) { Add-UmcCheckRows $Rows $v ($Depth + 1) }
        }
    }
}

function Add-UmcCheckRow {
    param($Rows, [string]$Endpoint, $Reachable, $Private)
    if ($Rows.Count -ge 64) { return }
    foreach ($r in $Rows) { if ($r.endpoint -eq $Endpoint) { return } }
    if ($Endpoint.Length -gt 256) { $Endpoint = $Endpoint.Substring(0, 256) }
    [void]$Rows.Add(@{ endpoint = $Endpoint; reachable = $Reachable; private = $Private })
}

function Get-UmcArcCheck {
    # Opt-in (scan --arc-check): `azcmagent check -j --location <region>` for the agent's own region
    # (show -j), else the scan's account location; 60 s at most, it probes every endpoint itself.
    param([string]$OwnLocation)
    $loc = ([string]$OwnLocation -replace '\s', '').ToLower()
    if (-not $loc) { $loc = ([string]$P.arc_location -replace '\s', '').ToLower() }
    if ($loc -cnotmatch '^[a-z0-9]{1,40}$') { $loc = '' }
    $text = Invoke-UmcAzcmagent 'check' 60000 $loc
    $out = @{ location = $null; exit_code = $null; endpoints = @(); error = $null }
    if ($loc) { $out.location = $loc }
    if ($null -eq $text) { $out.error = 'timeout'; return $out }
    $out.exit_code = $UmcLastRun.exit_code
    $doc = ConvertTo-UmcJson $text
    if ($null -eq $doc) { $out.error = 'not json'; return $out }
    $rows = New-Object System.Collections.ArrayList
    Add-UmcCheckRows $rows $doc 0
    $out.endpoints = @($rows.ToArray())
    if ($rows.Count -eq 0) { $out.error = 'no endpoint rows' }
    return $out
}

function Get-UmcHimdsProbe {
    # GET the identity endpoint without the secret: himds answers 401 with
    # WWW-Authenticate: Basic realm=<key file> (managed-identity-authentication on Learn). Only the
    # status and whether the challenge is Basic realm= are kept; the key file is never read.
    $timeoutMs = [int]($P.probe_timeout * 1000)
    $out = @{ status = $null; basic_realm = $false; error = $null }
    $url = $UmcHimdsUrl
    $o = $P.overrides['localhost']
    if (-not $o) { $o = $P.overrides['*'] }
    if ($o) { $url = 'http://' + $o + (New-Object System.Uri($UmcHimdsUrl)).PathAndQuery }
    $resp = $null
    try {
        $req = [System.Net.WebRequest]::Create($url)
        $req.Method = 'GET'
        $req.Timeout = $timeoutMs
        $req.ReadWriteTimeout = $timeoutMs
        $req.AllowAutoRedirect = $false
        $req.KeepAlive = $false
        $req.Proxy = $null
        $req.Headers.Add('Metadata', 'true')
        $resp = $req.GetResponse()
        $out.status = [int]$resp.StatusCode
    } catch {
        $we = $_.Exception
        while ($null -ne $we.InnerException -and -not ($we -is [System.Net.WebException])) { $we = $we.InnerException }
        if (($we -is [System.Net.WebException]) -and ($null -ne $we.Response)) {
            $out.status = [int]$we.Response.StatusCode
            $challenge = [string]$we.Response.Headers['WWW-Authenticate']
            $out.basic_realm = ($challenge -match '^\s*Basic\s+realm\s*=')
            $we.Response.Close()
        } elseif (($we -is [System.Net.WebException]) -and ([string]$we.Status -eq 'Timeout')) {
            $out.error = 'timeout'
        } elseif (($we -is [System.Net.WebException]) -and ([string]$we.Status -eq 'ConnectFailure')) {
            $out.error = 'refused'
        } else {
            $out.error = 'other'
        }
    } finally {
        if ($null -ne $resp) { $resp.Close() }
    }
    return $out
}

function Test-UmcArcUninstallEntry {
    $key = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall'
    foreach ($k in @(Get-ChildItem -LiteralPath $key -ErrorAction SilentlyContinue | Select-Object -First 2000)) {
        if ([string]$k.GetValue('DisplayName') -eq 'Azure Connected Machine Agent') { return $true }
    }
    return $false
}

function ConvertTo-UmcVersionKey {
    # Sortable form of a folder version: each numeric part padded (1.10 after 1.9).
    param([string]$Version)
    $parts = @($Version.Split('.') | ForEach-Object { ([string]$_).PadLeft(10, '0') })
    return ($parts -join '.')
}

function Get-UmcNewestFile {
    param([string]$Dir, [string]$Filter)
    if (-not (Test-Path -LiteralPath $Dir)) { return $null }
    $files = @(Get-ChildItem -LiteralPath $Dir -Filter $Filter -File -ErrorAction SilentlyContinue | Select-Object -First 4096)
    if ($files.Count -eq 0) { return $null }
    return ($files | Sort-Object -Property @{ Expression = { $_.LastWriteTimeUtc } }, @{ Expression = { $_.Name.PadLeft(20, '0') } } -Descending | Select-Object -First 1)
}

function Get-UmcJsonFile {
    param($File)
    if ($null -eq $File -or $File.Length -gt 262144) { return $null }
    return ConvertTo-UmcJson ([string](Get-Content -LiteralPath $File.FullName -Raw -ErrorAction Stop))
}

function Get-UmcExtensionItem {
    param($Plugin)
    $versions = @(Get-ChildItem -LiteralPath $Plugin.FullName -Directory -ErrorAction SilentlyContinue | Select-Object -First 64)
    if ($versions.Count -eq 0) { return $null }
    $newest = $versions | Sort-Object -Property @{ Expression = { ConvertTo-UmcVersionKey $_.Name } } -Descending | Select-Object -First 1
    $item = @{ name = $Plugin.Name; version = $newest.Name; status = $null; code = $null; message = $null; status_time = $null; settings_url = $null }
    $statusFile = Get-UmcNewestFile (Join-Path $newest.FullName 'Status') '*.status'
    if ($null -ne $statusFile) {
        $item.status_time = $statusFile.LastWriteTimeUtc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'")
        $doc = $null
        try { $doc = Get-UmcJsonFile $statusFile } catch { $doc = $null }
        $first = @($doc) | Select-Object -First 1
        if ($null -ne $first -and $null -ne $first.status) {
            $st = $first.status
            if ($st.status -is [string]) { $item.status = $st.status }
            if ($null -ne $st.code) { $item.code = [string]$st.code }
            if ($null -ne $st.formattedMessage -and $st.formattedMessage.message -is [string]) {
                $m = [string]$st.formattedMessage.message
                if ($m.Length -gt $UmcMessageCap) { $m = $m.Substring(0, $UmcMessageCap) }
                $item.message = $m
            }
        }
    }
    if ($Plugin.Name -eq $UmcHrwWindows) {
        # Public settings only: AutomationAccountURL of the newest RuntimeSettings\*.settings
        # (troubleshoot extension-based HRW on Learn). protectedSettings is never looked at.
        $settings = Get-UmcNewestFile (Join-Path $newest.FullName 'RuntimeSettings') '*.settings'
        $doc = $null
        try { $doc = Get-UmcJsonFile $settings } catch { $doc = $null }
        foreach ($rs in @($doc.runtimeSettings)) {
            if ($null -eq $rs -or $null -eq $rs.handlerSettings -or $null -eq $rs.handlerSettings.publicSettings) { continue }
            $url = $rs.handlerSettings.publicSettings.AutomationAccountURL
            if ($url -is [string] -and $url.Trim()) { $item.settings_url = $url.Trim(); break }
        }
    }
    return $item
}

Invoke-UmcSection 'arc' {
    $installed = (Test-Path -LiteralPath $UmcAzcmagentExe) -or (Test-UmcArcUninstallEntry)
    $proxyEnv = ConvertTo-UmcStr ([System.Environment]::GetEnvironmentVariable('HTTPS_PROXY', 'Machine'))
    $out = @{
        installed = $installed; version = $null; status = $null; last_heartbeat = $null; error_code = $null
        error_details = $null; resource_id = $null; location = $null; config = @{}; himds = $null
        services = @(@('himds', 'ExtensionService', 'GCArcService', 'arcproxy') | ForEach-Object { Get-UmcSvcState $_ })
        msft_arc_test = ([string][System.Environment]::GetEnvironmentVariable('MSFT_ARC_TEST', 'Machine')).Trim().ToLower() -eq 'true'
        https_proxy_env = Get-UmcRedacted $proxyEnv
    }
    if ($installed) {
        $cmdMs = 15000
        if (Test-Path -LiteralPath $UmcAzcmagentExe) {
            $show = ConvertTo-UmcJson (Invoke-UmcAzcmagent 'show' $cmdMs)
            if ($null -ne $show) {
                $out.status = Get-UmcJsonField $show @('status', 'agentstatus')
                $out.last_heartbeat = ConvertTo-UmcIsoTime (Get-UmcJsonField $show @('lastheartbeat', 'agentlastheartbeat'))
                $out.error_code = Get-UmcJsonField $show @('errorcode', 'agenterrorcode')
                $out.error_details = Get-UmcJsonField $show @('errordetails', 'agenterrordetails')
                $out.resource_id = Get-UmcJsonField $show @('resourceid', 'azureresourceid')
                $out.location = Get-UmcJsonField $show @('location', 'region')
            }
            $ver = Invoke-UmcAzcmagent 'version' $cmdMs
            if ($ver -match '(\d+\.\d+(\.\d+)*)') { $out.version = $Matches[1] }
            elseif ($null -ne $show) { $out.version = Get-UmcJsonField $show @('agentversion') }
            $config = @{}
            Add-UmcConfigTree $config (ConvertTo-UmcJson (Invoke-UmcAzcmagent 'config' $cmdMs)) 0
            $out.config = $config
            if ($P.arc_check) { $out.check = Get-UmcArcCheck $out.location }
        }
        $out.himds = Get-UmcHimdsProbe
        $suites = Get-UmcCipherSuites
        if ($null -ne $suites) { $out.tls_cipher_suites = $suites.names }
        $out.service_logon = Get-UmcServiceLogonRight
    }
    $out
}

function Get-UmcCipherSuites {
    # Enabled TLS cipher suites in order (Arc troubleshoot-networking): Get-TlsCipherSuite where it
    # exists (Windows Server 2016+), else the Functions list, the GPO one winning over the local one.
    if (Get-Command Get-TlsCipherSuite -ErrorAction SilentlyContinue) {
        return @{ names = @(Get-TlsCipherSuite -ErrorAction SilentlyContinue | ForEach-Object { [string]$_.Name } | Select-Object -First 128) }
    }
    foreach ($key in @('HKLM:\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002',
                       'HKLM:\SYSTEM\CurrentControlSet\Control\Cryptography\Configuration\Local\SSL\00010002')) {
        $v = Get-UmcRegValue $key 'Functions'
        if ($null -ne $v) {
            return @{ names = @(([string]($v -join ',')).Split(',') | ForEach-Object { $_.Trim() } | Where-Object { $_ } | Select-Object -First 128) }
        }
    }
    return $null
}

function Get-UmcServiceLogonRight {
    # "Log on as a service" as Group Policy sets it: the winning (precedence 1) RSOP_UserPrivilegeRight
    # row from the RSoP WMI data the Group Policy engine keeps. Read-only: no secedit export file.
    # No row: the right is not defined by a GPO, and the local default applies.
    try {
        $rows = @(Get-CimInstance -Namespace 'root\rsop\computer' -ClassName 'RSOP_UserPrivilegeRight' -Filter "UserRight='SeServiceLogonRight' AND precedence=1" -ErrorAction Stop)
    } catch {
        return @{ gpo_defined = $null; holders = @(); error = (([string]$_.Exception.Message) -split "\r?\n")[0] }
    }
    $holders = New-Object System.Collections.ArrayList
    foreach ($r in $rows) { foreach ($a in @($r.AccountList)) { if ($a) { [void]$holders.Add([string]$a) } } }
    @{ gpo_defined = ($rows.Count -gt 0); holders = @($holders.ToArray()); error = $null }
}

Invoke-UmcSection 'azure_vm' {
    @{ services = @(@('WindowsAzureGuestAgent', 'RdAgent') | ForEach-Object { Get-UmcSvcState $_ }) }
}

Invoke-UmcSection 'extensions' {
    # %SystemDrive%\Packages\Plugins\<publisher>.<type>\<version> for Azure VMs and Arc alike
    # (agent-overview, troubleshoot extension-based HRW on Learn); newest version folder only,
    # Microsoft's extensions first, at most $UmcExtensionCap.
    $items = New-Object System.Collections.ArrayList
    if (Test-Path -LiteralPath $UmcPluginsDir) {
        $order = @(@{ Expression = { -not $_.Name.StartsWith('Microsoft.') } }, @{ Expression = { $_.Name } })
        $plugins = @(Get-ChildItem -LiteralPath $UmcPluginsDir -Directory -ErrorAction SilentlyContinue | Sort-Object -Property $order | Select-Object -First $UmcExtensionCap)
        foreach ($plugin in $plugins) {
            $item = Get-UmcExtensionItem $plugin
            if ($null -ne $item) { [void]$items.Add($item) }
        }
    }
    @{ items = @($items.ToArray()) }
}

Invoke-UmcSection 'hrw2' {
    $v2 = 'HKLM:\SOFTWARE\Microsoft\HybridRunbookWorkerV2'
    $jrds = $null
    # JobRuntimeDataServiceUri under a subkey of ...V2: the value name comes from a Microsoft support
    # script, not from Learn (successor-readiness.md s.3.1, [C-partial]).
    foreach ($k in @(Get-ChildItem -LiteralPath $v2 -ErrorAction SilentlyContinue | Select-Object -First 16)) {
        $jrds = ConvertTo-UmcStr $k.GetValue('JobRuntimeDataServiceUri')
        if ($jrds) { break }
        foreach ($g in @(Get-ChildItem -LiteralPath $k.PSPath -ErrorAction SilentlyContinue | Select-Object -First 16)) {
            $jrds = ConvertTo-UmcStr $g.GetValue('JobRuntimeDataServiceUri')
            if ($jrds) { break }
        }
        if ($jrds) { break }
    }
    # Job failures the troubleshooting page names (successor-readiness.md s.3.4): Win32 exit codes
    # 4294967295 (auth/size) and 2148734720 (custom run-as user lacks folder rights), last 7 days.
    $jobErrors = $null; $jobNewest = $null
    if (Test-UmcLog 'Microsoft-SMA/Operational') {
        $jobErrors = @{}
        $since = (Get-Date).AddHours(-168)
        foreach ($e in (Get-UmcEvents @{ LogName = 'Microsoft-SMA/Operational'; StartTime = $since } 2000)) {
            $text = [string]$e.Message
            foreach ($code in @('4294967295', '2148734720')) {
                if ($text.Contains('Win32 Process Exited with code [' + $code + ']')) {
                    $jobErrors[$code] = 1 + [int]$jobErrors[$code]
                    if ($null -eq $jobNewest) { $jobNewest = $e.TimeCreated.ToUniversalTime().ToString('o') }
                }
            }
        }
    }
    @{
        service = Get-UmcSvcState 'HybridWorkerService'
        job_errors = $jobErrors
        # A custom run-as user needs Read on the Arc Tokens folder and Read & Execute on the plugin
        # folder, granted directly (troubleshoot extension-based HRW; successor-readiness.md s.3.2).
        folder_acls = @((Get-UmcFolderAcl (Join-Path $env:ProgramData 'AzureConnectedMachineAgent\Tokens')),
                        (Get-UmcFolderAcl (Join-Path $UmcPluginsDir 'Microsoft.Azure.Automation.HybridWorker.HybridWorkerForWindows')))
        job_errors_newest = $jobNewest
        user_present = $null
        v2_key_present = Test-Path -LiteralPath $v2
        azure_key_present = Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Azure\HybridWorker'
        jrds_uri = $jrds
    }
}

# ------------------------------------------------------------------------------------------
# Probes: all in parallel (one runspace each), explicit timeout each, one overall deadline.

$UmcProbeBlock = {
    param($Spec, $TimeoutMs, $Overrides, $ProxyUrl, $Bypass)
    $r = @{ name = $Spec.name; target = $Spec.target; port = $Spec.port; kind = $Spec.kind; via = $Spec.via
            ok = $false; status = $null; error = $null; detail = $null; elapsed_ms = 0; workspace = $Spec.workspace; address = $null }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    try {
        if ($Spec.target.Contains('*')) {
            $r.error = 'skipped'
            $r.detail = 'workspace unknown: nothing to probe'
        } elseif ($Spec.kind -eq 'hrw2') {
            # The worker's own host: DNS, then TCP 443 and a TLS handshake with the name (SNI,
            # certificate validated; SslStream on MS docs). An overridden target (tests) is not resolved.
            $h = $Spec.target
            $port = [int]$Spec.port
            $o = $Overrides[$h]
            if (-not $o) { $o = $Overrides['*'] }
            if ($o) { $i = $o.LastIndexOf(':'); $addr = $o.Substring(0, $i); $port = [int]$o.Substring($i + 1) }
            else { $addr = ([System.Net.Dns]::GetHostAddresses($h) | Select-Object -First 1).IPAddressToString }
            $r.address = $addr
            $client = New-Object System.Net.Sockets.TcpClient
            try {
                $task = $client.ConnectAsync($addr, $port)
                if (-not $task.Wait($TimeoutMs)) { $r.error = 'timeout'; $r.detail = 'no answer within the probe timeout' }
                else {
                    $tls = New-Object System.Net.Security.SslStream($client.GetStream(), $false)
                    try {
                        $auth = $tls.AuthenticateAsClientAsync($h)
                        if ($auth.Wait($TimeoutMs)) { $r.ok = $true }
                        else { $r.error = 'timeout'; $r.detail = 'no TLS handshake within the probe timeout' }
                    } finally { $tls.Dispose() }
                }
            } finally { $client.Close() }
        } elseif ($Spec.kind -eq 'tcp' -or $Spec.kind -eq 'wireserver') {
            $h = $Spec.target
            $port = [int]$Spec.port
            $o = $Overrides[$h]
            if (-not $o) { $o = $Overrides['*'] }
            if ($o) { $i = $o.LastIndexOf(':'); $h = $o.Substring(0, $i); $port = [int]$o.Substring($i + 1) }
            $client = New-Object System.Net.Sockets.TcpClient
            try {
                $task = $client.ConnectAsync($h, $port)
                if ($task.Wait($TimeoutMs)) { $r.ok = $client.Connected }
                else { $r.error = 'timeout'; $r.detail = 'no answer within the probe timeout' }
            } finally { $client.Close() }
        } else {
            $uri = New-Object System.Uri($Spec.target)
            $url = $Spec.target
            $o = $Overrides[$uri.Host]
            if (-not $o) { $o = $Overrides['*'] }
            if ($o -and $Spec.via -eq 'direct') { $url = $uri.Scheme + '://' + $o + $uri.PathAndQuery }
            $req = [System.Net.WebRequest]::Create($url)
            $req.Method = 'GET'
            $req.Timeout = $TimeoutMs
            $req.ReadWriteTimeout = $TimeoutMs
            $req.AllowAutoRedirect = $false
            $req.KeepAlive = $false
            $req.UserAgent = 'umcheck-collector'
            if ($o -and $Spec.via -eq 'direct') { $req.Host = $uri.Authority }
            if ($Spec.name -eq 'imds') { $req.Headers.Add('Metadata', 'true') }
            # A host on the WinHTTP bypass list (e.g. 169.254.169.254, as the IMDS remediation asks)
            # is not sent through the proxy, as WinHTTP would not: the probe goes direct, noted.
            $bypassed = $false
            if ($Spec.via -eq 'proxy' -and $Bypass -and $Spec.kind -ne 'arc') {  # Arc: the agent's proxy.bypass, not WinHTTP's
                foreach ($b in (([string]$Bypass) -split '[;\s]+')) {
                    if (-not $b) { continue }
                    if (($b -eq '<local>' -and -not $uri.Host.Contains('.')) -or ($b -ne '<local>' -and $uri.Host -like $b)) { $bypassed = $true }
                }
            }
            if ($bypassed) {
                $req.Proxy = $null
                $r.detail = $uri.Host + ' bypasses the proxy (WinHTTP bypass list)'
            } elseif ($Spec.via -eq 'proxy') {
                $purl = $ProxyUrl
                if (-not $purl.Contains('://')) { $purl = 'http://' + $purl }
                $pu = New-Object System.Uri($purl)
                $po = $Overrides[$pu.Host]
                if (-not $po) { $po = $Overrides['*'] }
                if ($po) { $purl = 'http://' + $po }
                $req.Proxy = New-Object System.Net.WebProxy($purl)
            } else {
                $req.Proxy = $null
            }
            $resp = $null
            if ($Spec.via -eq 'proxy' -and -not $bypassed -and $uri.Scheme -eq 'https') {
                # HttpWebRequest reports a proxy refusing the tunnel (403, 407, 502, ...) exactly like
                # an answer from the endpoint. Asking for the tunnel ourselves first tells them apart
                # (docs/facts.md): anything but 200 to CONNECT is the proxy's own answer.
                $tu = New-Object System.Uri($purl)
                $tc = New-Object System.Net.Sockets.TcpClient
                try {
                    $task = $tc.ConnectAsync($tu.Host, $tu.Port)
                    $tunnel = -1
                    if ($task.Wait($TimeoutMs)) {
                    $tc.Client.ReceiveTimeout = $TimeoutMs
                    $tc.Client.SendTimeout = $TimeoutMs
                    $hp = $uri.Host + ':' + $uri.Port
                    [void]$tc.Client.Send([System.Text.Encoding]::ASCII.GetBytes('CONNECT ' + $hp + " HTTP/1.1`r`nHost: " + $hp + "`r`n`r`n"))
                    $buf = New-Object byte[] 4096
                    $n = $tc.Client.Receive($buf)
                    $head = [System.Text.Encoding]::ASCII.GetString($buf, 0, $n)
                    $tunnel = 0
                    if ($head -match '^HTTP/\d(\.\d)?\s+(\d{3})') { $tunnel = [int]$Matches[2] }
                    }
                } finally { $tc.Close() }
                if ($tunnel -eq -1) {
                    $r.error = 'timeout'
                    $r.detail = 'no answer from the proxy within the probe timeout'
                } elseif ($tunnel -ne 200) {
                    $r.status = $tunnel
                    if ($tunnel -eq 0) { $r.status = $null }
                    $r.error = 'proxy'
                    $r.detail = 'proxy CONNECT answered ' + $tunnel
                }
            }
            if ($r.error) {
                # the proxy refused the tunnel: nothing more to ask
            } else {
            try {
                $resp = $req.GetResponse()
                $r.status = [int]$resp.StatusCode
                $r.ok = $true
            } catch {
                $we = $_.Exception
                while ($null -ne $we.InnerException -and -not ($we -is [System.Net.WebException])) { $we = $we.InnerException }
                if (($we -is [System.Net.WebException]) -and ($null -ne $we.Response)) {
                    $r.status = [int]$we.Response.StatusCode
                    $we.Response.Close()
                    # An answer the proxy gives itself is a failure of the proxy path, status kept
                    # (docs/facts.md): 407 (authentication), 502/504 (gateway: the endpoint was not
                    # reached). Any other status came from the endpoint and proves it answers.
                    if ($Spec.via -eq 'proxy' -and -not $bypassed -and $r.status -eq 407) { $r.error = 'proxy'; $r.detail = 'proxy authentication required' }
                    elseif ($Spec.via -eq 'proxy' -and -not $bypassed -and ($r.status -eq 502 -or $r.status -eq 504)) { $r.error = 'proxy'; $r.detail = 'proxy gateway error: HTTP ' + $r.status }
                    else { $r.ok = $true }
                } else {
                    throw
                }
            } finally {
                if ($null -ne $resp) { $resp.Close() }
            }
            }
        }
    } catch {
        $e = $_.Exception
        while ($null -ne $e.InnerException -and -not (($e -is [System.Net.WebException]) -or ($e -is [System.Net.Sockets.SocketException]) -or ($e -is [System.Security.Authentication.AuthenticationException]))) { $e = $e.InnerException }
        $st = ''
        if ($e -is [System.Net.WebException]) { $st = [string]$e.Status }
        if ($e -is [System.Net.Sockets.SocketException]) { $st = [string]$e.SocketErrorCode }
        if ($e -is [System.Security.Authentication.AuthenticationException]) { $st = 'TrustFailure' }
        $classes = @{ NameResolutionFailure = 'dns'; HostNotFound = 'dns'; NoData = 'dns'; TryAgain = 'dns'
                      ProxyNameResolutionFailure = 'proxy'; ConnectionRefused = 'refused'; ConnectFailure = 'refused'
                      Timeout = 'timeout'; TimedOut = 'timeout'; TrustFailure = 'tls'; SecureChannelFailure = 'tls'
                      ConnectionReset = 'reset'; ConnectionClosed = 'reset'; ReceiveFailure = 'reset'; SendFailure = 'reset'
                      KeepAliveFailure = 'reset'; ServerProtocolViolation = 'http' }
        $r.error = $classes[$st]
        if (-not $r.error) { $r.error = 'other' }
        $msg = [string]$e.Message
        if ($msg.Length -gt 200) { $msg = $msg.Substring(0, 200) }
        $r.detail = ($st + ': ' + $msg).Trim()
    }
    $r.elapsed_ms = [int]$clock.ElapsedMilliseconds
    $r
}

function Get-UmcProbeProxy {
    # The proxy an HTTPS probe should go through: the agent's own, else WinHTTP, else WinINET.
    $candidates = @()
    try { $candidates += Get-UmcAgentProxy } catch { }
    try { $candidates += (Get-UmcWinHttpProxy).proxy } catch { }
    try { $candidates += Get-UmcWinInetSystemProxy } catch { }
    try { $candidates += Get-UmcWinInetPolicyProxy } catch { }
    foreach ($c in $candidates) {
        if (-not $c) { continue }
        foreach ($part in $c.Split(';')) {
            if ($part.StartsWith('https=')) { return $part.Substring(6) }
        }
        foreach ($part in $c.Split(';')) {
            if ($part.StartsWith('http=')) { return $part.Substring(5) }
        }
        return $c.Split(';')[0]
    }
    return $null
}

function Get-UmcDefaultEndpoints {
    # Offline run without parameters: public cloud, plus what the machine itself records.
    $tld = 'azure.com'
    $auto = 'azure-automation.net'
    if ($P.cloud -eq 'usgov') { $tld = 'azure.us'; $auto = 'azure-automation.us' }
    if ($P.cloud -eq 'china') { $tld = 'azure.cn'; $auto = 'azure-automation.cn' }
    @{ name = 'agentsvc'; template = '{workspace}.agentsvc.' + $auto; port = 443; kind = 'tcp' }
    @{ name = 'ods'; template = '{workspace}.ods.opinsights.' + $tld; port = 443; kind = 'tcp' }
    @{ name = 'oms'; template = '{workspace}.oms.opinsights.' + $tld; port = 443; kind = 'tcp' }
    @{ name = 'imds'; template = $UmcImdsUrl; port = 80; kind = 'http' }
    @{ name = 'internet'; template = 'bing.com'; port = 443; kind = 'tcp' }
    # successor pack (umcheck/endpoints.py successor_templates, public cloud): the required Arc
    # hosts, Update Manager troubleshooter's Windows Update hosts, the WireServer.
    foreach ($a in @(@('arc_login', 'login.microsoftonline.com'), @('arc_pas', 'pas.windows.net'), @('arc_his', 'gbl.his.arc.azure.com'),
                     @('arc_gc', 'agentserviceapi.guestconfiguration.azure.com'), @('arc_gns', 'guestnotificationservice.azure.com'))) {
        if (-not $P.cloud -or $P.cloud -eq 'public') { @{ name = $a[0]; template = 'https://' + $a[1]; port = 443; kind = 'arc' } }
    }
    foreach ($h in @('windowsupdate.microsoft.com', 'dl.delivery.mp.microsoft.com', 'download.windowsupdate.com', 'download.microsoft.com', 'ntservicepack.microsoft.com', 'go.microsoft.com')) {
        @{ name = 'wu'; template = 'https://' + $h; port = 443; kind = 'wu' }
    }
    @{ name = 'wireserver'; template = '168.63.129.16'; port = 80; kind = 'wireserver' }
    @{ name = 'wireserver'; template = '168.63.129.16'; port = 32526; kind = 'wireserver' }
}

function Get-UmcSuccessorProxies {
    # Which proxy each successor probe goes through. Arc: the agent's own (config proxy.url, else
    # machine HTTPS_PROXY) - never the system proxy (Arc network-requirements). WU: WinHTTP's.
    $arc = $null
    if ($UmcFacts.ContainsKey('arc') -and $null -ne $UmcFacts['arc']) {
        $a = $UmcFacts['arc']
        if ($a.config -and $a.config['proxy.url']) { $arc = [string]$a.config['proxy.url'] }
    }
    if (-not $arc) { $arc = ConvertTo-UmcStr ([System.Environment]::GetEnvironmentVariable('HTTPS_PROXY', 'Machine')) }
    if ($arc -and $arc.Contains('***@')) { $arc = $null }  # credentials were redacted: unusable, go direct
    $wu = $null
    try { $wu = (Get-UmcWinHttpProxy).proxy } catch { }
    if ($wu) {
        $parts = @($wu.Split(';'))
        $pick = @($parts | Where-Object { $_.StartsWith('https=') } | Select-Object -First 1)
        if ($pick.Count -gt 0) { $wu = $pick[0].Substring(6) } else { $wu = ($parts[0] -replace '^http=', '') }
    }
    return @{ arc = $arc; wu = $wu }
}

function Test-UmcAzureVmLike {
    # WireServer probes only where the Azure guest agent's services are installed (SCM).
    $names = @('WindowsAzureGuestAgent', 'RdAgent')
    foreach ($n in $names) { if ((Get-UmcServiceFacts $n).present) { return $true } }
    return $false
}

function Get-UmcWorkerHosts {
    # Only the host knows the worker's account: the extension's AutomationAccountURL and the V2
    # registration's JobRuntimeDataServiceUri; agentsvc shares the jrds name's shape ([I], s.3.1).
    $urls = New-Object System.Collections.ArrayList
    if ($UmcFacts.ContainsKey('extensions') -and $null -ne $UmcFacts['extensions']) {
        foreach ($e in @($UmcFacts['extensions'].items)) { if ($e.name -eq $UmcHrwWindows -and $e.settings_url) { [void]$urls.Add($e.settings_url) } }
    }
    if ($UmcFacts.ContainsKey('hrw2') -and $null -ne $UmcFacts['hrw2'] -and $UmcFacts['hrw2'].jrds_uri) { [void]$urls.Add($UmcFacts['hrw2'].jrds_uri) }
    $hosts = New-Object System.Collections.ArrayList
    foreach ($u in $urls) {
        $h = $null
        try { $h = (New-Object System.Uri([string]$u)).Host } catch { continue }
        if ($h -and -not $hosts.Contains($h)) { [void]$hosts.Add($h) }
    }
    $out = New-Object System.Collections.ArrayList
    foreach ($h in $hosts) {
        [void]$out.Add(@{ name = 'hrw2_jrds'; target = $h; port = 443; kind = 'hrw2'; via = 'direct'; workspace = $null })
        if ($h.Contains('.jrds.')) {
            [void]$out.Add(@{ name = 'hrw2_agentsvc'; target = $h.Replace('.jrds.', '.agentsvc.'); port = 443; kind = 'hrw2'; via = 'direct'; workspace = $null })
        }
    }
    return ,$out
}

function Get-UmcProbeSpecs {
    param($Workspaces, $Registrations, [string]$Proxy)
    $endpoints = @($P.endpoints)
    if ($endpoints.Count -eq 0) { $endpoints = @(Get-UmcDefaultEndpoints) }
    $seen = @{}
    $specs = New-Object System.Collections.ArrayList
    $all = New-Object System.Collections.ArrayList
    $sp = Get-UmcSuccessorProxies
    $azureVm = $null
    foreach ($t in $endpoints) {
        $kind = [string]$t.kind
        if (-not $kind) { $kind = 'tcp' }
        $port = 443
        if ($null -ne $t.port) { $port = [int]$t.port }
        if (@('arc', 'wu', 'wireserver', 'hrw2') -contains $kind) {
            # successor probes: one each, through the proxy their client uses (docs/facts.md)
            $via = 'direct'; $px = $null
            if ($kind -eq 'arc' -and $sp.arc) { $via = 'proxy'; $px = $sp.arc }
            if ($kind -eq 'wu' -and $sp.wu) { $via = 'proxy'; $px = $sp.wu }
            if ($kind -eq 'wireserver') {
                if ($null -eq $azureVm) { $azureVm = Test-UmcAzureVmLike }
                if (-not $azureVm) { continue }
            }
            if ($kind -eq 'hrw2') { continue }
            [void]$all.Add(@{ name = [string]$t.name; target = [string]$t.template; port = $port; kind = $kind; via = $via; workspace = $null; proxy = $px })
            continue
        }
        $targets = @()
        if (([string]$t.template).Contains('{workspace}')) {
            if (@($Workspaces).Count -eq 0) { $targets += ,@(([string]$t.template).Replace('{workspace}', '*'), $null) }
            foreach ($w in @($Workspaces)) { $targets += ,@(([string]$t.template).Replace('{workspace}', $w), $w) }
        } else {
            $targets += ,@([string]$t.template, $null)
        }
        foreach ($pair in $targets) {
            [void]$all.Add(@{ name = [string]$t.name; target = $pair[0]; port = $port; kind = $kind; via = 'direct'; workspace = $pair[1] })
            if ($kind -ne 'tcp') {
                [void]$all.Add(@{ name = [string]$t.name; target = $pair[0]; port = $port; kind = $kind; via = 'proxy'; workspace = $pair[1] })
            }
        }
    }
    foreach ($reg in @($Registrations)) {
        if (-not $reg.jrds_uri) { continue }
        $u = $null
        try { $u = New-Object System.Uri($reg.jrds_uri) } catch { continue }
        [void]$all.Add(@{ name = 'jrds_recorded'; target = $u.Host; port = 443; kind = 'tcp'; via = 'direct'; workspace = $null })
        $base = $u.Scheme + '://' + $u.Authority
        [void]$all.Add(@{ name = 'https_recorded'; target = $base; port = $u.Port; kind = 'https'; via = 'direct'; workspace = $null })
        [void]$all.Add(@{ name = 'https_recorded'; target = $base; port = $u.Port; kind = 'https'; via = 'proxy'; workspace = $null })
    }
    foreach ($h in (Get-UmcWorkerHosts)) { [void]$all.Add($h) }
    foreach ($s in $all) {
        $key = $s.name + '|' + $s.target + '|' + $s.port + '|' + $s.kind + '|' + $s.via
        if ($seen.ContainsKey($key)) { continue }
        $seen[$key] = $true
        [void]$specs.Add($s)
    }
    return ,$specs
}

function Get-UmcProbeResults {
    param($Specs, [string]$Proxy)
    $timeoutMs = [int]($P.probe_timeout * 1000)
    $bypass = $null
    try { $bypass = (Get-UmcWinHttpProxy).bypass } catch { }
    $results = New-Object System.Collections.ArrayList
    $runnable = New-Object System.Collections.ArrayList
    foreach ($s in $Specs) {
        if ($s.via -eq 'proxy' -and -not ($Proxy -or $s.proxy)) { continue }
        [void]$runnable.Add($s)
    }
    if ($runnable.Count -eq 0) { return ,$results }
    [System.Net.ServicePointManager]::SecurityProtocol = [System.Net.ServicePointManager]::SecurityProtocol -bor [System.Net.SecurityProtocolType]::Tls12
    $pool = [runspacefactory]::CreateRunspacePool(1, [System.Math]::Max(1, $runnable.Count))
    $pool.Open()
    $jobs = New-Object System.Collections.ArrayList
    foreach ($s in $runnable) {
        $ps = [powershell]::Create()
        $ps.RunspacePool = $pool
        $px = $Proxy
        if ($s.proxy) { $px = $s.proxy }
        [void]$ps.AddScript($UmcProbeBlock.ToString()).AddArgument($s).AddArgument($timeoutMs).AddArgument($P.overrides).AddArgument($px).AddArgument($bypass)
        [void]$jobs.Add(@{ spec = $s; ps = $ps; handle = $ps.BeginInvoke() })
    }
    $deadline = $timeoutMs + 2000
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    while ($clock.ElapsedMilliseconds -lt $deadline) {
        $pending = @($jobs | Where-Object { -not $_.handle.IsCompleted })
        if ($pending.Count -eq 0) { break }
        Start-Sleep -Milliseconds 50
    }
    $allDone = $true
    foreach ($j in $jobs) {
        $s = $j.spec
        $r = $null
        if ($j.handle.IsCompleted) {
            try { $r = @($j.ps.EndInvoke($j.handle)) | Select-Object -Last 1 } catch { $r = $null }
            $j.ps.Dispose()
        } else {
            $allDone = $false
            [void]$j.ps.BeginStop($null, $null)
        }
        if ($null -eq $r) {
            $r = @{ name = $s.name; target = $s.target; port = $s.port; kind = $s.kind; via = $s.via; ok = $false; status = $null
                    error = 'timeout'; detail = 'no answer within the probe timeout (DNS?)'; elapsed_ms = $timeoutMs; workspace = $s.workspace; address = $null }
        }
        # A fresh hashtable of the contract fields (results come back wrapped from the runspace).
        $clean = @{}
        foreach ($k in @('name', 'target', 'port', 'kind', 'via', 'ok', 'status', 'error', 'detail', 'elapsed_ms', 'workspace', 'address')) { $clean[$k] = $r[$k] }
        [void]$results.Add($clean)
    }
    if ($allDone) { $pool.Dispose() }
    return ,$results
}

if (Test-UmcWanted 'probes') {
    try {
        $ws = New-Object System.Collections.ArrayList
        foreach ($w in @(Get-UmcConfiguredWorkspaces) + @(Get-UmcManagementGroupWorkspaces)) {
            if ($w -and -not $ws.Contains($w) -and $ws.Count -lt $UmcWorkspaceCap) { [void]$ws.Add($w) }
        }
        $regs = @()
        try { $regs = @(Get-UmcHrwRegistrations | Select-Object -First $UmcWorkspaceCap) } catch { $regs = @() }
        $proxy = Get-UmcProbeProxy
        $specs = Get-UmcProbeSpecs @($ws.ToArray()) $regs $proxy
        $UmcFacts['probes'] = @((Get-UmcProbeResults $specs $proxy).ToArray())
    } catch {
        Add-UmcError 'probes' ($_.Exception.Message)
    }
}

# ------------------------------------------------------------------------------------------
# Output: one JSON document (ASCII only) between the marker lines.

if ($UmcParamsError) { Add-UmcError 'collector' $UmcParamsError }
$domain = ConvertTo-UmcStr (Get-UmcRegValue 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters' 'Domain')
$fqdn = $null
if ($domain) { $fqdn = ($env:COMPUTERNAME + '.' + $domain).ToLower() }
$doc = @{
    facts_version = 2
    os_family = 'windows'
    host = @{ hostname = $env:COMPUTERNAME; fqdn = $fqdn }
    collector = @{
        name = 'umcheck-windows'
        version = $UmcVersion
        started = $UmcStarted.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'")
        elapsed_ms = [int]$UmcClock.ElapsedMilliseconds
        errors = @($UmcErrors.ToArray())
    }
    windows = $UmcFacts
}
$json = ConvertTo-Json -InputObject $doc -Depth 10 -Compress
$json = [regex]::Replace($json, '[^\x00-\x7F]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
Write-Output $UmcBegin
Write-Output $json
Write-Output $UmcEnd
