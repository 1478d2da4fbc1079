from __future__ import annotations

from pathlib import Path

import pytest

from umcheck.errors import InputError, UsageError
from umcheck.inventory import load_inventory
from umcheck.inventory.connection import UMCHECK_VARS


def load(root: Path, *names: str, **kw):
    kw.setdefault("environ", {})
    return load_inventory([str(root / n) for n in names], **kw)


def test_yaml_implicit_all_and_ungrouped(write) -> None:
    root = write(
        {
            "h.yml": """
        loose:
          hosts:
            a1:
        all:
          hosts:
            solo:
        """
        }
    )
    inv = load(root, "h.yml")
    listing = inv.to_list_json()
    assert listing["all"]["children"] == ["ungrouped", "loose"]
    assert listing["ungrouped"] == {"hosts": ["solo"]}
    assert [h.name for h in inv.hosts] == ["solo", "a1"]


def test_yaml_hosts_may_be_a_single_string_and_groups_null(write) -> None:
    inv = load(write({"h.yml": "web:\n  hosts: web01\nempty:\n"}), "h.yml")
    assert [h.name for h in inv.select("web")] == ["web01"]
    assert "empty" in inv.group_names


def test_same_host_in_two_groups_merges_vars(write) -> None:
    inv = load(
        write(
            {
                "h.yml": """
        a:
          hosts:
            h1: {x: 1, y: 1}
        b:
          hosts:
            h1: {y: 2}
        """
            }
        ),
        "h.yml",
    )
    [h] = inv.hosts
    assert h.vars == {"x": 1, "y": 2}
    assert h.groups == ("a", "b")


def test_port_from_first_mention_and_inline_override(write) -> None:
    root = write({"h.ini": "[a]\nh1:2222\n[b]\nh1:3333\nh2:5985 ansible_port=5999\n"})
    inv = load(root, "h.ini")
    assert inv.get("h1").vars["ansible_port"] == 2222
    assert inv.get("h2").vars["ansible_port"] == 5999


def test_ini_typing(write) -> None:
    root = write(
        {
            "h.ini": """
        [g]
        h1 inline_int="5986" inline_str="'5986'" word=yes user="CORP\\\\svc" flag=True
        [g:vars]
        quoted='5986'
        literal_list=['C:', 'D:']
        comment_kept=false # note
        comment_dropped=60 # seconds
        backslash=CORP\\svc
        """
        }
    )
    v = load(root, "h.ini").get("h1").vars
    assert v["inline_int"] == 5986 and v["inline_str"] == "5986" and v["word"] == "yes"
    assert v["user"] == "CORP\\svc" and v["flag"] is True
    assert v["quoted"] == "5986" and v["literal_list"] == ["C:", "D:"]
    assert v["comment_kept"] == "false # note" and v["comment_dropped"] == 60
    assert v["backslash"] == "CORP\\svc"


def test_ini_children_and_vars_declared_later(write) -> None:
    root = write({"h.ini": "[parent:children]\nchild\n[child:vars]\nx=1\n[child]\nh1\n"})
    h = load(root, "h.ini").get("h1")
    assert h.groups == ("child", "parent") and h.vars == {"x": 1}


def test_directory_source_skips_and_recurses(write) -> None:
    root = write(
        {
            "inv/a.yml": "g1:\n  hosts:\n    h1:\n",
            "inv/sub/b.ini": "[g2]\nh2\n",
            "inv/notes.md": "not: an inventory\n",
            "inv/.hidden.yml": "g3:\n  hosts:\n    h3:\n",
            "inv/group_vars/g2.yml": "x: 1\n",
        }
    )
    inv = load(root, "inv")
    assert [h.name for h in inv.hosts] == ["h1", "h2"]
    assert inv.get("h2").vars == {"x": 1}


def test_several_sources_merge_in_order(write) -> None:
    root = write({"a.yml": "g:\n  hosts:\n    h1: {x: a}\n", "b.ini": "[g]\nh1 x=b\nh2\n"})
    inv = load(root, "a.yml", "b.ini")
    assert inv.get("h1").vars["x"] == "b"
    assert [h.name for h in inv.select("g")] == ["h1", "h2"]


