"""The official-JSON search in output without umcheck's markers: finds what it did, in linear time.

It used to retry a full parse from every ``[``/``{`` (quadratic: each failed try also counted the
lines before it for the error message). Now: the whole text, a few last lines, then balanced
bracket spans from one scan that skips JSON strings. These cases pin what must still be found and
what must fail with the named error, never RecursionError.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from umcheck.compat import OfficialOutputError, _find_json, parse_official

OFFICIAL = Path(__file__).resolve().parents[2] / "golden" / "official"
ROWS = [{"RuleId": "OperatingSystemCheck", "RuleGroupId": "prerequisites", "CheckResult": "Passed",
         "RuleName": "a [tricky] {name} with \"quotes\" and ]} inside"}]  # fmt: skip
PRETTY = json.dumps(ROWS, indent=4)


@pytest.mark.parametrize(
    "text",
    [
        PRETTY,
        f"WARNING: [unbalanced bracket in a banner\n{PRETTY}\n",
        f"progress {{ 50% ... \n{PRETTY}\nDone [ok]",
        f'He said "hello [x] {{y}}\n{PRETTY}',
        f"[INFO] starting\n[WARN] {{not json}}\n{PRETTY}\ntrailer ] }}",
        f"mismatched [ }} ] {{ ]\n{PRETTY}",
        "[" * 300 + "\n" + PRETTY,  # deeper than any troubleshooter output: skipped as noise
        f"{'[INFO] x ' * 200}\n{PRETTY}",
    ],
)
def test_finds_the_rows_behind_noise(text: str) -> None:
    assert _find_json(text) == ROWS


def test_a_string_with_brackets_and_escaped_quotes_is_one_token() -> None:
    text = 'noise {"RuleId": "X\\"[{", "CheckResult": "Passed"} tail'
    assert _find_json(text) == {"RuleId": 'X"[{', "CheckResult": "Passed"}


def test_golden_official_outputs_still_parse() -> None:
    for path in OFFICIAL.iterdir():
        if path.suffix in (".json", ".txt"):
            family, outcomes = parse_official(path.read_bytes())
            assert outcomes, path


@pytest.mark.parametrize(
    "text", ["[" * 5000, "{" * 5000, '["' * 3000, "[{" * 3000 + "]}" * 10, "}{][" * 1000]
)
@pytest.mark.parametrize("key", ["", '"RuleId" '])
def test_hostile_brackets_are_the_named_error_not_recursion(text: str, key: str) -> None:
    with pytest.raises(OfficialOutputError):
        parse_official(key + text)


def test_cost_grows_linearly() -> None:
    """4x the hostile text costs about 4x the time, not 16x (generous bound: a loaded machine)."""

    def cost(n: int) -> float:
        best = float("inf")
        for _ in range(3):
            t0 = time.process_time()
            with pytest.raises(OfficialOutputError):
                parse_official('"RuleId" ' + "[x" * n)  # with the key, the whole text is scanned
            best = min(best, time.process_time() - t0)
        return best

    small, large = cost(25_000), cost(100_000)
    assert large < 8 * max(small, 0.005), (small, large)
