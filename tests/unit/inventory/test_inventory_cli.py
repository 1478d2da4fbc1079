"""``umcheck inventory`` through ``umcheck.cli.main``: output shapes, masking, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import umcheck.cli as cli

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def only_inventory_command(monkeypatch: pytest.MonkeyPatch) -> None:
    # Other subcommands are developed in parallel; the inventory command must not depend on them.
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["inventory"])


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["inventory", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_of_example_inventory_masks_secrets(capsys, monkeypatch) -> None:
    monkeypatch.setenv("UMCHECK_WIN_PASSWORD", "Sup3rSecret!")
    code, out, _ = run(capsys, "-i", str(REPO / "inventory"), "--list")
    assert code == 0
    data = json.loads(out)
    assert "Sup3rSecret!" not in out
    sql = data["_meta"]["hostvars"]["sql01.corp.example"]
    assert sql["ansible_password"] == "********" and sql["ansible_connection"] == "psrp"
    assert data["all"]["children"][0] == "ungrouped"
    assert "web01.corp.example" in data["web"]["hosts"]


def test_secrets_are_never_printed(capsys, monkeypatch) -> None:
    monkeypatch.setenv("UMCHECK_WIN_PASSWORD", "Sup3rSecret!")
    for args in (["--host", "web01.corp.example"], ["--list"], ["--connection", "all"]):
        code, out, _ = run(capsys, "-i", str(REPO / "inventory"), *args)
        assert code == 0 and "Sup3rSecret!" not in out


def test_graph_with_limit(capsys) -> None:
    code, out, _ = run(capsys, "-i", str(REPO / "inventory"), "--graph", "linux", "--limit", "db")
    assert code == 0
    assert out.splitlines() == ["@linux:", "  |--@dmz_linux:", "  |--@app:", "  |--@db:", "  |  |--pgdb01.corp.example"]


def test_list_with_limit_drops_other_hosts(capsys) -> None:
    code, out, _ = run(capsys, "-i", str(REPO / "inventory"), "--limit", "app")
    data = json.loads(out)
    assert code == 0 and sorted(data["_meta"]["hostvars"]) == ["appa.corp.example", "appb.corp.example",
                                                               "appc.corp.example"]
    assert "windows" not in data or "hosts" not in data.get("windows", {})


def test_connection_view_reports_unusable_hosts(capsys, monkeypatch) -> None:
    monkeypatch.delenv("UMCHECK_WIN_PASSWORD", raising=False)
    code, out, _ = run(capsys, "-i", str(REPO / "inventory"), "--connection", "hrw01*:pgdb01*")
    assert code == 0
    assert "hrw01.corp.example: not usable: ansible_password needs environment variable UMCHECK_WIN_PASSWORD" in out
    assert "pgdb01.corp.example:\n  connection             ssh\n" in out
    assert "  endpoint               ssh://192.0.2.61:2222\n" in out and "ConnectionSettings(" not in out


def test_password_env(capsys, monkeypatch) -> None:
    monkeypatch.delenv("UMCHECK_WIN_PASSWORD", raising=False)
    monkeypatch.setenv("MY_PW", "fromenv")
    code, out, _ = run(capsys, "-i", str(REPO / "inventory"), "--connection", "hrw01*", "--password-env", "MY_PW")
    assert code == 0 and "  connection " in out and "winrm" in out and "fromenv" not in out
    assert "password                    set" in out
    code, _, err = run(capsys, "-i", str(REPO / "inventory"), "--password-env", "NOT_SET_ANYWHERE")
    assert code == 2 and "NOT_SET_ANYWHERE" in err


@pytest.mark.parametrize(("files", "argv", "message"), [
    ({"h.yml": "g:\n  hosts: [a, b]\n"}, ["--list"], "h.yml:2: 'hosts' of group 'g' must be a mapping"),
    ({"h.ini": "[web\nh1\n"}, ["--list"], "h.ini:"),
    ({"h.yml": "a:\n  children:\n    b:\n      children:\n        a:\n"}, ["--list"], "creates a cycle"),
    ({"h.ini": "[g]\nh[5:x]\n"}, ["--list"], "h.ini:2: host range"),
    ({"h.yml": "g:\n  hosts:\n    h1: {umcheck_os: windos}\n"}, ["--list"], "h.yml:3: umcheck_os"),
    ({"h.yml": "g:\n  vars:\n    ansible_password: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n"},
     ["--list"], "h.yml:3: vault-encrypted value, but no vault password was given"),
    ({"h.yml": "g:\n  hosts:\n    h1:\n"}, ["--host", "h9"], "host 'h9' is not in the inventory"),
    ({"h.yml": "g:\n  hosts:\n    h1:\n"}, ["--graph", "nogroup"], "'nogroup' is not a group name"),
])
def test_bad_input_exits_2_with_one_line(capsys, tmp_path: Path, files, argv, message) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    source = str(tmp_path / next(iter(files)))
    code, out, err = run(capsys, "-i", source, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("umcheck: error: ")
    assert message in err
    assert "Traceback" not in err


def test_unmatched_pattern_part_warns_once_and_the_rest_is_used(capsys, tmp_path: Path) -> None:
    (tmp_path / "h.ini").write_text("[db]\ndb1\n[web]\nweb1\n")
    code, out, err = run(capsys, "-i", str(tmp_path / "h.ini"), "--graph", "--limit", "nosuchgroup:db:!nosuchgroup")
    assert code == 0 and "db1" in out and "web1" not in out
    assert err == "umcheck: warning: could not match host pattern 'nosuchgroup'; ignoring it\n"


def test_selection_matching_nothing_warns_then_fails(capsys, tmp_path: Path) -> None:
    (tmp_path / "h.yml").write_text("g:\n  hosts:\n    h1:\n")
    code, out, err = run(capsys, "-i", str(tmp_path / "h.yml"), "--limit", "nosuchgroup")
    assert code == 2 and out == ""
    assert err.splitlines() == ["umcheck: warning: could not match host pattern 'nosuchgroup'; ignoring it",
                                "umcheck: error: pattern 'all' with --limit 'nosuchgroup' matches no hosts"]


def test_unknown_umcheck_variable_warns_once_with_did_you_mean(capsys, tmp_path: Path) -> None:
    hosts = "".join(f"    h{i}:\n" for i in range(50))
    (tmp_path / "h.yml").write_text(f"g:\n  vars:\n    umcheck_cloudd: public\n  hosts:\n{hosts}")
    code, out, err = run(capsys, "-i", str(tmp_path / "h.yml"), "--list")
    assert code == 0 and len(json.loads(out)["g"]["hosts"]) == 50
    assert err == (f"umcheck: warning: {tmp_path / 'h.yml'}:3: unknown variable 'umcheck_cloudd' is ignored "
                   "(did you mean umcheck_cloud?)\n")


def test_undefined_connection_variable_is_that_hosts_problem(capsys, tmp_path: Path) -> None:
    (tmp_path / "windows.ini").write_text("[windows]\nw1\nw2 ansible_password=\"{{ vault_winrm_password }}\"\n"
                                          "[windows:vars]\nansible_connection=winrm\nansible_password=plain\n")
    code, out, err = run(capsys, "-i", str(tmp_path / "windows.ini"), "--connection", "windows")
    assert code == 0 and err == ""
    assert (f"w2: not usable: ansible_password refers to undefined variable 'vault_winrm_password' "
            f"({tmp_path / 'windows.ini'}:3); pass -e vault_winrm_password=...,") in out
    assert "--password-env NAME" in out and "plain" not in out
    code, out, _ = run(capsys, "-i", str(tmp_path / "windows.ini"), "--connection", "w2", "-e",
                       "vault_winrm_password=from-e")
    assert code == 0 and "not usable" not in out and "from-e" not in out
