"""Azure VM agent and extension-based Hybrid Runbook Worker rules (successor-readiness.md §3, §7 rules 13-17)."""

from __future__ import annotations

import re
from typing import Any

from umcheck.facts import Facts, NotCollected, Probe
from umcheck.packs.successor.common import (
    AZURE_VM,
    HRW2,
    not_applicable,
    scope_of,
    service_evidence,
    successor_rule,
)
from umcheck.packs.successor.facts import Extension
from umcheck.results import CheckResult
from umcheck.rules.base import RuleContext, Verdict

GUEST_AGENT = {"windows": ("WindowsAzureGuestAgent", "RdAgent"), "linux": ("walinuxagent", "waagent")}
HRW_EXTENSION = {"windows": "Microsoft.Azure.Automation.HybridWorker.HybridWorkerForWindows",
                 "linux": "Microsoft.Azure.Automation.HybridWorker.HybridWorkerForLinux"}  # fmt: skip
# An HTTPS URL on an Automation domain (§7 rule 15). The finer shape <accountId>.jrds.<moniker>... is
# inferred from SDK recordings (§3.1 [I]), so it is not required.
ACCOUNT_URL = re.compile(r"^https://[a-z0-9.-]+\.azure-automation\.(?:net|us|cn)(?::443)?(?:/|$)", re.IGNORECASE)


# 13 SR.AzVm.GuestAgent ---------------------------------------------------------------------------
def check_guest_agent(facts: Facts, ctx: RuleContext) -> Verdict:
    vm = facts.section("azure_vm")
    scope = scope_of(facts, ctx)
    if scope.azure_vm is False:
        return not_applicable("not an Azure VM", **scope.evidence())
    names = GUEST_AGENT[facts.os_family]
    present = [s for s in vm.services if s.name.lower() in {n.lower() for n in names} and s.present]
    ev = {**scope.evidence(), "services": service_evidence(vm.services)}
    if not present:
        if scope.azure_vm is None:
            return not_applicable("no Azure guest agent and not known to be an Azure VM", **ev)
        return Verdict(CheckResult.FAILED, "No Azure guest agent is installed on this Azure VM: extensions cannot be "
                       "installed.", reason="AgentMissing", evidence=ev)  # fmt: skip
    stopped = [s.name for s in present if not s.running]
    if stopped:
        return Verdict(CheckResult.FAILED, f"The Azure guest agent is not running ({', '.join(stopped)}).",
                       reason="AgentStopped", evidence=ev)  # fmt: skip
    # WireServer 168.63.129.16:80/:32526 (AzureUpdateManager troubleshooter, C): the agent's channel to
    # the platform. Probed only where the host looks like an Azure VM; none probed = not judged.
    wire = [p for p in optional_probes(facts, "wireserver") if p.error != "skipped"]
    ev["wireserver"] = {f"{p.target}:{p.port}": "ok" if p.ok else (p.error or "failed") for p in wire} or "not probed"
    blocked = [f"{p.target}:{p.port}" for p in wire if not p.ok]
    if blocked:
        return Verdict(CheckResult.FAILED, f"The guest agent runs but the WireServer is blocked ({', '.join(blocked)}): "
                       "extensions cannot be installed or report status.", reason="WireServerBlocked", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "The Azure guest agent is running" + (" and reaches the WireServer." if wire else "."),
                   evidence=ev)  # fmt: skip


def optional_probes(facts: Facts, kind: str) -> list[Probe]:
    """Probes of one kind; none when the probes were not collected (the rule then judges without them)."""
    try:
        return facts.probes(kind=kind)
    except NotCollected:
        return []


# 14 SR.Hrw2.ExtensionPresent --------------------------------------------------------------------------
def hrw_extension(facts: Facts) -> Extension | None:
    ext = facts.section("extensions")
    found = ext.named(HRW_EXTENSION[facts.os_family])
    return max(found, key=lambda e: _version_key(e.version)) if found else None


def _version_key(version: str | None) -> tuple[int, ...]:
    """Numeric order: 1.1.13 is newer than 1.1.9 (a string comparison says otherwise)."""
    return tuple(int(p) if p.isdigit() else -1 for p in re.split(r"[.-]", version or ""))


