"""Hostile or mistaken inventories cost one error line, never a traceback (issue 14, item 2).

Deep group graphs, wrongly typed connection values, template and YAML-alias bombs and huge range
expansions: each is either the inventory's one-line error (exit 2, file and line named) or one
host's problem (the others stay usable, a scan skips just that host). No test here relies on timing.
"""

from __future__ import annotations

import json
import random
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import umcheck.cli as cli
from umcheck.errors import InputError, UsageError
from umcheck.inventory import load_inventory, model
from umcheck.inventory.ini_source import parse_ini_value, split_host_line
from umcheck.inventory.model import MAX_GROUP_DEPTH
from umcheck.inventory.yaml_loader import MAX_YAML_DEPTH

# The inventory command alone (other commands are developed in parallel and must not matter here).
CLI = [
    sys.executable,
    "-c",
    "import sys, umcheck.cli as c; c.COMMAND_MODULES = sys.argv[1:2]; sys.exit(c.main(sys.argv[1:]))",
]


@pytest.fixture(autouse=True)
def only_inventory_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["inventory"])


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["inventory", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, *parts: str) -> None:
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("umcheck: error: "), err
    assert "Traceback" not in err
    for part in parts:
        assert part in err


def chain(depth: int) -> str:
    """INI: c0 > c1 > ... > c<depth>, one host in the deepest group (c<n> is n+1 levels below all)."""
    return "".join(f"[c{i}:children]\nc{i + 1}\n" for i in range(depth)) + f"[c{depth}]\nh1\n"


# -- group graphs -------------------------------------------------------------------------------


def test_5000_deep_children_chain_is_one_line_naming_file_line_and_group(capsys, tmp_path: Path) -> None:
    (tmp_path / "deep.ini").write_text(chain(5000))
    with pytest.raises(
        InputError,
        match=rf"deep.ini:\d+: group 'c{MAX_GROUP_DEPTH}' is nested more than "
        rf"{MAX_GROUP_DEPTH} levels deep",
    ):
        load_inventory(tmp_path / "deep.ini")
    for argv in (["--list"], ["--graph"], ["--host", "h1"]):
        assert_one_line_error(
            *run(capsys, "-i", str(tmp_path / "deep.ini"), *argv), "deep.ini:", "nested more than"
        )


def test_deepest_allowed_chain_lists_and_graphs_without_recursion(capsys, tmp_path: Path) -> None:
    (tmp_path / "deep.ini").write_text(chain(MAX_GROUP_DEPTH - 1))  # c999 is 1000 levels below all
    inv = load_inventory(tmp_path / "deep.ini")
    assert len(inv.get("h1").groups) == MAX_GROUP_DEPTH
    code, out, _ = run(capsys, "-i", str(tmp_path / "deep.ini"), "--list")
    assert code == 0 and json.loads(out)[f"c{MAX_GROUP_DEPTH - 1}"] == {"hosts": ["h1"]}
    code, out, _ = run(capsys, "-i", str(tmp_path / "deep.ini"), "--graph")
    assert code == 0 and out.splitlines()[-1] == "  |" * (MAX_GROUP_DEPTH + 1) + "--h1"


def test_children_declared_bottom_up_resolve_iteratively(tmp_path: Path) -> None:
    # every [cN:children] names a group defined later: a long chain of pending forward references
    text = "".join(f"[c{i}:children]\nc{i + 1}\n" for i in range(900)) + "[c900]\nh1\n"
    lines = text.splitlines(keepends=True)
    pairs = ["".join(lines[i : i + 2]) for i in range(0, 1800, 2)]
    (tmp_path / "up.ini").write_text("".join(reversed(pairs)) + "[c900]\nh1\n")
    assert "c0" in load_inventory(tmp_path / "up.ini").get("h1").groups


def test_graph_of_a_lattice_is_capped(capsys, tmp_path: Path, monkeypatch) -> None:
    from umcheck.inventory import listing

    # each level has two groups that are both children of both groups above: 2**levels paths
    text = "".join(
        f"[a{i}:children]\na{i + 1}\nb{i + 1}\n[b{i}:children]\na{i + 1}\nb{i + 1}\n" for i in range(20)
    )
    (tmp_path / "lattice.ini").write_text(text + "[a20]\nh1\n[b20]\nh2\n")
    monkeypatch.setattr(listing, "MAX_GRAPH_LINES", 10_000)
    code, out, _ = run(capsys, "-i", str(tmp_path / "lattice.ini"), "--list")
    assert code == 0 and json.loads(out)["a0"]["children"] == ["a1", "b1"]  # --list shows each group once
    assert_one_line_error(
        *run(capsys, "-i", str(tmp_path / "lattice.ini"), "--graph"), "longer than 10,000 lines"
    )


