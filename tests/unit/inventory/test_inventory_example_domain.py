"""The shipped Kerberos domain example (inventory/domain-example/): settings, CLI, and no effect on -i inventory/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import umcheck.cli as cli
from umcheck.inventory import load_inventory

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "inventory" / "domain-example"
PASSWORD = "Example-Domain-Passw0rd"
ENV = {"UMCHECK_DOMAIN_PASSWORD": PASSWORD}
HOSTS = [f"hrw0{i}" for i in range(1, 5)] + ["web01", "web02", "web03", "web10", "sql01", "sql02"]


@pytest.fixture(autouse=True)
def in_scratch_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """cwd with ``inventory`` -> the repository's; no ansible.cfg or passwords from the environment."""
    (tmp_path / "inventory").symlink_to(REPO / "inventory", target_is_directory=True)
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "ansible.cfg").write_text("[defaults]\n")
    for name in [n for n in os.environ if n.startswith("ANSIBLE_")] + ["UMCHECK_WIN_PASSWORD",
                                                                       "UMCHECK_DOMAIN_PASSWORD"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANSIBLE_CONFIG", str(tmp_path / "cfg" / "ansible.cfg"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["inventory", "scan"])


def _settings():
    inv = load_inventory([str(EXAMPLE)], environ=ENV)
    return {h.name.removesuffix(".corp.example"): h.connection for h in inv.select("all")}


def test_every_host_uses_kerberos_as_the_domain_account():
    s = _settings()
    assert sorted(s) == sorted(HOSTS)
    for name, c in s.items():
        assert c.user == "svc_umcheck@CORP.EXAMPLE" and c.password == PASSWORD, name
        assert (c.scheme, c.port) == ("http", 5985), name
        if name.startswith("sql"):
            assert (c.connection, c.psrp_auth) == ("psrp", "kerberos"), name
        else:
            assert (c.connection, c.winrm_transport) == ("winrm", ("kerberos",)), name


def test_kinit_modes_override_and_delegation():
    s = _settings()
    assert s["hrw04"].kinit_mode == "manual"
    assert {n: c.kinit_mode for n, c in s.items() if n != "hrw04"} == {n: "managed" for n in HOSTS if n != "hrw04"}
    overrides = {n: c.kerberos_hostname_override for n, c in s.items() if c.kerberos_hostname_override}
    assert overrides == {"web10": "web10.corp.example", "sql01": "sql01.corp.example", "sql02": "sql02.corp.example"}
    assert (s["web10"].host, s["sql01"].host, s["sql02"].host) == ("192.0.2.40", "192.0.2.51", "192.0.2.52")
    assert {n for n, c in s.items() if c.kerberos_delegation} == {"hrw01"}


def test_settings_reach_the_transports():
    from umcheck.transports import kerberos

    s = _settings()
    # What the inventory asks for (kerberos.wanted() also needs pykerberos for WinRM, an optional extra).
    assert all((c.winrm_transport[:1] == ("kerberos",)) if c.connection == "winrm" else kerberos.wanted(c)
               for c in s.values())  # fmt: skip
    assert kerberos.kinit_mode(s["hrw04"].kinit_mode, s["hrw04"].password) == "manual"
    assert kerberos.principal(s["web01"].user) == "svc_umcheck@CORP.EXAMPLE"


def test_connection_all_cli(capsys, monkeypatch):
    monkeypatch.setenv("UMCHECK_DOMAIN_PASSWORD", PASSWORD)
    code = cli.main(["inventory", "-i", "inventory/domain-example", "--connection", "all"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert PASSWORD not in out + err
    assert out.count("  auth ") == len(HOSTS) and out.count("kerberos") >= len(HOSTS)
    assert "Kerberos                managed kinit (with the password)" in out
    assert "Kerberos    manual (an existing ticket)" in out
    assert "Kerberos SPN host name  web10.corp.example" in out
    assert "Kerberos delegation  on" in out
    assert [ln[:-1] for ln in out.splitlines() if not ln.startswith(" ")] == [f"{h}.corp.example" for h in HOSTS]


def _outputs(capsys, monkeypatch) -> dict[str, tuple[int, str, str]]:
    monkeypatch.setenv("UMCHECK_WIN_PASSWORD", "x")
    runs = {}
    for args in (["--list"], ["--graph"], ["--connection", "all"], ["--host", "sql01.corp.example"],
                 ["--host", "hrw01.corp.example"]):
        code = cli.main(["inventory", "-i", "inventory/", *args])
        runs[" ".join(args)] = (code, *capsys.readouterr())
    return runs


def test_parent_folder_is_unchanged_by_the_example(tmp_path, capsys, monkeypatch):
    """-i inventory/ reads domain-example/hosts.yml (adds nothing) and skips its group_vars/host_vars."""
    with_example = _outputs(capsys, monkeypatch)
    copy = tmp_path / "copy"
    copy.mkdir()
    for entry in (REPO / "inventory").iterdir():
        if entry.name != "domain-example":
            (copy / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    (tmp_path / "inventory").unlink()
    (tmp_path / "inventory").symlink_to(copy, target_is_directory=True)
    without = _outputs(capsys, monkeypatch)
    assert with_example == without
    assert all(code == 0 for code, _, _ in without.values())
    assert "domain-example" not in "".join(out + err for _, out, err in with_example.values())
