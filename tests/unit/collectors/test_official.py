"""Official script mode: Microsoft's offline troubleshooters, invoked like the collectors."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from umcheck.collectors import official
from umcheck.errors import InputError

from .ps_readonly import check

FAKE_WINDOWS = "param([string]$automationAccountLocation, [switch]$returnAsJson)\nWrite-Output 'x'\n"
FAKE_LINUX = """import json, sys
# reads /etc/opt/microsoft/omsagent/conf/omsadmin.conf on a real host
print("Processing Information...")
print(json.dumps([{"RuleId": "Linux.OperatingSystemCheck", "argv": sys.argv[1:]}]))
"""


@pytest.fixture
def scripts(tmp_path: Path) -> dict[str, Path]:
    win = tmp_path / "UM_Windows_Troubleshooter_Offline.ps1"
    win.write_bytes(b"\xef\xbb\xbf" + FAKE_WINDOWS.replace("\n", "\r\n").encode())
    lin = tmp_path / "UM_Linux_Troubleshooter_Offline.py"
    lin.write_text(FAKE_LINUX, encoding="utf-8")
    return {"windows": win, "linux": lin}


def test_windows_winrm_sends_location_and_script_on_stdin(scripts) -> None:
    inv = official.official_windows_winrm(scripts["windows"], "westeurope")
    boot = base64.b64decode(inv.command.rsplit(" ", 1)[1]).decode("utf-16-le")
    assert boot == official.OFFICIAL_WINDOWS_BOOTSTRAP and "westeurope" not in inv.command
    assert check(boot, invoked_variables=frozenset({"([scriptblock]::create($umctext))"})) == []
    loc, script = inv.stdin.decode().split("\n", 1)
    assert loc == "westeurope" and script == FAKE_WINDOWS  # BOM and CRLF normalised
    assert official.official_windows_winrm(scripts["windows"]).stdin.startswith(b"\nparam(")


def test_windows_psrp_wraps_the_script_with_its_switches(scripts) -> None:
    inv = official.official_windows_psrp(scripts["windows"], "West Europe")
    assert inv.script.rstrip().endswith("} -automationAccountLocation 'West Europe' -returnAsJson")
    assert official.official_windows_psrp(scripts["windows"]).script.rstrip().endswith("} -returnAsJson")


@pytest.mark.parametrize("bad", ["west'europe", "eu; Remove-Item C:\\", "x" * 41])
def test_a_location_that_needs_quoting_is_refused(scripts, bad: str) -> None:
    with pytest.raises(InputError, match="not a region name"):
        official.official_windows_psrp(scripts["windows"], bad)


def test_unreadable_or_wrong_scripts_name_the_file(scripts, tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        official.official_windows_winrm(tmp_path / "missing.ps1")
    assert "missing.ps1" in str(err.value)
    with pytest.raises(InputError, match="does not look like UM_Linux"):
        official.official_linux(scripts["windows"])


def test_linux_official_runs_from_stdin_in_json_mode(scripts) -> None:
    inv = official.official_linux(scripts["linux"], become=False)
    assert inv.command == "python3 - /tmp True"
    assert official.official_linux(scripts["linux"]).command == "sudo -n python3 - /tmp True"
    proc = subprocess.run(
        inv.command, shell=True, input=inv.stdin, capture_output=True, timeout=30, check=True
    )
    last = proc.stdout.decode().strip().splitlines()[-1]
    assert json.loads(last)[0]["argv"] == ["/tmp", "True"]