def test_yaml_nested_children_beyond_the_yaml_depth_limit(tmp_path: Path) -> None:
    levels = MAX_YAML_DEPTH  # each group level is two mapping levels (children: {gN: ...})
    text = "".join("  " * (2 * i) + f"g{i}:\n" + "  " * (2 * i + 1) + "children:\n" for i in range(levels))
    (tmp_path / "nested.yml").write_text(text + "  " * (2 * levels) + "last:\n")
    with pytest.raises(
        InputError, match=rf"nested.yml:\d+: YAML nested more than {MAX_YAML_DEPTH} levels deep"
    ):
        load_inventory(tmp_path / "nested.yml")


# -- types at the border ------------------------------------------------------------------------

BAD_TYPES = [
    ("ansible_connection", "[winrm]", "expected text, got a list"),
    ("ansible_connection", "{a: 1}", "expected text, got a mapping"),
    ("ansible_host", "[a, b]", "expected text, got a list"),
    ("ansible_user", "{name: x}", "expected text, got a mapping"),
    ("ansible_port", "[5986]", "expected a port number"),
    ("ansible_port", "99999999999999999999999999", "out of range"),
    ("umcheck_timeout", "1e999", "positive number of seconds"),
    ("umcheck_timeout", "[1]", "expected a number of seconds"),
    ("umcheck_is_azure", "[true]", "is not a boolean"),
    ("umcheck_cloud", "{x: y}", "expected text, got a mapping"),
    ("umcheck_os", "[windows]", "expected text, got a list"),
    ("ansible_winrm_transport", "[[ntlm]]", "expected text, got a list"),
    ("ansible_shell_type", "{a: b}", "expected text, got a mapping"),
]


@pytest.mark.parametrize(("var", "value", "message"), BAD_TYPES)
def test_wrong_type_is_that_hosts_one_line_problem(capsys, tmp_path: Path, var, value, message) -> None:
    (tmp_path / "h.yml").write_text(
        f"g:\n  hosts:\n    bad:\n      {var}: {value}\n    good:\n  vars:\n    ansible_connection: winrm\n"
    )
    inv = load_inventory(tmp_path / "h.yml")
    bad = inv.get("bad")
    assert bad.settings is None and bad.invalid
    assert bad.problem.startswith(f"{tmp_path / 'h.yml'}:4: {var}: ") and message in bad.problem
    assert "\n" not in bad.problem
    assert inv.get("good").connection.connection == "winrm"  # one bad host never stops the others
    assert [h.name for h in inv.select("all:!bad")] == ["good"]
    with pytest.raises(InputError, match=rf"^host bad: .*h.yml:4: {var}: "):
        inv.select("all")
    # inventory --list checks the inventory: a wrong value is exit 2, one line, host, file:line, variable
    assert_one_line_error(
        *run(capsys, "-i", str(tmp_path / "h.yml"), "--list"), "host bad: ", "h.yml:4: ", var
    )
    code, out, err = run(capsys, "-i", str(tmp_path / "h.yml"), "--connection", "all")
    assert code == 0 and f"bad: not usable: {tmp_path / 'h.yml'}:4: {var}: " in out and "Traceback" not in err


def test_wrong_type_of_a_password_never_quotes_it(tmp_path: Path) -> None:
    (tmp_path / "h.yml").write_text(
        "g:\n  hosts:\n    h1:\n      ansible_become_pw: [Hunter2]\n      ansible_password: [Hunter2]\n"
    )
    host = load_inventory(tmp_path / "h.yml").get("h1")
    assert "ansible_password: has the wrong type or form (a list)" in host.problem
    assert "Hunter2" not in host.problem


def test_rendered_value_of_the_wrong_type_is_a_host_problem(tmp_path: Path) -> None:
    (tmp_path / "h.yml").write_text(
        "g:\n  hosts:\n    h1:\n      ansible_port: '{{ ports }}'\n      ports: [1, 2]\n    h2:\n"
    )
    inv = load_inventory(tmp_path / "h.yml")
    assert "h.yml:4: ansible_port: expected a port number" in inv.get("h1").problem
    assert inv.get("h2").connection.port == 22


