"""Ansible itself, unmodified, against the simulator and the inventory it writes.

ansible-core is in the test extra (it is also the inventory oracle), and its ``winrm`` and
``psrp`` connection plugins use the same pywinrm/pypsrp umcheck does. ``raw`` is the module that
needs no PowerShell bootstrap (rules reference: Ansible specifics), so it is what we run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest

from .conftest import PASSWORD, spec

ANSIBLE = shutil.which("ansible") or str(Path(sys.executable).with_name("ansible"))


@pytest.mark.skipif(not Path(ANSIBLE).exists() and os.environ.get("UMCHECK_REQUIRE_ANSIBLE") != "1",
                    reason="ansible-core is not installed (pip install -e '.[test]')")  # fmt: skip
async def test_ansible_raw_over_winrm_and_psrp(make_fleet, tmp_path) -> None:
    fleet = await make_fleet([
        spec("w-ntlm", "winrm", auth="ntlm"), spec("w-basic", "winrm", auth="basic"),
        spec("w-https", "winrm-https", auth="ntlm"), spec("p-ntlm", "psrp", auth="ntlm"),
        spec("p-https", "psrp-https", auth="negotiate"),
    ])  # fmt: skip
    inventory = fleet.write_inventory(tmp_path / "inventory.yml", "ANS_SIM_PW")
    env = {**os.environ, "ANS_SIM_PW": PASSWORD, "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
           "ANSIBLE_HOME": str(tmp_path / "home"), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        ANSIBLE, "all", "-i", str(inventory), "-m", "raw", "-a", "hostname", "-f", "5",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd=tmp_path,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    text = out.decode(errors="replace")
    assert proc.returncode == 0, text + err.decode(errors="replace")
    for name in ("w-ntlm", "w-basic", "w-https", "p-ntlm", "p-https"):
        assert f"{name} | CHANGED | rc=0 >>\n{name}" in text, text
    assert PASSWORD not in inventory.read_text()
