from __future__ import annotations

import dataclasses

import pytest

from umcheck.errors import InputError, UsageError
from umcheck.inventory import ConnectionSettings, load_inventory
from umcheck.inventory.connection import UMCHECK_VARS, build_connection


def conn(**values) -> ConnectionSettings:
    return build_connection("h1.corp.example", values, {})


def test_connection_settings_is_frozen_and_hides_password() -> None:
    c = conn(ansible_connection="winrm", ansible_password="hunter2")
    assert "hunter2" not in repr(c)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("values", "port", "scheme"),
    [
        ({}, 5986, "https"),
        ({"ansible_port": 5985}, 5985, "http"),
        ({"ansible_port": 8443}, 8443, "https"),
        ({"ansible_winrm_scheme": "http"}, 5986, "http"),  # Ansible keeps 5986 here
        ({"ansible_port": 5985, "ansible_winrm_port": 5986}, 5986, "https"),  # last alias wins
        ({"ansible_port": "5985"}, 5985, "http"),
    ],
)
def test_winrm_port_and_scheme(values, port, scheme) -> None:
    c = conn(ansible_connection="winrm", **values)
    assert (c.port, c.scheme, c.os) == (port, scheme, "windows")


def test_winrm_defaults_and_transport() -> None:
    c = conn(ansible_connection="winrm", ansible_user="admin")
    assert c.winrm_transport == ("ssl",) and c.cert_validation is True
    assert (c.read_timeout, c.operation_timeout, c.path, c.message_encryption) == (
        30.0,
        20.0,
        "/wsman",
        "auto",
    )
    assert conn(ansible_connection="winrm", ansible_user="svc@CORP.EXAMPLE").winrm_transport == (
        "kerberos",
        "ssl",
    )
    assert conn(ansible_connection="winrm", ansible_port=5985).winrm_transport == ("plaintext",)
    assert conn(ansible_connection="winrm", ansible_winrm_transport="ntlm, kerberos").winrm_transport == (
        "ntlm",
        "kerberos",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("ignore", False), ("validate", True), (False, False), ("false", False), (True, True)],
)
def test_cert_validation(value, expected) -> None:
    assert (
        conn(ansible_connection="winrm", ansible_winrm_server_cert_validation=value).cert_validation
        is expected
    )
    assert conn(ansible_connection="psrp", ansible_psrp_cert_validation=value).cert_validation is expected


@pytest.mark.parametrize(
    ("values", "port", "scheme"),
    [
        ({}, 5986, "https"),
        ({"ansible_port": 5985}, 5985, "http"),
        ({"ansible_psrp_protocol": "http"}, 5985, "http"),
        ({"ansible_psrp_protocol": "https", "ansible_port": 5985}, 5985, "https"),
    ],
)
def test_psrp_port_and_protocol(values, port, scheme) -> None:
    c = conn(ansible_connection="psrp", **values)
    assert (c.port, c.scheme, c.psrp_auth, c.os) == (port, scheme, "negotiate", "windows")


def test_psrp_password_aliases_and_ca() -> None:
    c = conn(
        ansible_connection="psrp",
        ansible_password="a",
        ansible_winrm_password="b",
        ansible_psrp_cert_trust_path="/ca.pem",
    )
    assert c.password == "b" and c.ca_trust_path == "/ca.pem"


def test_ssh_legacy_names_win_and_windows_shell() -> None:
    c = conn(
        ansible_host="192.0.2.1",
        ansible_ssh_host="192.0.2.2",
        ansible_user="a",
        ansible_ssh_user="b",
        ansible_ssh_private_key_file="~/.ssh/id",
        ansible_host_key_checking="no",
    )
    assert (c.connection, c.host, c.port, c.user, c.os) == ("ssh", "192.0.2.2", 22, "b", "linux")
    assert c.ssh_private_key_file == "~/.ssh/id" and c.ssh_host_key_checking is False
    assert conn(ansible_connection="ssh", ansible_shell_type="powershell").os == "windows"
    assert conn(ansible_connection="ssh", ansible_shell_type="cmd", umcheck_os="linux").os == "linux"


def test_winrm_ignores_legacy_ssh_names() -> None:
    c = conn(ansible_connection="winrm", ansible_ssh_port=22, ansible_ssh_user="x")
    assert c.port == 5986 and c.user is None


