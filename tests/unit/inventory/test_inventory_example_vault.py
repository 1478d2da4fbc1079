"""The shipped vault example (inventory/vault-example/): the README commands run as written.

Each command is taken verbatim from inventory/README.md and run through ``umcheck.cli.main`` from
a scratch folder that links ``inventory`` to the repository's, so the relative paths work and
nothing is written into the repository. The decrypted password and the vault password must never
show in any output.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import umcheck.cli as cli
from umcheck.inventory import load_inventory
from umcheck.inventory.vault import load_vault_secrets

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "inventory" / "vault-example"
VAULTED = EXAMPLE / "group_vars" / "windows" / "vault.yml"
VAULT_PASSWORD = "umcheck-EXAMPLE-vault-password"  # the content of EXAMPLE-vault-password.txt
WINRM_PASSWORD = "Example-WinRM-Passw0rd"  # what vault.yml decrypts to
PW_FILE = "inventory/vault-example/EXAMPLE-vault-password.txt"
LAYERS = "-i inventory/ -i inventory/vault-example/"
COMMANDS = {
    "connection": f"umcheck inventory {LAYERS} --vault-password-file {PW_FILE} --connection 'hrw01*:sql01*'",
    "host": f"umcheck inventory {LAYERS} --vault-password-file {PW_FILE} --host sql01.corp.example",
    "env": f"ANSIBLE_VAULT_PASSWORD_FILE={PW_FILE} umcheck inventory {LAYERS} --connection 'windows:!retired'",
    "list_hosts": f"umcheck scan {LAYERS} --vault-password-file {PW_FILE} --limit windows --list-hosts",
    "no_password": f"umcheck inventory {LAYERS} --connection 'hrw01*'",
}
NO_PASSWORD_ERROR = ("umcheck: error: inventory/vault-example/group_vars/windows/vault.yml:1: vault-encrypted file, "
                     "but no vault password was given; pass --vault-id [LABEL@]FILE, --vault-password-file FILE "
                     "or --ask-vault-pass")
WINDOWS_HOSTS = ["dmz-win01", "dmz-win02", "hrw01", "hrw02", "hrw03", "hrw04", "web01", "web02", "web10", "sql01",
                 "sql02"]  # windows:!retired


@pytest.fixture(autouse=True)
def in_scratch_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """cwd with ``inventory`` -> the repository's; no ansible.cfg, vault or password from the environment."""
    (tmp_path / "inventory").symlink_to(REPO / "inventory", target_is_directory=True)
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "ansible.cfg").write_text("[defaults]\n")
    for name in [n for n in os.environ if n.startswith("ANSIBLE_")] + ["UMCHECK_WIN_PASSWORD"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANSIBLE_CONFIG", str(tmp_path / "cfg" / "ansible.cfg"))
    monkeypatch.chdir(tmp_path)
    # Other subcommands are developed in parallel; only the ones the README uses are loaded.
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["inventory", "scan"])


