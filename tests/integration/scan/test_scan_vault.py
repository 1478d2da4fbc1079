"""A scan whose connection password comes only from Ansible Vault, end to end.

The fleet is a ``umcheck sim start`` subprocess. Its inventory (which reads the password from an
environment variable) is rewritten so that no host carries a password: ``group_vars/all/vars.yml``
sets ``ansible_password: "{{ vault_sim_password }}"`` and ``group_vars/all/vault.yml``, encrypted
at test time with the real ``ansible-vault``, defines it. ``umcheck scan`` runs without the password
variable in its environment, with ``--vault-password-file``: every host is scanned, and neither the
connection password nor the vault password shows in stdout, stderr, the reports or the journal.
Without a vault password (or with a wrong one) umcheck stops before any host, on one line naming
the vaulted file (vault files are decrypted when the inventory is loaded).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .e2e import CREDS, PASSWORD_ENV, USER, Procs, SimProcess, output, read_journal_lines, umcheck_cmd

ANSIBLE_VAULT = shutil.which("ansible-vault") or str(Path(sys.executable).with_name("ansible-vault"))
if not Path(ANSIBLE_VAULT).exists():
    if os.environ.get("UMCHECK_REQUIRE_ANSIBLE") == "1":
        raise RuntimeError("UMCHECK_REQUIRE_ANSIBLE=1 but ansible-vault is not installed (pip install -e '.[test]')")
    pytest.skip("ansible-vault is not installed (test extra)", allow_module_level=True)

VAULT_PASSWORD = "e2e-Vault-pass-5b9e"
HOSTS = {"vault-winrm": "winrm", "vault-psrp": "psrp", "vault-ssh": "ssh"}
SCENARIO = (
    "name: vault\n"
    "hosts:\n"
    "  - {name: vault-winrm, transport: winrm, auth: ntlm}\n"
    "  - {name: vault-psrp, transport: psrp, auth: negotiate}\n"
    "  - {name: vault-ssh, transport: ssh, auth: password}\n"
)


def _needles() -> dict[str, bytes]:
    """Both secrets as they could be written: plain, UTF-16 (Windows), base64 and in a Basic header."""
    found = {}
    for what, secret in (("password", CREDS.password), ("vault password", VAULT_PASSWORD)):
        found[f"{what}"] = secret.encode()
        found[f"{what} utf-16-le"] = secret.encode("utf-16-le")
        found[f"{what} base64"] = base64.b64encode(secret.encode()).rstrip(b"=")[:-2]
    found["basic header"] = base64.b64encode(f"{USER}:{CREDS.password}".encode())[4:-4]
    return found


def _leaks(data: bytes) -> list[str]:
    return [what for what, needle in _needles().items() if needle in data]


def _vaulted_inventory(sim_inventory: Path, root: Path, vault_pw: Path) -> Path:
    """The simulator's inventory without any password; the password only in a vault-encrypted group_vars file."""
    doc = yaml.safe_load(sim_inventory.read_text())
    for group in doc["all"]["children"].values():
        for hostvars in group["hosts"].values():
            assert hostvars.pop("ansible_password") == f"{{{{ lookup('env', '{PASSWORD_ENV}') }}}}"
    (root / "group_vars" / "all").mkdir(parents=True)
    inventory = root / "hosts.yml"
    inventory.write_text(yaml.safe_dump(doc, sort_keys=False))
    (root / "group_vars" / "all" / "vars.yml").write_text('ansible_password: "{{ vault_sim_password }}"\n')
    vaulted = root / "group_vars" / "all" / "vault.yml"
    vaulted.write_text(yaml.safe_dump({"vault_sim_password": CREDS.password}))
    (root / "cfg").mkdir()
    (root / "cfg" / "ansible.cfg").write_text("[defaults]\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "ANSIBLE_CONFIG": str(root / "cfg" / "ansible.cfg"),
           "ANSIBLE_HOME": str(root / "cfg")}
    proc = subprocess.run([ANSIBLE_VAULT, "encrypt", "--vault-password-file", str(vault_pw), str(vaulted)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert vaulted.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256\n")
    for path in root.rglob("*"):
        if path.is_file():
            assert not _leaks(path.read_bytes()), path  # the only copy of the password is encrypted
    return inventory


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_scan_with_the_password_only_in_a_vault(tmp_path: Path, procs: Procs, sim_env: dict[str, str]) -> None:
    scenario = tmp_path / "scenario.yml"
    scenario.write_text(SCENARIO)
    sim = SimProcess.start(procs, tmp_path, scenario, sim_env)  # the simulator is told the password
    vault_pw = tmp_path / "vault-pass.txt"
    vault_pw.write_text(VAULT_PASSWORD + "\n")
    inventory = _vaulted_inventory(sim.inventory, tmp_path / "inv", vault_pw)
    vaulted = tmp_path / "inv" / "group_vars" / "all" / "vault.yml"

    # umcheck gets neither the password variable nor any Ansible setting from the environment.
    scan_env = {k: v for k, v in sim_env.items() if k != PASSWORD_ENV and not k.startswith("ANSIBLE_")}
    assert CREDS.password not in scan_env.values()
    work = tmp_path / "work"
    work.mkdir()

    def scan(name: str, *extra: str, out: Path) -> tuple[int, str, str]:
        argv = umcheck_cmd("scan", "-i", str(inventory), *extra, "-o", str(out), "--no-history")
        proc = procs.start(argv, log=tmp_path / name, env=scan_env, cwd=work)
        code = proc.wait(60)
        return (code, *output(proc))

    # No vault password: stops at load, one line naming the vaulted file, nothing written.
    code, out, err = scan("no-vault-pw", out=tmp_path / "reports-none")
    assert code == 2, err
    assert err == (f"umcheck: error: {vaulted}:1: vault-encrypted file, but no vault password was given; "
                   "pass --vault-id [LABEL@]FILE, --vault-password-file FILE or --ask-vault-pass\n")
    assert out == "" and not (tmp_path / "reports-none").exists()

    wrong = tmp_path / "wrong-pass.txt"
    wrong.write_text("not-the-vault-password\n")
    code, out, err = scan("wrong-vault-pw", "--vault-password-file", str(wrong), out=tmp_path / "reports-wrong")
    assert code == 2 and err.count("\n") == 1, err
    assert f"{vaulted}:1: cannot decrypt this vault-encrypted file" in err
    assert not _leaks((out + err).encode()) and not (tmp_path / "reports-wrong").exists()

    # With the vault password: every host is scanned, all healthy, so all Ready (exit 0).
    reports = tmp_path / "reports"
    code, out, err = scan("scan", "--vault-password-file", str(vault_pw), "--format", "all", "-v", out=reports)
    assert code == 0, (out, err[-3000:])
    run_dir = next(p for p in reports.iterdir() if p.is_dir())
    hosts = {h["name"]: h for h in json.loads((run_dir / "report.json").read_text())["hosts"]}
    assert set(hosts) == set(HOSTS)
    for name, h in hosts.items():
        assert (h["status"], h["readiness"]) == ("ok", "Ready"), (name, h["status"], h.get("error"))
        assert h["transport"] == HOSTS[name]
    journal = [r for r in read_journal_lines(run_dir / "journal.jsonl") if r.get("type") == "host"]
    assert sorted((r["name"], r["status"]) for r in journal) == sorted((name, "ok") for name in HOSTS)
    assert all(f"{name}: " in err for name in HOSTS)  # -v: one line per host

    written = _files(reports)
    assert "journal.jsonl" in {Path(p).name for p in written} and len(written) >= 5
    for where, data in {"stdout": out.encode(), "stderr": err.encode(), **written}.items():
        assert not _leaks(data), where

    assert sim.stop() >= len(HOSTS)  # the simulator really served the collectors
