"""No credential is shown by ``inventory --list``/``--host``, however it is reached (issue 14, item 6).

Masked: secret-looking names (``ansible_become_pw`` too), values holding a lookup, and variables a
secret's template refers to, directly or through other variables. Everything else is printed as
written, templates unrendered, as ``ansible-inventory`` does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import umcheck.cli as cli
from umcheck.inventory.listing import MASK, is_secret_name, secret_names

PASSWORD = "Canary-Pw-7731"

INVENTORY = f"""\
windows:
  hosts:
    w1:
      ansible_become_pw: {PASSWORD}
    w2:
      ansible_become_password: {PASSWORD}
      nested: {{inner: {{db_password: {PASSWORD}}}, plain: kept}}
  vars:
    ansible_connection: winrm
    ansible_password: "{{{{ admin_pw }}}}"
    admin_pw: "{{{{ lookup('env', 'ADMIN_PW') }}}}"
    ansible_user: "{{{{ svc_user }}}}"
    svc_user: svc-umcheck
    via_one: "{{{{ via_two }}}}"
    via_two: "{{{{ via_three }}}}"
    via_three: {PASSWORD}
    ansible_winrm_pass: "{{{{ via_one | default('') }}}}"
    api_call: "{{{{ query('env', 'OTHER') }}}}"
    ansible_host: "{{{{ inventory_hostname }}}}.corp.example"
"""


@pytest.fixture(autouse=True)
def only_inventory_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["inventory"])


@pytest.fixture
def source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ADMIN_PW", PASSWORD)
    monkeypatch.setenv("OTHER", PASSWORD)
    path = tmp_path / "hosts.yml"
    path.write_text(INVENTORY)
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["inventory", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_masks_by_name_by_reference_and_by_lookup(capsys, source: Path) -> None:
    code, out, err = run(capsys, "-i", str(source), "--list")
    assert code == 0 and PASSWORD not in out and PASSWORD not in err
    w1 = json.loads(out)["_meta"]["hostvars"]["w1"]
    w2 = json.loads(out)["_meta"]["hostvars"]["w2"]
    assert w1["ansible_become_pw"] == MASK and w2["ansible_become_password"] == MASK
    assert w1["ansible_password"] == MASK and w1["admin_pw"] == MASK  # fed a credential, and a lookup
    assert w1["via_one"] == w1["via_two"] == w1["via_three"] == MASK  # reached through two variables
    assert w1["api_call"] == MASK  # a lookup, whatever its name
    assert w2["nested"] == {"inner": {"db_password": MASK}, "plain": "kept"}
    # not secrets: printed as written, templates unrendered like ansible-inventory
    assert w1["ansible_user"] == "{{ svc_user }}" and w1["svc_user"] == "svc-umcheck"
    assert w1["ansible_host"] == "{{ inventory_hostname }}.corp.example"


def test_host_masks_the_same_and_connection_only_says_set(capsys, source: Path) -> None:
    code, out, _ = run(capsys, "-i", str(source), "--host", "w1")
    assert code == 0 and PASSWORD not in out
    shown = json.loads(out)
    assert shown["admin_pw"] == MASK and shown["via_three"] == MASK and shown["ansible_become_pw"] == MASK
    code, out, _ = run(capsys, "-i", str(source), "--connection", "w1")
    assert code == 0 and PASSWORD not in out and "set" in out


def test_a_secret_with_a_broken_template_still_masks_what_it_names() -> None:
    values = {"ansible_password": "{{ admin_pw ", "admin_pw": "x", "other": "y"}
    assert secret_names(values) == {"ansible_password", "admin_pw"}


def test_references_in_lists_and_mappings_of_a_secret_are_followed() -> None:
    values = {
        "token_list": ["{{ a }}", {"k": "{% if b %}{{ c }}{% endif %}"}],
        "a": 1,
        "b": 2,
        "c": 3,
        "d": 4,
    }
    assert secret_names(values) == {"token_list", "a", "b", "c"}


def test_unsafe_text_is_never_read_as_a_template() -> None:
    from umcheck.inventory.yaml_loader import UnsafeStr

    values = {"ansible_password": UnsafeStr("{{ literal }}"), "literal": "shown"}
    assert secret_names(values) == {"ansible_password"}


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("ansible_become_pw", True),
        ("ansible_become_pass", True),
        ("admin_pwd", True),
        ("vault_pw", True),
        ("DB-PW", True),
        ("api_token", True),
        ("my_secret", True),
        ("ansible_ssh_pass", True),
        ("service_credentials", True),
        ("ansible_host", False),
        ("power", False),
        ("pwsh_path", False),
        ("ansible_user", False),
        ("ansible_port", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret
