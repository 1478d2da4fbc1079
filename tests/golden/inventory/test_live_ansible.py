"""Compare umcheck with a live ``ansible-inventory``.

ansible-core is only a test dependency (the ``test`` extra); this test catches drift between the
recorded golden files and the installed Ansible. Without Ansible on PATH it skips, unless
``UMCHECK_REQUIRE_ANSIBLE=1`` (set by CI) makes that a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from umcheck.inventory import load_inventory
from umcheck.inventory.vault import load_vault_secrets

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
ANSIBLE_INVENTORY = shutil.which("ansible-inventory")
if ANSIBLE_INVENTORY is None and os.environ.get("UMCHECK_REQUIRE_ANSIBLE") == "1":
    raise RuntimeError("UMCHECK_REQUIRE_ANSIBLE=1 but ansible-inventory is not on PATH (pip install -e '.[test]')")
pytestmark = pytest.mark.skipif(ANSIBLE_INVENTORY is None, reason="ansible-inventory is not on PATH")

CASES = [(c.name, [str(c / s.strip()) for s in (c / "sources.txt").read_text().splitlines() if s.strip()])
         for c in sorted(HERE.iterdir()) if (c / "sources.txt").exists()]
CASES.append(("example-inventory", [str(REPO / "inventory")]))


def _vault_ids(case: str) -> list[str]:
    """The case's ``vault_ids.txt`` lines (``[LABEL@]FILE``, FILE relative to the case)."""
    file = HERE / case / "vault_ids.txt"
    lines = [line.strip() for line in file.read_text().splitlines() if line.strip()] if file.exists() else []
    return [f"{label}{'@' if sep else ''}{HERE / case / source}" for label, sep, source in (
        line.rpartition("@") for line in lines)]


@pytest.mark.parametrize(("case", "sources"), CASES, ids=[c for c, _ in CASES])
def test_list_matches_live_ansible(case: str, sources: list[str], tmp_path: Path) -> None:
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    cmd = [ANSIBLE_INVENTORY, "--list"] + [arg for s in sources for arg in ("-i", s)]
    cmd += [arg for vault_id in _vault_ids(case) for arg in ("--vault-id", vault_id)]
    env = {"ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg"), "ANSIBLE_HOME": str(tmp_path),
           "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    expected = json.loads(proc.stdout)
    expected["_meta"].pop("profile", None)
    vault = load_vault_secrets(vault_ids=_vault_ids(case), environ={})
    ours = json.loads(json.dumps(load_inventory(sources, environ={}, vault=vault).to_list_json(mask=False)))
    assert ours == expected  # templates included: neither renders them in --list
