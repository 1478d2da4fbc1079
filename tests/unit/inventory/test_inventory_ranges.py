from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from umcheck.inventory.ranges import MAX_EXPANSION, RangeError, expand_host_pattern, expand_ranges, split_port


@pytest.mark.parametrize(("text", "expected"), [
    ("web[01:03].x", ["web01.x", "web02.x", "web03.x"]),
    ("n[8:11]", ["n8", "n9", "n10", "n11"]),
    ("h[008:011]", ["h008", "h009", "h010", "h011"]),
    ("n[1:10:3]", ["n1", "n4", "n7", "n10"]),
    ("db[a:c]", ["dba", "dbb", "dbc"]),
    ("x[x:B]", ["xx", "xy", "xz", "xA", "xB"]),
    ("x[a:e:2]", ["xa", "xc", "xe"]),
    ("h[:2]", ["h0", "h1", "h2"]),
    ("h[3:1]", []),
    ("mq[0:1]-node[1:2]", ["mq0-node1", "mq0-node2", "mq1-node1", "mq1-node2"]),
    ("plain", ["plain"]),
])
def test_expand_ranges(text: str, expected: list[str]) -> None:
    assert expand_ranges(text) == expected


@pytest.mark.parametrize(("text", "names", "port"), [
    ("web01.example.com:2222", ["web01.example.com"], 2222),
    ("[2001:db8::11]:5999", ["2001:db8::11"], 5999),
    ("2001:db8::11", ["2001:db8::11"], None),
    ("192.0.2.[1:2]:5986", ["192.0.2.1", "192.0.2.2"], 5986),
    # an empty range start is not a clean address: ':port' stays part of the names (as in Ansible)
    ("old[:1].example.com:2222", ["old0.example.com:2222", "old1.example.com:2222"], None),
])
def test_expand_host_pattern_ports(text: str, names: list[str], port: int | None) -> None:
    assert expand_host_pattern(text) == (names, port)


@pytest.mark.parametrize(("text", "message"), [
    ("h[01:100]", "same width"),
    ("h[A:c]", "comes after"),
    ("h[1:]", "no end"),
    ("h[1:2", "unbalanced"),
    ("h]1:2[", "unbalanced"),
    ("h[1:2:0]", "positive integer"),
    ("h[1:2:x]", "positive integer"),
    ("h[1]", "start:end"),
    ("h[a:5]", "numeric or single letters"),
    ("h:", "no port"),
    ("h[0:99999999]", "more than"),
    ("", "empty"),
])
def test_bad_ranges_raise_range_error(text: str, message: str) -> None:
    with pytest.raises(RangeError, match=message):
        expand_host_pattern(text)


def test_product_of_ranges_is_capped() -> None:
    with pytest.raises(RangeError, match="more than"):
        expand_ranges("a[0:999]b[0:999]")


def test_split_port_keeps_non_numeric_suffix() -> None:
    assert split_port("host:abc") == ("host:abc", None)


_range_text = st.text(alphabet="0123456789azAZ:-[]._x", max_size=24)


@settings(max_examples=400, deadline=None)
@given(_range_text)
def test_random_range_expressions_only_raise_range_error(text: str) -> None:
    try:
        names, port = expand_host_pattern(text)
    except RangeError:
        return
    assert len(names) <= MAX_EXPANSION
    assert all(isinstance(n, str) and "[" not in n for n in names)
    assert port is None or 0 <= port


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 300), st.integers(0, 300), st.integers(1, 7), st.booleans())
def test_numeric_ranges_match_python_range(lo: int, hi: int, step: int, pad: bool) -> None:
    start = f"{lo:03d}" if pad else str(lo)
    end = f"{hi:03d}" if pad else str(hi)
    got = expand_ranges(f"n[{start}:{end}:{step}]")
    want = [f"n{i:03d}" if pad and start.startswith("0") else f"n{i}" for i in range(lo, hi + 1, step)]
    assert got == want
