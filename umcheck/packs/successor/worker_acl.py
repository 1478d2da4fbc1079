"""SR.Hrw2.CustomCredAcl (Windows, rule 20): a Hybrid Worker group with custom run-as credentials
needs that user to hold Read on the Arc agent's Tokens folder and Read & Execute on the worker's
plugin folder, granted directly; the Tokens ACL is lost at every Arc agent update (troubleshoot
extension-based HRW, successor-readiness.md §3.2/§3.3)."""

from __future__ import annotations

import ntpath

from umcheck.acl import FolderAcl
from umcheck.facts import Facts
from umcheck.packs.successor.common import HRW2, not_applicable, successor_rule
from umcheck.packs.successor.hosting import hrw_extension
from umcheck.results import CheckResult
from umcheck.rules.base import RuleContext, Verdict

READ = 0x20089  # FileSystemRights.Read: ReadData | ReadExtendedAttributes | ReadAttributes | ReadPermissions
READ_EXECUTE = READ | 0x20  # FileSystemRights.ReadAndExecute adds ExecuteFile
NEEDS = (("Tokens", READ, "Read"), ("HybridWorkerForWindows", READ_EXECUTE, "Read & Execute"))


def _account(name: str | None) -> str:
    return (name or "").strip().lower()


def _granted(acl: FolderAcl, user: str, need: int) -> bool | None:
    """Whether ``user``'s own entries allow ``need`` (and none denies it); None: no entry names it."""
    mine = [a for a in acl.aces if _account(a.name) == user or a.sid.lower() == user]
    if not mine:
        return None
    if any(not a.allow and a.rights & need for a in mine):
        return False
    allowed = 0
    for a in mine:
        if a.allow:
            allowed |= a.rights
    return allowed & need == need


def check_custom_cred_acl(facts: Facts, ctx: RuleContext) -> Verdict:
    if hrw_extension(facts) is None:
        return not_applicable("the extension-based worker is not installed")
    if not ctx.hrw_runas_user:
        return not_applicable("no custom run-as user named (umcheck_hrw_runas_user)")
    acls = facts.section("hrw2").folder_acls
    if acls is None:
        return Verdict(CheckResult.NOT_EVALUATED, "The worker folders' ACLs were not collected (a collector older than "
                       "this rule).", reason="NotCollected", evidence={})  # fmt: skip
    user = _account(ctx.hrw_runas_user)
    ev: dict[str, object] = {"user": ctx.hrw_runas_user}
    missing, unnamed = [], []
    for acl in acls:
        folder = ntpath.basename(acl.path.rstrip("\\"))
        need = next(((bits, label) for tail, bits, label in NEEDS if folder.endswith(tail)), None)
        if need is None or not acl.exists:
            ev[folder] = "absent" if need is not None else "not checked"
            continue
        granted = _granted(acl, user, need[0])
        ev[folder] = {None: "no entry for the user", True: need[1], False: f"lacks {need[1]}"}[granted]
        if granted is None:
            unnamed.append(folder)
        elif not granted:
            missing.append(f"{need[1]} on {folder}")
    if missing or unnamed:
        if "\\" not in ctx.hrw_runas_user and not missing:
            return Verdict(CheckResult.WARNING, f"No entry names {ctx.hrw_runas_user!r}: give umcheck_hrw_runas_user as "
                           "DOMAIN\\user, the form the ACL shows.", reason="UnknownUser", evidence=ev)  # fmt: skip
        what = missing + [f"any direct right on {f}" for f in unnamed]
        return Verdict(CheckResult.FAILED, f"The run-as user lacks {', '.join(what)}: its jobs suspend "
                       "(Win32 exit code 2148734720).", reason="RightsMissing", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "The run-as user holds its rights on the worker folders directly.", evidence=ev)


WORKER_ACL_RULES = successor_rule(
    "SR.Hrw2.CustomCredAcl", ("windows",), HRW2, "Run-as user folder rights",
    "A custom run-as user needs Read on the Arc Tokens folder and Read & Execute on the worker's plugin folder.",
    check_custom_cred_acl, ("Passed", "PassedWithWarning", "Failed", "NotEvaluated", "NotApplicable"),
    ("extensions", "hrw2"))  # fmt: skip
