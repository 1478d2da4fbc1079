"""The Windows collector is read-only, PowerShell 5.1-compatible and speaks the envelope contract."""

from __future__ import annotations

import base64
import re

import pytest

from umcheck import envelope
from umcheck.collectors import invocation
from umcheck.collectors.invocation import MARKER, CollectorParams, script_text

from .ps_readonly import check

SCRIPT = script_text("windows.ps1")


def test_script_parses_and_uses_only_allowlisted_calls() -> None:
    assert check(SCRIPT) == []


def test_script_is_ascii_and_starts_with_the_marker_line() -> None:
    assert SCRIPT.isascii()  # stdin travels in the console code page: keep it 7-bit
    assert SCRIPT.splitlines()[0] == f"# {MARKER} windows 1"


def test_marker_strings_equal_the_envelope_module() -> None:
    assert re.search(r"^\$UmcBegin = '(.*)'$", SCRIPT, re.M).group(1) == envelope.BEGIN
    assert re.search(r"^\$UmcEnd = '(.*)'$", SCRIPT, re.M).group(1) == envelope.END


def test_every_windows_section_of_the_contract_is_collected() -> None:
    from typing import get_type_hints

    from umcheck.facts import WindowsFacts

    for section in get_type_hints(WindowsFacts):
        assert re.search(rf"Invoke-UmcSection '{section}'|Test-UmcWanted '{section}'", SCRIPT), section


def test_event_queries_are_bounded() -> None:
    assert "Get-EventLog" not in SCRIPT  # absent in PowerShell 7
    for line in SCRIPT.splitlines():
        if "Get-WinEvent" in line and "-ListLog" not in line:
            assert "-FilterHashtable" in line and "-MaxEvents" in line, line


PLANTED = [
    "Set-ItemProperty -Path 'HKLM:\\SOFTWARE\\X' -Name A -Value 1",
    "Remove-Item -LiteralPath 'C:\\x'",
    "New-Item -Path 'HKLM:\\SOFTWARE\\X'",
    "Start-Service HealthService",
    "Stop-Service -Name HealthService",
    "Restart-Service wuauserv",
    "Get-Service HealthService | Stop-Service",
    "Invoke-Expression 'whoami'",
    "iex $cmd",
    "Add-Type -TypeDefinition 'public class X {}'",
    "reg add HKLM\\SOFTWARE\\X /v A /d 1",
    "sc.exe config wuauserv start= disabled",
    "netsh winhttp reset proxy",
    "Start-Process notepad.exe",
    "Set-StrictMode -Version 2",
    ". C:\\other.ps1",
    "& $cmd",
    "[System.IO.File]::WriteAllText('C:\\x.txt', 'y')",
    "Write-Output ([Microsoft.Win32.Registry]::SetValue('HKEY_LOCAL_MACHINE\\X', 'A', 1))",
    "$UmcCfg.SetProxyInfo('', '', '')",
    "$UmcCfg.ReloadConfiguration()",
    "Write-Output $UmcCfg.RemoveCloudWorkspace('x')",
    "New-Object -ComObject 'WScript.Shell'",
    "$w = New-Object System.IO.StreamWriter('C:\\x.txt')",
    "'x' > C:\\temp\\out.txt",
    "$env:Path = 'C:\\evil'",
    "[System.Net.ServicePointManager]::DefaultConnectionLimit = 1",
    "function Remove-Things { }",
    "$a = $b ?? $c",
    "$h = $y?.Name",
    "Get-Date && Get-Date",
    "1..3 | ForEach-Object -Parallel { $_ }",
    "$x = $y ? 1 : 2",
    # facts v2: starting processes is confined to Invoke-UmcAzcmagent (ps_readonly.PROCESS_FUNCTION)
    "$p = [System.Diagnostics.Process]::Start('sc.exe', 'stop himds')",
    "$psi = New-Object System.Diagnostics.ProcessStartInfo",
    "$job.Kill()",
    "[void]$proc.WaitForExit(1000)",
    "$all = [System.Diagnostics.Process]::GetProcessesByName('himds')",
    "$UmcAzcmagentExe = 'C:\\Windows\\System32\\sc.exe'",
    "$psi.Arguments = 'show -j'",
    "[System.Environment]::SetEnvironmentVariable('MSFT_ARC_TEST', 'true', 'Machine')",
    "& $UmcAzcmagentExe check",
    "& 'azcmagent.exe' extension list",
]


@pytest.mark.parametrize("line", PLANTED)
def test_a_planted_forbidden_call_is_caught(line: str) -> None:
    marker = "# Output: one JSON document"
    assert marker in SCRIPT
    for planted in (
        SCRIPT.replace(marker, line + "\n" + marker),
        SCRIPT.replace(
            "    $clock = [System.Diagnostics.Stopwatch]::StartNew()\n    try {",
            "    $clock = [System.Diagnostics.Stopwatch]::StartNew()\n    " + line + "\n    try {",
            1,
        ),
    ):
        assert planted != SCRIPT
        assert check(planted), f"not caught: {line}"


def _decoded_bootstrap(command: str) -> str:
    b64 = command.rsplit(" ", 1)[1]
    return base64.b64decode(b64).decode("utf-16-le")


