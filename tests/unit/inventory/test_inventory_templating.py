from __future__ import annotations

import json

import pytest

import umcheck.cli as cli
from umcheck.inventory import load_inventory
from umcheck.inventory.model import Origin
from umcheck.inventory.templating import HostVars, RenderError, TemplateRenderer, to_bool


def render(values, environ=None, origins=None) -> HostVars:
    return TemplateRenderer(environ or {}).host_vars(values, origins or {}, {"inventory_hostname": "h1"})


def test_env_lookup_and_references() -> None:
    hv = render({"pw": "{{ lookup('env', 'PW') }}", "fqdn": "{{ inventory_hostname }}.{{ domain }}",
                 "domain": "{{ base }}", "base": "corp.example", "n": 5}, {"PW": "s3cret"})
    assert dict(hv) == {"pw": "s3cret", "fqdn": "h1.corp.example", "domain": "corp.example",
                        "base": "corp.example", "n": 5}


def test_missing_env_fails_only_the_variables_that_use_it() -> None:
    hv = render({"pw": "{{ lookup('env', 'UNSET') }}", "uses_pw": "x{{ pw }}", "other": 1})
    assert hv["other"] == 1
    with pytest.raises(RenderError, match="pw needs environment variable UNSET, which is not set") as err:
        hv["pw"]
    assert err.value.env == "UNSET" and err.value.unresolved
    with pytest.raises(RenderError, match=r"uses_pw needs environment variable UNSET, which is not set \(via pw\)"):
        hv["uses_pw"]


def test_env_default() -> None:
    assert render({"x": "{{ lookup('env', 'UNSET', default='d') }}"})["x"] == "d"


def test_nested_structures_rendered() -> None:
    assert render({"l": ["{{ a }}", {"k": "{{ a }}"}], "a": "v"})["l"] == ["v", {"k": "v"}]


def test_rendering_is_lazy_and_per_variable() -> None:
    """Only what is read is rendered: a broken or undefined variable elsewhere costs nothing."""
    hv = render({"ansible_host": "{{ inventory_hostname }}.corp.example",
                 "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                 "broken": "{% if %}", "loop_a": "{{ loop_b }}", "loop_b": "{{ loop_a }}"})
    assert hv["ansible_host"] == "h1.corp.example"
    assert len(hv) == 5 and "broken" in hv and "inventory_hostname" not in hv


def test_undefined_is_fine_where_jinja_allows_it() -> None:
    hv = render({"a": "{{ nope | default('d') }}", "b": "{{ nope is defined }}", "c": "{{ x | default('e') }}",
                 "x": "{{ also_undefined }}"})
    assert (hv["a"], hv["b"], hv["c"]) == ("d", "False", "e")


def test_undefined_names_the_variable_its_origin_and_how_to_supply_it() -> None:
    origins = {"pw": Origin("windows.ini", 15), "fqdn": Origin("group_vars/all.yml", 2)}
    hv = render({"pw": "{{ vault_winrm_password }}", "host": "{{ fqdn }}", "fqdn": "{{ name }}.{{ domain }}",
                 "name": "h1"}, origins=origins)
    with pytest.raises(RenderError) as err:
        hv["pw"]
    assert err.value.undefined == "vault_winrm_password"
    assert str(err.value) == ("pw refers to undefined variable 'vault_winrm_password' (windows.ini:15); pass "
                              "-e vault_winrm_password=... or define it in the inventory (a vault-encrypted vars "
                              "file for secrets)")
    assert "--password-env NAME" in err.value.describe(password=True)
    with pytest.raises(RenderError, match=r"^host refers to undefined variable 'domain' "
                                          r"\(via fqdn at group_vars/all.yml:2\); pass -e domain=\.\.\."):
        hv["host"]


@pytest.mark.parametrize(("values", "message"), [
    ({"a": "{{ b }}", "b": "{{ a }}"}, "a cannot be rendered .*loop: a -> b -> a"),
    ({"a": "{{ nope }}"}, "a refers to undefined variable 'nope'"),
    ({"a": "{{ {}.missing }}"}, "a cannot be rendered: 'dict object' has no attribute 'missing'"),
    ({"a": "{{ lookup('file', '/etc/passwd') }}"}, "only lookup\\('env'"),
    ({"a": "{{ ''.__class__.__mro__ }}"}, "a cannot be rendered: .*unsafe"),
    ({"a": "{% if %}"}, "a cannot be rendered: template error"),
    ({"a": "{{ 'maybe' | bool }}"}, "a cannot be rendered: 'maybe' is not a boolean"),
])
def test_template_errors(values, message) -> None:
    hv = render(values)
    with pytest.raises(RenderError, match=message) as err:
        hv["a"]
    assert "\n" not in str(err.value)
    with pytest.raises(RenderError):  # remembered, not rendered again
        hv["a"]


def test_unsafe_tag_is_not_rendered(write) -> None:
    root = write({"h.yml": "g:\n  hosts:\n    h1:\n      a: !unsafe '{{ not_a_template }}'\n"})
    assert load_inventory([str(root / "h.yml")]).get("h1").vars["a"] == "{{ not_a_template }}"


def test_unused_undefined_variables_do_not_matter(write) -> None:
    """Ansible renders a value when it is used: nothing uses these, so the inventory loads."""
    root = write({"h.yml": "g:\n  hosts:\n    h1:\n  vars:\n    x: 1\n    y: '{{ missing_var }}'\n"
                           "    ansible_python_interpreter: '{{ ansible_playbook_python }}'\n    z: '{% if %}'\n"})
    h1 = load_inventory([str(root / "h.yml")], environ={}).get("h1")
    assert h1.problem is None and h1.connection.connection == "ssh"
    assert h1.vars["y"] == "{{ missing_var }}"  # kept as written, like ansible-inventory


def test_list_and_host_show_templates_as_written(write, capsys, monkeypatch) -> None:
    """Same values as 'ansible-inventory --list/--host': unrendered, null stays null, secrets masked."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["inventory"])
    root = write({"h.yml": "g:\n  hosts:\n    h1:\n      a: null\n      b: '{{ c }}'\n      c: 3\n"
                           "      lst: ['{{ c }}', 1]\n      ansible_password: '{{ vault_pw }}'\n"})
    expected = {"a": None, "b": "{{ c }}", "c": 3, "lst": ["{{ c }}", 1], "ansible_password": "********"}
    assert cli.main(["inventory", "-i", str(root / "h.yml"), "--list"]) == 0
    assert json.loads(capsys.readouterr().out)["_meta"]["hostvars"]["h1"] == expected
    assert cli.main(["inventory", "-i", str(root / "h.yml"), "--host", "h1"]) == 0
    assert json.loads(capsys.readouterr().out) == expected


@pytest.mark.parametrize(("value", "expected"), [("yes", True), ("Off", False), (1, True), (0, False),
                                                  ("true", True), (False, False)])
def test_to_bool(value, expected) -> None:
    assert to_bool(value) is expected


def test_to_bool_rejects_other_text() -> None:
    with pytest.raises(ValueError):
        to_bool("maybe")