def check_hrw_extension(facts: Facts, ctx: RuleContext) -> Verdict:
    scope = scope_of(facts, ctx)
    ext = hrw_extension(facts)
    ev: dict[str, Any] = {**scope.evidence(), "version": ext.version if ext else None}
    if ext is not None:
        return Verdict(CheckResult.PASSED, f"The extension-based worker ({ext.version or 'version unknown'}) is installed.",
                       evidence=ev)  # fmt: skip
    if not scope.wants_hrw:
        return not_applicable("no Hybrid Runbook Worker is wanted on this host", **ev)
    return Verdict(CheckResult.FAILED, "This host runs (or should run) user runbooks but the extension-based Hybrid "
                   "Worker is not installed.", reason="NotInstalled", evidence=ev)  # fmt: skip


# 15 SR.Hrw2.Settings -----------------------------------------------------------------------------------
def check_hrw_settings(facts: Facts, ctx: RuleContext) -> Verdict:
    ext = hrw_extension(facts)
    if ext is None:
        return not_applicable("the extension-based worker is not installed")
    url = ext.settings_url
    ev = {"AutomationAccountURL": url, "expected": ctx.hrw_account_url}
    if not url:
        return Verdict(CheckResult.FAILED, "The worker extension's settings carry no AutomationAccountURL.",
                       reason="NoAccountUrl", evidence=ev)  # fmt: skip
    if not ACCOUNT_URL.match(url):
        return Verdict(CheckResult.FAILED, f"AutomationAccountURL {url!r:.80} is not an Automation hybrid service URL.",
                       reason="BadAccountUrl", evidence=ev)  # fmt: skip
    if ctx.hrw_account_url is None:
        return Verdict(CheckResult.WARNING, "AutomationAccountURL is set; set umcheck_hrw_account_url in the inventory to "
                       "compare it with the account's AutomationHybridServiceUrl.", reason="NothingToCompare",
                       evidence=ev)  # fmt: skip
    if url.rstrip("/").lower() != ctx.hrw_account_url.rstrip("/").lower():
        return Verdict(CheckResult.FAILED, "AutomationAccountURL differs from the account's AutomationHybridServiceUrl.",
                       reason="Mismatch", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "AutomationAccountURL matches the account.", evidence=ev)


# 16 SR.Hrw2.WorkerService --------------------------------------------------------------------------------
def check_hrw_service(facts: Facts, ctx: RuleContext) -> Verdict:
    if hrw_extension(facts) is None:
        return not_applicable("the extension-based worker is not installed")
    hrw = facts.section("hrw2")
    svc = hrw.service
    ev = {"service": service_evidence([svc]) if svc else None, "user_present": hrw.user_present}
    if facts.os_family == "linux" and hrw.user_present is False:
        return Verdict(CheckResult.FAILED, "The worker's user hweautomation does not exist.", reason="UserMissing", evidence=ev)
    if svc is None or not svc.running:
        state = "missing" if svc is None or not svc.present else svc.status
        return Verdict(CheckResult.FAILED, f"The Hybrid Worker service is not running ({state}).", reason="ServiceStopped",
                       evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "The Hybrid Worker service is running.", evidence=ev)


# 17 SR.Hrw2.Registration (Windows) ---------------------------------------------------------------------------
def check_hrw_registration(facts: Facts, ctx: RuleContext) -> Verdict:
    hrw = facts.section("hrw2")
    ext = hrw_extension(facts)
    keys = bool(hrw.v2_key_present or hrw.azure_key_present)
    ev = {"HybridRunbookWorkerV2": hrw.v2_key_present, "Azure\\HybridWorker": hrw.azure_key_present,
          "JobRuntimeDataServiceUri": hrw.jrds_uri, "extension": ext.version if ext else None,
          "unverified": "value names under HybridRunbookWorkerV2 come from a Microsoft support script, not Learn"}  # fmt: skip
    if ext is None and not keys:
        return not_applicable("no extension-based worker, installed or left behind")
    if ext is None:
        return Verdict(CheckResult.WARNING, "Worker registry keys remain without the extension: a stale registration that "
                       "blocks a reinstall.", reason="StaleKeys", evidence=ev)  # fmt: skip
    if not keys:
        return Verdict(CheckResult.FAILED, "The worker extension is installed but never registered (no worker registry "
                       "keys).", reason="NotRegistered", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "The extension-based worker is registered.", evidence=ev)


