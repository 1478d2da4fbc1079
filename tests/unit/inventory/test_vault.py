"""Ansible Vault: fixtures are made at test time with the real ``ansible-vault`` (a test-only tool);
umcheck must decrypt them, and no plaintext or password may show in a repr, a message or a listing."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import umcheck.cli as cli
from umcheck.errors import InputError, UsageError
from umcheck.inventory import load_inventory
from umcheck.inventory.vault import VaultSecret, VaultSecrets, load_vault_secrets
from umcheck.inventory.vault.envelope import VaultFormatError, decrypt, parse_envelope
from umcheck.inventory.vault.plaintext import VaultText

ANSIBLE_VAULT = shutil.which("ansible-vault") or str(Path(sys.executable).with_name("ansible-vault"))
if not Path(ANSIBLE_VAULT).exists():
    if os.environ.get("UMCHECK_REQUIRE_ANSIBLE") == "1":
        raise RuntimeError("UMCHECK_REQUIRE_ANSIBLE=1 but ansible-vault is not installed (pip install -e '.[test]')")
    pytest.skip("ansible-vault is not installed (test extra)", allow_module_level=True)

PASSWORD = "correct horse"  # the default vault password; its file has trailing whitespace Ansible strips
PLAIN = {  # every plaintext is distinctive so that a leak anywhere is easy to find
    "db_pass": "Pl41n-DB-pass!",
    "note": "pl41n-note-text",
    "templ": "{{ base }}-pl41n",
    "win_user": "pl41n-admin",
    "bad_port": "pl41n-not-a-port",
}
DEV, PROD = "pl41n-dev-value", "pl41n-prod-value"
NO_ANSIBLE_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


class _VaultTagLoader(yaml.SafeLoader):
    """Reads ansible-vault's output, keeping each ``!vault`` value as its encrypted text."""


_VaultTagLoader.add_constructor("!vault", lambda loader, node: loader.construct_scalar(node))


