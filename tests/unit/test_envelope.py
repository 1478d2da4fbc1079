"""The collector envelope parser against noisy, truncated and oddly encoded output."""

from __future__ import annotations

import pytest

from umcheck import envelope

DOC = {"facts_version": 1, "os_family": "linux", "host": {"hostname": "h\u00e9"}}


def test_noise_around_markers() -> None:
    out = "Loading profile...\nWARNING: banner\n" + envelope.build(DOC) + "trailing noise\n"
    assert envelope.parse(out.encode()) == DOC


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le"])
def test_bom_and_utf16(encoding: str) -> None:
    out = ("noise\r\n" + envelope.build(DOC)).replace("\n", "\r\n")
    assert envelope.parse(out.encode(encoding)) == DOC


def test_console_wrapped_json_is_rejoined() -> None:
    body = envelope.build(DOC)
    wrapped = body[:40] + "\r\n" + body[40:]
    assert envelope.parse(wrapped) == DOC


def test_last_document_wins() -> None:
    out = envelope.build({"x": 1}) + envelope.build(DOC)
    assert envelope.parse(out) == DOC


@pytest.mark.parametrize(
    "out,needle",
    [
        ("nothing here", "begin marker missing"),
        (envelope.BEGIN + '\n{"a":', "truncated"),
        (envelope.BEGIN + "\n{bad json}\n" + envelope.END, "not valid JSON"),
        (envelope.BEGIN + "\n[1,2]\n" + envelope.END, "not a JSON object"),
        ("x\n" + envelope.END, "no begin marker"),
    ],
)
def test_bad_output(out: str, needle: str) -> None:
    with pytest.raises(envelope.EnvelopeError) as err:
        envelope.parse(out)
    assert needle in str(err.value)


def test_size_cap() -> None:
    with pytest.raises(envelope.EnvelopeError) as err:
        envelope.parse(b"x" * 2000, max_bytes=1000)
    assert "cap" in str(err.value)
