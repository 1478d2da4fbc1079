"""The flags scan and run share: -u/--private-key and ansible.cfg as connection defaults below every
inventory variable, flags over play keys over ansible.cfg, --list-hosts, vault settings from
ansible.cfg."""

from __future__ import annotations

import argparse

import pytest

from umcheck.cli import build_parser, main
from umcheck.commands.run import request_for
from umcheck.commands.settings import resolve
from umcheck.inventory import load_inventory
from umcheck.inventory.connection import ConnectionDefaults
from umcheck.playbook import load_playbook
from umcheck.rules.catalog import known_selector
from umcheck.scan import ScanRequest

INVENTORY = """\
linux:
  hosts:
    lnx-a: {ansible_host: 192.0.2.10}
    lnx-b: {ansible_host: 192.0.2.11, ansible_user: own, ansible_ssh_private_key_file: /own/key,
            ansible_host_key_checking: true}
windows:
  hosts:
    win-a: {ansible_host: 192.0.2.20, ansible_connection: winrm, ansible_password: pw}
"""


@pytest.fixture
def inv(tmp_path, monkeypatch):
    (tmp_path / "inv.yml").write_text(INVENTORY)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "inv.yml"


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_connection_defaults_rank_below_every_host_variable(inv):
    hosts = load_inventory([str(inv)], defaults=ConnectionDefaults("cfguser", "/cfg/key", False))
    a, b, w = (hosts.get(n).connection for n in ("lnx-a", "lnx-b", "win-a"))
    assert (a.user, a.ssh_private_key_file, a.ssh_host_key_checking) == ("cfguser", "/cfg/key", False)
    assert (b.user, b.ssh_private_key_file, b.ssh_host_key_checking) == ("own", "/own/key", True)
    assert w.user == "cfguser"
    plain = load_inventory([str(inv)]).get("lnx-a").connection
    assert plain.user is None and plain.ssh_host_key_checking is True, "on unless turned off"


def test_ansible_cfg_fills_defaults_and_flags_win(inv, tmp_path):
    (tmp_path / "vault-pw.txt").write_text("example-vault-password\n")
    (tmp_path / "ansible.cfg").write_text(
        "[defaults]\ninventory = inv.yml\nremote_user = cfguser\nforks = 7\ntimeout = 9\n"
        "private_key_file = ~/.ssh/cfg_key\nhost_key_checking = False\nvault_password_file = vault-pw.txt\n"
    )
    common = resolve(_args("scan"))
    assert common.inventory == [str(tmp_path / "inv.yml")]
    assert (common.forks, common.timeouts.connect) == (7, 9.0)
    assert common.defaults.user == "cfguser" and common.defaults.host_key_checking is False
    assert common.defaults.private_key_file.endswith("/.ssh/cfg_key")
    assert common.vault is not None, "vault_password_file from ansible.cfg"
    flagged = resolve(_args("scan", "-u", "flaguser", "--private-key", "/flag/key", "-f", "3", "-T", "4",
                            "--timeout", "60", "--format", "json,md"))  # fmt: skip
    assert (flagged.defaults.user, flagged.defaults.private_key_file) == ("flaguser", "/flag/key")
    assert (flagged.forks, flagged.timeouts.connect, flagged.timeouts.host) == (3, 4.0, 60.0)
    assert flagged.formats == ("json", "markdown")
    assert flagged.explicit == {"forks", "connect_timeout", "timeout", "format"}


def test_run_flags_win_over_play_keys(inv, tmp_path):
    book = tmp_path / "book.yml"
    book.write_text("- hosts: linux\n  forks: 50\n  timeout: 300\n  reports: [text]\n")
    play = load_playbook(book, known_selector).plays[0]
    defaults = resolve(_args("run", str(book), "-i", str(inv)))
    req = request_for(play, ScanRequest(inventory=[str(inv)], forks=defaults.forks, timeouts=defaults.timeouts,
                                        formats=defaults.formats), defaults.explicit)  # fmt: skip
    assert (req.forks, req.timeouts.host, req.formats) == (50, 300.0, ("text",)), "the play's keys beat defaults"
    given = resolve(_args("run", str(book), "-i", str(inv), "-f", "5", "--timeout", "30", "--format", "json"))
    req = request_for(play, ScanRequest(inventory=[str(inv)], forks=given.forks, timeouts=given.timeouts,
                                        formats=given.formats), given.explicit)  # fmt: skip
    assert (req.forks, req.timeouts.host, req.formats) == (5, 30.0, ("json",)), "flags beat the play"


def test_list_hosts_scans_nothing(inv, tmp_path, capsys):
    assert main(["scan", "-i", str(inv), "-l", "linux:nosuchgroup", "--list-hosts", "-o", str(tmp_path / "r")]) == 0
    out = capsys.readouterr()
    assert out.out == "  hosts (2):\n    lnx-a\n    lnx-b\n"
    assert "nosuchgroup" in out.err, "the unmatched part is a warning"
    assert not (tmp_path / "r").exists(), "nothing scanned, nothing written"
    book = tmp_path / "book.yml"
    book.write_text("- name: windows first\n  hosts: windows\n- name: then linux\n  hosts: linux\n")
    assert main(["run", str(book), "-i", str(inv), "--list-hosts"]) == 0
    out = capsys.readouterr().out
    # Indented as ansible-playbook --list-hosts indents it.
    assert "  play #1 (windows): windows first\n    hosts (1):\n      win-a\n" in out
    assert "  play #2 (linux): then linux\n    hosts (2):\n      lnx-a\n      lnx-b\n" in out
