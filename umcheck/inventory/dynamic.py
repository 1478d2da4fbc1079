"""Dynamic inventories (plugin configs, inventory scripts), run through Ansible's ``ansible-inventory``.

umcheck may not import Ansible (GPL) and cannot re-implement every cloud plugin, so it runs
``ansible-inventory --list --export`` as a subprocess and reads the JSON. ``--export`` keeps group
variables on their groups, so the usual precedence still holds when the result is merged with
other sources. A ``constructed`` config only works on hosts that already exist, so it is run
together with the sources read before it, as Ansible would see them. Runs are bounded (timeout,
output size, no stdin) and fail in one line with Ansible's reason, never its whole stderr.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import weakref
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from umcheck.errors import InputError, UsageError
from umcheck.inventory.json_source import ListJsonReader, looks_like_list_json
from umcheck.inventory.model import InventoryData
from umcheck.inventory.yaml_loader import MarkedDict, load_yaml_text

if TYPE_CHECKING:
    from umcheck.inventory.vault import VaultSecrets

DEFAULT_TIMEOUT = 120.0
TIMEOUT_ENV = "UMCHECK_INVENTORY_TIMEOUT"
MAX_OUTPUT = 64 * 1024 * 1024
_STDERR_PART = 64 * 1024
# umcheck fails loudly: without these Ansible skips an unparsable source with a warning and exit 0.
_FORCED_ENV = {
    "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
    "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "True",
    "ANSIBLE_NOCOLOR": "True",
    "ANSIBLE_FORCE_COLOR": "False",
}
_CONSTRUCTED = ("constructed", "ansible.builtin.constructed", "ansible.legacy.constructed")
_PLUGIN_SUFFIXES = (".yml", ".yaml", "", ".config")  # what Ansible's auto and constructed plugins accept
_PLUGIN_KEY = re.compile(r"""^["']?plugin["']?[ \t]*:""", re.MULTILINE)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PARSE_FAILED = re.compile(r"Failed to parse inventory with '[^']+' plugin: (.+)")

# Sources read so far per InventoryData (a constructed config runs over them), and whether Ansible
# itself can read each one (a saved --list JSON is umcheck-only).
_read_sources: weakref.WeakKeyDictionary[InventoryData, list[tuple[str, bool]]] = weakref.WeakKeyDictionary()


def note_source(data: InventoryData, source: str, ansible_readable: bool = True) -> None:
    """Remember that ``source`` was read into ``data`` (call before reading it)."""
    _read_sources.setdefault(data, []).append((source, ansible_readable))


def _sources_before(data: InventoryData, name: str) -> list[tuple[str, bool]]:
    read = list(_read_sources.get(data, []))
    if read and read[-1][0] == name:
        read.pop()
    return read


def is_inventory_script(path: Path) -> bool:
    """An executable file starting with ``#!`` (or an ELF binary): Ansible's script plugin runs it."""
    try:
        if not os.stat(path).st_mode & 0o111:
            return False
        with open(path, "rb") as f:
            return f.read(4).startswith((b"#!", b"\x7fELF"))
    except OSError:
        return False


def load_ansible_format(
    data: InventoryData, path: Path, text: str, vault: VaultSecrets | None = None
) -> bool:
    """Read ``path`` if only Ansible understands it (a ``plugin:`` config) or it is a saved
    ``ansible-inventory --list`` JSON; False for an ordinary inventory file."""
    name = str(path)
    doc: Any = None
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError):
            doc = None  # a YAML flow mapping, or broken JSON: the YAML reader will say where
        if looks_like_list_json(doc):
            _mark_umcheck_only(data, name)
            ListJsonReader(data, name, vault).read(doc)
            return True
    if doc is None and path.suffix in _PLUGIN_SUFFIXES and _PLUGIN_KEY.search(text):
        try:
            doc = load_yaml_text(text, name, vault)
        except InputError:
            if path.suffix in (".yml", ".yaml"):
                raise  # the YAML reader would fail the same way
            return False  # not YAML: an INI file with a host called 'plugin', say
    if isinstance(doc, dict) and doc.get("plugin"):
        plugin = doc["plugin"]
        line = doc.line_of("plugin") if isinstance(doc, MarkedDict) else None
        if not isinstance(plugin, str):
            raise InputError(
                f"'plugin' must be a plugin name, not {type(plugin).__name__}", path=name, line=line
            )
        load_dynamic(data, path, plugin, line, vault)
        return True
    return False


def _mark_umcheck_only(data: InventoryData, name: str) -> None:
    read = _read_sources.get(data)
    if read and read[-1][0] == name:
        read[-1] = (name, False)


def load_dynamic(
    data: InventoryData,
    path: Path,
    plugin: str | None = None,
    line: int | None = None,
    vault: VaultSecrets | None = None,
) -> None:
    """Run ``ansible-inventory`` over a plugin config (``plugin`` set) or a script, and merge the result."""
    name = str(path)
    sources = [name]
    if plugin in _CONSTRUCTED:
        before = _sources_before(data, name)
        unreadable = [s for s, readable in before if not readable]
        if unreadable:
            raise InputError(
                f"a constructed config cannot follow {unreadable[0]}, a saved ansible-inventory JSON "
                "that Ansible cannot read; save it as YAML instead ('ansible-inventory --list -y')",
                path=name,
                line=line,
            )
        sources = [s for s, _ in before] + sources
    doc = run_ansible_inventory(sources, name, plugin, line)
    ListJsonReader(data, name, vault).read(doc)


def find_ansible_inventory() -> str | None:
    """``ansible-inventory`` on PATH, else beside the running Python (a venv's bin directory)."""
    found = shutil.which("ansible-inventory")
    if found:
        return found
    beside = Path(sys.executable).parent / (
        "ansible-inventory.exe" if os.name == "nt" else "ansible-inventory"
    )
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def inventory_timeout() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise UsageError(f"{TIMEOUT_ENV}={raw!r}: expected a number of seconds greater than 0")
    return value


def _collection(plugin: str | None) -> str | None:
    parts = (plugin or "").split(".")
    return ".".join(parts[:2]) if len(parts) >= 3 and parts[0] != "ansible" else None


def _install_hint(plugin: str | None) -> str:
    collection = _collection(plugin)
    hint = "pip install ansible-core"
    return f"{hint}, then ansible-galaxy collection install {collection}" if collection else hint


def run_ansible_inventory(
    sources: list[str], name: str, plugin: str | None = None, line: int | None = None
) -> Any:
    """``ansible-inventory --list --export`` over ``sources``; its JSON, or InputError naming ``name``."""
    exe = find_ansible_inventory()
    what = f"the '{plugin}' inventory plugin" if plugin else "an inventory script"
    if exe is None:
        raise InputError(
            f"{what} runs through ansible-inventory, which is not installed: {_install_hint(plugin)}",
            path=name,
            line=line,
        )
    timeout = inventory_timeout()
    cmd = [exe, *(f"--inventory={s}" for s in sources), "--list", "--export"]
    # A script that fails must not be read as an INI file instead (Ansible's next plugin would try).
    env = {"ANSIBLE_INVENTORY_ENABLED": "ansible.builtin.script"} if plugin is None else {}
    code, out, err = _run(cmd, timeout, name, env)
    if code != 0:
        detail = failure_detail(err) or f"exit code {code}"
        if "unknown plugin" in detail and _collection(plugin):
            detail += f" (install it: ansible-galaxy collection install {_collection(plugin)})"
        raise InputError(f"ansible-inventory failed: {detail}", path=name, line=line)
    try:
        return json.loads(out)
    except ValueError as exc:
        raise InputError(f"ansible-inventory printed invalid JSON ({exc})", path=name) from None
    except RecursionError:
        raise InputError("ansible-inventory printed JSON nested too deeply", path=name) from None


def failure_detail(stderr: str) -> str:
    """One line out of Ansible's stderr: why the first plugin failed (plus the last thing an inventory
    script itself said), else the last line."""
    lines = [_ANSI.sub("", x).strip() for x in stderr.splitlines()]
    filled = [x for x in lines if x]
    if not filled:
        return ""
    detail = filled[-1]
    for x in filled:
        match = _PARSE_FAILED.search(x)
        if match:
            detail = match.group(1)
            break
    marker = "Standard error from inventory script:"
    if marker in lines:
        block: list[str] = []
        for x in lines[lines.index(marker) + 1 :]:
            if not x or x.startswith("["):
                break
            block.append(x)
        if block and block[-1] != detail:
            detail = f"{detail.rstrip('.')}: {block[-1]}"
    return detail if len(detail) <= 500 else detail[:497] + "..."


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the script or plugin ansible-inventory started, too
    except (AttributeError, OSError):
        proc.kill()


def _run(cmd: list[str], timeout: float, name: str, extra_env: dict[str, str]) -> tuple[int, bytes, str]:
    """Run with no stdin, a deadline and a cap on stdout; stderr goes to disk, its ends are read."""
    env = {**os.environ, **_FORCED_ENV, **extra_env}
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            raise InputError(f"cannot run {cmd[0]}: {exc.strerror or exc}", path=name) from None
        chunks: list[bytes] = []
        too_big = threading.Event()

        def pump(stream: IO[bytes]) -> None:
            size = 0
            while chunk := stream.read(1 << 16):
                size += len(chunk)
                if size > MAX_OUTPUT:
                    too_big.set()
                    _kill(proc)
                    return
                chunks.append(chunk)

        reader = threading.Thread(target=pump, args=(proc.stdout,), daemon=True)
        reader.start()
        try:
            proc.wait(timeout)
            reader.join(10)  # a background child may still hold stdout open
        except subprocess.TimeoutExpired:
            _kill(proc)
            proc.wait()
            raise InputError(
                f"ansible-inventory did not finish within {timeout:g} s; set {TIMEOUT_ENV}=SECONDS "
                "if this inventory is just slow",
                path=name,
            ) from None
        finally:
            if reader.is_alive():
                _kill(proc)
                reader.join(5)
            if proc.stdout is not None and not reader.is_alive():
                proc.stdout.close()
        if too_big.is_set():
            raise InputError(
                f"ansible-inventory printed more than {MAX_OUTPUT / 2**20:g} MiB; "
                "umcheck refuses an inventory that large",
                path=name,
            )
        return proc.returncode, b"".join(chunks), _head_and_tail(err)


def _head_and_tail(f: IO[bytes]) -> str:
    """The start of stderr (Ansible's reason comes first) and its end (the last line), not the middle."""
    size = f.seek(0, os.SEEK_END)
    f.seek(0)
    if size <= 2 * _STDERR_PART:
        return f.read().decode("utf-8", "replace")
    head = f.read(_STDERR_PART)
    f.seek(size - _STDERR_PART)
    return (head + b"\n" + f.read()).decode("utf-8", "replace")
