"""Seeded fuzzing of the inventory layer: no traceback on any input, bounded time and memory per case.

A seeded generator (deterministic, so a failure names a case that can be replayed) mutates YAML
and INI inventories, puts wrongly typed values into connection and ``umcheck_*`` variables, builds
deep and lattice-shaped group graphs, and plants template and YAML-alias bombs. Each case runs in
process through load -> ``--list`` JSON -> graph -> every host's connection settings; the only
exceptions allowed are umcheck's one-line ``UsageError``/``InputError``. A handful also run through
the CLI in a subprocess under a memory rlimit: exit code 0, 1 or 2 and no "Traceback".
Bounds are generous (10 s and 400 MB per case) so a loaded machine never makes this flaky.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from umcheck.errors import UsageError
from umcheck.inventory import load_inventory
from umcheck.inventory.connection import build_connection
from umcheck.inventory.templating import is_template

SEED = 20261202
CASES = 140
CLI_CASES = 4
MAX_SECONDS = 10.0
MAX_PEAK_BYTES = 400 * 1024 * 1024
# The inventory command alone (other commands are developed in parallel and must not matter here).
CLI = [
    sys.executable,
    "-c",
    "import sys, umcheck.cli as c; c.COMMAND_MODULES = sys.argv[1:2]; sys.exit(c.main(sys.argv[1:]))",
]

CONNECTION_VARS = [
    "ansible_connection",
    "ansible_host",
    "ansible_port",
    "ansible_user",
    "ansible_password",
    "ansible_become_pw",
    "ansible_winrm_transport",
    "ansible_winrm_scheme",
    "ansible_winrm_server_cert_validation",
    "ansible_winrm_read_timeout_sec",
    "ansible_winrm_operation_timeout_sec",
    "ansible_psrp_auth",
    "ansible_psrp_protocol",
    "ansible_shell_type",
    "ansible_ssh_common_args",
    "ansible_host_key_checking",
    "umcheck_os",
    "umcheck_cloud",
    "umcheck_timeout",
    "umcheck_is_azure",
    "umcheck_connect_timeout",
    "umcheck_probe_timeout",
    "umcheck_known_hosts",
    "umcheck_automation_account_location",
]
GOOD_VALUES = [
    "winrm",
    "psrp",
    "ssh",
    "local",
    "5986",
    "22",
    "admin",
    "https",
    "ntlm",
    "ignore",
    "30",
    "true",
    "windows",
    "linux",
    "public",
    "westeurope",
    "powershell",
    "10.0.0.1",
]
WEIRD_YAML_VALUES = [
    "[winrm]",
    "{a: 1}",
    "null",
    "~",
    "true",
    "no",
    "99999999999999999999999999",
    "-1",
    "0",
    "1e999",
    ".nan",
    "[[[[1]]]]",
    "{x: {y: [1, {z: 2}]}}",
    "''",
    "'\\x00\\x1b[31m'",
    "!unsafe '{{ x }}'",
    "2026-12-02",
    "0x1F",
    "'ümlaut ☃'",
    "[]",
    "{}",
    "'" + "x" * 100_000 + "'",
    "&anchor [1, 2]",
    "*anchor",
]
TEMPLATES = [
    "{{ 'x' * 1000 }}",
    "{{ a * 1000 }}",
    "{{ 'A' * 10**9 }}",
    "{{ 2 ** (10**9) }}",
    "{{ inventory_hostname }}",
    "{{ undefined_var }}",
    "{{ lookup('env', 'NOPE') }}",
    "{{ lookup('file', '/etc/passwd') }}",
    "{% if %}",
    "{{ a ~ a ~ a }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "{{ ''.__class__.__mro__ }}",
    "{{ [a] * 100000 }}",
    "{{ self }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ 'x' | center(10**9) }}",
    "{{ a | replace('x', a) }}",
    "{{ 1 / 0 }}",
    "{{ {}['k'] }}",
    "{{ range(10**9) | list }}",
    "{{ '{0}'.format(a) }}",
    "{{ x | bool }}",
]
SPECIAL = [
    "[",
    "]",
    "{",
    "}",
    ":",
    "&",
    "*",
    "!",
    "|",
    ">",
    "-",
    "#",
    "'",
    '"',
    "=",
    "\\",
    "\t",
    "%",
    "@",
    "\x00",
    "\u2028",
    ",",
    "?",
    "~",
]


def yaml_base(rng: random.Random) -> str:
    hosts = "".join(
        f"    h{i}:\n"
        + (f"      {rng.choice(CONNECTION_VARS)}: {rng.choice(GOOD_VALUES)}\n" if rng.random() < 0.5 else "")
        for i in range(rng.randint(1, 6))
    )
    return (
        f"windows:\n  hosts:\n{hosts}  vars:\n    ansible_connection: winrm\n    ansible_user: admin\n"
        "  children:\n    web:\n      hosts:\n        w1:\n          ansible_port: 5986\n"
        "linux:\n  hosts:\n    l1: {ansible_host: 10.0.0.2}\n  vars: {ansible_connection: ssh}\n"
    )


def ini_base(rng: random.Random) -> str:
    hosts = "".join(
        f"h{i} {rng.choice(CONNECTION_VARS)}={rng.choice(GOOD_VALUES)}\n" for i in range(rng.randint(1, 6))
    )
    return (
        f"[windows]\n{hosts}web[01:03]\n[windows:vars]\nansible_connection=winrm\n"
        "[linux]\nl1 ansible_host=10.0.0.2\n[all:children]\nwindows\nlinux\n"
    )


def mutate_text(rng: random.Random, text: str) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 4)):
        if not lines:
            break
        i = rng.randrange(len(lines))
        op = rng.randrange(6)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i])
        elif op == 2:
            pos = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:pos] + rng.choice(SPECIAL) + lines[i][pos:]
        elif op == 3:
            lines[i] = " " * rng.randint(0, 6) + lines[i].lstrip()
        elif op == 4:
            lines[i] = lines[i][: rng.randint(0, len(lines[i]))]
        else:
            lines[i] += " " + rng.choice(SPECIAL) * rng.randint(1, 3)
    return "\n".join(lines) + "\n"


def type_confusion(rng: random.Random) -> str:
    host_vars = "".join(
        f"      {rng.choice(CONNECTION_VARS)}: {rng.choice(WEIRD_YAML_VALUES)}\n"
        for _ in range(rng.randint(1, 4))
    )
    return f"g:\n  hosts:\n    bad:\n{host_vars}    good:\n  vars:\n    anchor_holder: &anchor [1, 2]\n"


def ini_type_confusion(rng: random.Random) -> str:
    weird = [
        "[winrm]",
        "{'a': 1}",
        "None",
        "True",
        "99999999999999999999",
        "-5",
        "1e999",
        "[[[1]]]",
        "(1, 2)",
        "b'x'",
        "1j",
        "...",
        "'" + "y" * 50_000 + "'",
    ]
    pairs = " ".join(f"{rng.choice(CONNECTION_VARS)}={rng.choice(weird).replace(' ', '')}" for _ in range(3))
    return f"[g]\nbad {pairs}\ngood\n[g:vars]\n{rng.choice(CONNECTION_VARS)}={rng.choice(weird)}\n"


def deep_graph(rng: random.Random) -> str:
    kind = rng.randrange(3)
    if kind == 0:  # a chain, sometimes past the depth limit
        depth = rng.choice([10, 500, 999, 1000, 1001, 2000])
        return "".join(f"[c{i}:children]\nc{i + 1}\n" for i in range(depth)) + f"[c{depth}]\nh1\n"
    if kind == 1:  # a lattice: every group of a level is a child of both groups above
        levels = rng.randint(2, 14)
        return (
            "".join(
                f"[a{i}:children]\na{i + 1}\nb{i + 1}\n[b{i}:children]\na{i + 1}\nb{i + 1}\n"
                for i in range(levels)
            )
            + f"[a{levels}]\nh1\n"
        )
    levels = rng.choice([5, 60, 200])  # YAML children nested inside each other
    text = "".join("  " * (2 * i) + f"g{i}:\n" + "  " * (2 * i + 1) + "children:\n" for i in range(levels))
    return text + "  " * (2 * levels) + "last:\n"


def template_bomb(rng: random.Random) -> str:
    chosen = {var: rng.choice(TEMPLATES) for var in rng.sample(CONNECTION_VARS, rng.randint(1, 4))}
    extra = {"a": rng.choice(["{{ 'x' * 1000 }}", "{{ b }}", "x", "{{ a }}"]), "b": "{{ a * 1000 }}"}
    lines = "".join(f"    {k}: {json.dumps(v)}\n" for k, v in {**extra, **chosen}.items())
    return f"g:\n  hosts:\n    h1:\n    h2: {{ansible_host: plain}}\n  vars:\n{lines}"


def alias_bomb(rng: random.Random) -> str:
    width, depth = rng.choice([(10, 9), (3, 20), (2, 5)])
    lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, depth)]
    return "g:\n  hosts:\n    h1:\n  vars:\n" + "".join(f"    {line}\n" for line in lines)


def deep_nesting(rng: random.Random) -> str:
    n = rng.choice([50, 127, 129, 1000, 20_000])
    return rng.choice(
        [f"g:\n  vars:\n    x: {'[' * n}{']' * n}\n", "- " * n + "x\n", "{a: " * n + "1" + "}" * n + "\n"]
    )


def generate(rng: random.Random) -> tuple[str, str]:
    """One case: (file name, text)."""
    kind = rng.randrange(9)
    if kind == 0:
        return "h.yml", mutate_text(rng, yaml_base(rng))
    if kind == 1:
        return "h.ini", mutate_text(rng, ini_base(rng))
    if kind == 2:
        return "h.yml", type_confusion(rng)
    if kind == 3:
        return "h.ini", ini_type_confusion(rng)
    if kind == 4:
        name = "h.ini" if "[" in (text := deep_graph(rng))[:1] else "h.yml"
        return name, text
    if kind == 5:
        return "h.yml", template_bomb(rng)
    if kind == 6:
        return "h.yml", alias_bomb(rng)
    if kind == 7:
        return "h.yml", deep_nesting(rng)
    return rng.choice(["h.yml", "h"]), mutate_text(rng, mutate_text(rng, template_bomb(rng)))


def exercise(path: Path) -> None:
    """Everything ``inventory --list/--graph/--connection`` and a scan's planning do with an inventory."""
    try:
        inv = load_inventory(path, environ={"HOME": "/nonexistent"})
    except UsageError as exc:
        assert "\n" not in str(exc)
        return
    json.dumps(inv.to_list_json(), sort_keys=True, default=str)
    try:
        inv.graph()
    except UsageError as exc:
        assert "\n" not in str(exc)
    try:
        hosts = inv.select("all", check_usable=False)
    except UsageError as exc:  # no host at all
        assert "\n" not in str(exc)
        return
    for host in hosts:
        try:
            settings = host.connection
        except UsageError as exc:
            assert "\n" not in str(exc) and host.problem
            continue
        if not any(
            is_template(v) for v in host.vars.values()
        ):  # the settings cache agrees with a fresh build
            try:
                fresh = build_connection(host.name, host.vars, {})
            except UsageError:
                continue
            assert dataclasses.asdict(fresh) == dataclasses.asdict(settings)


