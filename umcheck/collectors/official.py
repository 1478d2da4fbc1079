"""Official script mode: run Microsoft's own offline troubleshooter that the user downloaded.

``UM_Windows_Troubleshooter_Offline.ps1 -returnAsJson`` and ``UM_Linux_Troubleshooter_Offline.py
<outdir> True`` travel the same way as umcheck's collectors (script on stdin, or as one PSRP
script), so every transport runs them unchanged. Their output is parsed by ``umcheck.compat``.
Unlike umcheck's collectors, the official scripts are not read-only (the Linux one imports and
runs the agent's DSC module and may write its log; rules reference Q-L7): the user opts in.
"""

from __future__ import annotations

import re
from pathlib import Path

from umcheck.collectors.invocation import MARKER, WINDOWS_POWERSHELL, Invocation, encode_command
from umcheck.errors import InputError

MAX_SCRIPT_BYTES = 2 * 1024 * 1024
# ARM names ("westeurope") or display names ("West Europe"): nothing that needs quoting.
_LOCATION_RE = re.compile(r"^[A-Za-z0-9 ]{0,40}$")

# Line 1 of stdin is the location (validated), the rest the official script.
OFFICIAL_WINDOWS_BOOTSTRAP = f"""# {MARKER} official-windows 1
$ErrorActionPreference = 'Stop'
$umcIn = $input | Out-String
$umcNl = $umcIn.IndexOf([char]10)
$umcLoc = $umcIn.Substring(0, $umcNl).Trim()
$umcText = $umcIn.Substring($umcNl + 1)
$ErrorActionPreference = 'Continue'
if ($umcLoc) {{ & ([scriptblock]::Create($umcText)) -automationAccountLocation $umcLoc -returnAsJson }}
else {{ & ([scriptblock]::Create($umcText)) -returnAsJson }}
"""


def read_official(path: str | Path, os_family: str) -> str:
    """The script text, checked to look like the official script; InputError names the file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the official script: {exc.strerror or exc}", path=str(p)) from None
    if len(raw) > MAX_SCRIPT_BYTES:
        raise InputError(f"official script is larger than {MAX_SCRIPT_BYTES} bytes", path=str(p))
    text = raw.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
    needle = "returnAsJson" if os_family == "windows" else "omsadmin.conf"
    if needle.lower() not in text.lower():
        raise InputError(
            f"does not look like UM_{'Windows' if os_family == 'windows' else 'Linux'}_Troubleshooter_Offline "
            f"(no '{needle}' in it)",
            path=str(p),
        )
    return text


def _check_location(location: str | None) -> str:
    loc = (location or "").strip()
    if not _LOCATION_RE.match(loc):
        raise InputError(f"automation account location {loc[:40]!r} is not a region name")
    return loc


def official_windows_winrm(path: str | Path, location: str | None = None) -> Invocation:
    script = read_official(path, "windows")
    command = f"{WINDOWS_POWERSHELL} {encode_command(OFFICIAL_WINDOWS_BOOTSTRAP)}"
    stdin = (_check_location(location) + "\n" + script).encode("utf-8")
    return Invocation(command=command, stdin=stdin, script=None, os_family="windows")


def official_windows_psrp(path: str | Path, location: str | None = None) -> Invocation:
    script = read_official(path, "windows")
    loc = _check_location(location)
    args = f"-automationAccountLocation '{loc}' -returnAsJson" if loc else "-returnAsJson"
    text = f"# {MARKER} official-windows-psrp 1\n& {{\n{script.rstrip()}\n}} {args}\n"
    return Invocation(command="", stdin=None, script=text, os_family="windows")


def official_linux(path: str | Path, *, become: bool = True, python: str = "python3") -> Invocation:
    """``python3 - /tmp True``: JSON mode (the output directory is then ignored); it needs root."""
    script = read_official(path, "linux")
    prefix = "sudo -n " if become else ""
    return Invocation(
        command=f"{prefix}{python} - /tmp True", stdin=script.encode("utf-8"), script=None, os_family="linux"
    )