def test_umcheck_variables_typed() -> None:
    c = conn(
        ansible_connection="local",
        umcheck_cloud="USGov",
        umcheck_automation_account_location="West Europe",
        umcheck_is_azure="yes",
        umcheck_timeout="90",
        umcheck_connect_timeout=5,
        umcheck_probe_timeout=2.5,
    )
    assert (c.cloud, c.automation_account_location, c.is_azure) == ("usgov", "westeurope", True)
    assert (c.timeout, c.connect_timeout, c.probe_timeout) == (90.0, 5.0, 2.5)
    c2 = conn(ansible_connection="local", umcheck_wants_hrw="no", umcheck_migration="false",
              umcheck_hrw_account_url=" https://x.jrds.we.azure-automation.net/automationAccounts/x ")  # fmt: skip
    assert (c2.wants_hrw, c2.migrating) == (False, False)
    assert c2.hrw_account_url == "https://x.jrds.we.azure-automation.net/automationAccounts/x"
    assert (c.wants_hrw, c.migrating, c.hrw_account_url) == (None, True, None)  # unset: guessed / migrating
    assert set(UMCHECK_VARS) == {
        "umcheck_wants_hrw",
        "umcheck_hrw_account_url",
        "umcheck_migration",
        "umcheck_cloud",
        "umcheck_automation_account_location",
        "umcheck_os",
        "umcheck_timeout",
        "umcheck_connect_timeout",
        "umcheck_is_azure",
        "umcheck_probe_timeout",
        "umcheck_known_hosts",
        "umcheck_hrw_runas_user",  # SR.Hrw2.CustomCredAcl
        "umcheck_segment",  # --dispatch: the Celery queue (umcheck.dispatch.celery)
        "umcheck_fake_state",  # ansible_connection fake (benches, tests)
    }


def test_known_hosts_from_umcheck_var_or_ssh_args() -> None:
    assert conn(ansible_connection="ssh", umcheck_known_hosts="/k1").known_hosts == "/k1"
    args = "-o StrictHostKeyChecking=yes -o UserKnownHostsFile='/k2'"
    assert conn(ansible_connection="ssh", ansible_ssh_common_args=args).known_hosts == "/k2"
    assert conn(ansible_connection="ssh").known_hosts is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"ansible_port": 70000}, "out of range"),
        ({"ansible_port": True}, "expected a port"),
        ({"ansible_connection": "winrm", "ansible_winrm_transport": "ntlmv2"}, "unknown transport"),
        ({"ansible_connection": "winrm", "ansible_winrm_server_cert_validation": "maybe"}, "validate"),
        (
            {"ansible_connection": "winrm", "ansible_winrm_read_timeout_sec": 10},
            "read timeout must be longer",
        ),
        ({"ansible_connection": "psrp", "ansible_psrp_auth": "digest"}, "not one of"),
        ({"umcheck_cloud": "azure"}, "not one of public, usgov, china"),
        ({"umcheck_timeout": 0}, "positive"),
        ({"umcheck_is_azure": "perhaps"}, "not a boolean"),
        ({"ansible_connection": "winrm", "umcheck_os": "linux"}, "only reaches Windows"),
    ],
)
def test_bad_values(values, message) -> None:
    with pytest.raises(InputError, match=message):
        conn(**values)


def test_errors_point_at_the_file_line(write) -> None:
    root = write(
        {
            "h.yml": "g:\n  hosts:\n    h1:\n  vars:\n    ansible_connection: winrm\n"
            "    ansible_winrm_scheme: ftp\n"
        }
    )
    host = load_inventory([str(root / "h.yml")]).get("h1")  # a wrong value is that host's problem
    with pytest.raises(
        InputError, match=r"^host h1: .*h.yml:6: ansible_winrm_scheme: 'ftp' is not one of http, https"
    ):
        host.connection  # noqa: B018


def test_unknown_ansible_vars_are_ignored(write) -> None:
    root = write({"h.yml": "g:\n  hosts:\n    h1: {ansible_become_method: runas, ansible_whatever: 1}\n"})
    assert load_inventory([str(root / "h.yml")]).get("h1").connection.connection == "ssh"


def test_unsupported_connection_is_deferred_to_selection(write) -> None:
    root = write(
        {
            "h.yml": "routers:\n  hosts:\n    r1: {ansible_connection: network_cli}\n"
            "linux:\n  hosts:\n    l1:\n"
        }
    )
    inv = load_inventory([str(root / "h.yml")])
    assert [h.name for h in inv.select("linux")] == ["l1"]
    with pytest.raises(UsageError, match="r1: ansible_connection 'network_cli' is not supported"):
        inv.select("all")
    assert inv.select("all", check_usable=False)[0].problem


def test_cli_password_fills_in(write) -> None:
    root = write(
        {
            "h.yml": "w:\n  hosts:\n    h1:\n  vars:\n    ansible_connection: winrm\n"
            "    ansible_password: \"{{ lookup('env', 'NOPE_PW') }}\"\n"
            "l:\n  hosts:\n    h2:\n"
        }
    )
    inv = load_inventory([str(root / "h.yml")], environ={})
    with pytest.raises(UsageError, match="h1: ansible_password needs environment variable NOPE_PW"):
        inv.select("w")
    inv = load_inventory([str(root / "h.yml")], environ={}, password="pw")
    assert inv.get("h1").connection.password == "pw"
    assert inv.get("h2").connection.password == "pw"
    inv = load_inventory([str(root / "h.yml")], environ={"NOPE_PW": "env"}, password="pw")
    assert inv.get("h1").connection.password == "env"