def run_readme_command(key: str, capsys, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    """Run one README line: leading NAME=VALUE words go to the environment, then ``umcheck ARGS``."""
    words = shlex.split(COMMANDS[key])
    while re.fullmatch(r"[A-Z_]+=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        monkeypatch.setenv(name, value)
    assert words[0] == "umcheck"
    code = cli.main(words[1:])
    out, err = capsys.readouterr()
    assert WINRM_PASSWORD not in out + err and VAULT_PASSWORD not in out + err
    return code, out, err


def password_lines(out: str) -> dict[str, str]:
    """host -> its ``password`` line value in ``--connection`` output."""
    found, host = {}, None
    for line in out.splitlines():
        if not line.startswith(" ") and line.endswith(":"):
            host = line[:-1].removesuffix(".corp.example")
        elif line.startswith("  password ") and host:
            found[host] = line.split(None, 1)[1]
    return found


def test_readme_shows_the_commands_as_tested() -> None:
    readme = (REPO / "inventory" / "README.md").read_text()
    for command in COMMANDS.values():
        assert f"\n    {command}\n" in readme, command
    assert f"\n    {NO_PASSWORD_ERROR}\n" in readme
    assert f"\n    {COMMANDS['connection']}\n" in (EXAMPLE / "README.md").read_text()


def test_example_files_are_a_real_vault_with_an_example_password() -> None:
    assert (EXAMPLE / "EXAMPLE-vault-password.txt").read_text().strip() == VAULT_PASSWORD
    text = VAULTED.read_text()
    assert text.startswith("$ANSIBLE_VAULT;1.1;AES256\n") and "vault_winrm_password" not in text
    assert "not a secret" in (EXAMPLE / "README.md").read_text()  # the example password is flagged as such
    vault = load_vault_secrets(password_files=[str(EXAMPLE / "EXAMPLE-vault-password.txt")], environ={})
    inv = load_inventory([str(REPO / "inventory"), str(EXAMPLE)], vault=vault, environ={})
    for host in ("hrw01.corp.example", "sql01.corp.example", "web10.corp.example"):
        assert inv.get(host).connection.password == WINRM_PASSWORD  # from the vault, no environment variable


def test_connection_shows_the_vaulted_password_as_set(capsys, monkeypatch) -> None:
    code, out, err = run_readme_command("connection", capsys, monkeypatch)
    assert code == 0, err
    assert password_lines(out) == {"hrw01": "set", "sql01": "set"}
    assert "winrm" in out and "psrp" in out and "not usable" not in out


def test_host_masks_the_password_and_the_vaulted_variable(capsys, monkeypatch) -> None:
    code, out, err = run_readme_command("host", capsys, monkeypatch)
    assert code == 0, err
    hostvars = json.loads(out)
    assert hostvars["ansible_connection"] == "psrp"
    assert hostvars["ansible_password"] == hostvars["vault_winrm_password"] == "********"


def test_vault_password_file_from_the_environment(capsys, monkeypatch) -> None:
    code, out, err = run_readme_command("env", capsys, monkeypatch)
    assert code == 0, err
    assert password_lines(out) == dict.fromkeys(WINDOWS_HOSTS, "set")


def test_scan_list_hosts_decrypts_and_scans_nothing(capsys, monkeypatch, tmp_path: Path) -> None:
    code, out, err = run_readme_command("list_hosts", capsys, monkeypatch)
    assert code == 0, err
    assert "hosts (12):" in out and "    sql02.corp.example" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cfg", "inventory"]  # no report written


def test_without_a_vault_password_umcheck_stops_on_one_line(capsys, monkeypatch) -> None:
    code, out, err = run_readme_command("no_password", capsys, monkeypatch)
    assert (code, out, err) == (2, "", NO_PASSWORD_ERROR + "\n")


def test_parent_inventory_alone_needs_no_vault_password(capsys) -> None:
    assert cli.main(["inventory", "-i", "inventory/", "--list"]) == 0
    out, err = capsys.readouterr()
    hostvars = json.loads(out)["_meta"]["hostvars"]
    assert "vault_winrm_password" not in hostvars["hrw01.corp.example"] and err == ""


ANSIBLE_VAULT = shutil.which("ansible-vault") or str(Path(sys.executable).with_name("ansible-vault"))


@pytest.mark.skipif(not Path(ANSIBLE_VAULT).exists(), reason="ansible-vault is not installed (test extra)")
def test_ansible_vault_opens_the_example_with_the_example_password(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "ANSIBLE_CONFIG": str(tmp_path / "cfg" / "ansible.cfg"),
           "ANSIBLE_HOME": str(tmp_path)}
    proc = subprocess.run([ANSIBLE_VAULT, "view", "--vault-password-file", PW_FILE, str(VAULTED)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"\nvault_winrm_password: {WINRM_PASSWORD}\n" in proc.stdout
