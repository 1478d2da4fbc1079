"""Dynamic inventories: saved ``ansible-inventory --list`` JSON, scripts and plugin configs.

Run mechanics (arguments, environment, failures, timeout, output cap) use a fake
``ansible-inventory`` on PATH; the ``live`` tests compare with the real one (ansible-core is a test
dependency). Without it they skip, unless ``UMCHECK_REQUIRE_ANSIBLE=1`` (set by CI) makes that a
failure, as in tests/golden/inventory/test_live_ansible.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from umcheck.errors import InputError, UsageError
from umcheck.inventory import Inventory, dynamic, json_source, load_inventory
from umcheck.inventory.yaml_loader import UnsafeStr

ANSIBLE_INVENTORY = dynamic.find_ansible_inventory()
if ANSIBLE_INVENTORY is None and os.environ.get("UMCHECK_REQUIRE_ANSIBLE") == "1":
    raise RuntimeError("UMCHECK_REQUIRE_ANSIBLE=1 but ansible-inventory is not installed (pip install -e '.[test]')")
live = pytest.mark.skipif(ANSIBLE_INVENTORY is None, reason="ansible-inventory is not installed")

STATIC = """
    all:
      vars:
        site: hq
      children:
        linux:
          hosts:
            web01: {role: web, ansible_host: 127.0.0.11}
            db01: {role: db, ansible_host: 127.0.0.12}
        windows:
          hosts:
            win01: {role: web, ansible_connection: winrm}
          vars:
            ansible_port: 5986
    lonely:
      hosts:
        solo:
    """
CONSTRUCTED = """
    plugin: ansible.builtin.constructed
    strict: false
    keyed_groups:
      - key: role
        prefix: role
    groups:
      webservers: role == 'web'
    compose:
      fqdn: inventory_hostname ~ '.corp.example'
    """
LIST_JSON = {
    "_meta": {"hostvars": {"a1": {"x": 1, "safe": {"__ansible_unsafe": "{{ not_rendered }}"}},
                           "b1": {"ansible_host": "127.0.0.21"}},
              "profile": "inventory_legacy"},
    "all": {"children": ["ungrouped", "app", "db"], "vars": {"site": "hq"}},
    "app": {"hosts": ["a1"], "children": ["db"], "vars": {"tier": "gold"}},
    "db": {"hosts": ["b1"]},
}


def script(path: Path, body: str) -> Path:
    """An executable python3 script (the interpreter running the tests)."""
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body).lstrip("\n"))
    path.chmod(0o755)
    return path


@pytest.fixture
def isolated_ansible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An empty ansible.cfg and a private ANSIBLE_HOME for umcheck's runs and the test's own."""
    home = tmp_path / "ansible-home"
    home.mkdir()
    (home / "ansible.cfg").write_text("[defaults]\n")
    env = {"ANSIBLE_CONFIG": str(home / "ansible.cfg"), "ANSIBLE_HOME": str(home)}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def ansible_list(sources: list[Path], env: dict[str, str], cwd: Path) -> dict:
    """What the real ansible-inventory --list prints (but its JSON profile name)."""
    assert ANSIBLE_INVENTORY is not None
    cmd = [ANSIBLE_INVENTORY, "--list", *(f"--inventory={s}" for s in sources)]
    proc = subprocess.run(cmd, cwd=cwd, env={**os.environ, **env, "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True"},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    listing = json.loads(proc.stdout)
    listing["_meta"].pop("profile", None)
    return listing


def as_json(inv: Inventory) -> dict:
    return json.loads(json.dumps(inv.to_list_json(mask=False)))


# --- saved ansible-inventory --list JSON ------------------------------------------------------

@pytest.mark.parametrize("name", ["fleet.json", "fleet.out", "fleet"])
def test_saved_list_json_is_read_whatever_its_name(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text(json.dumps(LIST_JSON, indent=2))
    inv = load_inventory([str(tmp_path / name)], environ={})
    assert [h.name for h in inv.hosts] == ["a1", "b1"]
    assert inv.group_host_names("app") == ["a1", "b1"]  # db is a child of app
    a1 = inv.get("a1")
    assert a1.vars["x"] == 1 and a1.vars["tier"] == "gold" and a1.vars["site"] == "hq"
    assert a1.vars["safe"] == "{{ not_rendered }}" and isinstance(a1.vars["safe"], UnsafeStr)
    assert inv.get("b1").connection.host == "127.0.0.21"
    assert a1.groups == ("app",) and inv.get("b1").groups == ("app", "db")


def test_saved_list_json_merges_with_other_sources(write) -> None:
    root = write({"a.yml": "app:\n  hosts:\n    a1: {x: 0, y: 2}\n", "b.json": json.dumps(LIST_JSON)})
    inv = load_inventory([str(root / "a.yml"), str(root / "b.json")], environ={})
    assert inv.get("a1").vars["x"] == 1 and inv.get("a1").vars["y"] == 2  # later source wins, like Ansible


def test_yaml_format_json_is_still_a_yaml_inventory(write) -> None:
    root = write({"h.json": json.dumps({"web": {"hosts": {"w1": {"a": 1}}}})})
    assert load_inventory([str(root / "h.json")], environ={}).get("w1").vars == {"a": 1}


@pytest.mark.parametrize(("doc", "message"), [
    ({"_meta": []}, "'_meta' must be an object, not a list"),
    ({"_meta": {"hostvars": []}}, "'_meta.hostvars' must be an object"),
    ({"_meta": {}, "web": {"hosts": {"w1": None}}}, "'hosts' of group 'web' must be a list of names, not an object"),
    ({"_meta": {}, "web": {"children": "db"}}, "'children' of group 'web' must be a list of names, not text"),
    ({"_meta": {}, "web": {"hosts": ["w1", 7]}}, "'hosts' of group 'web' holds 7"),
    ({"_meta": {}, "web": {"vars": ["a"]}}, "'vars' of group 'web' must be an object, not a list"),
    ({"_meta": {}, "web": ["w1"]}, "group 'web' must be an object with hosts/children/vars, not a list"),
    ({"_meta": {"hostvars": {"w1": "x"}}, "web": {"hosts": ["w1"]}}, "'_meta.hostvars' of host 'w1' must be an object"),
    ({"_meta": {}, "a": {"children": ["b"]}, "b": {"children": ["a"]}}, "cycle"),
    ({"_meta": {}, "web": {"vars": {"ansible_group_priority": "high"}}}, "group 'web': ansible_group_priority"),
])
def test_bad_list_json_is_one_line_naming_the_file(tmp_path: Path, doc: dict, message: str) -> None:
    path = tmp_path / "saved.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=message) as err:
        load_inventory([str(path)], environ={})
    assert str(err.value).startswith(f"{path}: ") and "\n" not in str(err.value)


def test_host_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_source, "MAX_HOSTS", 2)
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"_meta": {}, "g": {"hosts": ["a", "b", "c"]}}))
    with pytest.raises(InputError, match="3 hosts is more than umcheck reads from one source"):
        load_inventory([str(path)], environ={})


