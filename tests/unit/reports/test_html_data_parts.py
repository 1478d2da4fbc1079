"""The HTML report's data block is written in pieces; joined, they are exactly ``script_json`` of
the whole block - lists longer than a slice included - so no host string can end the element."""

from __future__ import annotations

import json

import pytest

from umcheck.reports.html_data import SLICE, script_json, script_json_parts


@pytest.mark.parametrize("data", [
    {},
    {"v": 1},
    {"v": 1, "h": [[i, f"host-{i}"] for i in range(2 * SLICE + 7)], "s": ["</script><b>&\u2028\u2029"] * (SLICE + 1),
     "e": [], "x": list(range(SLICE))},
])  # fmt: skip
def test_pieces_join_to_the_whole_block(data):
    parts = list(script_json_parts(data))
    joined = "".join(parts)
    assert joined == script_json(data) and json.loads(joined) == data
    assert "<" not in joined and "&" not in joined and "\u2028" not in joined
    if "h" in data:
        assert len(parts) > 2 * len(data)  # long lists went out a slice at a time
