"""The connection password never leaves umcheck: not in any report, the journal, the history DB,
nor on stdout/stderr — for hosts that accept it and hosts that reject it, with -v and every format.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys

import yaml

from umcheck.sim import Credentials, Fleet, Ports

from .e2e import USER, first_address, spec

CANARY = "CANARY-pw-8c1f"
CANARY_ENV = "UMCHECK_E2E_CANARY_PW"
GOOD = Credentials(USER, CANARY)
TRANSPORTS = [("winrm", "basic"), ("winrm", "ntlm"), ("winrm-https", "basic"), ("winrm-https", "ntlm"),
              ("psrp", "ntlm"), ("psrp", "negotiate"), ("psrp", "basic"), ("psrp-https", "negotiate"),
              ("ssh", "password")]  # fmt: skip


def _needles() -> dict[str, bytes]:
    """The canary as it could be written: plain, UTF-16 (Windows), in a Basic header, JSON-escaped."""
    basic = base64.b64encode(f"{USER}:{CANARY}".encode()).decode()
    return {
        "plain": CANARY.encode(),
        "lower": CANARY.lower().encode(),
        "utf-16-le": CANARY.encode("utf-16-le"),
        "basic-header": basic.encode(),
        "basic-header-core": basic[4:-4].encode(),
        "base64": base64.b64encode(CANARY.encode()).rstrip(b"=")[:-2],
    }


def _leaks(data: bytes) -> list[str]:
    return [what for what, needle in _needles().items() if needle in data]


async def test_canary_password_appears_nowhere(tmp_path):
    specs = []
    for transport, auth in TRANSPORTS:
        base = f"{transport}-{auth}"
        specs.append(spec(f"ok-{base}", transport, auth=auth, credentials=GOOD))
        specs.append(spec(f"rejects-{base}", transport, auth=auth, credentials=GOOD, faults=("auth_failure",)))
    specs.append(spec("rejects-ssh-key", "ssh", auth="key", credentials=GOOD, faults=("auth_failure",)))
    specs.append(spec("broken-output", "winrm", auth="basic", credentials=GOOD, faults=("invalid_json",)))
    reports = tmp_path / "reports"
    async with Fleet(specs, first_address=first_address(), ports=Ports.ephemeral()) as fleet:
        inventory = fleet.write_inventory(tmp_path / "inventory.yml", CANARY_ENV)
        assert CANARY not in inventory.read_text()
        first = yaml.safe_load(inventory.read_text())["all"]["children"]["windows_winrm"]["hosts"]["ok-winrm-basic"]
        assert first["ansible_password"] == f"{{{{ lookup('env', '{CANARY_ENV}') }}}}"  # an env lookup
        env = {**os.environ, CANARY_ENV: CANARY}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "umcheck.cli", "scan", "-i", str(inventory), "-v", "--format", "all",
            "-o", str(reports), "--timeout", "30", "--retries", "0",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd=tmp_path)  # fmt: skip
        try:
            stdout, stderr = await asyncio.wait_for(proc.communicate(), 90)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert proc.returncode == 1, stderr.decode(errors="replace")[-3000:]  # some hosts are not Ready

    # The scan really used the canary: accepting hosts were scanned, rejecting ones said no.
    run_dir = next(p for p in reports.iterdir() if p.is_dir())
    hosts = {h["name"]: h for h in json.loads((run_dir / "report.json").read_text())["hosts"]}
    assert set(hosts) == {s.name for s in specs}
    for name, h in hosts.items():
        expected = {"ok": "ok", "rejects": "auth_failed", "broken": "collector_error"}[name.split("-")[0]]
        assert h["status"] == expected, (name, h["status"], h["error"])
    text = stderr.decode()
    assert all(f"{name}: " in text for name in hosts)  # -v: one line per host, errors included

    files = [p for p in reports.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"report.html", "report.json", "report.csv", "report.junit.xml", "report.md", "umcheck.prom",
            "summary.txt", "journal.jsonl", "umcheck.db"} <= names, names  # fmt: skip
    leaks = {str(p.relative_to(tmp_path)): found for p in files if (found := _leaks(p.read_bytes()))}
    leaks.update({stream: found for stream, data in (("stdout", stdout), ("stderr", stderr)) if (found := _leaks(data))})
    assert not leaks, f"the canary password leaked: {leaks}"


async def test_canary_from_every_password_source_appears_nowhere(tmp_path):
    """Issue 14 item 6: the password given literally in the inventory, through indirection to an env
    lookup, by --password-env and by a vaulted host_vars file never reaches a file the run writes,
    stdout or stderr. (--ask-pass reads the terminal and is not driven here.)"""
    import shutil
    import subprocess
    from pathlib import Path

    vault_cli = shutil.which("ansible-vault") or str(Path(sys.executable).with_name("ansible-vault"))
    specs = [spec(f"src-{n}", "winrm", auth="basic", credentials=GOOD) for n in ("literal", "indirect", "pwenv", "vault")]
    reports = tmp_path / "reports"
    async with Fleet(specs, first_address=first_address(), ports=Ports.ephemeral()) as fleet:
        inventory = fleet.write_inventory(tmp_path / "inventory.yml", CANARY_ENV)
        doc = yaml.safe_load(inventory.read_text())
        hosts = doc["all"]["children"]["windows_winrm"]["hosts"]
        for name in hosts:
            hosts[name].pop("ansible_password", None)
        hosts["src-literal"]["ansible_password"] = CANARY
        hosts["src-indirect"].update(ansible_password="{{ admin_pw }}", admin_pw=f"{{{{ lookup('env', '{CANARY_ENV}') }}}}")
        inventory.write_text(yaml.safe_dump(doc, sort_keys=False))
        pw_file = tmp_path / "vault-pass.txt"
        pw_file.write_text("vault-secret-1\n")
        vaulted = subprocess.run([vault_cli, "encrypt_string", "--vault-password-file", str(pw_file), CANARY,
                                  "--name", "ansible_password"], capture_output=True, text=True, check=True).stdout  # fmt: skip
        (tmp_path / "host_vars").mkdir()
        (tmp_path / "host_vars" / "src-vault.yml").write_text(vaulted)
        env = {**os.environ, CANARY_ENV: CANARY}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "umcheck.cli", "scan", "-i", str(inventory), "-v", "--format", "all",
            "-o", str(reports), "--timeout", "60", "--password-env", CANARY_ENV,
            "--vault-password-file", str(pw_file),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd=tmp_path)  # fmt: skip
        try:
            stdout, stderr = await asyncio.wait_for(proc.communicate(), 180)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    run_dir = next(p for p in reports.iterdir() if p.is_dir())
    result = {h["name"]: h["status"] for h in json.loads((run_dir / "report.json").read_text())["hosts"]}
    assert result == dict.fromkeys(result, "ok") and len(result) == 4, (result, stderr.decode()[-2000:])
    files = [p for p in reports.rglob("*") if p.is_file()]
    leaks = {str(p.relative_to(tmp_path)): found for p in files if (found := _leaks(p.read_bytes()))}
    leaks.update({stream: found for stream, data in (("stdout", stdout), ("stderr", stderr)) if (found := _leaks(data))})
    assert not leaks, f"the canary password leaked: {leaks}"
