"""Machine override rules: Windows Update policies that fight an Update Management schedule.

These never fail; a warning means a local policy may reboot, install or redirect updates behind
the deployment's back. Arguments stay ``null`` where the official script emits null (Q-W3), and
the policy values that decided are in the evidence instead. WSUS and AutoUpdate honour the
switches that make their values inactive (Q-W10b, Q-W10c).
"""

from __future__ import annotations

from typing import Any

from umcheck.facts import Facts, WindowsUpdatePolicy
from umcheck.results import CheckResult
from umcheck.rules.base import RuleContext, Verdict
from umcheck.rules.windows_common import MACHINE_SETTINGS, windows_rule

AU_AUTO_INSTALL = 4  # AUOptions: auto download and schedule the install


def _policy(facts: Facts) -> WindowsUpdatePolicy:
    return facts.section("windows_update")


# ----------------------------------------------------------------------------------------------
# W12 AlwaysAutoRebootCheck


def check_auto_reboot(facts: Facts, ctx: RuleContext) -> Verdict:
    wu = _policy(facts)
    ev = {
        "AlwaysAutoRebootAtScheduledTime": wu.always_auto_reboot,
        "AlwaysAutoRebootAtScheduledTimeMinutes": wu.always_auto_reboot_minutes,
    }
    if wu.always_auto_reboot == 1 or wu.always_auto_reboot_minutes:
        return Verdict(
            CheckResult.WARNING,
            "A Windows Update policy reboots the machine automatically at the scheduled "
            "time, whatever the deployment's reboot setting says.",
            args=None,
            reason="AlwaysAutoReboot",
            evidence=ev,
        )
    return Verdict(
        CheckResult.PASSED, "No Windows Update policy forces automatic reboots.", args=None, evidence=ev
    )


# ----------------------------------------------------------------------------------------------
# W13 WSUSServerConfigured


def check_wsus(facts: Facts, ctx: RuleContext) -> Verdict:
    wu = _policy(facts)
    ev: dict[str, Any] = {
        "WUServer": wu.wu_server,
        "WUStatusServer": wu.wu_status_server,
        "UseWUServer": wu.use_wu_server,
    }
    if wu.wu_server == "":
        # Present but empty (Q-W10b): the official script warns whenever WUServer exists.
        if wu.use_wu_server == 1:
            return Verdict(
                CheckResult.WARNING,
                "WUServer is present but empty while UseWUServer is 1: Windows Update has no "
                "update server to scan against.",
                args=[""],
                reason="WsusEmpty",
                evidence=ev,
            )
        return Verdict(
            CheckResult.PASSED,
            "WUServer is present but empty, and UseWUServer is not 1, so Windows Update does not use it.",
            args=None,
            reason="WsusInactive",
            evidence=ev,
        )
    if wu.wu_server is None:
        return Verdict(
            CheckResult.PASSED,
            "Updates come from Windows Update (no WSUS server is configured); the "
            "machine must reach the Windows Update service.",
            args=None,
            evidence=ev,
        )
    if wu.use_wu_server != 1:
        return Verdict(
            CheckResult.PASSED,
            f"WUServer is set to {wu.wu_server}, but UseWUServer is not 1, so Windows "
            "Update does not use it.",
            args=None,
            reason="WsusInactive",
            evidence=ev,
        )
    return Verdict(
        CheckResult.WARNING,
        f"Updates come from the WSUS server {wu.wu_server}; updates must be approved "
        "there before a deployment can install them.",
        args=[wu.wu_server],
        reason="WsusConfigured",
        evidence=ev,
    )


# ----------------------------------------------------------------------------------------------
# W14 AutomaticUpdateCheck


def check_auto_update(facts: Facts, ctx: RuleContext) -> Verdict:
    wu = _policy(facts)
    ev = {"AUOptions": wu.au_options, "NoAutoUpdate": wu.no_auto_update}
    if wu.no_auto_update == 1:
        return Verdict(
            CheckResult.PASSED,
            "Automatic Updates are turned off by policy (NoAutoUpdate = 1).",
            args=None,
            reason="AutoUpdateDisabled",
            evidence=ev,
        )
    if wu.au_options == AU_AUTO_INSTALL:
        return Verdict(
            CheckResult.WARNING,
            "Windows Update downloads and installs updates on its own schedule "
            "(AUOptions = 4), outside Update Management's control.",
            args=None,
            reason="AutoInstallEnabled",
            evidence=ev,
        )
    return Verdict(
        CheckResult.PASSED,
        "Windows Update is not set to install updates automatically.",
        args=None,
        evidence=ev,
    )


# ----------------------------------------------------------------------------------------------

AUTO_REBOOT = windows_rule(
    "AlwaysAutoRebootCheck",
    MACHINE_SETTINGS,
    "AutoReboot",
    "Automatic reboot policies should be off: they reboot regardless of the update deployment's settings.",
    check_auto_reboot,
    ("Passed", "PassedWithWarning"),
    ("windows_update",),
)
WSUS = windows_rule(
    "WSUSServerConfigured",
    MACHINE_SETTINGS,
    "isWSUSServerConfigured",
    "Points out a WSUS server configured as the machine's update source.",
    check_wsus,
    ("Passed", "PassedWithWarning"),
    ("windows_update",),
)
AUTO_UPDATE = windows_rule(
    "AutomaticUpdateCheck",
    MACHINE_SETTINGS,
    "AutoUpdate",
    "Automatic installation of updates should be off on the machine.",
    check_auto_update,
    ("Passed", "PassedWithWarning"),
    ("windows_update",),
)
