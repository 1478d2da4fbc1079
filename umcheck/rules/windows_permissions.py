"""CryptoRsaMachineKeysFolderAccessCheck: can SYSTEM write to the RSA MachineKeys folder?

The agent stores its certificate keys there as SYSTEM. The official check only looks for an ACE
whose account *name* matches the user or the English word "Everyone" and ignores rights,
Allow/Deny and localized names (quirks Q-W8b, Q-W10a). Here the ACL is evaluated by SID with
the rights it grants: the SIDs always present in the SYSTEM token, allow minus deny.
"""

from __future__ import annotations

from typing import Any

from umcheck.acl import Ace
from umcheck.facts import Facts, MachineKeys
from umcheck.results import CheckResult
from umcheck.rules.base import RuleContext, Verdict
from umcheck.rules.windows_common import PERMISSIONS, windows_rule

# SIDs in the SYSTEM account's token: LocalSystem, Everyone, Authenticated Users, Administrators.
SYSTEM_TOKEN_SIDS = frozenset({"S-1-5-18", "S-1-1-0", "S-1-5-11", "S-1-5-32-544"})

# FileSystemRights bits (directory meaning).
RIGHTS = {
    "ListDirectory": 0x1,
    "CreateFiles": 0x2,  # WriteData
    "CreateDirectories": 0x4,  # AppendData
    "WriteExtendedAttributes": 0x10,
    "WriteAttributes": 0x100,
}
WRITE = 0x116  # FileSystemRights.Write: create files / append / write (extended) attributes
REQUIRED = RIGHTS["ListDirectory"] | WRITE  # find, create and rewrite key files
_GENERIC = {  # generic bits as the file system maps them
    0x10000000: 0x1F01FF,  # GENERIC_ALL -> FullControl
    0x40000000: 0x120116,  # GENERIC_WRITE
    0x80000000: 0x120089,  # GENERIC_READ
    0x20000000: 0x1200A0,  # GENERIC_EXECUTE
}


def effective_mask(rights: int) -> int:
    """The specific rights an ACE mask grants, generic bits expanded."""
    mask = rights
    for bit, specific in _GENERIC.items():
        if rights & bit:
            mask |= specific
    return mask & 0x1FFFFF


def system_rights(aces: list[Ace]) -> tuple[int, int]:
    """(allowed, denied) specific rights for the SYSTEM token; deny wins over allow."""
    allowed = denied = 0
    for ace in aces:
        if ace.sid.upper() not in SYSTEM_TOKEN_SIDS:
            continue
        if ace.allow:
            allowed |= effective_mask(ace.rights)
        else:
            denied |= effective_mask(ace.rights)
    return allowed, denied


def _names(mask: int) -> list[str]:
    return [name for name, bit in RIGHTS.items() if mask & bit]


def check_machine_keys(facts: Facts, ctx: RuleContext) -> Verdict:
    mk: MachineKeys = facts.section("machine_keys")
    args = [mk.path]
    ev: dict[str, Any] = {"path": mk.path, "exists": mk.exists}
    if not mk.exists:
        return Verdict(
            CheckResult.FAILED,
            f"The folder {mk.path} does not exist.",
            args=args,
            reason="FolderMissing",
            evidence=ev,
        )
    allowed, denied = system_rights(mk.aces)
    missing = REQUIRED & ~(allowed & ~denied)
    ev.update(
        allowed=hex(allowed),
        denied=hex(denied),
        missing=_names(missing),
        aces=[
            {"sid": a.sid, "name": a.name, "rights": hex(a.rights), "allow": a.allow}
            for a in mk.aces
            if a.sid.upper() in SYSTEM_TOKEN_SIDS
        ][:8],
    )
    if not missing:
        return Verdict(
            CheckResult.PASSED,
            f"SYSTEM can create and modify key files in {mk.path}.",
            args=args,
            evidence=ev,
        )
    reason = "DeniedByAce" if missing & denied else "InsufficientRights"
    return Verdict(
        CheckResult.FAILED,
        f"SYSTEM lacks {', '.join(_names(missing))} on {mk.path}"
        + (" (a Deny entry removes it)." if reason == "DeniedByAce" else "."),
        args=args,
        reason=reason,
        evidence=ev,
    )


MACHINE_KEYS = windows_rule(
    "CryptoRsaMachineKeysFolderAccessCheck",
    PERMISSIONS,
    "Crypto RSA MachineKeys Folder Access",
    "The SYSTEM account needs write and modify access to 'C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys'.",
    check_machine_keys,
    ("Passed", "Failed"),
    ("machine_keys",),
)