def test_inline_host_list(write) -> None:
    inv = load_inventory(["web01,web02:5986,"], environ={})
    assert [h.name for h in inv.hosts] == ["web01", "web02"]
    assert inv.get("web02").vars == {"ansible_port": 5986}


def test_group_vars_shadowing_rules(write) -> None:
    root = write(
        {
            "h.yml": "web:\n  hosts:\n    w1:\n",
            "group_vars/web/a.yml": "x: dir\n",
            "group_vars/web/README.txt": "ignored",
            "group_vars/web.yml": "x: file\ny: file\n",
            "group_vars/all.yml": "z: yml\n",
            "group_vars/all.yaml": "z: yaml\n",
            "host_vars/w1.json": '{"h": 1}',
        }
    )
    assert load(root, "h.yml").get("w1").vars == {"x": "dir", "z": "yml", "h": 1}


def test_precedence_depth_priority_and_names(write) -> None:
    root = write(
        {
            "h.yml": """
        all:
          vars: {v: all}
          children:
            parent:
              vars: {v: parent, p: parent}
              children:
                child:
                  vars: {v: child}
                  hosts: {h1: }
            zeta:
              vars: {p: zeta, q: zeta}
              hosts: {h1: }
            alpha:
              vars: {q: alpha, ansible_group_priority: 5}
              hosts: {h1: }
        """
        }
    )
    v = load(root, "h.yml").get("h1").vars
    assert v["v"] == "child"  # deeper beats shallower
    assert v["p"] == "zeta"  # same depth: later name wins
    assert v["q"] == "alpha"  # ... unless a higher ansible_group_priority
    assert "ansible_group_priority" not in v


def test_group_vars_file_beats_inline_group_vars_of_deeper_group(write) -> None:
    root = write(
        {
            "h.yml": "windows:\n  children:\n    dmz:\n      vars: {ansible_connection: ssh}\n"
            "      hosts: {h1: }\n",
            "group_vars/windows.yml": "ansible_connection: winrm\n",
        }
    )
    assert load(root, "h.yml").get("h1").vars["ansible_connection"] == "winrm"


def test_extra_vars_win(write) -> None:
    root = write({"h.yml": "g:\n  hosts:\n    h1: {x: 1}\n", "host_vars/h1.yml": "x: 2\n"})
    assert load(root, "h.yml", extra_vars={"x": 3}).get("h1").vars["x"] == 3


# --- bad input: one-line errors naming file and line ---------------------------------------


@pytest.mark.parametrize(
    ("files", "source", "message", "line"),
    [
        ({"h.yml": "g:\n  hosts:\n    h1: [\n"}, "h.yml", "invalid YAML", 4),
        ({"h.yml": "g:\n  hosts:\n    - h1\n"}, "h.yml", "'hosts' of group 'g' must be a mapping", 2),
        ({"h.yml": "g:\n  hosts:\n    10:\n"}, "h.yml", "must be a string", 3),
        ({"h.yml": "g:\n  hosts:\n    h[01:100]:\n"}, "h.yml", "same width", 3),
        ({"h.yml": "a:\n  children:\n    b:\n      children:\n        a:\n"}, "h.yml", "cycle", 3),
        ({"h.ini": "[a:children]\nb\n[b:children]\na\n"}, "h.ini", "cycle", 4),
        ({"h.ini": "[web]\nh[1:2\n"}, "h.ini", "unbalanced", 2),
        ({"h.ini": "[web:host]\nh1\n"}, "h.ini", "unknown type", 1),
        ({"h.ini": "[ web ]\n"}, "h.ini", "invalid section", 1),
        ({"h.ini": "[web]\nh1 novalue\n"}, "h.ini", "expected key=value", 2),
        ({"h.ini": "[x:vars]\na=1\n"}, "h.ini", "not defined", 1),
        ({"h.ini": "[p:children]\nmissing\n"}, "h.ini", "not defined", 2),
        ({"h.ini": "[web]\nh1 a='unterminated\n"}, "h.ini", "cannot split", 2),
        (
            {
                "h.yml": "g:\n  hosts:\n    h1:\n      ansible_password: !vault |\n"
                "        $ANSIBLE_VAULT;1.1;AES256\n        6162\n"
            },
            "h.yml",
            "vault-encrypted value, but no vault password was given; pass --vault-id",
            4,
        ),
        (
            {"h.yml": "$ANSIBLE_VAULT;1.1;AES256\n3132\n"},
            "h.yml",
            "vault-encrypted file, but no vault password",
            1,
        ),
        ({"h.yml": "h1:\n  hosts:\n    h1:\n"}, "h.yml", "both a host and a group", 3),
        ({"h.yml": "- a\n- b\n"}, "h.yml", "must be a mapping", 1),
        ({"h.yml": "g:\n  vars:\n    ansible_group_priority: high\n"}, "h.yml", "integer", 3),
    ],
)
def test_bad_input_names_file_and_line(write, files, source, message, line) -> None:
    root = write(files)
    with pytest.raises(InputError, match=message) as err:
        load(root, source)
    assert err.value.path == str(root / source)
    assert err.value.line == line
    assert "\n" not in str(err.value)
    assert str(err.value).startswith(f"{root / source}:{line}: ")


