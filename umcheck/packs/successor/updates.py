"""Azure Update Manager rules: patch extensions, Windows Update client settings, Linux auto-updates
(successor-readiness.md §4, §7 rules 22-26, 31). The Windows Update facts are the v1 sections."""

from __future__ import annotations

from umcheck.facts import Facts
from umcheck.packs.successor.common import AUM, minutes_since, not_applicable, successor_rule
from umcheck.results import CheckResult
from umcheck.rules.base import RuleContext, Verdict

PATCH_EXTENSIONS = {
    "windows": ("Microsoft.CPlat.Core.WindowsPatchExtension", "Microsoft.SoftwareUpdateManagement.WindowsOsUpdateExtension"),
    # The doc names the Linux package folder Microsoft.CPlat.Core.Edp.LinuxPatchExtension, Microsoft's
    # own scripts Microsoft.CPlat.Core.LinuxPatchExtension (§8): both are accepted.
    "linux": ("Microsoft.CPlat.Core.LinuxPatchExtension", "Microsoft.CPlat.Core.Edp.LinuxPatchExtension",
              "Microsoft.SoftwareUpdateManagement.LinuxOsUpdateExtension"),
}  # fmt: skip
STUCK_HOURS = 2


# 22 SR.Aum.PatchExtensions ---------------------------------------------------------------------------
def check_patch_extensions(facts: Facts, ctx: RuleContext) -> Verdict:
    found = facts.section("extensions").named(*PATCH_EXTENSIONS[facts.os_family])
    ev = {"extensions": {e.name: {"version": e.version, "status": e.status, "code": e.code, "at": e.status_time}
                         for e in found}}  # fmt: skip
    if not found:
        return Verdict(CheckResult.WARNING, "No Update Manager patch extension yet: it is installed by the first "
                       "assessment or update run.", reason="NotYetInstalled", evidence=ev)  # fmt: skip
    errors = [e for e in found if (e.status or "").lower() == "error"]
    stuck = [e for e in found if (e.status or "").lower() == "transitioning"
             and (minutes_since(e.status_time, ctx.now) or 0) > STUCK_HOURS * 60]  # fmt: skip
    if errors or stuck:
        e = (errors or stuck)[0]
        return Verdict(CheckResult.FAILED, f"{e.name} last reported {e.status}" + (f": {e.message}" if e.message else "."),
                       reason="ExtensionError" if errors else "Stuck", evidence=ev)  # fmt: skip
    # An operation still running (Transitioning, under STUCK_HOURS) has not reported Success yet.
    warn = [e for e in found if (e.status or "").lower() in ("warning", "transitioning", "")]
    if warn:
        return Verdict(CheckResult.WARNING, f"{warn[0].name} last reported {warn[0].status or 'no status'}.",
                       reason="Warning", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "The Update Manager patch extension last reported Success.", evidence=ev)


# 23 SR.Aum.WuService (Windows) -------------------------------------------------------------------------
def check_wu_service(facts: Facts, ctx: RuleContext) -> Verdict:
    svc = facts.section("services").wuauserv
    ev = {"present": svc.present, "status": svc.status, "start_type": svc.start_type}
    if not svc.present or (svc.start_type or "").lower() == "disabled":
        return Verdict(CheckResult.FAILED, "The Windows Update service is disabled or missing: Update Manager cannot "
                       "assess or install.", reason="Disabled", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "The Windows Update service is not disabled.", evidence=ev)


# 24 SR.Aum.WsusConfig (Windows) -------------------------------------------------------------------------
def check_wsus(facts: Facts, ctx: RuleContext) -> Verdict:
    wu = facts.section("windows_update")
    ev = {"WUServer": wu.wu_server, "UseWUServer": wu.use_wu_server, "WUStatusServer": wu.wu_status_server}
    if wu.use_wu_server == 1 and not wu.wu_server:
        return Verdict(CheckResult.FAILED, "UseWUServer is 1 but WUServer is empty: Windows Update has no server.",
                       reason="EmptyServer", evidence=ev)  # fmt: skip
    if wu.wu_server and wu.use_wu_server != 1:
        return Verdict(CheckResult.WARNING, "A WUServer is set but not used (UseWUServer is not 1): a leftover policy.",
                       reason="Inactive", evidence=ev)  # fmt: skip
    if wu.wu_server:
        return Verdict(CheckResult.PASSED, f"Updates come from WSUS {wu.wu_server}: Update Manager installs what WSUS "
                       "approved.", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "Updates come from Windows Update.", evidence=ev)


# 25 SR.Aum.AutoUpdatePolicy (Windows) --------------------------------------------------------------------
def check_auto_update(facts: Facts, ctx: RuleContext) -> Verdict:
    wu = facts.section("windows_update")
    ev = {"AUOptions": wu.au_options, "NoAutoUpdate": wu.no_auto_update}
    if wu.au_options == 4 and wu.no_auto_update != 1:
        return Verdict(CheckResult.WARNING, "Automatic Updates install updates by themselves (AUOptions 4), outside "
                       "Update Manager's schedules.", reason="AutoInstall", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "Automatic Updates do not install on their own schedule.", evidence=ev)