def cases() -> list[tuple[int, str, str]]:
    rng = random.Random(SEED)
    return [(i, *generate(rng)) for i in range(CASES)]


def test_fuzz_inventory_in_process(tmp_path: Path) -> None:
    failures: list[str] = []
    for index, name, text in cases():
        folder = tmp_path / f"case{index}"
        folder.mkdir()
        (folder / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        tracemalloc.start()
        start = time.monotonic()
        try:
            exercise(folder / name)
        except Exception as exc:  # noqa: BLE001 - collected, so one run shows every failing case
            failures.append(f"case {index} ({name}): {type(exc).__name__}: {str(exc)[:300]}")
        finally:
            elapsed = time.monotonic() - start
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        if elapsed > MAX_SECONDS:
            failures.append(f"case {index} ({name}): took {elapsed:.1f} s")
        if peak > MAX_PEAK_BYTES:
            failures.append(f"case {index} ({name}): peak {peak / 2**20:.0f} MiB")
    assert not failures, "\n".join(failures)


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_AS"), reason="needs RLIMIT_AS")
def test_fuzz_inventory_through_the_cli(tmp_path: Path) -> None:
    picked = random.Random(SEED + 1).sample(cases(), CLI_CASES)
    env = {**os.environ, "HOME": str(tmp_path)}
    for index, name, text in picked:
        (tmp_path / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        for argv in (["--list"], ["--connection", "all"]):
            proc = subprocess.run(
                [*CLI, "inventory", "-i", str(tmp_path / name), *argv],
                capture_output=True,
                text=True,
                timeout=120,
                env=env,
                preexec_fn=_limit_memory,
                check=False,
            )
            assert proc.returncode in (0, 1, 2), (index, argv, proc.stderr[-2000:])
            assert "Traceback" not in proc.stderr, (index, argv, proc.stderr[-2000:])