def test_unknown_umcheck_variables_warn_once_per_name_and_origin(write, caplog) -> None:
    """A typo is ignored with a warning (not an error): once per place it is written, not per host."""
    hosts = "".join(f"h{i} umcheck_timeot=5\n" for i in range(3))
    root = write(
        {
            "h.ini": f"[g]\n{hosts}[g:vars]\numcheck_clod=public\nzz=1\n",
            "group_vars/g.yml": "umcheck_clod: usgov\numcheck_whatever: 1\n",
        }
    )
    inv = load(root, "h.ini", extra_vars={"umcheck_clod": "x"})
    assert [h.name for h in inv.select("all")] == ["h0", "h1", "h2"]
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("umcheck")]
    assert sorted(messages) == sorted(
        [
            f"{root / 'h.ini'}:2: unknown variable 'umcheck_timeot' is ignored (did you mean umcheck_timeout?)",
            f"{root / 'h.ini'}:3: unknown variable 'umcheck_timeot' is ignored (did you mean umcheck_timeout?)",
            f"{root / 'h.ini'}:4: unknown variable 'umcheck_timeot' is ignored (did you mean umcheck_timeout?)",
            f"{root / 'h.ini'}:6: unknown variable 'umcheck_clod' is ignored (did you mean umcheck_cloud?)",
            f"{root / 'group_vars/g.yml'}:1: unknown variable 'umcheck_clod' is ignored (did you mean umcheck_cloud?)",
            f"{root / 'group_vars/g.yml'}:2: unknown variable 'umcheck_whatever' is ignored (known: "
            f"{', '.join(UMCHECK_VARS)})",
            "<command line>: unknown variable 'umcheck_clod' is ignored (did you mean umcheck_cloud?)",
        ]
    )


def test_vault_in_group_vars_file(write) -> None:
    root = write(
        {"h.yml": "g:\n  hosts:\n    h1:\n", "group_vars/g.yml": "a: 1\nb: $ANSIBLE_VAULT;1.1;AES256\n"}
    )
    with pytest.raises(
        InputError, match=r"group_vars/g.yml:2: this looks like vault-encrypted data without its tag"
    ):
        load(root, "h.yml")


def test_missing_source_and_no_source(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="inventory source not found"):
        load_inventory([str(tmp_path / "nope.yml")])
    with pytest.raises(UsageError, match="no inventory source"):
        load_inventory([])


def test_duplicate_yaml_key_warns_and_last_wins(write, caplog) -> None:
    root = write({"h.yml": "g:\n  hosts:\n    h1: {a: 1}\n    h1: {b: 2}\n"})
    assert load(root, "h.yml").get("h1").vars == {"b": 2}
    assert "duplicate key 'h1'" in caplog.text