# --- running ansible-inventory: a fake one on PATH ----------------------------------------------

@pytest.fixture
def fake_ansible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """fake_ansible(body) puts an ``ansible-inventory`` running ``body`` first on PATH.
    The body sees ``args`` (argv[1:]) and records argv, stdin and environment to calls.json."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    record = tmp_path / "calls.json"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")

    def install(body: str) -> Path:
        script(bin_dir / "ansible-inventory", f"""
            import json, os, sys, time
            args = sys.argv[1:]
            with open({str(record)!r}, "w") as f:
                json.dump({{"args": args, "stdin": sys.stdin.read(), "env": dict(os.environ)}}, f)
            """ + textwrap.dedent(body))
        return record

    return install


def test_script_runs_through_ansible_inventory(tmp_path: Path, fake_ansible) -> None:
    record = fake_ansible(f"print(json.dumps({LIST_JSON!r}))")
    source = script(tmp_path / "cmdb.py", "print('never run by umcheck itself')\n")
    inv = load_inventory([str(source)], environ={})
    assert [h.name for h in inv.hosts] == ["a1", "b1"]
    call = json.loads(record.read_text())
    assert call["args"] == [f"--inventory={source}", "--list", "--export"]
    assert call["stdin"] == ""  # no stdin: a prompt cannot hang the scan
    assert call["env"]["ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED"] == "True"
    assert call["env"]["ANSIBLE_INVENTORY_ENABLED"] == "ansible.builtin.script"  # no INI fallback for a script


def test_plugin_config_runs_alone_unless_constructed(write, fake_ansible) -> None:
    record = fake_ansible("print(json.dumps({'_meta': {'hostvars': {}}, 'all': {'children': ['ungrouped']}}))")
    root = write({"a.yml": "g:\n  hosts:\n    h1:\n", "inv/azure_rm.yml": "plugin: azure.azcollection.azure_rm\n",
                  "inv/zz.yml": CONSTRUCTED, "hosts": "h2,h3"})
    load_inventory([str(root / "a.yml"), "x1,x2", str(root / "inv")], environ={})
    # the last run was the constructed config: over every source read before it, in order
    assert json.loads(record.read_text())["args"] == [
        f"--inventory={root / 'a.yml'}", "--inventory=x1,x2", f"--inventory={root / 'inv/azure_rm.yml'}",
        f"--inventory={root / 'inv/zz.yml'}", "--list", "--export"]
    load_inventory([str(root / "a.yml"), str(root / "inv/azure_rm.yml")], environ={})
    assert json.loads(record.read_text())["args"] == [f"--inventory={root / 'inv/azure_rm.yml'}", "--list", "--export"]
    assert "ANSIBLE_INVENTORY_ENABLED" not in json.loads(record.read_text())["env"]  # the user's plugin choice


def test_constructed_cannot_follow_saved_json(write, fake_ansible) -> None:
    fake_ansible("print('{}')")
    root = write({"a.json": json.dumps(LIST_JSON), "c.yml": CONSTRUCTED})
    with pytest.raises(InputError, match=r"c.yml:1: a constructed config cannot follow .*a.json, a saved"):
        load_inventory([str(root / "a.json"), str(root / "c.yml")], environ={})


ANSIBLE_STDERR = """\
[WARNING]: Failed to parse inventory with 'auto' plugin: inventory config '/x/azure_rm.yml' specifies unknown plugin 'azure.azcollection.azure_rm'

