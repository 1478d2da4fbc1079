"""``-e`` as Ansible reads it: key=value pairs, @file (YAML/JSON), inline JSON — and errors that
never echo a value (``-e ansible_password=…`` is common)."""

from __future__ import annotations

import pytest

from umcheck.commands.options import parse_extra_vars
from umcheck.errors import UsageError


def test_pairs_json_and_files_merge_in_order(tmp_path):
    (tmp_path / "vars.yml").write_text("umcheck_cloud: usgov\nports: [5985, 5986]\n")
    (tmp_path / "vars.json").write_text('{"umcheck_cloud": "china", "n": 3}')
    got = parse_extra_vars(["a=1 b='x y'", '{"k": 1, "l": [1, 2]}', f"@{tmp_path / 'vars.yml'}",
                            f"@{tmp_path / 'vars.json'}", "pw=a=b"])  # fmt: skip
    assert got == {"a": "1", "b": "x y", "k": 1, "l": [1, 2], "umcheck_cloud": "china",
                   "ports": [5985, 5986], "n": 3, "pw": "a=b"}  # fmt: skip


@pytest.mark.parametrize(("value", "message"), [
    ("novalue", "expected KEY=VALUE, @FILE or a JSON object"),
    ("[1, 2]", "must be a mapping"),
    ("{bad: [}", "not valid YAML or JSON"),
    ("@/nonexistent/vars.yml", "cannot read the file"),
    ('ansible_password="S3cret unclosed', "No closing quotation"),
])  # fmt: skip
def test_bad_values_are_one_line_usage_errors_without_the_value(value, message):
    with pytest.raises(UsageError, match=message) as exc:
        parse_extra_vars([value])
    assert "S3cret" not in str(exc.value) and "\n" not in str(exc.value)


def test_a_vaulted_extra_vars_file_is_refused_with_what_to_do(tmp_path):
    (tmp_path / "secret.yml").write_text("$ANSIBLE_VAULT;1.1;AES256\n6162\n")
    with pytest.raises(UsageError, match="vault-encrypted extra-vars files are not supported"):
        parse_extra_vars([f"@{tmp_path / 'secret.yml'}"])