def test_scan_skips_a_host_with_a_wrong_value(tmp_path: Path) -> None:
    """The scan command's own border: no usable host is exit 2 with the host's one-line reason."""
    (tmp_path / "h.yml").write_text("g:\n  hosts:\n    h1:\n      ansible_connection: [winrm]\n")
    proc = subprocess.run(
        [*CLI, "scan", "-i", str(tmp_path / "h.yml"), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "h.yml:4: ansible_connection: expected text, got a list" in proc.stderr


# -- templates ----------------------------------------------------------------------------------

BOMBS = {
    "laughs": {
        "a": "{{ 'x' * 1000 }}",
        "b": "{{ a * 1000 }}",
        "c": "{{ b * 1000 }}",
        "d": "{{ c * 1000 }}",
        "ansible_host": "{{ d }}",
    },
    "power": {"ansible_host": "{{ 'A' * 10**9 }}"},
    "big_int": {"ansible_host": "{{ 2 ** (10**9) }}"},
    "concat": {"a": "{{ 'x' * 1000000 }}", "ansible_host": "{{ a ~ a ~ a }}"},
    "output": {"a": "{{ 'x' * 1000000 }}", "ansible_host": "{{ a }}{{ a }}"},
    "shared_list": {"a": "{{ 'x' * 1000000 }}", "ansible_host": "{{ [a, a, a] }}"},
    "join": {"a": "{{ 'x' * 1000000 }}", "ansible_host": "{{ [a, a] | join(',') }}"},
    "replace": {"a": "{{ 'x' * 100000 }}", "ansible_host": "{{ a | replace('x', a) }}"},
    "method": {"a": "{{ 'x' * 100000 }}", "ansible_host": "{{ a.replace('', a) }}"},
    "ljust": {"ansible_host": "{{ 'x'.ljust(10**9) }}"},
    "format": {"ansible_host": "{{ '{:>999999999}'.format(1) }}"},
    "percent": {"ansible_host": "{{ '%0999999999d' % 1 }}"},
    "center": {"ansible_host": "{{ 'x' | center(10**9) }}"},
    "loops": {
        "ansible_host": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    },
    "macro": {"ansible_host": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"},
    "parens": {"ansible_host": "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}"},
    "indirection": {
        **{f"v{i}": f"{{{{ v{i + 1} }}}}" for i in range(100)},
        "v100": "x",
        "ansible_host": "{{ v0 }}",
    },
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_template_bomb_is_that_hosts_one_line_problem(tmp_path: Path, name: str) -> None:
    lines = "".join(f"    {k}: {json.dumps(v)}\n" for k, v in BOMBS[name].items())
    (tmp_path / "h.yml").write_text(f"bomb:\n  hosts:\n    h1:\n  vars:\n{lines}ok:\n  hosts:\n    h2:\n")
    inv = load_inventory(tmp_path / "h.yml", environ={})
    host = inv.get("h1")
    assert host.settings is None and host.problem.startswith("ansible_host ")
    assert "\n" not in host.problem and len(host.problem) < 600
    assert "h.yml:" in host.problem  # where the failing template is written
    assert inv.get("h2").connection.host == "h2"
    # shown as written, like ansible-inventory: listing never renders
    assert inv.to_list_json()["_meta"]["hostvars"]["h1"]["ansible_host"] == BOMBS[name]["ansible_host"]


def test_template_limits_leave_ordinary_templates_alone(tmp_path: Path) -> None:
    (tmp_path / "h.yml").write_text(
        "g:\n  hosts:\n    h1:\n  vars:\n"
        "    domain: corp.example\n"
        '    ansible_host: "{{ inventory_hostname | upper }}.{{ domain }}"\n'
        '    ansible_port: "{{ 5000 + 986 }}"\n'
        "    ansible_user: \"{{ ['ad', 'min'] | join('') }}{% for i in range(3) %}{{ i }}{% endfor %}\"\n"
        "    umcheck_timeout: \"{{ '%d' % 60 }}\"\n"
    )
    c = load_inventory(tmp_path / "h.yml", environ={}).get("h1").connection
    assert (c.host, c.port, c.user, c.timeout) == ("H1.corp.example", 5986, "admin012", 60.0)


def test_scan_and_cli_with_a_template_bomb_exit_cleanly(tmp_path: Path) -> None:
    (tmp_path / "h.yml").write_text(
        "g:\n  hosts:\n    h1:\n  vars:\n    ansible_host: \"{{ 'A' * 10**9 }}\"\n"
    )
    for argv in (
        ["inventory", "--list"],
        ["inventory", "--host", "h1"],
        ["inventory", "--connection", "all"],
        ["scan", "-o", str(tmp_path / "out")],
    ):
        proc = subprocess.run(
            [*CLI, *argv, "-i", str(tmp_path / "h.yml")],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
        assert proc.returncode == (2 if argv[0] == "scan" else 0), (argv, proc.stderr)
    assert "ansible_host cannot be rendered" in proc.stderr and "would repeat a value past" in proc.stderr


# -- YAML ---------------------------------------------------------------------------------------


def test_yaml_alias_bomb_is_one_line(capsys, tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    (tmp_path / "h.yml").write_text("g:\n  hosts:\n    h1:\n  vars:\n" + "".join(f"    {x}\n" for x in lines))
    assert_one_line_error(
        *run(capsys, "-i", str(tmp_path / "h.yml"), "--list"),
        "h.yml:",
        "YAML expands to more than",
        "aliases",
    )


def test_yaml_aliases_within_limits_still_work(tmp_path: Path) -> None:
    (tmp_path / "h.yml").write_text(
        "g:\n  hosts:\n    h1: &h {ansible_port: 5986}\n    h2: *h\n  vars: {list: &l [1, 2], again: *l}\n"
    )
    inv = load_inventory(tmp_path / "h.yml")
    assert inv.get("h2").connection.port == 5986 and inv.get("h1").vars["again"] == [1, 2]


@pytest.mark.parametrize("text", ["[" * 200_000, "- " * 200_000 + "x", "{a: " * 100_000])
def test_deep_yaml_flow_and_block_nesting_never_crash(tmp_path: Path, text: str) -> None:
    # libyaml's composer recurses in C: it must never see such depth (run apart: a crash would be a segfault)
    (tmp_path / "h.yml").write_text(text + "\n")
    proc = subprocess.run(
        [*CLI, "inventory", "-i", str(tmp_path / "h.yml"), "--list"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr[-500:]
    assert "h.yml:" in proc.stderr


# -- size ---------------------------------------------------------------------------------------


def test_host_entries_beyond_the_cap_stop_with_file_and_line(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(model, "MAX_HOST_MENTIONS", 250_000)
    (tmp_path / "r.ini").write_text("[g]\n" + "g[0:99999]\n" * 60)
    assert_one_line_error(
        *run(capsys, "-i", str(tmp_path / "r.ini"), "--list"), "r.ini:4: more than 250,000 host entries"
    )


def test_a_400k_character_host_line_loads(tmp_path: Path) -> None:
    pairs = " ".join(f"k{i}=v{i}" for i in range(40_000))
    (tmp_path / "long.ini").write_text(f"[g]\nh1 {pairs}\nh2 quoted='a b' x=\"{{{{ y }}}}\"\n")
    inv = load_inventory(tmp_path / "long.ini")
    assert inv.get("h1").vars["k39999"] == "v39999"
    assert inv.get("h2").vars["quoted"] == "a b"


def test_fast_host_line_split_equals_shlex() -> None:
    rng = random.Random(14)
    for _ in range(5000):
        line = "".join(rng.choice("ab =#\t\r\x0b'\"\\\u00a0") for _ in range(rng.randint(0, 14)))
        try:
            expected: object = shlex.split(line, comments=True)
        except ValueError:
            expected = ValueError
        try:
            got: object = split_host_line(line)
        except ValueError:
            got = ValueError
        assert got == expected, line


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10.0.0.1", "10.0.0.1"),
        ("host.corp.example", "host.corp.example"),
        ("https://x:5986/wsman", "https://x:5986/wsman"),
        ("admin@CORP.EXAMPLE", "admin@CORP.EXAMPLE"),
        ("5986", 5986),
        ("1.5", 1.5),
        ("True", True),
        ("None", None),
        ("[1, 2]", [1, 2]),
        ("1.5-2.5j", "(1.5-2.5j)"),
        ("...", "..."),
        ("winrm", "winrm"),
        ("'quoted'", "quoted"),
    ],
)
def test_ini_values_are_typed_as_before(text, value) -> None:
    assert parse_ini_value(text) == value and type(parse_ini_value(text)) is type(value)


def test_loading_keeps_group_and_host_order_with_membership_sets(tmp_path: Path) -> None:
    (tmp_path / "h.ini").write_text("[b]\nh2\nh1\nh2\n[a]\nh1\n[p:children]\nb\na\nb\n")
    inv = load_inventory(tmp_path / "h.ini")
    assert [h.name for h in inv.hosts] == ["h2", "h1"]
    assert inv.to_list_json()["p"] == {"children": ["b", "a"]}
    assert inv.to_list_json()["b"] == {"hosts": ["h2", "h1"]}


def test_unknown_group_names_in_graph_are_usage_errors(capsys, tmp_path: Path) -> None:
    (tmp_path / "h.ini").write_text("[g]\nh1\n")
    with pytest.raises(UsageError):
        load_inventory(tmp_path / "h.ini").graph("nope")


def test_saved_list_json_with_a_deep_chain_or_deep_values(tmp_path: Path) -> None:
    groups: dict[str, object] = {f"c{i}": {"children": [f"c{i + 1}"]} for i in range(3000)}
    groups["c3000"] = {"hosts": ["h1"]}
    (tmp_path / "chain.json").write_text(json.dumps(groups))
    with pytest.raises(InputError, match=rf"chain.json: group 'c{MAX_GROUP_DEPTH}' is nested more than"):
        load_inventory(tmp_path / "chain.json")
    for depth in (500, 50_000):
        nested = "[" * depth + "]" * depth
        (tmp_path / "deep.json").write_text('{"g": {"hosts": ["h1"], "vars": {"x": ' + nested + "}}}")
        with pytest.raises(InputError, match=r"deep.json(:1)?: .*nest"):
            load_inventory(tmp_path / "deep.json")


def test_scan_goes_on_past_hosts_with_a_bomb_or_a_wrong_type(tmp_path: Path) -> None:
    """One bad host never stops the others: the local host is scanned, the two bad ones are skipped."""
    (tmp_path / "s.yml").write_text(
        "g:\n  hosts:\n    good: {ansible_connection: local}\n"
        "    bomb: {ansible_connection: local, ansible_host: \"{{ 'A' * 10**9 }}\"}\n"
        "    typed: {ansible_connection: [local]}\n"
    )
    out = tmp_path / "out"
    proc = subprocess.run(
        [*CLI, "scan", "-i", str(tmp_path / "s.yml"), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    hosts = {h["name"]: h for h in json.loads(next(out.glob("*/report.json")).read_text())["hosts"]}
    assert hosts["good"]["status"] == "ok"
    assert hosts["bomb"]["status"] == hosts["typed"]["status"] == "skipped"
    assert (
        "ansible_host cannot be rendered (" in hosts["bomb"]["error"] and "s.yml:4" in hosts["bomb"]["error"]
    )
    assert "s.yml:5: ansible_connection: expected text, got a list" in hosts["typed"]["error"]


def test_a_bomb_in_a_group_variable_is_not_paid_for_once_per_host(tmp_path: Path) -> None:
    """Limit failures are remembered; one that depends on the host is refused for all after 3 hosts."""
    from umcheck.inventory.templating import MAX_STRIKES

    loop = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    hosts = "".join(f"    h{i}:\n" for i in range(200))
    for template in (loop, "{{ inventory_hostname }}" + loop):
        (tmp_path / "h.yml").write_text(
            f"g:\n  hosts:\n{hosts}  vars:\n    ansible_host: {json.dumps(template)}\n"
        )
        inv = load_inventory(tmp_path / "h.yml")
        problems = [h.problem for h in inv.select("all", check_usable=False)]
        assert all(p and "does more than 100,000 operations" in p for p in problems)
        if "inventory_hostname" in template:
            refused = [
                p for p in problems if p.endswith(f"(refused without trying after {MAX_STRIKES} hosts)")
            ]
            assert len(refused) == 200 - MAX_STRIKES


def test_costly_templates_are_remembered_only_for_the_same_inputs(tmp_path: Path) -> None:
    work = "{% for i in range(5000) %}{% endfor %}"
    (tmp_path / "h.yml").write_text(
        "g:\n  hosts:\n    h1: {n: 1}\n    h2: {n: 2}\n    h3: {n: 1}\n  vars:\n"
        f"    ansible_host: {json.dumps(work + '{{ inventory_hostname }}-{{ n }}')}\n"
        f"    ansible_user: {json.dumps(work + 'u{{ n }}')}\n"
    )
    inv = load_inventory(tmp_path / "h.yml")
    got = [(inv.get(h).connection.host, inv.get(h).connection.user) for h in ("h1", "h2", "h3")]
    assert got == [("h1-1", "u1"), ("h2-2", "u2"), ("h3-1", "u1")]
