"""Wrong types from a host, at the border: seeded type confusion over the golden facts and official JSON.

Every field of a facts document and of the official troubleshooter rows is replaced, a few at a
time, by a value of another JSON type. Whatever the mix, reading it ends in a value or the named
error (``FactsError`` / ``OfficialOutputError``), and grading it in a HostResult that is ``ok`` or
``collector_error`` with a one-line reason: never another exception, never an unexplained bug.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from umcheck.cli import main
from umcheck.compat import OfficialOutputError, parse_official
from umcheck.evaluation import evaluate_output
from umcheck.facts import Facts, FactsError
from umcheck.results import HostResult, HostStatus
from umcheck.rules.base import RuleContext

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
FACTS_FILES = sorted((GOLDEN / "facts").glob("*.json"))
OFFICIAL_FILES = sorted(p for p in (GOLDEN / "official").iterdir() if p.suffix in (".json", ".txt"))
CTX = RuleContext(cloud="public", location="westeurope", is_azure=True, now=datetime(2026, 1, 1, tzinfo=UTC))
SEED = 14
ROUNDS = 400  # per file; each round changes one to three fields

# One value of each JSON type (and a few awkward ones): for any field, most are the wrong type.
WRONG: list[Any] = [
    None, True, False, 0, -1, 2**63, 1.5, float("nan"), "", "windows", "\x1b[31m\x07", "1", [], ["windows"],
    [1, "a", None], {}, {"a": 1}, {"facts_version": 1}, [[[]]],
]  # fmt: skip


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value (the root excluded), containers before their children."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        yield (*path, key)
        yield from _paths(child, (*path, key))


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def _mutants(doc: Any, rng: random.Random) -> Iterator[tuple[Any, list[str]]]:
    for _ in range(ROUNDS):
        mutant = copy.deepcopy(doc)
        changed = []
        for _ in range(rng.randint(1, 3)):
            paths = list(_paths(mutant))
            if not paths:
                break
            path = rng.choice(paths)
            value = copy.deepcopy(rng.choice(WRONG))
            _set(mutant, path, value)
            changed.append(f"{'.'.join(map(str, path))}={value!r:.30}")
        yield mutant, changed


def _check_result(result: HostResult, changed: list[str]) -> None:
    assert result.status in (HostStatus.OK, HostStatus.COLLECTOR_ERROR), (changed, result.error)
    if result.status == HostStatus.COLLECTOR_ERROR:
        assert result.error and "\n" not in result.error, changed
        assert "could not be evaluated" not in result.error, (changed, result.error)  # the catch-all for bugs


@pytest.mark.parametrize("path", FACTS_FILES, ids=lambda p: p.stem)
def test_type_confused_facts_give_a_value_or_facts_error(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    rng = random.Random(f"{SEED}:{path.name}")
    rejected = 0
    for mutant, changed in _mutants(doc, rng):
        try:
            Facts.from_dict(mutant)
        except FactsError as exc:
            rejected += 1
            assert "\n" not in str(exc), changed
        _check_result(evaluate_output(HostResult(name=path.stem), json.dumps(mutant), CTX), changed)
    assert 0 < rejected < ROUNDS  # both outcomes were exercised


@pytest.mark.parametrize("path", [p for p in OFFICIAL_FILES if p.suffix == ".json"], ids=lambda p: p.stem)
def test_type_confused_official_rows_give_outcomes_or_official_error(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    rng = random.Random(f"{SEED}:{path.name}")
    for mutant, changed in _mutants(doc, rng):
        try:
            parse_official(json.dumps(mutant))
        except OfficialOutputError as exc:
            assert "\n" not in str(exc), changed
        _check_result(evaluate_output(HostResult(name=path.stem), json.dumps(mutant), CTX), changed)


@pytest.mark.parametrize(
    "field,value,needle",
    [
        ("os_family", ["windows"], "$.os_family: expected a string"),
        ("facts_version", True, "unsupported facts_version True"),
        ("facts_version", 1.0, "unsupported facts_version 1.0"),
        ("host", ["h"], "$.host: expected an object, got list"),
        ("windows", ["os"], "$.windows: expected an object, got list"),
    ],
)
def test_document_fields_name_the_field(field: str, value: Any, needle: str) -> None:
    doc = json.loads((GOLDEN / "facts" / "windows-healthy.json").read_text(encoding="utf-8"))
    doc[field] = value
    with pytest.raises(FactsError) as err:
        Facts.from_dict(doc)
    assert needle in str(err.value)


def test_section_field_names_its_path() -> None:
    """A wrongly typed field inside a section: that section is not collected, with the path as reason."""
    doc = json.loads((GOLDEN / "facts" / "windows-healthy.json").read_text(encoding="utf-8"))
    doc["windows"]["probes"][3]["status"] = "200"
    facts = Facts.from_dict(doc)
    assert facts.missing["probes"] == "invalid: $.windows.probes[3].status: expected an integer, got str"


def test_official_row_field_names_its_path() -> None:
    rows = json.loads((GOLDEN / "official" / "windows-full.json").read_text(encoding="utf-8"))
    rows[2]["RuleName"] = ["x"]
    with pytest.raises(OfficialOutputError, match=r"^official\[2\]\.RuleName: expected a string, got list$"):
        parse_official(json.dumps(rows))


def test_evaluate_prints_one_line_and_exits_2(tmp_path: Path, capsys) -> None:
    doc = json.loads((GOLDEN / "facts" / "windows-healthy.json").read_text(encoding="utf-8"))
    doc["os_family"] = ["windows"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    assert main(["evaluate", str(bad)]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    reason = "invalid facts: $.os_family: expected a string (windows or linux), got list"
    assert captured.err.splitlines() == [f"umcheck: error: {bad}: {reason}"]


def test_evaluate_prints_host_text_without_control_characters(tmp_path: Path, capsys) -> None:
    """Facts values quoted in reasons and collector errors reach the terminal as printable text."""
    esc = "\x1b[31mred\x1b]0;title\x07\x9b2J\u202e"
    doc = json.loads((GOLDEN / "facts" / "windows-healthy.json").read_text(encoding="utf-8"))
    doc["collector"]["errors"] = [{"section": "tls", "message": f"denied {esc}"}]
    for probe in doc["windows"]["probes"]:
        probe.update(ok=False, error="other", detail=f"detail {esc}")
    path = tmp_path / "escapes.json"
    path.write_text(json.dumps(doc))
    assert main(["evaluate", str(path)]) == 1
    captured = capsys.readouterr()
    assert "denied" in captured.out and "[31mred" in captured.out  # the text is there, made printable
    for stream in (captured.out, captured.err):
        assert not [
            c for c in stream if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F or c == "\u202e"
        ]
