from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from umcheck.errors import UsageError
from umcheck.inventory import load_inventory, split_pattern

INI = """
[web]
web[01:04].ams.example
[db]
db[01:02].ams.example
web01.ams.example
[ams:children]
web
db
[retired]
web04.ams.example
[app]
app1.fra.example
"""


@pytest.fixture
def inv(write):
    root = write({"hosts.ini": INI})
    return load_inventory([str(root / "hosts.ini")], environ={})


def names(inv, pattern: str, limit: str | None = None) -> list[str]:
    return [h.name for h in inv.select(pattern, limit=limit)]


@pytest.mark.parametrize(("pattern", "items"), [
    ("web:&ams:!db", ["web", "&ams", "!db"]),
    ("web, db ,app", ["web", "db", "app"]),
    ("web[0:2]", ["web[0:2]"]),
    ("web[0:2]:db", ["web[0:2]", "db"]),
    ("2001:db8::1", ["2001:db8::1"]),
    ("web01.example:22", ["web01.example:22"]),
    ("db:dc", ["db", "dc"]),
    ("  ", []),
])
def test_split_pattern(pattern: str, items: list[str]) -> None:
    assert split_pattern(pattern) == items


def test_group_order_own_hosts_then_children(inv) -> None:
    assert names(inv, "ams") == ["web01.ams.example", "web02.ams.example", "web03.ams.example",
                                 "web04.ams.example", "db01.ams.example", "db02.ams.example"]


def test_subscripts_are_inclusive_and_ordered(inv) -> None:
    assert names(inv, "ams[0]") == ["web01.ams.example"]
    assert names(inv, "ams[-1]") == ["db02.ams.example"]
    assert names(inv, "ams[1:3]") == ["web02.ams.example", "web03.ams.example", "web04.ams.example"]
    assert names(inv, "ams[4:]") == ["db01.ams.example", "db02.ams.example"]


def test_operators_apply_in_fixed_order(inv) -> None:
    expected = ["web01.ams.example", "web02.ams.example", "web03.ams.example", "db01.ams.example",
                "db02.ams.example"]
    assert names(inv, "ams:!retired") == expected
    assert names(inv, "!retired:ams") == expected
    assert names(inv, "&db") == ["web01.ams.example", "db01.ams.example", "db02.ams.example"]


def test_regex_is_a_prefix_match_and_glob_is_whole_name(inv) -> None:
    assert names(inv, "~web0[13]") == ["web01.ams.example", "web03.ams.example"]
    assert names(inv, "~ams") == names(inv, "ams")  # matches the group name, not '.ams.' in hosts
    assert names(inv, "*.fra.example") == ["app1.fra.example"]


def test_exact_host_name_wins(inv) -> None:
    assert names(inv, "db01.ams.example") == ["db01.ams.example"]


def test_limit_intersects(inv) -> None:
    assert names(inv, "ams", limit="db") == ["web01.ams.example", "db01.ams.example", "db02.ams.example"]
    with pytest.raises(UsageError, match="--limit 'app' matches no hosts"):
        inv.select("ams", limit="app")


def test_limit_file_is_one_pattern_per_line_and_lenient(inv, tmp_path: Path) -> None:
    retry = tmp_path / "last.retry"
    retry.write_text("web02.ams.example\napp1.fra.example\n\n!app1.fra.example\nremoved.example\n")
    assert names(inv, "all", limit=f"@{retry}") == ["web02.ams.example"]


def test_missing_limit_file(inv, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="pattern file not found"):
        inv.select("all", limit=f"@{tmp_path / 'nope'}")


DB = ["db01.ams.example", "db02.ams.example", "web01.ams.example"]  # [db] lists web01 last


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("umcheck") and r.levelname == "WARNING"]