Failed to parse inventory with 'auto' plugin.

<<< caused by >>>

inventory config '/x/azure_rm.yml' specifies unknown plugin 'azure.azcollection.azure_rm'
[WARNING]: Failed to parse inventory with 'yaml' plugin: Plugin configuration YAML file, not YAML inventory
[ERROR]: Completely failed to parse inventory source /x/azure_rm.yml
"""


def test_failure_is_one_line_with_ansibles_reason(tmp_path: Path, fake_ansible) -> None:
    fake_ansible(f"sys.stderr.write({ANSIBLE_STDERR!r} + 'x' * 100000 + '\\n[ERROR]: last\\n'); sys.exit(1)")
    (tmp_path / "azure_rm.yml").write_text("# Azure VMs\nplugin: azure.azcollection.azure_rm\n")
    with pytest.raises(InputError) as err:
        load_inventory([str(tmp_path / "azure_rm.yml")], environ={})
    assert str(err.value) == (
        f"{tmp_path / 'azure_rm.yml'}:2: ansible-inventory failed: inventory config '/x/azure_rm.yml' specifies "
        "unknown plugin 'azure.azcollection.azure_rm' (install it: ansible-galaxy collection install "
        "azure.azcollection)")


@pytest.mark.parametrize(("stderr", "detail"), [
    (ANSIBLE_STDERR, "inventory config '/x/azure_rm.yml' specifies unknown plugin 'azure.azcollection.azure_rm'"),
    ("[WARNING]: Failed to parse inventory with 'script' plugin: Inventory script returned non-zero exit code 3.\n\n"
     "Standard error from inventory script:\nTraceback...\nConnectionError: CMDB down\n\n"
     "[WARNING]: Failed to parse inventory with 'ini' plugin: Expected key=value\n",
     "Inventory script returned non-zero exit code 3: ConnectionError: CMDB down"),
    ("\x1b[0;31mERROR! something broke\x1b[0m\n", "ERROR! something broke"),
    ("", ""),
])
def test_failure_detail(stderr: str, detail: str) -> None:
    assert dynamic.failure_detail(stderr) == detail


def test_timeout(tmp_path: Path, fake_ansible, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_ansible("time.sleep(60)")
    monkeypatch.setenv("UMCHECK_INVENTORY_TIMEOUT", "0.5")
    source = script(tmp_path / "slow.py", "")
    with pytest.raises(InputError, match=r"slow.py: ansible-inventory did not finish within 0.5 s; set "
                                         r"UMCHECK_INVENTORY_TIMEOUT=SECONDS"):
        load_inventory([str(source)], environ={})


@pytest.mark.parametrize("value", ["abc", "0", "-1", "inf"])
def test_bad_timeout_variable(tmp_path: Path, fake_ansible, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    fake_ansible("print('{}')")
    monkeypatch.setenv("UMCHECK_INVENTORY_TIMEOUT", value)
    with pytest.raises(UsageError, match="UMCHECK_INVENTORY_TIMEOUT="):
        load_inventory([str(script(tmp_path / "s.py", ""))], environ={})


def test_output_cap(tmp_path: Path, fake_ansible, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_ansible("sys.stdout.write('{' + ' ' * 200000 + '}'); sys.stdout.flush(); time.sleep(30)")
    monkeypatch.setattr(dynamic, "MAX_OUTPUT", 2**16)
    with pytest.raises(InputError, match="printed more than 0.0625 MiB; umcheck refuses an inventory that large"):
        load_inventory([str(script(tmp_path / "s.py", ""))], environ={})


def test_invalid_json_output(tmp_path: Path, fake_ansible) -> None:
    fake_ansible("print('not json')")
    with pytest.raises(InputError, match=r"s.py: ansible-inventory printed invalid JSON"):
        load_inventory([str(script(tmp_path / "s.py", ""))], environ={})


def test_missing_ansible_inventory_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(sys, "executable", str(empty / "python3"))
    (tmp_path / "azure_rm.yml").write_text("plugin: azure.azcollection.azure_rm\n")
    with pytest.raises(InputError) as err:
        load_inventory([str(tmp_path / "azure_rm.yml")], environ={})
    assert str(err.value) == (
        f"{tmp_path / 'azure_rm.yml'}:1: the 'azure.azcollection.azure_rm' inventory plugin runs through "
        "ansible-inventory, which is not installed: pip install ansible-core, then ansible-galaxy collection "
        "install azure.azcollection")
    with pytest.raises(InputError, match=r"inv.py: an inventory script runs through ansible-inventory, which is "
                                         r"not installed: pip install ansible-core$"):
        load_inventory([str(script(tmp_path / "inv.py", ""))], environ={})


def test_non_executable_or_shebangless_files_are_not_scripts(write) -> None:
    root = write({"hosts": "#!/not/a/script\n[web]\nw1\n", "exec.yml": "web:\n  hosts:\n    w2:\n"})
    (root / "exec.yml").chmod(0o755)  # executable YAML (a FAT mount, say): still plain YAML
    inv = load_inventory([str(root / "hosts"), str(root / "exec.yml")], environ={})
    assert inv.group_host_names("web") == ["w1", "w2"]


def test_plugin_must_be_a_name(write) -> None:
    root = write({"p.yml": "x: 1\nplugin: [a]\n"})
    with pytest.raises(InputError, match=r"p.yml:2: 'plugin' must be a plugin name"):
        load_inventory([str(root / "p.yml")], environ={})


# --- live: the real ansible-inventory --------------------------------------------------------------

@live
def test_script_inventory_matches_ansible(tmp_path: Path, isolated_ansible: dict[str, str]) -> None:
    source = script(tmp_path / "cmdb.py", f"""
        import json, sys
        if sys.argv[1:] == ["--list"]:
            print(json.dumps({LIST_JSON!r}))
        else:
            print("{{}}")
        """)
    inv = load_inventory([str(source)], environ={})
    assert as_json(inv) == ansible_list([source], isolated_ansible, tmp_path)
    assert inv.get("a1").vars["safe"] == "{{ not_rendered }}"


@live
def test_constructed_over_static_matches_ansible(write, isolated_ansible: dict[str, str]) -> None:
    root = write({"static.yml": STATIC, "constructed.yml": CONSTRUCTED, "group_vars/linux.yml": "patch_day: tue\n"})
    sources = [root / "static.yml", root / "constructed.yml"]
    inv = load_inventory([str(s) for s in sources], environ={})
    ours = as_json(inv)
    assert ours == ansible_list(sources, isolated_ansible, root)
    assert ours["role_web"] == {"hosts": ["web01", "win01"]} and ours["webservers"] == {"hosts": ["web01", "win01"]}
    web01 = inv.get("web01")
    assert web01.vars["fqdn"] == "web01.corp.example" and isinstance(web01.vars["fqdn"], UnsafeStr)
    assert web01.vars["patch_day"] == "tue" and web01.connection.host == "127.0.0.11"
    assert inv.get("win01").connection.port == 5986
    assert [h.name for h in inv.select("webservers:&linux")] == ["web01"]


@live
def test_constructed_in_a_directory_matches_ansible(write, isolated_ansible: dict[str, str]) -> None:
    root = write({"inv/10-static.yml": STATIC, "inv/20-constructed.yml": CONSTRUCTED,
                  "inv/30-more.ini": "[linux]\nweb02 role=web\n"})
    ours = as_json(load_inventory([str(root / "inv")], environ={}))
    assert ours == ansible_list([root / "inv"], isolated_ansible, root)
    assert "web02" not in ours["role_web"]["hosts"]  # constructed only sees what was read before it


@live
def test_live_plugin_failure_is_one_line(write, isolated_ansible: dict[str, str]) -> None:
    root = write({"static.yml": STATIC, "strict.yml": "plugin: constructed\nstrict: true\ngroups:\n  w: role == 'web'\n",
                  "cloud.yml": "plugin: example.missing.cloud\n"})
    with pytest.raises(InputError) as err:
        load_inventory([str(root / "static.yml"), str(root / "strict.yml")], environ={})
    assert str(err.value).startswith(f"{root / 'strict.yml'}:1: ansible-inventory failed: ")
    assert "'role' is undefined" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(InputError) as err:
        load_inventory([str(root / "cloud.yml")], environ={})
    assert "specifies unknown plugin 'example.missing.cloud'" in str(err.value)
    assert str(err.value).endswith("(install it: ansible-galaxy collection install example.missing)")


def test_ini_host_called_plugin_is_not_a_plugin_config(write) -> None:
    root = write({"hosts": "plugin:2222\n[web]\nw1\n"})
    inv = load_inventory([str(root / "hosts")], environ={})
    assert inv.get("plugin").vars == {"ansible_port": 2222}


@live
def test_vault_ciphertext_in_list_json_is_decrypted(tmp_path: Path, isolated_ansible: dict[str, str]) -> None:
    from umcheck.inventory.vault import load_vault_secrets

    (tmp_path / "pass.txt").write_text("vaultpass\n")
    vault_cli = Path(ANSIBLE_INVENTORY).with_name("ansible-vault")
    ciphertext = subprocess.run(
        [str(vault_cli), "encrypt_string", "--vault-password-file", str(tmp_path / "pass.txt"), "S3cret!"],
        capture_output=True, text=True, check=True, env={**os.environ, **isolated_ansible}).stdout
    ciphertext = "\n".join(line.strip() for line in ciphertext.splitlines()[1:]) + "\n"
    doc = {"_meta": {"hostvars": {"w1": {"ansible_password": {"__ansible_vault": ciphertext}}}},
           "web": {"hosts": ["w1"]}}
    (tmp_path / "saved.json").write_text(json.dumps(doc))
    secrets = load_vault_secrets(password_files=[str(tmp_path / "pass.txt")], environ={})
    inv = load_inventory([str(tmp_path / "saved.json")], environ={}, vault=secrets)
    assert inv.get("w1").connection.password == "S3cret!"
    with pytest.raises(InputError, match=r"saved.json: vault-encrypted value, but no vault password was given"):
        load_inventory([str(tmp_path / "saved.json")], environ={})
