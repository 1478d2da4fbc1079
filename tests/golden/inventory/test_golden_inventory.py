"""Golden tests: umcheck must resolve the same inventory Ansible does.

Expected files were recorded from ansible-core 2.19.14 with ``regenerate.py`` beside this file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from umcheck.errors import UsageError
from umcheck.inventory import load_inventory
from umcheck.inventory.vault import load_vault_secrets

HERE = Path(__file__).resolve().parent
CASES = sorted(p.name for p in HERE.iterdir() if (p / "sources.txt").exists())


def _load(case: Path):
    sources = [str(case / s.strip()) for s in (case / "sources.txt").read_text().splitlines() if s.strip()]
    vault = load_vault_secrets(vault_ids=case_vault_ids(case), environ={})
    return load_inventory(sources, environ={}, vault=vault)


def case_vault_ids(case: Path) -> list[str]:
    """``vault_ids.txt`` (optional): one ``[LABEL@]FILE`` per line, FILE relative to the case."""
    file = case / "vault_ids.txt"
    lines = [line.strip() for line in file.read_text().splitlines() if line.strip()] if file.exists() else []
    return [f"{label}{'@' if sep else ''}{case / source}" for label, sep, source in (
        line.rpartition("@") for line in lines)]


def _pattern_entries():
    for case in CASES:
        file = HERE / case / "patterns.yml"
        for i, entry in enumerate(yaml.safe_load(file.read_text()) if file.exists() else []):
            yield pytest.param(case, entry, id=f"{case}-{i}-{entry['pattern']}-{entry.get('limit', '')}")


@pytest.mark.parametrize("case", CASES)
def test_list_matches_ansible(case: str) -> None:
    expected = json.loads((HERE / case / "expected_list.json").read_text())
    actual = json.loads(json.dumps(_load(HERE / case).to_list_json(mask=False)))
    assert actual == expected


@pytest.mark.parametrize("case", CASES)
def test_graph_matches_ansible(case: str) -> None:
    expected = (HERE / case / "expected_graph.txt").read_text().rstrip("\n")
    assert _load(HERE / case).graph() == expected


def _unmatched(caplog: pytest.LogCaptureFixture) -> list[str]:
    found = [re.fullmatch(r"could not match host pattern '(.*)'; ignoring it", r.getMessage())
             for r in caplog.records if r.name.startswith("umcheck")]
    return [m.group(1) for m in found if m]


@pytest.mark.parametrize(("case", "entry"), list(_pattern_entries()))
def test_pattern_matches_ansible(case: str, entry: dict, monkeypatch: pytest.MonkeyPatch,
                                 caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.chdir(HERE / case)  # '@file' limits are relative to the case directory
    inv = _load(HERE / case)
    caplog.clear()
    if not entry["hosts"]:
        # Ansible only warns when nothing matches; umcheck refuses to run on an empty selection.
        with pytest.raises(UsageError, match="matches no hosts"):
            inv.select(entry["pattern"], limit=entry.get("limit"), check_usable=False)
        assert _unmatched(caplog) == entry.get("unmatched", [])
        return
    # check_usable=False: which hosts match is compared, not whether umcheck could connect to them.
    names = [h.name for h in inv.select(entry["pattern"], limit=entry.get("limit"), check_usable=False)]
    # Items naming nothing are warned about and ignored, as Ansible does.
    assert _unmatched(caplog) == entry.get("unmatched", [])
    # Ansible orders grandchild groups' hosts by object hash (not stable between runs), so the
    # order is compared in the unit tests on deterministic cases; here: same hosts, no duplicates.
    assert len(names) == len(set(names))
    assert sorted(names) == sorted(entry["hosts"])
