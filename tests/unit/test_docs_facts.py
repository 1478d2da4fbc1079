"""docs/facts.md stays true to the facts dataclasses: every section and field is documented."""

import dataclasses
import re
from pathlib import Path

from umcheck import facts

DOC = (Path(__file__).resolve().parents[2] / "docs" / "facts.md").read_text(encoding="utf-8")


def _documented(cls: type) -> set[str]:
    match = re.search(rf"### `{cls.__name__}`.*?\n\n(.*?)(?:\n\n|\Z)", DOC, re.S)
    assert match, f"{cls.__name__} has no table in docs/facts.md"
    return set(re.findall(r"^\| `(\w+)` \|", match.group(1), re.M))


def test_every_field_documented() -> None:
    classes = [c for c in vars(facts).values()
               if dataclasses.is_dataclass(c) and c not in (facts.Facts, facts.WindowsFacts, facts.LinuxFacts)]  # fmt: skip
    assert len(classes) > 20
    for cls in classes:
        fields = {f.name for f in dataclasses.fields(cls)}
        assert fields == _documented(cls), cls.__name__


def test_every_section_documented() -> None:
    for cls in (facts.WindowsFacts, facts.LinuxFacts):
        for f in dataclasses.fields(cls):
            assert f"section `{f.name}`" in DOC or f.name == "probes", f.name
