"""Re-record the golden inventory outputs from real Ansible.

Each case directory holds inventory sources, ``sources.txt`` (one ``-i`` argument per line,
relative to the case) and ``patterns.yml`` (a list of ``{pattern, limit?}``). This script runs
``ansible-inventory --list`` / ``--graph`` and ``ansible --list-hosts`` and writes
``expected_list.json``, ``expected_graph.txt`` and the ``hosts`` of every pattern entry, plus its
``unmatched`` items (those Ansible warns "Could not match supplied host pattern" about) if any.
An optional ``vault_ids.txt`` lists the case's vault passwords (``[LABEL@]FILE``, one a line).

ansible-core is NOT a umcheck dependency; install it in a throw-away venv:

    python -m venv /tmp/ans && /tmp/ans/bin/pip install ansible-core==2.19.14
    python tests/golden/inventory/regenerate.py --ansible-bin /tmp/ans/bin [CASE ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
UNMATCHED = re.compile(r"\[WARNING\]: Could not match supplied host pattern, ignoring: (.*)")


def ansible_env() -> dict[str, str]:
    home = Path(tempfile.gettempdir()) / "umcheck-golden-ansible"
    home.mkdir(exist_ok=True)
    (home / "ansible.cfg").write_text("[defaults]\n")  # ignore any ansible.cfg of the user
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": str(home / "ansible.cfg"),
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",  # a golden source must parse
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_NOCOLOR": "True",
        "ANSIBLE_HOME": str(home),
    })
    return env


def case_sources(case: Path) -> list[str]:
    return [line.strip() for line in (case / "sources.txt").read_text().splitlines() if line.strip()]


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=ansible_env(), capture_output=True, text=True, timeout=300)


def case_vault_ids(case: Path) -> list[str]:
    """``vault_ids.txt`` (optional): one ``[LABEL@]FILE`` per line, FILE relative to the case."""
    file = case / "vault_ids.txt"
    lines = [line.strip() for line in file.read_text().splitlines() if line.strip()] if file.exists() else []
    return [f"{label}{'@' if sep else ''}{case / source}" for label, sep, source in (
        line.rpartition("@") for line in lines)]


def inventory_args(case: Path) -> list[str]:
    args: list[str] = []
    for source in case_sources(case):
        args += ["-i", str(case / source)]
    for vault_id in case_vault_ids(case):
        args += ["--vault-id", vault_id]
    return args


def neutral_dir() -> Path:
    """ansible-inventory also reads group_vars/ of its working directory (as the "playbook"
    layer), so --list and --graph run from an empty directory."""
    path = Path(tempfile.gettempdir()) / "umcheck-golden-ansible" / "cwd"
    path.mkdir(parents=True, exist_ok=True)
    return path


def ansible_list(bin_dir: Path, case: Path) -> dict:
    proc = run([str(bin_dir / "ansible-inventory"), *inventory_args(case), "--list"], neutral_dir())
    if proc.returncode != 0:
        raise SystemExit(f"{case.name}: ansible-inventory failed:\n{proc.stderr}")
    data = json.loads(proc.stdout)
    data.get("_meta", {}).pop("profile", None)  # serialization marker of ansible-core >= 2.19
    return data


def ansible_graph(bin_dir: Path, case: Path) -> str:
    proc = run([str(bin_dir / "ansible-inventory"), *inventory_args(case), "--graph"], neutral_dir())
    if proc.returncode != 0:
        raise SystemExit(f"{case.name}: ansible-inventory --graph failed:\n{proc.stderr}")
    return proc.stdout.rstrip("\n") + "\n"


def ansible_hosts(bin_dir: Path, case: Path, pattern: str, limit: str | None) -> tuple[list[str], list[str]]:
    """Hosts Ansible lists ([] when it matches nothing: Ansible warns, umcheck raises) and the
    pattern items it could not match (it warns and ignores them, and so does umcheck)."""
    cmd = [str(bin_dir / "ansible"), *inventory_args(case), "--list-hosts", pattern]
    if limit is not None:
        cmd += ["--limit", limit]
    proc = run(cmd, case)
    unmatched = list(dict.fromkeys(m.group(1).strip() for m in UNMATCHED.finditer(proc.stderr)))
    lines = proc.stdout.splitlines()
    header = next((i for i, line in enumerate(lines) if line.strip().startswith("hosts (")), None)
    if header is None:
        return [], unmatched
    return [line.strip() for line in lines[header + 1:] if line.startswith("    ")], unmatched


def regenerate(bin_dir: Path, case: Path) -> None:
    (case / "expected_list.json").write_text(json.dumps(ansible_list(bin_dir, case), indent=4, sort_keys=True) + "\n")
    (case / "expected_graph.txt").write_text(ansible_graph(bin_dir, case))
    patterns_file = case / "patterns.yml"
    if patterns_file.exists():
        entries = yaml.safe_load(patterns_file.read_text()) or []
        for entry in entries:
            entry["hosts"], unmatched = ansible_hosts(bin_dir, case, entry["pattern"], entry.get("limit"))
            entry.pop("unmatched", None)
            if unmatched:
                entry["unmatched"] = unmatched
        patterns_file.write_text(yaml.safe_dump(entries, sort_keys=False, default_flow_style=False))
    print(f"recorded {case.name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ansible-bin", type=Path, help="directory holding ansible and ansible-inventory")
    parser.add_argument("cases", nargs="*", help="case directory names (default: all)")
    args = parser.parse_args(argv)
    bin_dir = args.ansible_bin
    if bin_dir is None:
        found = shutil.which("ansible-inventory")
        if not found:
            print("ansible-inventory not found; pass --ansible-bin", file=sys.stderr)
            return 2
        bin_dir = Path(found).parent
    cases = [HERE / c for c in args.cases] or sorted(p for p in HERE.iterdir() if (p / "sources.txt").exists())
    for case in cases:
        regenerate(bin_dir, case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