class Kit:
    """Password files and ansible-vault-made ciphertexts, shared by the whole module."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pw = self._file("pw.txt", PASSWORD + "  \n\n")
        self.dev = self._file("dev.txt", "dev-pass\n")
        self.prod = self._file("prod.txt", "prod-pass\n")
        self.inline = self._encrypt_strings(["--vault-password-file", str(self.pw)], PLAIN)
        ids = ["--vault-id", f"dev@{self.dev}", "--vault-id", f"prod@{self.prod}"]
        self.inline.update(self._encrypt_strings([*ids, "--encrypt-vault-id", "dev"], {"dev_value": DEV}))
        self.inline.update(self._encrypt_strings([*ids, "--encrypt-vault-id", "prod"], {"prod_value": PROD}))
        plain_files = {
            "group_vars.yml": f"ansible_password: {PLAIN['db_pass']}\nansible_user: {PLAIN['win_user']}\n",
            "hosts.yml": "g:\n  hosts:\n    h1:\n      ansible_connection: winrm\n",
            "hosts.ini": "[g]\nh1 ansible_connection=winrm\n",
        }
        for name, text in plain_files.items():
            self._file(name, text)
        ansible_vault("encrypt", "--vault-password-file", str(self.pw), *plain_files, cwd=root)
        self.files = {name: (root / name).read_text() for name in plain_files}

    def _file(self, name: str, text: str) -> Path:
        path = self.root / name
        path.write_text(text)
        return path

    def _encrypt_strings(self, args: list[str], values: dict[str, str]) -> dict[str, str]:
        names = [arg for name in values for arg in ("-n", name)]  # options first, then the plaintexts
        out = ansible_vault("encrypt_string", *args, *names, *values.values(), cwd=self.root)
        return yaml.load(out, Loader=_VaultTagLoader)

    def value(self, name: str, indent: int) -> str:
        """``!vault |`` and the encrypted lines, indented to sit under a key at ``indent - 2``."""
        lines = self.inline[name].strip().splitlines()
        return "!vault |\n" + "".join(" " * indent + line + "\n" for line in lines)


def ansible_vault(*args: str, cwd: Path) -> str:
    (cwd / "ansible.cfg").write_text("[defaults]\n")
    env = {**NO_ANSIBLE_ENV, "ANSIBLE_CONFIG": str(cwd / "ansible.cfg"), "ANSIBLE_HOME": str(cwd)}
    proc = subprocess.run([ANSIBLE_VAULT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    return Kit(tmp_path_factory.mktemp("vault-kit"))


@pytest.fixture
def secrets(kit: Kit) -> VaultSecrets:
    return load_vault_secrets(password_files=[str(kit.pw)], environ={})


def inventory_with(kit: Kit, tmp_path: Path) -> Path:
    """A YAML inventory with inline values, a vaulted group_vars file and host_vars."""
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "hosts.yml").write_text(
        "g:\n  hosts:\n    h1:\n      ansible_connection: winrm\n      base: b\n"
        f"      note: {kit.value('note', 8)}      templ: {kit.value('templ', 8)}"
        f"      copied: '{{{{ note }}}}-suffix'\n")
    (tmp_path / "group_vars" / "g.yml").write_text(kit.files["group_vars.yml"])
    (tmp_path / "host_vars" / "h1.yml").write_text(f"api_token: {kit.value('db_pass', 2)}")
    return tmp_path / "hosts.yml"


def assert_no_plaintext(text: str) -> None:
    for plain in [*PLAIN.values(), DEV, PROD, PASSWORD, "dev-pass", "prod-pass"]:
        assert plain not in text


# -- the envelope ---------------------------------------------------------------------------------

def test_envelope_1_1_and_1_2_decrypt_to_the_plaintext(kit: Kit) -> None:
    v11 = parse_envelope(kit.inline["note"])
    assert (v11.version, v11.cipher, v11.vault_id) == ("1.1", "AES256", "default")
    assert decrypt(v11, PASSWORD.encode()) == PLAIN["note"].encode()
    v12 = parse_envelope(kit.inline["prod_value"])
    assert (v12.version, v12.vault_id) == ("1.2", "prod")
    assert decrypt(v12, b"prod-pass") == PROD.encode()
    assert decrypt(v12, b"dev-pass") is None  # HMAC mismatch: wrong password, never garbage
    assert_no_plaintext(repr(v11) + repr(v12))


@pytest.mark.parametrize(("text", "message"), [
    ("$ANSIBLE_VAULT;1.1\n3132\n", "vault header"),
    ("$ANSIBLE_VAULT;2.0;AES256\n3132\n", "format '2.0'"),
    ("$ANSIBLE_VAULT;1.1;AES128\n3132\n", "cipher 'AES128'"),
    ("$ANSIBLE_VAULT;1.1;AES256\nnot hex\n", "not hex"),
    ("$ANSIBLE_VAULT;1.1;AES256\n3132\n", "salt, HMAC and data"),
])
def test_malformed_envelopes(text: str, message: str) -> None:
    with pytest.raises(VaultFormatError, match=message):
        parse_envelope(text)


def test_tampered_ciphertext_is_a_wrong_password_not_garbage(kit: Kit) -> None:
    envelope = parse_envelope(kit.inline["note"])
    tampered = dataclasses.replace(envelope, ciphertext=bytes([envelope.ciphertext[0] ^ 1]) + envelope.ciphertext[1:])
    assert decrypt(tampered, PASSWORD.encode()) is None


# -- passwords and their order --------------------------------------------------------------------

def test_matching_vault_id_is_tried_first_then_the_others(kit: Kit) -> None:
    both = VaultSecrets([VaultSecret("dev", "a", b"dev-pass"), VaultSecret("prod", "b", b"prod-pass")])
    assert [s.vault_id for s in both.candidates("prod")] == ["prod", "dev"]
    assert both.decrypt(parse_envelope(kit.inline["prod_value"])) == PROD.encode()
    mislabelled = VaultSecrets([VaultSecret("other", "a", b"prod-pass")])
    assert mislabelled.decrypt(parse_envelope(kit.inline["prod_value"])) == PROD.encode()  # ids are only hints
    strict = VaultSecrets([VaultSecret("other", "a", b"prod-pass")], id_match=True)
    assert strict.decrypt(parse_envelope(kit.inline["prod_value"])) is None
    assert "pass" not in repr(both) and "pass" not in repr(list(both))


def test_password_file_is_stripped_and_sources_keep_ansibles_order(kit: Kit, tmp_path: Path) -> None:
    loaded = load_vault_secrets(vault_ids=[f"dev@{kit.dev}", str(kit.prod)], password_files=[str(kit.pw)],
                                environ={"ANSIBLE_VAULT_IDENTITY_LIST": f"prod@{kit.prod}, x@{kit.dev}"})
    assert [(s.vault_id, s.password) for s in loaded] == [
        ("prod", b"prod-pass"), ("x", b"dev-pass"), ("dev", b"dev-pass"), ("default", b"prod-pass"),
        ("default", PASSWORD.encode())]
    assert load_vault_secrets(environ={}) is None


def test_environment_password_file(kit: Kit, tmp_path: Path) -> None:
    inv = load_inventory(inventory_with(kit, tmp_path), environ={},
                         vault=load_vault_secrets(environ={"ANSIBLE_VAULT_PASSWORD_FILE": str(kit.pw)}))
    assert inv.get("h1").vars["note"] == PLAIN["note"]


def test_executable_password_script(kit: Kit, tmp_path: Path) -> None:
    script = tmp_path / "vault-pass.sh"
    script.write_text(f"#!/bin/sh\nprintf '%s\\r\\n' '{PASSWORD}'\n")
    script.chmod(0o700)
    loaded = load_vault_secrets(vault_ids=[str(script)], environ={})
    assert [(s.vault_id, s.password) for s in loaded] == [("default", PASSWORD.encode())]
    inv = load_inventory(inventory_with(kit, tmp_path), vault=loaded, environ={})
    assert inv.get("h1").connection.password == PLAIN["db_pass"]


def test_client_script_is_asked_for_each_label(kit: Kit, tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    script = tmp_path / "keyring-client.sh"
    script.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\n"
                      "case \"$2\" in dev) echo dev-pass;; prod) echo prod-pass;; *) exit 2;; esac\n")
    script.chmod(0o755)
    loaded = load_vault_secrets(vault_ids=[f"dev@{script}", f"prod@{script}"], environ={})
    assert [(s.vault_id, s.password) for s in loaded] == [("dev", b"dev-pass"), ("prod", b"prod-pass")]
    assert calls.read_text().splitlines() == ["--vault-id dev", "--vault-id prod"]
    with pytest.raises(InputError, match="has no password for vault id 'qa'"):
        load_vault_secrets(vault_ids=[f"qa@{script}"], environ={})


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"vault_ids": ["dev@/nonexistent/pw"]}, r"/nonexistent/pw: vault password file not found \(given with --vault-id"),
    ({"password_files": ["/"]}, "is a directory"),
    ({"vault_ids": ["dev@"]}, "expected \\[LABEL@\\]SOURCE"),
])
def test_bad_password_sources(kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_vault_secrets(environ={}, **kwargs)


def test_failing_and_empty_sources(tmp_path: Path) -> None:
    failing = tmp_path / "fail.sh"
    failing.write_text("#!/bin/sh\necho oops-pl41n\nexit 3\n")
    failing.chmod(0o700)
    with pytest.raises(InputError, match="exited with code 3") as err:
        load_vault_secrets(vault_ids=[str(failing)], environ={})
    assert "oops" not in str(err.value)
    empty = tmp_path / "empty.txt"
    empty.write_text(" \n")
    with pytest.raises(InputError, match="vault password is empty"):
        load_vault_secrets(password_files=[str(empty)], environ={})


def test_prompt(kit: Kit, tmp_path: Path) -> None:
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return PASSWORD + "\n"

    loaded = load_vault_secrets(vault_ids=["prod@prompt"], ask=True, environ={}, prompt=prompt)
    assert asked == ["Vault password (prod): ", "Vault password: "]
    assert [(s.vault_id, s.source, s.password) for s in loaded] == [
        ("prod", "prompt", PASSWORD.encode()), ("default", "prompt", PASSWORD.encode())]
    with pytest.raises(UsageError, match="empty"):
        load_vault_secrets(ask=True, environ={}, prompt=lambda _: "")


def test_vaulted_password_file_is_decrypted_with_an_earlier_password(kit: Kit, tmp_path: Path) -> None:
    inner = tmp_path / "inner.txt"
    inner.write_text("prod-pass\n")
    ansible_vault("encrypt", "--vault-password-file", str(kit.pw), str(inner), cwd=tmp_path)
    loaded = load_vault_secrets(vault_ids=[str(kit.pw), f"prod@{inner}"], environ={})
    assert [s.password for s in loaded] == [PASSWORD.encode(), b"prod-pass"]
    with pytest.raises(InputError, match="itself encrypted"):
        load_vault_secrets(vault_ids=[f"prod@{inner}"], environ={})


# -- loading inventories --------------------------------------------------------------------------

def test_inline_values_vaulted_files_and_connection_password(kit: Kit, tmp_path: Path, secrets) -> None:
    inv = load_inventory(inventory_with(kit, tmp_path), vault=secrets, environ={})
    host = inv.get("h1")
    assert host.vars["note"] == PLAIN["note"] and isinstance(host.vars["note"], VaultText)
    assert host.vars["api_token"] == PLAIN["db_pass"]
    assert host.connection.password == PLAIN["db_pass"]  # from the vault-encrypted group_vars file
    assert host.connection.user == PLAIN["win_user"]
    assert isinstance(host.connection.password, str) and type(host.connection.password) is str
    assert_no_plaintext(repr(host) + repr(host.vars))
    assert PLAIN["db_pass"] not in repr(host.settings)  # the user name is shown there, the password never


def test_vaulted_values_in_templates_but_never_templates_themselves(kit: Kit, tmp_path: Path, secrets) -> None:
    (tmp_path / "h.yml").write_text(
        "g:\n  hosts:\n    h1:\n      base: b\n      ansible_password: '{{ secret }}'\n"
        f"      secret: {kit.value('db_pass', 8)}      ansible_user: {kit.value('templ', 8)}")
    settings = load_inventory(tmp_path / "h.yml", vault=secrets, environ={}).get("h1").connection
    assert settings.password == PLAIN["db_pass"]  # a template may use a vaulted value
    assert settings.user == PLAIN["templ"]  # like Ansible 2.19: a vaulted value is not rendered itself


def test_vaulttext_survives_copy_and_pickle() -> None:
    value = VaultText("pl41n", "$ANSIBLE_VAULT;1.1;AES256\n00\n")
    for clone in (copy.copy(value), copy.deepcopy(value), pickle.loads(pickle.dumps(value))):
        assert clone == "pl41n" and clone.vaulttext == value.vaulttext and repr(clone) == "<vault-encrypted>"
    assert f"{value}" == "pl41n" and "pl41n" not in repr({"k": value})


def test_two_vault_ids_in_one_inventory(kit: Kit, tmp_path: Path) -> None:
    (tmp_path / "h.yml").write_text("g:\n  hosts:\n    h1:\n"
                                    f"      a: {kit.value('dev_value', 8)}      b: {kit.value('prod_value', 8)}")
    vault = load_vault_secrets(vault_ids=[f"dev@{kit.dev}", f"prod@{kit.prod}"], environ={})
    host = load_inventory(tmp_path / "h.yml", vault=vault, environ={}).get("h1")
    assert (host.vars["a"], host.vars["b"]) == (DEV, PROD)


@pytest.mark.parametrize("name", ["hosts.yml", "hosts.ini", "hosts"])
def test_vault_encrypted_inventory_files(kit: Kit, tmp_path: Path, secrets, name: str) -> None:
    source = tmp_path / name
    source.write_text(kit.files["hosts.ini" if name == "hosts.ini" else "hosts.yml"])
    inv = load_inventory(source, vault=secrets, environ={})
    assert inv.get("h1").connection.connection == "winrm"
    assert inv.to_list_json(mask=False)["_meta"]["hostvars"]["h1"]["ansible_connection"] == "********"


def test_vault_encrypted_host_vars_directory_file_and_playbook_vars(kit: Kit, tmp_path: Path, secrets) -> None:
    from umcheck.playbook import load_playbook

    (tmp_path / "host_vars" / "h1").mkdir(parents=True)
    (tmp_path / "host_vars" / "h1" / "creds.yml").write_text(kit.files["group_vars.yml"])
    (tmp_path / "h.ini").write_text("h1 ansible_connection=ssh\n")
    assert load_inventory(tmp_path / "h.ini", vault=secrets, environ={}).get("h1").connection.password == \
        PLAIN["db_pass"]
    (tmp_path / "play.yml").write_text(f"- hosts: all\n  vars:\n    note: {kit.value('note', 6)}")
    play = load_playbook(tmp_path / "play.yml", validate_rules=False, vault=secrets).plays[0]
    assert play.vars["note"] == PLAIN["note"]


def test_wrong_password_names_file_and_line(kit: Kit, tmp_path: Path) -> None:
    source = inventory_with(kit, tmp_path)
    wrong = VaultSecrets([VaultSecret("default", "x", b"wrong")])
    with pytest.raises(InputError) as err:
        load_inventory(source, vault=wrong, environ={})
    assert err.value.path == str(source) and err.value.line == 6
    assert "cannot decrypt this vault-encrypted value (vault id 'default')" in str(err.value)
    assert "--vault-id default@FILE" in str(err.value)
    assert_no_plaintext(str(err.value))
    source.write_text("g:\n  hosts:\n    h1:\n")
    (tmp_path / "host_vars" / "h1.yml").unlink()
    with pytest.raises(InputError, match=r"group_vars/g.yml:1: cannot decrypt this vault-encrypted file"):
        load_inventory(source, vault=wrong, environ={})


def test_no_password_says_how_to_give_one(kit: Kit, tmp_path: Path) -> None:
    source = inventory_with(kit, tmp_path)
    with pytest.raises(InputError, match=r"hosts.yml:6: vault-encrypted value, but no vault password was given; "
                                         r"pass --vault-id \[LABEL@\]FILE, --vault-password-file FILE"):
        load_inventory(source, environ={})
    (tmp_path / "enc.ini").write_text(kit.files["hosts.ini"])
    with pytest.raises(InputError, match=r"enc.ini:1: vault-encrypted file, but no vault password"):
        load_inventory(tmp_path / "enc.ini", environ={})


def test_decrypted_value_never_appears_in_an_error(kit: Kit, tmp_path: Path, secrets) -> None:
    (tmp_path / "h.yml").write_text(f"g:\n  hosts:\n    h1:\n      ansible_port: {kit.value('bad_port', 8)}")
    with pytest.raises(InputError, match=r"h.yml:4: ansible_port: expected a port number") as err:
        load_inventory(tmp_path / "h.yml", vault=secrets, environ={}).get("h1").connection  # noqa: B018
    assert_no_plaintext(str(err.value))


def test_untagged_vault_text_and_bad_tag_use(tmp_path: Path, secrets) -> None:
    (tmp_path / "h.yml").write_text("g:\n  hosts:\n    h1:\n      pw: $ANSIBLE_VAULT;1.1;AES256\n")
    with pytest.raises(InputError, match=r"h.yml:4: this looks like vault-encrypted data without its tag"):
        load_inventory(tmp_path / "h.yml", vault=secrets, environ={})
    (tmp_path / "h.yml").write_text("g:\n  hosts:\n    h1:\n      pw: !vault [a]\n")
    with pytest.raises(InputError, match=r"h.yml:4: !vault must tag the encrypted text"):
        load_inventory(tmp_path / "h.yml", vault=secrets, environ={})
    (tmp_path / "h.yml").write_text("g:\n  hosts:\n    h1:\n      pw: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n"
                                    "        zz\n")
    with pytest.raises(InputError, match=r"h.yml:4: malformed vault-encrypted value: .*not hex"):
        load_inventory(tmp_path / "h.yml", vault=secrets, environ={})


# -- the CLI --------------------------------------------------------------------------------------

@pytest.fixture
def only_inventory_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["inventory"])
    for name in ("ANSIBLE_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_IDENTITY_LIST", "ANSIBLE_VAULT_ID_MATCH"):
        monkeypatch.delenv(name, raising=False)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["inventory", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_list_never_prints_a_plaintext(kit: Kit, tmp_path: Path, capsys, only_inventory_command) -> None:
    source = str(inventory_with(kit, tmp_path))
    code, out, err = run(capsys, "-i", source, "--list", "--vault-password-file", str(kit.pw))
    assert code == 0, err
    hostvars = json.loads(out)["_meta"]["hostvars"]["h1"]
    assert hostvars["ansible_password"] == hostvars["api_token"] == "********"
    assert hostvars["note"] == {"__ansible_vault": kit.inline["note"]}  # as ansible-inventory --list shows it
    assert hostvars["copied"] in ("{{ note }}-suffix", "********")  # never the rendered plaintext
    assert hostvars["ansible_user"] == "********"  # from a vault-encrypted file: ansible-inventory shows it
    assert_no_plaintext(out + err)
    for args in (["--host", "h1"], ["--connection", "all"], ["--graph"]):
        code, out, err = run(capsys, "-i", source, "--vault-id", str(kit.pw), *args)
        assert code == 0, err
        assert PLAIN["db_pass"] not in out and PLAIN["note"] not in out and PASSWORD not in out


def test_cli_vault_errors_exit_2_on_one_line(kit: Kit, tmp_path: Path, capsys, only_inventory_command,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    source = str(inventory_with(kit, tmp_path))
    for argv, message in (
        ([], "hosts.yml:6: vault-encrypted value, but no vault password was given"),
        (["--vault-id", f"dev@{kit.dev}"], "hosts.yml:6: cannot decrypt this vault-encrypted value"),
        (["--vault-password-file", str(tmp_path / "nope")], "nope: vault password file not found"),
    ):
        code, out, err = run(capsys, "-i", source, *argv)
        assert code == 2 and out == "" and err.count("\n") == 1 and message in err, err
        assert_no_plaintext(err)
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(kit.pw))
    code, out, err = run(capsys, "-i", source, "--host", "h1")
    assert code == 0 and json.loads(out)["base"] == "b"
