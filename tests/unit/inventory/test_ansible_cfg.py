"""ansible.cfg and ANSIBLE_* variables: Ansible's search order, value checks, and the CLI wiring
(``umcheck config``, ``inventory``/``scan``/``run`` without ``-i``, forks and timeout defaults)."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

import umcheck.cli as cli
from umcheck import ansible_cfg
from umcheck.ansible_cfg import AnsibleConfig, SettingOrigin, inventory_sources, load_ansible_config
from umcheck.errors import InputError, UsageError
from umcheck.plan import DEFAULT_CONNECT_TIMEOUT, DEFAULT_FORKS
from umcheck.scan import NothingToDo


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No ANSIBLE_* variables, HOME and the working directory inside tmp_path, no system config."""
    for key in [k for k in os.environ if k.startswith("ANSIBLE_")]:
        monkeypatch.delenv(key)
    (tmp_path / "home").mkdir()
    (tmp_path / "work").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setattr(ansible_cfg, "SYSTEM_CONFIG", str(tmp_path / "etc" / "ansible.cfg"))
    return tmp_path


def cfg(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


HOSTS = "web:\n  hosts:\n    web01:\n    web02:\n"


def test_nothing_configured(place: Path) -> None:
    assert load_ansible_config() == AnsibleConfig()


def test_cwd_config_values_and_origins(place: Path) -> None:
    path = cfg(place / "work" / "ansible.cfg", """
        [defaults]
        inventory = inventory/hosts.yml, ~/more.yml ,/abs/x.ini
        remote_user = 'svc_umcheck'
        forks = 25
        timeout = 30
        private_key_file = ~/.ssh/id_ed25519
        host_key_checking = False
        vault_password_file = .vault_pass
        vault_identity_list = dev@~/dev.pass, prod@prompt

        [ssh_connection]
        forks = 99
        """)
    config = load_ansible_config()
    home, work = place / "home", place / "work"
    assert config == AnsibleConfig(
        path=str(path), inventory=(str(work / "inventory/hosts.yml"), str(home / "more.yml"), "/abs/x.ini"),
        remote_user="svc_umcheck", forks=25, timeout=30, private_key_file=str(home / ".ssh/id_ed25519"),
        host_key_checking=False, vault_password_file=str(work / ".vault_pass"),
        vault_identity_list=("dev@~/dev.pass", "prod@prompt"), origins=config.origins)
    assert config.origin("forks") == SettingOrigin(path=str(path), line=4)
    assert str(config.origin("vault_identity_list")) == f"{path}:9"
    assert config.origin("nonexistent") is None


def test_relative_paths_are_relative_to_the_config_file(place: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = cfg(place / "project" / "ansible.cfg", "[defaults]\ninventory = inv\nprivate_key_file = keys/id\n")
    monkeypatch.setenv("ANSIBLE_CONFIG", str(path))
    config = load_ansible_config()
    assert config.inventory == (str(place / "project" / "inv"),)
    assert config.private_key_file == str(place / "project" / "keys" / "id")


def test_search_order(place: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    system = cfg(place / "etc" / "ansible.cfg", "[defaults]\nforks = 1\n")
    assert load_ansible_config().path == str(system)
    user = cfg(place / "home" / ".ansible.cfg", "[defaults]\nforks = 2\n")
    assert load_ansible_config().path == str(user)
    local = cfg(place / "work" / "ansible.cfg", "[defaults]\nforks = 3\n")
    assert load_ansible_config().forks == 3 and load_ansible_config().path == str(local)
    env_dir = cfg(place / "elsewhere" / "ansible.cfg", "[defaults]\nforks = 4\n").parent
    monkeypatch.setenv("ANSIBLE_CONFIG", str(env_dir))  # a directory means DIR/ansible.cfg, as in Ansible
    assert load_ansible_config().forks == 4


def test_ansible_config_naming_no_file_falls_back_with_a_warning(place: Path, monkeypatch, caplog) -> None:
    local = cfg(place / "work" / "ansible.cfg", "[defaults]\nforks = 3\n")
    monkeypatch.setenv("ANSIBLE_CONFIG", "nope.cfg")
    config = load_ansible_config()
    assert config.path == str(local)
    assert f"ANSIBLE_CONFIG=nope.cfg: no readable file there; using {local}" in caplog.text


def test_world_writable_cwd_is_ignored_with_a_warning(place: Path, caplog) -> None:
    local = cfg(place / "work" / "ansible.cfg", "[defaults]\nforks = 3\n")
    user = cfg(place / "home" / ".ansible.cfg", "[defaults]\nforks = 2\n")
    os.chmod(place / "work", 0o777)
    try:
        config = load_ansible_config()
    finally:
        os.chmod(place / "work", 0o755)
    assert config.path == str(user) and config.forks == 2
    assert config.ignored == (f"{local}: ignored because {place / 'work'} is world-writable (Ansible ignores it "
                              "too); point ANSIBLE_CONFIG at it if it is yours",)
    assert "world-writable" in caplog.text


def test_environment_wins_over_the_file(place: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg(place / "work" / "ansible.cfg", "[defaults]\nforks = 3\ninventory = a.yml\nremote_user = fromfile\n")
    monkeypatch.setenv("ANSIBLE_FORKS", "7")
    monkeypatch.setenv("ANSIBLE_INVENTORY", "sub/b.yml, /abs/c.yml,")
    monkeypatch.setenv("ANSIBLE_HOST_KEY_CHECKING", "yes")
    monkeypatch.setenv("ANSIBLE_REMOTE_USER", "")  # empty counts as unset
    config = load_ansible_config()
    assert config.forks == 7 and config.host_key_checking is True and config.remote_user == "fromfile"
    assert config.inventory == (str(place / "work" / "sub/b.yml"), "/abs/c.yml")  # env: relative to the cwd
    assert str(config.origin("inventory")) == "env ANSIBLE_INVENTORY"


def test_ini_as_ansible_reads_it(place: Path) -> None:
    cfg(place / "work" / "ansible.cfg", """
        [defaults]
        remote_user = a%b ; a comment
        # forks = 9
        timeout = "12"
        """)
    config = load_ansible_config()
    assert config.remote_user == "a%b" and config.forks is None and config.timeout == 12


@pytest.mark.parametrize(("text", "message", "line"), [
    ("[defaults]\nforks = abc\n", "[defaults] forks: 'abc' is not an integer", 2),
    ("[defaults]\n\nforks = 5 # five\n", "[defaults] forks: '5 # five' is not an integer", 3),
    ("[defaults]\ntimeout = 0\n", "[defaults] timeout: must be at least 1, not 0", 2),
    ("[defaults]\nforks = 2.5\n", "[defaults] forks: '2.5' is not an integer", 2),
    ("[defaults]\nhost_key_checking = maybe\n",
     "[defaults] host_key_checking: 'maybe' is not a boolean (use true or false)", 2),
    ("[defaults]\nforks = 1\nforks = 2\n", "invalid INI: 'forks' is set twice in [defaults]", 3),
    ("forks = 1\n", "invalid INI: settings before the first [section] header", 1),
    ("[defaults]\nforks\n", "invalid INI: cannot parse 'forks' (expected KEY = VALUE)", 2),
])
def test_bad_values_name_file_line_and_key(place: Path, text: str, message: str, line: int) -> None:
    path = cfg(place / "work" / "ansible.cfg", text)
    with pytest.raises(InputError) as err:
        load_ansible_config()
    assert str(err.value) == f"{path}:{line}: {message}"


def test_bad_environment_values(place: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANSIBLE_FORKS", "many")
    with pytest.raises(UsageError, match="^environment variable ANSIBLE_FORKS: 'many' is not an integer$"):
        load_ansible_config()


def test_only_cfg_and_ini_files(place: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = cfg(place / "ansible.yml", "defaults: {}\n")
    monkeypatch.setenv("ANSIBLE_CONFIG", str(path))
    with pytest.raises(InputError, match=r"ansible.yml: unsupported config file extension '.yml'"):
        load_ansible_config()


def test_inventory_sources(place: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert inventory_sources(["x.yml"]) == ["x.yml"]  # -i wins; the config is not even read
    with pytest.raises(UsageError, match=r"no inventory given \(use -i FILE, or set inventory in ansible.cfg"):
        inventory_sources([])
    path = cfg(place / "work" / "ansible.cfg", "[defaults]\nforks = 2\ninventory = hosts.yml, inv/\n")
    with pytest.raises(InputError, match=rf"^{path}:3: \[defaults\] inventory: inventory source "
                                         rf"{place / 'work' / 'hosts.yml'} does not exist$"):
        inventory_sources([])
    cfg(place / "work" / "hosts.yml", HOSTS)
    (place / "work" / "inv").mkdir()
    assert inventory_sources([]) == [str(place / "work" / "hosts.yml"), str(place / "work" / "inv")]
    monkeypatch.setenv("ANSIBLE_INVENTORY", "missing.yml")
    with pytest.raises(UsageError, match="^environment variable ANSIBLE_INVENTORY: inventory source .*missing.yml"):
        inventory_sources([])


# --- the command line ------------------------------------------------------------------------------

def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_config_command(place: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["config"])
    path = cfg(place / "work" / "ansible.cfg", """
        [defaults]
        inventory = hosts.yml
        forks = 20
        vault_password_file = vault.txt
        """)
    (place / "work" / "vault.txt").write_text("Sup3rSecret!\n")
    monkeypatch.setenv("ANSIBLE_REMOTE_USER", "svc_umcheck")
    code, out, err = run_cli(capsys, "config")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"config file: {path}"
    rows = {line.split()[0]: line.split(None, 2)[1:] for line in lines[1:-1]}
    assert rows["inventory"] == [str(place / "work" / "hosts.yml"), f"{path}:2  (used when no -i is given)"]
    assert rows["forks"] == ["20", f"{path}:3  (default for --forks)"]
    assert rows["remote_user"] == ["svc_umcheck", "env ANSIBLE_REMOTE_USER"]
    assert rows["vault_password_file"] == [str(place / "work" / "vault.txt"), f"{path}:4"]
    assert rows["timeout"] == ["-", "not set"]
    assert lines[-1].startswith("precedence: command-line flags > ANSIBLE_* variables > ansible.cfg")
    assert "Sup3rSecret!" not in out


def test_config_command_without_a_file(place: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["config"])
    code, out, _ = run_cli(capsys, "config")
    assert code == 0 and out.startswith("config file: none found (ANSIBLE_CONFIG, ./ansible.cfg")


def test_config_command_bad_value_exits_2(place: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["config"])
    path = cfg(place / "work" / "ansible.cfg", "[defaults]\nforks: abc\n")
    code, out, err = run_cli(capsys, "config")
    assert (code, out) == (2, "")
    assert err == f"umcheck: error: {path}:2: [defaults] forks: 'abc' is not an integer\n"


def test_inventory_list_without_i_uses_ansible_cfg(place: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["inventory"])
    cfg(place / "work" / "inventory" / "hosts.yml", HOSTS)
    cfg(place / "work" / "ansible.cfg", "[defaults]\ninventory = ./inventory/hosts.yml\n")
    code, out, _ = run_cli(capsys, "inventory", "--list")
    assert code == 0
    assert json.loads(out)["web"] == {"hosts": ["web01", "web02"]}
    cfg(place / "work" / "other.ini", "solo1\nsolo2\n")
    monkeypatch.setenv("ANSIBLE_INVENTORY", "other.ini")  # the environment wins over the file
    code, out, _ = run_cli(capsys, "inventory", "--list")
    assert code == 0 and json.loads(out)["ungrouped"] == {"hosts": ["solo1", "solo2"]}


def test_inventory_without_any_source_exits_2(place: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["inventory"])
    code, out, err = run_cli(capsys, "inventory", "--list")
    assert (code, out) == (2, "")
    assert err == ("umcheck: error: no inventory given (use -i FILE, or set inventory in ansible.cfg or "
                   "ANSIBLE_INVENTORY)\n")


def scan_request(*argv: str):
    from umcheck.commands.scan import request_from

    return request_from(cli.build_parser().parse_args(["scan", *argv]))


def test_scan_defaults_come_from_ansible_cfg_flags_win(place: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["scan"])
    hosts = cfg(place / "work" / "hosts.yml", HOSTS)
    req = scan_request("-i", str(hosts))
    assert (req.forks, req.timeouts.connect) == (DEFAULT_FORKS, DEFAULT_CONNECT_TIMEOUT)
    cfg(place / "work" / "ansible.cfg", "[defaults]\ninventory = hosts.yml\nforks = 7\ntimeout = 9\n")
    req = scan_request()
    assert req.inventory == [str(hosts)] and (req.forks, req.timeouts.connect) == (7, 9.0)
    monkeypatch.setenv("ANSIBLE_FORKS", "8")
    assert scan_request().forks == 8
    req = scan_request("-i", "a,b", "--forks", "3", "--connect-timeout", "4")
    assert (req.inventory, req.forks, req.timeouts.connect) == (["a,b"], 3, 4.0)
    with pytest.raises(UsageError, match="--forks must be positive"):
        scan_request("--forks", "0")


def test_run_takes_inventory_and_defaults_from_ansible_cfg(place: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys) -> None:
    import umcheck.commands.run as run_command

    monkeypatch.setattr(cli, "COMMAND_MODULES", ["scan", "run"])
    hosts = cfg(place / "work" / "hosts.yml", HOSTS)
    cfg(place / "work" / "ansible.cfg", "[defaults]\ninventory = hosts.yml\nforks = 7\ntimeout = 9\n")
    book = cfg(place / "work" / "book.yml", "- hosts: web\n- hosts: web\n  forks: 2\n")
    seen = []

    async def fake_run_scan(req):
        seen.append(req)
        raise NothingToDo("nothing")

    monkeypatch.setattr(run_command, "run_scan", fake_run_scan)
    assert cli.main(["run", str(book), "-q", "-q"]) == 0
    assert [(r.inventory, r.forks, r.timeouts.connect) for r in seen] == [([str(hosts)], 7, 9.0),
                                                                           ([str(hosts)], 2, 9.0)]
