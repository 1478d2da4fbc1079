"""File-system ACL facts: one folder's access entries, as both packs read them (the RSA
MachineKeys folder; the extension worker's Tokens and plugin folders)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Ace:
    sid: str
    name: str | None = None
    rights: int = 0  # FileSystemRights as an integer mask
    allow: bool = True
    inherited: bool = False


@dataclass(frozen=True)
class FolderAcl:
    path: str
    exists: bool = False
    aces: list[Ace] = field(default_factory=list)