def test_certificate_auth_files() -> None:
    c = conn(
        ansible_connection="winrm",
        ansible_winrm_transport="certificate",
        ansible_winrm_cert_pem="/c.pem",
        ansible_winrm_cert_key_pem="/k.pem",
    )
    assert (c.cert_pem, c.cert_key_pem) == ("/c.pem", "/k.pem")
    p = conn(
        ansible_connection="psrp",
        ansible_psrp_certificate_pem="/c2.pem",
        ansible_psrp_certificate_key_pem="/k2.pem",
    )
    assert (p.cert_pem, p.cert_key_pem) == ("/c2.pem", "/k2.pem")


TEN_HOSTS = (
    "windows:\n  hosts:\n"
    + "".join(f"    w{i:02d}:\n" for i in range(1, 10))
    + """\
    w10:
      ansible_password: '{{ vault_winrm_password }}'
  vars:
    ansible_connection: winrm
    ansible_user: admin
    ansible_password: "{{ lookup('env', 'WIN_PW') }}"
    ansible_python_interpreter: '{{ ansible_playbook_python }}'
    unrelated: '{{ nothing_defines_this }}'
"""
)


def test_undefined_connection_variable_is_one_hosts_problem(write) -> None:
    root = write({"h.yml": TEN_HOSTS})
    inv = load_inventory([str(root / "h.yml")], environ={"WIN_PW": "pw"})
    hosts = inv.select("all", check_usable=False)
    assert len(hosts) == 10
    assert [h.name for h in hosts if h.problem] == ["w10"]
    assert all(h.connection.password == "pw" for h in hosts[:9])
    assert inv.get("w10").problem == (
        f"ansible_password refers to undefined variable 'vault_winrm_password' ({root / 'h.yml'}:13); pass "
        "-e vault_winrm_password=..., define it in the inventory (a vault-encrypted vars file for secrets) or "
        "give the password with --password-env NAME / -k"
    )
    assert [h.name for h in inv.select("windows:!w10")] == [f"w{i:02d}" for i in range(1, 10)]
    with pytest.raises(UsageError, match="^host w10: ansible_password refers to undefined variable"):
        inv.select("windows")
    fixed = load_inventory(
        [str(root / "h.yml")], environ={"WIN_PW": "pw"}, extra_vars={"vault_winrm_password": "v"}
    )
    assert fixed.get("w10").connection.password == "v"
    given = load_inventory([str(root / "h.yml")], environ={}, password="given")
    assert {h.connection.password for h in given.select("all")} == {
        "given"
    }  # stands in for env and undefined


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"ansible_host": "{{ fqdn }}", "fqdn": "{{ inventory_hostname }}.{{ domain }}"},
            "ansible_host refers to undefined variable 'domain' (via fqdn at <command line>); pass -e domain=... or",
        ),
        ({"ansible_port": "{{ port }}"}, "ansible_port refers to undefined variable 'port' (<command line>)"),
        ({"umcheck_timeout": "{{ t }}"}, "umcheck_timeout refers to undefined variable 't'"),
        ({"ansible_host": "{% if %}"}, "ansible_host cannot be rendered (<command line>): template error"),
    ],
)
def test_unrenderable_connection_settings_are_host_problems(write, extra, message) -> None:
    root = write({"h.yml": "g:\n  hosts:\n    h1:\n"})
    host = load_inventory([str(root / "h.yml")], environ={}, extra_vars=extra).get("h1")
    assert host.settings is None and host.problem.startswith(message)
    assert "--password-env" not in host.problem


def test_rendered_connection_values_are_type_checked(write) -> None:
    root = write(
        {
            "h.yml": "g:\n  hosts:\n    h1: {ansible_port: '{{ p }}', p: 2222, ansible_host: '{{ a }}'}\n"
            "  vars: {a: '{{ inventory_hostname }}.corp.example'}\n"
        }
    )
    c = load_inventory([str(root / "h.yml")], environ={}).get("h1").connection
    assert (c.host, c.port) == ("h1.corp.example", 2222)
    bad = write({"b.yml": "g:\n  hosts:\n    h1: {ansible_port: '{{ p }}', p: 99999}\n"})
    host = load_inventory([str(bad / "b.yml")], environ={}).get("h1")
    assert host.settings is None and host.problem.endswith(
        "b.yml:3: ansible_port: port 99999 is out of range 1-65535"
    )
