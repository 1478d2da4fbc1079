from __future__ import annotations

import pytest

from umcheck.errors import InputError
from umcheck.inventory import load_inventory
from umcheck.inventory.templating import TemplateRenderer, to_bool


def render(values, environ=None):
    return TemplateRenderer(environ or {}).render_vars(values, {}, {"inventory_hostname": "h1"})


def test_env_lookup_and_references() -> None:
    r = render({"pw": "{{ lookup('env', 'PW') }}", "fqdn": "{{ inventory_hostname }}.{{ domain }}",
                "domain": "{{ base }}", "base": "corp.example", "n": 5}, {"PW": "s3cret"})
    assert r.values == {"pw": "s3cret", "fqdn": "h1.corp.example", "domain": "corp.example",
                        "base": "corp.example", "n": 5}
    assert r.missing == {}


def test_missing_env_is_reported_not_raised() -> None:
    r = render({"pw": "{{ lookup('env', 'UNSET') }}", "uses_pw": "x{{ pw }}", "other": 1})
    assert r.missing == {"pw": "UNSET", "uses_pw": "UNSET"}
    assert r.values["pw"] == "{{ lookup('env', 'UNSET') }}" and r.values["other"] == 1


def test_env_default() -> None:
    assert render({"x": "{{ lookup('env', 'UNSET', default='d') }}"}).values["x"] == "d"


def test_nested_structures_rendered() -> None:
    r = render({"l": ["{{ a }}", {"k": "{{ a }}"}], "a": "v"})
    assert r.values["l"] == ["v", {"k": "v"}]


@pytest.mark.parametrize(("values", "message"), [
    ({"a": "{{ b }}", "b": "{{ a }}"}, "loop"),
    ({"a": "{{ nope }}"}, "undefined"),
    ({"a": "{{ lookup('file', '/etc/passwd') }}"}, "only lookup\\('env'"),
    ({"a": "{{ ''.__class__.__mro__ }}"}, "cannot render|unsafe"),
    ({"a": "{% if %}"}, "template error"),
])
def test_template_errors(values, message) -> None:
    with pytest.raises(InputError, match=message):
        render(values)


def test_unsafe_tag_is_not_rendered(write) -> None:
    root = write({"h.yml": "g:\n  hosts:\n    h1:\n      a: !unsafe '{{ not_a_template }}'\n"})
    assert load_inventory([str(root / "h.yml")]).get("h1").vars["a"] == "{{ not_a_template }}"


def test_template_error_names_the_origin(write) -> None:
    root = write({"h.yml": "g:\n  hosts:\n    h1:\n  vars:\n    x: 1\n    y: '{{ missing_var }}'\n"})
    with pytest.raises(InputError, match=r"h.yml:6: cannot render 'y'"):
        load_inventory([str(root / "h.yml")])


@pytest.mark.parametrize(("value", "expected"), [("yes", True), ("Off", False), (1, True), (0, False),
                                                  ("true", True), (False, False)])
def test_to_bool(value, expected) -> None:
    assert to_bool(value) is expected


def test_to_bool_rejects_other_text() -> None:
    with pytest.raises(ValueError):
        to_bool("maybe")