# 21 SR.Hrw2.JobErrors (Windows) -------------------------------------------------------------------------------
JOB_ERROR_DAYS = 7  # the collector's window; the troubleshooting page gives none (successor-readiness.md: I)
JOB_ERROR_CAUSES = {
    "4294967295": "runbook authentication, firewall to *.azure-automation.net or machine size",
    "2148734720": "the custom run-as user lacks direct rights on the Arc Tokens folder and the plugin folder",
}


def check_hrw_job_errors(facts: Facts, ctx: RuleContext) -> Verdict:
    if hrw_extension(facts) is None:
        return not_applicable("the extension-based worker is not installed")
    hrw = facts.section("hrw2")
    if hrw.job_errors is None:
        return Verdict(CheckResult.NOT_EVALUATED, "The Microsoft-SMA/Operational log was not read (no such log, or a "
                       "collector older than this rule).", reason="NotCollected", evidence={})  # fmt: skip
    found = {code: n for code, n in sorted(hrw.job_errors.items()) if n}
    ev = {"days": JOB_ERROR_DAYS, "exit_codes": found, "newest": hrw.job_errors_newest}
    if found:
        causes = "; ".join(f"[{c}] x{n}: {JOB_ERROR_CAUSES.get(c, 'see the troubleshooting page')}" for c, n in found.items())
        return Verdict(CheckResult.WARNING, f"Runbook jobs failed on this worker in the last {JOB_ERROR_DAYS} days "
                       f"({causes}).", reason="JobErrors", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, f"No documented job failure in the last {JOB_ERROR_DAYS} days.", evidence=ev)


BOTH = ("windows", "linux")
HOSTING_RULES = [
    *successor_rule("SR.AzVm.GuestAgent", BOTH, AZURE_VM, "Azure guest agent",
                    "On Azure VMs the guest agent installs and runs the patch and worker extensions.",
                    check_guest_agent, ("Passed", "Failed", "NotApplicable"), ("azure_vm", "arc", "probes")),
    *successor_rule("SR.Hrw2.ExtensionPresent", BOTH, HRW2, "Extension-based worker installed",
                    "Hosts that run user runbooks need the extension-based Hybrid Worker (V1 retired 31 August 2024).",
                    check_hrw_extension, ("Passed", "Failed", "NotApplicable"), ("extensions", "hrw", "azure_vm", "arc")),
    *successor_rule("SR.Hrw2.Settings", BOTH, HRW2, "Worker extension settings",
                    "The extension's AutomationAccountURL is the account's AutomationHybridServiceUrl.",
                    check_hrw_settings, ("Passed", "PassedWithWarning", "Failed", "NotApplicable"), ("extensions",)),
    *successor_rule("SR.Hrw2.WorkerService", BOTH, HRW2, "Hybrid Worker service",
                    "HybridWorkerService (Windows) or hwd with user hweautomation (Linux) runs.",
                    check_hrw_service, ("Passed", "Failed", "NotApplicable"), ("extensions", "hrw2")),
    *successor_rule("SR.Hrw2.Registration", ("windows",), HRW2, "Worker registration keys",
                    "Registry keys and extension agree: no stale keys, no unregistered extension.",
                    check_hrw_registration, ("Passed", "PassedWithWarning", "Failed", "NotApplicable"), ("extensions", "hrw2")),
    *successor_rule("SR.Hrw2.JobErrors", ("windows",), HRW2, "Worker job failures",
                    "Microsoft-SMA/Operational: the Win32 exit codes the troubleshooting page names, last 7 days.",
                    check_hrw_job_errors, ("Passed", "PassedWithWarning", "NotEvaluated", "NotApplicable"),
                    ("extensions", "hrw2")),
]  # fmt: skip
