"""Captured-style collector outputs (noise, BOMs, CRLF, UTF-16, truncation) -> envelope parser -> facts.

One test per file in tests/golden/envelopes; ``cases.json`` says what each must yield.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from umcheck import envelope
from umcheck.facts import Facts

ROOT = Path(__file__).resolve().parents[2] / "golden" / "envelopes"
CASES = json.loads((ROOT / "cases.json").read_text(encoding="utf-8"))


def test_every_fixture_file_has_a_case() -> None:
    files = {p.name for p in ROOT.iterdir() if p.name != "cases.json"}
    assert files == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_envelope_fixture(name: str) -> None:
    raw = (ROOT / name).read_bytes()
    expected = CASES[name]
    if "error" in expected:
        with pytest.raises(envelope.EnvelopeError) as err:
            envelope.parse(raw)
        assert expected["error"] in str(err.value)
        return
    facts = Facts.from_dict(envelope.parse(raw))
    assert facts.host.hostname == expected["hostname"]
    assert facts.section("os").version == "10.0.17763"
    assert facts.probes("agentsvc")[0].ok is True
    # A section the collector reported as failed is not collected; the others still are.
    assert sorted(facts.missing) == sorted(expected["missing"])
