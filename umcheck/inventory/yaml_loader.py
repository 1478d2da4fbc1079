"""YAML loading that remembers where things were written.

Inventories and playbooks are user input: an error has to name the file and line. PyYAML drops
node marks once objects are built, so mappings are built as ``MarkedDict`` which keeps the line
of the mapping and of each key. ``!vault`` values and vault-encrypted files are decrypted here
with the ``VaultSecrets`` given (see ``umcheck.inventory.vault``), errors naming their line.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from umcheck.errors import InputError

if TYPE_CHECKING:
    from umcheck.inventory.vault import VaultSecrets

log = logging.getLogger("umcheck.inventory")

try:  # libyaml is ~10x faster on large inventories; marks are kept either way
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

# Bounds on one YAML document (docs/inventory.md): nesting depth, and nodes counted with every alias
# expanded - a "billion laughs" of anchors is a few lines of YAML but 10**9 values once expanded.
MAX_YAML_DEPTH = 128
MAX_YAML_NODES = 5_000_000
# Below this many nesting indicators libyaml cannot recurse deep enough to overflow the C stack,
# so the (slower) depth check on the event stream is only needed for larger documents.
_SAFE_INDICATORS = 2_000

VAULT_HEADER = "$ANSIBLE_VAULT"
VAULT_HINT = (
    "this looks like vault-encrypted data without its tag; write 'NAME: !vault |' and the "
    "encrypted lines indented below it"
)


class MarkedDict(dict):
    """A dict that knows the 1-based line of itself and of each of its keys."""

    line: int | None = None
    key_lines: dict[Any, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines = {}

    def line_of(self, key: Any) -> int | None:
        return self.key_lines.get(key, self.line)


class MarkedList(list):
    """A list that knows the 1-based line of itself and of each item."""

    line: int | None = None
    item_lines: list[int]

    def line_of(self, index: int) -> int | None:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class UnsafeStr(str):
    """A string tagged ``!unsafe``: never rendered as a template."""


def _check_vault_text(value: str, path: str, line: int) -> None:
    if value.lstrip().startswith(VAULT_HEADER):
        raise InputError(VAULT_HINT, path=path, line=line)


class _LineLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader that builds MarkedDicts, keeps dates as text and decrypts ``!vault`` values."""

    source_path = "<string>"
    vault: VaultSecrets | None = None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> MarkedDict:  # type: ignore[override]
        self.flatten_mapping(node)  # resolves '<<' merge keys as SafeLoader does
        result = MarkedDict()
        result.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                hash(key)
            except TypeError:
                raise InputError(
                    f"mapping key {key!r} is not a scalar", path=self.source_path, line=line
                ) from None
            if key in result:
                log.warning("%s:%s: duplicate key %r; the last definition wins", self.source_path, line, key)
            result[key] = self.construct_object(value_node, deep=deep)
            result.key_lines[key] = line
        return result

    def construct_yaml_map(self, node: yaml.MappingNode):  # type: ignore[override]
        data = MarkedDict()
        data.line = node.start_mark.line + 1
        yield data
        built = self.construct_mapping(node, deep=True)
        data.update(built)
        data.key_lines = built.key_lines

    def construct_yaml_seq(self, node: yaml.SequenceNode):  # type: ignore[override]
        data = MarkedList()
        data.line = node.start_mark.line + 1
        data.item_lines = [item.start_mark.line + 1 for item in node.value]
        yield data
        data.extend(self.construct_sequence(node))

    def construct_yaml_str(self, node: yaml.ScalarNode) -> str:  # type: ignore[override]
        value = self.construct_scalar(node)
        _check_vault_text(value, self.source_path, node.start_mark.line + 1)
        return value

    def construct_as_text(self, node: yaml.ScalarNode) -> str:
        return str(self.construct_scalar(node))

    def construct_vault(self, node: yaml.Node) -> str:
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.ScalarNode):
            raise InputError(
                "!vault must tag the encrypted text (NAME: !vault |)", path=self.source_path, line=line
            )
        return _vault().decrypt_value(self.construct_scalar(node), self.vault, self.source_path, line)

    def construct_unsafe(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return UnsafeStr(self.construct_scalar(node))
        raise InputError(
            "!unsafe is only supported on strings", path=self.source_path, line=node.start_mark.line + 1
        )


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_yaml_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_yaml_seq)
_LineLoader.add_constructor("tag:yaml.org,2002:str", _LineLoader.construct_yaml_str)
# Ansible shows YAML dates as the text written; keep them as strings.
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _LineLoader.construct_as_text)
_LineLoader.add_constructor("!vault", _LineLoader.construct_vault)
_LineLoader.add_constructor("!unsafe", _LineLoader.construct_unsafe)