@pytest.mark.parametrize(("pattern", "expected", "unmatched"), [
    ("web:nosuchgroup", ["web01.ams.example", "web02.ams.example", "web03.ams.example", "web04.ams.example"],
     "nosuchgroup"),
    ("nosuchgroup:db", DB, "nosuchgroup"),
    ("db:!retierd", DB, "retierd"),
    ("db:nosuch[0]", DB, "nosuch"),
    ("local*:db", DB, "local*"),
])
def test_item_naming_nothing_warns_and_the_rest_is_used(inv, caplog, pattern, expected, unmatched) -> None:
    """As Ansible: '[WARNING]: Could not match supplied host pattern, ignoring: nosuchgroup'."""
    assert names(inv, pattern) == expected
    assert warnings(caplog) == [f"could not match host pattern '{unmatched}'; ignoring it"]


def test_unmatched_item_warns_once_per_inventory(inv, caplog) -> None:
    for _ in range(3):
        names(inv, "db:nosuch:!nosuch", limit="nosuch:all")
    assert warnings(caplog) == ["could not match host pattern 'nosuch'; ignoring it"]


@pytest.mark.parametrize("pattern", ["nosuchgroup", "ams:&typo", "nosuch:!alsonot"])
def test_selection_of_nothing_is_an_error(inv, caplog, pattern: str) -> None:
    with pytest.raises(UsageError, match=f"pattern '{pattern}' matches no hosts"):
        inv.select(pattern)
    assert warnings(caplog)


def test_empty_result_is_an_error(inv) -> None:
    with pytest.raises(UsageError, match="pattern 'ams:&app' matches no hosts"):
        inv.select("ams:&app")
    with pytest.raises(UsageError, match="matches no hosts"):
        inv.select("ams[99]")


@pytest.mark.parametrize("pattern", ["~web[", "", "!", "web:&"])
def test_bad_syntax_is_a_usage_error(inv, pattern: str) -> None:
    with pytest.raises(UsageError):
        inv.select(pattern)


def test_implicit_localhost(inv) -> None:
    [local] = inv.select("localhost")
    assert local.implicit and local.connection.connection == "local"
    assert "localhost" not in [h.name for h in inv.hosts]


@pytest.mark.parametrize(("pattern", "limit", "expected"), [
    # as 'ansible -i INI --list-hosts PATTERN [-l LIMIT]' of ansible-core 2.19 lists them
    ("localhost", None, ["localhost"]),
    ("127.0.0.1", None, ["127.0.0.1"]),
    ("::1", None, ["::1"]),
    ("localhost[0]", None, ["localhost"]),
    ("localhost:db", None, ["localhost", *DB]),
    ("db:localhost", None, [*DB, "localhost"]),
    ("localhost:127.0.0.1", None, ["localhost"]),  # one implicit host, whatever the name
    ("localhost", "localhost", ["localhost"]),
    ("all:!localhost", None, None),  # 'all' never includes it
    ("all", None, None),
])
def test_implicit_localhost_matches_like_ansible(inv, pattern, limit, expected) -> None:
    everyone = [h.name for h in inv.hosts]
    assert names(inv, pattern, limit=limit) == (expected or everyone)


@pytest.mark.parametrize(("pattern", "limit"), [
    ("localhost:&db", None), ("localhost:!127.0.0.1", None), ("LOCALHOST", None), ("local*", None),
    ("~local", None), ("localhost", "all"), ("db", "localhost"),
])
def test_implicit_localhost_is_not_matched_otherwise(inv, caplog, pattern, limit) -> None:
    with pytest.raises(UsageError, match="matches no hosts"):
        inv.select(pattern, limit=limit)


_items = st.sampled_from(["web", "db", "ams", "retired", "app", "all", "*", "web0*", "~db", "ams[0]",
                          "ams[-1]", "ams[1:3]", "web01.ams.example", "nosuch", "[", "~(", "ams[9]"])
_pattern = st.lists(st.tuples(st.sampled_from(["", "&", "!"]), _items), max_size=5).map(
    lambda parts: ":".join(op + item for op, item in parts))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_pattern | st.text(alphabet="webdams0-9[]:&!~*?,.@", max_size=20) | st.text(max_size=30))
def test_random_patterns_only_raise_usage_error(inv, pattern: str) -> None:
    try:
        hosts = inv.select(pattern)
    except UsageError:
        return
    assert hosts and len({h.name for h in hosts}) == len(hosts)