# 26 SR.Aum.AutoReboot (Windows) ---------------------------------------------------------------------------
def check_auto_reboot(facts: Facts, ctx: RuleContext) -> Verdict:
    wu = facts.section("windows_update")
    ev = {"AlwaysAutoRebootAtScheduledTime": wu.always_auto_reboot, "Minutes": wu.always_auto_reboot_minutes}
    if wu.always_auto_reboot == 1:
        return Verdict(CheckResult.WARNING, "A policy reboots the machine automatically after updates, outside Update "
                       "Manager's reboot setting.", reason="AutoReboot", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "No policy forces automatic reboots.", evidence=ev)


# 27 SR.Aum.MicrosoftUpdate (Windows) ------------------------------------------------------------------------
MICROSOFT_UPDATE = "7971f918-a847-4430-9279-4a52d1efe18d"


def check_microsoft_update(facts: Facts, ctx: RuleContext) -> Verdict:
    wu = facts.section("windows_update")
    if wu.microsoft_update is None:
        return Verdict(CheckResult.NOT_EVALUATED, "Microsoft Update registration not collected (a collector older "
                       "than this rule).", reason="NotCollected", evidence={})  # fmt: skip
    ev = {"RegisteredWithAU": wu.microsoft_update, "service": MICROSOFT_UPDATE}
    if wu.microsoft_update != 1:
        return Verdict(CheckResult.WARNING, "Microsoft Update is not registered with Automatic Updates: Update Manager "
                       "patches Windows only, not other Microsoft products.", reason="OsOnly", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "Microsoft Update is registered: other Microsoft products are patched too.",
                   evidence=ev)  # fmt: skip


# 31 SR.Aum.LinuxAutoUpdates ---------------------------------------------------------------------------------
def check_linux_auto_updates(facts: Facts, ctx: RuleContext) -> Verdict:
    lu = facts.section("linux_updates")
    ev = {"package_manager": lu.package_manager, "auto_updates": lu.auto_updates}
    if not lu.package_manager:
        return not_applicable("no supported package manager found", **ev)
    if lu.auto_updates:
        return Verdict(CheckResult.WARNING, f"The OS updates itself ({', '.join(lu.auto_updates)}), beside Update "
                       "Manager's schedules.", reason="AutoUpdates", evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, f"No automatic updates besides Update Manager ({lu.package_manager}).", evidence=ev)


# 29 SR.Aum.LinuxPrereqs ---------------------------------------------------------------------------------------
def check_linux_prereqs(facts: Facts, ctx: RuleContext) -> Verdict:
    lu = facts.section("linux_updates")
    ev = {"package_manager": lu.package_manager, "python": lu.python}
    missing = [what for what, ok in (("python 2.7+ or 3", bool(lu.python)), ("a package manager", bool(lu.package_manager)))
               if not ok]  # fmt: skip
    if missing:
        return Verdict(CheckResult.FAILED, f"The Linux patch extension needs {' and '.join(missing)}.", reason="Missing",
                       evidence=ev)  # fmt: skip
    return Verdict(CheckResult.PASSED, "Python and a package manager are present.", evidence=ev)


UPDATE_RULES = [
    *successor_rule("SR.Aum.PatchExtensions", ("windows", "linux"), AUM, "Update Manager patch extension",
                    "The patch extension is installed and its last status is Success.",
                    check_patch_extensions, ("Passed", "PassedWithWarning", "Failed"), ("extensions",)),
    *successor_rule("SR.Aum.WuService", ("windows",), AUM, "Windows Update service",
                    "Update Manager drives the Windows Update client: wuauserv must not be disabled.",
                    check_wu_service, ("Passed", "Failed"), ("services",)),
    *successor_rule("SR.Aum.WsusConfig", ("windows",), AUM, "WSUS configuration",
                    "Update Manager honours WSUS: a WSUS policy must be complete.",
                    check_wsus, ("Passed", "PassedWithWarning", "Failed"), ("windows_update",)),
    *successor_rule("SR.Aum.AutoUpdatePolicy", ("windows",), AUM, "Automatic Updates policy",
                    "Automatic installs outside Update Manager's schedules.",
                    check_auto_update, ("Passed", "PassedWithWarning"), ("windows_update",)),
    *successor_rule("SR.Aum.AutoReboot", ("windows",), AUM, "Automatic reboot policy",
                    "A policy that reboots after updates overrides Update Manager's reboot setting.",
                    check_auto_reboot, ("Passed", "PassedWithWarning"), ("windows_update",)),
    *successor_rule("SR.Aum.MicrosoftUpdate", ("windows",), AUM, "Microsoft Update opt-in",
                    "Without Microsoft Update, Update Manager offers Windows updates only (no SQL Server, .NET, Office).",
                    check_microsoft_update, ("Passed", "PassedWithWarning", "NotEvaluated"), ("windows_update",)),
    *successor_rule("SR.Aum.LinuxPrereqs", ("linux",), AUM, "Linux patch prerequisites",
                    "The Linux patch extension needs Python and a supported package manager.",
                    check_linux_prereqs, ("Passed", "Failed"), ("linux_updates",)),
    *successor_rule("SR.Aum.LinuxAutoUpdates", ("linux",), AUM, "Linux automatic updates",
                    "unattended-upgrades, yum-cron, dnf-automatic or similar patch beside Update Manager.",
                    check_linux_auto_updates, ("Passed", "PassedWithWarning", "NotApplicable"), ("linux_updates",)),
]  # fmt: skip
