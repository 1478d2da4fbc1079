"""Facts validation: collector output is untrusted; bad sections become 'not collected', never a crash."""

from __future__ import annotations

import json

import pytest

from umcheck.facts import FACTS_VERSION, Facts, FactsError, NotCollected
from umcheck.typed_load import MAX_LIST, MAX_STR


def doc(**windows) -> dict:
    return {"facts_version": FACTS_VERSION, "os_family": "windows", "host": {"hostname": "h"}, "windows": windows}


def test_valid_section_loads_typed() -> None:
    f = Facts.from_dict(doc(os={"version": "10.0.17763"}, tls={"client_enabled": 1}))
    assert f.section("os").version == "10.0.17763"
    assert f.section("tls").client_enabled == 1
    assert f.section("tls").server_enabled is None  # absent is not 0


def test_absent_section_is_not_collected() -> None:
    f = Facts.from_dict(doc(os={"version": "10.0"}))
    with pytest.raises(NotCollected) as err:
        f.section("dotnet")
    assert err.value.reason == "not collected"


@pytest.mark.parametrize(
    "section,value,needle",
    [
        ("tls", {"client_enabled": "1"}, "expected an integer, got str"),
        ("tls", {"client_enabled": True}, "expected an integer, got bool"),
        ("services", {"health_service": {"present": "yes"}}, "expected true/false"),
        ("workspaces", {"configured": "abc"}, "expected a list"),
        ("probes", [{"name": "x"}], "target: missing"),
        ("probes", [{"name": "x", "target": "t", "via": "carrier-pigeon"}], "expected one of"),
        ("os", "10.0", "expected an object"),
    ],
)
def test_mistyped_section_is_invalid_not_fatal(section: str, value, needle: str) -> None:
    f = Facts.from_dict(doc(os={"version": "10.0"}, **{section: value}) if section != "os" else doc(os=value))
    with pytest.raises(NotCollected) as err:
        f.section(section)
    assert needle in err.value.reason


def test_section_reported_failed_by_collector_is_not_trusted() -> None:
    d = doc(os={"version": "10.0"}, tls={"client_enabled": 1})
    d["collector"] = {"errors": [{"section": "tls", "message": "access denied"}]}
    f = Facts.from_dict(d)
    with pytest.raises(NotCollected) as err:
        f.section("tls")
    assert "access denied" in err.value.reason
    assert f.section("os").version == "10.0"


@pytest.mark.parametrize(
    "bad,needle",
    [
        ([], "not a JSON object"),
        ({"facts_version": 99, "os_family": "windows"}, "unsupported facts_version"),
        ({"facts_version": 1, "os_family": "solaris"}, "unknown os_family"),
        ({"facts_version": 1, "os_family": "windows", "host": {"hostname": 5}}, "expected a string"),
    ],
)
def test_unusable_documents_raise_facts_error(bad, needle: str) -> None:
    with pytest.raises(FactsError) as err:
        Facts.from_dict(bad)
    assert needle in str(err.value)


@pytest.mark.parametrize("text", ['{"facts_version": 1, "os_family": "win', "", "[" * 100000])
def test_truncated_or_hostile_json(text: str) -> None:
    with pytest.raises(FactsError):
        Facts.from_json(text)


def test_huge_strings_and_lists_are_capped() -> None:
    huge = "<script>alert(1)</script>" * 100000
    probes = [{"name": "agentsvc", "target": huge, "ok": True}] * (MAX_LIST * 3)
    f = Facts.from_dict(doc(os={"version": "10.0", "caption": huge}, probes=probes))
    assert len(f.section("os").caption) <= MAX_STR + 20
    assert len(f.probes()) == MAX_LIST
    assert f.section("os").caption.startswith("<script>")  # kept as data; escaping is the reports' job


def test_round_trip() -> None:
    f = Facts.from_dict(doc(os={"version": "6.1.7601"}, probes=[{"name": "jrds", "target": "j", "ok": False, "error": "timeout"}]))
    again = Facts.from_dict(json.loads(json.dumps(f.to_dict())))
    assert again.data == f.data
