"""The Linux collector is one stdlib-only python3.6+ file that never writes or runs anything."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from umcheck import envelope
from umcheck.collectors.invocation import MARKER, script_text

from .py_readonly import violations

SOURCE = script_text("linux.py")


def _vermin(path: Path) -> subprocess.CompletedProcess:
    # vermin has no __main__: use its script, beside this Python (a venv not on PATH) or on PATH.
    beside = Path(sys.executable).parent / "vermin"
    exe = str(beside) if beside.exists() else shutil.which("vermin")
    assert exe, "vermin is not installed (pip install -e '.[test]')"
    cmd = [exe]
    return subprocess.run(
        [*cmd, "--no-tips", "-t=3.6-", "--violations", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_vermin_says_python_3_6_is_enough(tmp_path: Path) -> None:
    path = tmp_path / "linux.py"
    path.write_text(SOURCE, encoding="utf-8")
    proc = _vermin(path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_vermin_catches_a_planted_3_8_construct(tmp_path: Path) -> None:
    path = tmp_path / "linux.py"
    path.write_text(SOURCE + "\nif (n := 1):\n    pass\n", encoding="utf-8")
    assert _vermin(path).returncode != 0


def test_only_stdlib_modules_are_imported() -> None:
    names = set()
    for node in ast.walk(ast.parse(SOURCE)):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    assert names and names <= set(sys.stdlib_module_names), names - set(sys.stdlib_module_names)


def test_no_write_or_process_control() -> None:
    assert violations(SOURCE) == []


PLANTED = [
    "open('/etc/x', 'w').close()",
    "open('/etc/x', mode='a')",
    "open(p, m)",
    "os.remove('/tmp/x')",
    "os.unlink('/tmp/x')",
    "os.kill(1, 9)",
    "os.system('systemctl restart omsagent')",
    "import subprocess",
    "from subprocess import run",
    "subprocess.run(['systemctl', 'restart', 'himdsd'])",
    "sp = subprocess",
    "run_readonly(host, 'systemctl', ('restart', 'hwd'), 5)",
    "run_readonly(host, 'systemctl', ('start', 'himdsd'), 5)",
    "run_readonly(host, 'azcmagent', ('check',), 5)",
    "run_readonly(host, 'azcmagent', ('extension', 'list'), 5)",
    "run_readonly(host, 'azcmagent', ('config', 'set', 'proxy.url', 'x'), 5)",
    "run_readonly(host, 'azcmagent', ('disconnect',), 5)",
    "run_readonly(host, tool, ('show', '-j'), 5)",
    "run_readonly(host, 'systemctl', args, 5)",
    "run_readonly(host, 'apt-get', ('upgrade',), 5)",
    "import shutil",
    "from os import remove",
    "os.environ['PATH'] = ''",
    "Path('/x').write_text('y')",
    "fh.write('data')",
    "eval('1')",
]


@pytest.mark.parametrize("line", PLANTED)
def test_a_planted_violation_is_caught(line: str) -> None:
    planted = SOURCE.replace("def main(argv):\n", f"def main(argv):\n    {line}\n", 1)
    assert planted != SOURCE
    assert violations(planted), line


def test_a_command_added_to_the_collectors_table_is_caught() -> None:
    for extra in ('"apt-get": (("update",),),', '"azcmagent": (("check",),),'):
        planted = SOURCE.replace("READONLY_COMMANDS = {\n", "READONLY_COMMANDS = {\n    " + extra + "\n", 1)
        assert planted != SOURCE and violations(planted), extra
    planted = SOURCE.replace('("show", "-j"), ("config", "list", "-j")', '("show", "-j"), ("extension", "list")', 1)
    assert planted != SOURCE and violations(planted)


def test_markers_and_header_match_the_contract() -> None:
    assert re.search(r'^BEGIN = "(.*)"$', SOURCE, re.M).group(1) == envelope.BEGIN
    assert re.search(r'^END = "(.*)"$', SOURCE, re.M).group(1) == envelope.END
    assert SOURCE.splitlines()[1] == f"# {MARKER} linux 1"


def test_every_linux_section_of_the_contract_is_built() -> None:
    from typing import get_type_hints

    from umcheck.facts import LinuxFacts

    sections = re.search(r"^SECTIONS = \((.*?)\)$", SOURCE, re.M | re.S).group(1)
    assert {s.strip().strip('"') for s in sections.split(",") if s.strip()} == set(get_type_hints(LinuxFacts))