def _too_deep(path: str, line: int) -> InputError:
    return InputError(f"YAML nested more than {MAX_YAML_DEPTH} levels deep; flatten it", path=path, line=line)


def _check_event_depth(text: str, path: str) -> bool:
    """Reject deep nesting before libyaml's recursive composer sees it (it would crash the process).

    True when the depth was checked here (False: the document is too small to need it).
    """
    indicators = sum(text.count(c) for c in "[{-:?")
    if indicators < _SAFE_INDICATORS:
        return False
    parser = _BaseLoader(text)
    depth = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise _too_deep(path, event.start_mark.line + 1)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    finally:
        parser.dispose()
    return True


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_nodes(root: yaml.Node | None, path: str) -> None:
    """Depth and size of the composed document with every alias expanded, before any value is built.

    Aliases make the node graph a DAG (its expansion can be exponential), so sizes and heights are
    computed once per distinct node, bottom-up on an explicit stack; an alias inside its own
    anchor (a cycle) is refused too.
    """
    if root is None:
        return
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            height[key] = 1 + max((height[id(k)] for k in kids), default=0)
            line = node.start_mark.line + 1
            if size[key] > MAX_YAML_NODES:
                raise InputError(
                    f"YAML expands to more than {MAX_YAML_NODES:,} values (aliases of anchors count "
                    "each time they are used); remove the repeated aliases",
                    path=path,
                    line=line,
                )
            if height[key] > MAX_YAML_DEPTH:
                raise _too_deep(path, line)
            continue
        if key in size:
            continue
        if key in open_nodes:
            raise InputError(
                "YAML alias refers to its own anchor (a recursive structure)",
                path=path,
                line=node.start_mark.line + 1,
            )
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)


def load_yaml_text(text: str, path: str, vault: VaultSecrets | None = None) -> Any:
    """Parse one YAML document; any problem becomes an InputError naming ``path`` and the line.

    Depth and alias expansion are bounded (``MAX_YAML_DEPTH``, ``MAX_YAML_NODES``) before any
    value is built, so a hostile file costs an error line, not the machine's memory or stack.
    """
    if text.lstrip().startswith(VAULT_HEADER):
        text = _vault().decrypt_file(text, vault, path)
    plain = str(text)  # libyaml wants a plain str, not a DecryptedText
    loader = _LineLoader(plain)
    loader.source_path = path
    loader.vault = vault
    try:
        depth_checked = _check_event_depth(plain, path)
        node = loader.get_single_node()
        if (
            not depth_checked or "*" in plain
        ):  # without aliases the events said all: a tree as big as the text
            _check_nodes(node, path)
        data = loader.construct_document(node) if node is not None else None
        return _vault().hide_if_decrypted(text, data)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join((exc.problem or exc.context or "invalid YAML").split())
        raise InputError(f"invalid YAML: {problem}", path=path, line=line) from None
    except yaml.YAMLError as exc:  # e.g. a ReaderError (a NUL byte): its text spans several lines
        raise InputError(f"invalid YAML: {' '.join(str(exc).split())}", path=path) from None
    except RecursionError:  # a last resort: the limits above are meant to stop this first
        raise InputError(f"YAML nested too deeply (limit {MAX_YAML_DEPTH} levels)", path=path) from None
    finally:
        loader.dispose()


def read_text(path: Path | str) -> str:
    """Read a UTF-8 text file, turning OS and decoding errors into InputError."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None


def _vault() -> Any:
    """``umcheck.inventory.vault.decrypt``, imported when first used: it builds on UnsafeStr above."""
    from umcheck.inventory.vault import decrypt

    return decrypt


def read_maybe_vaulted(path: Path | str, vault: VaultSecrets | None) -> str:
    """``read_text``, decrypting a vault-encrypted file (Ansible accepts one wherever it reads YAML or INI).
    The result of a decryption is a ``DecryptedText``: values ``load_yaml_text`` parses from it stay masked."""
    text = read_text(path)
    return _vault().decrypt_file(text, vault, str(path)) if text.lstrip().startswith(VAULT_HEADER) else text


def load_yaml_file(path: Path | str, vault: VaultSecrets | None = None) -> Any:
    return load_yaml_text(read_text(path), str(path), vault)  # load_yaml_text decrypts a vaulted file