def test_winrm_bootstrap_reads_stdin_and_carries_no_parameters() -> None:
    a = invocation.windows_winrm(CollectorParams(probe_timeout=2.0, probe_overrides={"*": "127.0.0.1:9"}))
    b = invocation.windows_winrm(CollectorParams())
    assert a.command == b.command  # parameters never reach the command line
    assert a.command.startswith(
        "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand "
    )
    assert len(a.command) < 8 * 1024
    boot = _decoded_bootstrap(a.command)
    assert boot == invocation.BOOTSTRAP
    assert "$input" in boot and "-ParamsBlob $umcBlob" in boot
    assert check(boot, invoked_variables=frozenset({"([scriptblock]::create($umctext))"})) == []
    blob, script = a.stdin.decode("utf-8").split("\n", 1)
    assert CollectorParams.from_blob(blob).probe_overrides == {"*": "127.0.0.1:9"}
    assert script == SCRIPT
    assert a.os_family == "windows" and a.script is None


def test_psrp_script_carries_the_blob_as_a_parameter() -> None:
    params = CollectorParams(sections=["probes"], probe_timeout=1.5)
    inv = invocation.windows_psrp(params)
    assert inv.script == SCRIPT and inv.stdin is None  # the script text is the shipped file, untouched
    assert inv.parameters == (("ParamsBlob", params.to_blob()),)  # bound by PSRP, never spliced into text
    assert check(inv.script) == []
    assert invocation.extract_params(invocation.psrp_text(inv.script, inv.parameters), None) == params


def test_answers_the_proxy_gives_itself_are_proxy_errors_with_status_kept() -> None:
    """407 and the gateway errors 502/504 on a via=proxy probe are ``ok: false, error: proxy``
    (docs/facts.md); the status was set before and is kept; any other status is ``ok: true``."""
    body = SCRIPT[SCRIPT.index("$r.status = [int]$we.Response.StatusCode"):]
    body = body[: body.index("} else {")]
    branches = [ln.strip() for ln in body.splitlines() if ln.strip().startswith(("if (", "elseif (", "else {"))]
    assert len(branches) == 3, branches
    first, second, last = branches
    assert "$Spec.via -eq 'proxy'" in first and "$r.status -eq 407" in first and "$r.error = 'proxy'" in first
    assert "$Spec.via -eq 'proxy'" in second and "$r.error = 'proxy'" in second
    assert "$r.status -eq 502" in second and "$r.status -eq 504" in second
    assert "$r.ok = $true" in last
    assert "$r.ok = $true" not in first + second and "$r.status =" not in first + second


AZCMAGENT_ARGS_LINE = "    if ($Which -eq 'show') { $psi.Arguments = 'show -j' }"


@pytest.mark.parametrize(
    "planted",
    [
        "    if ($Which -eq 'show') { $psi.Arguments = 'check' }",  # contacts Azure endpoints
        "    if ($Which -eq 'show') { $psi.Arguments = 'extension list' }",  # needs extd stopped
        "    if ($Which -eq 'show') { $psi.Arguments = 'config set proxy.url http://x:1' }",
        "    if ($Which -eq 'show') { $psi.Arguments = 'disconnect --force-local-only' }",
        "    if ($Which -eq 'show') { $psi.Arguments = $Which }",
        "    if ($Which -eq 'show') { $psi.Arguments = 'show -j'; $psi.FileName = 'sc.exe' }",
        "    if ($Which -eq 'show') { $psi.Arguments = 'show -j' + ' ; logs' }",
        "    if ($Which -eq 'show') { $psi.Arguments = 'check -j --location ' + $Which }",  # unvalidated text
        "    if ($Which -eq 'show') { $psi.Arguments = 'check -j --location ' + $Region + ' --cloud x' }",
        "    if ($Which -eq 'show') { $psi.Arguments = 'check' }",  # without -j: not the pinned form
    ],
)
def test_azcmagent_runs_only_with_read_only_arguments(planted: str) -> None:
    """successor-readiness.md §2.2: show / config list / version are read-only; `check` contacts
    Azure and `extension list` needs the extension service stopped, so neither may ever run."""
    assert AZCMAGENT_ARGS_LINE in SCRIPT
    assert check(SCRIPT.replace(AZCMAGENT_ARGS_LINE, planted, 1)), planted


def test_the_v2_sections_never_read_protected_settings_or_the_himds_key_file() -> None:
    code = "\n".join(ln for ln in SCRIPT.splitlines() if not ln.lstrip().startswith("#"))
    assert "protectedSettings" not in code  # public settings only (successor-readiness.md §3.1)
    realm = code[code.index("function Get-UmcHimdsProbe"):]
    realm = realm[: realm.index("\n}\n")]
    assert "Get-Content" not in realm and "$challenge -match '^\\s*Basic\\s+realm\\s*='" in realm
    assert "$req.Headers.Add('Metadata', 'true')" in realm and "$req.Proxy = $null" in realm


def test_facts_version_2_is_written() -> None:
    assert re.search(r"^\s*facts_version = 2$", SCRIPT, re.M)


def test_azcmagent_check_is_opt_in_and_its_region_validated() -> None:
    """azcmagent-check on Learn contacts Azure: only `scan --arc-check` (params arc_check) runs it,
    and the one variable part, the region, is checked against ^[a-z0-9]{0,40}$ before it is used."""
    fn = SCRIPT[SCRIPT.index("function Invoke-UmcAzcmagent"):SCRIPT.index("function ConvertTo-UmcKey")]
    guard = "    if ($Region -cnotmatch '^[a-z0-9]{0,40}$') { return $null }  # -c: case-sensitive"
    assert guard in fn and fn.index(guard) < fn.index("$psi.Arguments")
    calls = [ln.strip() for ln in SCRIPT.splitlines() if "Get-UmcArcCheck " in ln and not ln.lstrip().startswith(("#", "function"))]
    assert calls == ["if ($P.arc_check) { $out.check = Get-UmcArcCheck $out.location }"]
    assert "if ($doc.arc_check -eq $true) { $P.arc_check = $true }" in SCRIPT  # a boolean true, nothing else
