"""Linux prerequisite and agent/worker health rules (official rules L1-L7).

Each check is a pure function of the collected facts. Where the official script gives a false
pass or a false fail (quirks Q-L3, Q-L4) the id stays official and ``reason`` says what umcheck
decided instead; docs/deviations.md (Part 2) lists every such case.
"""

from __future__ import annotations

import re

from umcheck.facts import CurrentMof, Facts, LinuxWorker, NotCollected, OmsAgent
from umcheck.results import CheckResult
from umcheck.rules.base import RuleContext, RuleSpec, Verdict
from umcheck.rules.linux_common import (
    AZURE_ASSET_TAG,
    CURRENT_MOF_PATH,
    OMS_TROUBLESHOOTING_URL,
    OS_REQUIREMENTS_URL,
    PREREQUISITES,
    SERVICE_HEALTH,
    linux_spec,
    workspace_id,
)

PASSED, FAILED = CheckResult.PASSED, CheckResult.FAILED

# The official list, matched the official way: case-insensitive search in "<id>-<version>".
SUPPORTED_DISTROS = (
    "Ubuntu-14.04", "Ubuntu-16.04", "Ubuntu-18.04", "Ubuntu-20.04",
    "SuSE-11", "SuSE-12", "SuSE-15", "SLES-11", "SLES-12", "SLES-15",
    "rhel-6", "rhel-7", "rhel-8", "centos-6", "centos-7", "centos-8",
    "Oracle-6", "Oracle-7", "Oracle-8",
)  # fmt: skip
_SUPPORTED = re.compile("|".join(re.escape(d) for d in SUPPORTED_DISTROS), re.IGNORECASE)


def check_os(facts: Facts, ctx: RuleContext) -> Verdict:
    os_ = facts.section("os")
    distro = os_.distro
    evidence = {"distro": distro, "pretty_name": os_.pretty_name}
    if _SUPPORTED.search(distro):
        return Verdict(
            PASSED,
            f"Operating system {distro} is supported.",
            reason=f"{distro} is on the supported list",
            evidence=evidence,
        )
    return Verdict(
        FAILED,
        f"Operating system {distro} is not supported by Update Management; see {OS_REQUIREMENTS_URL}.",
        args=[OS_REQUIREMENTS_URL],
        reason=f"{distro} is not on the Update Management supported list",
        evidence=evidence,
    )


def check_dmidecode(facts: Facts, ctx: RuleContext) -> Verdict:
    dmi = facts.section("dmi")
    evidence = {"readable": dmi.readable, "asset_tag": dmi.asset_tag, "is_azure": ctx.is_azure}
    if dmi.readable and dmi.asset_tag and AZURE_ASSET_TAG in dmi.asset_tag:
        return Verdict(
            PASSED,
            "The Azure chassis asset tag is present.",
            reason="Azure asset tag found",
            evidence=evidence,
        )
    if ctx.is_azure is False:  # Q-L4a: the check only means something on an Azure VM
        return Verdict(
            PASSED,
            "Not an Azure VM: the Azure asset tag check does not apply.",
            reason="not an Azure VM: asset tag check not applicable (the official script reports Failed)",
            evidence=evidence,
        )
    why = "dmidecode output could not be read" if not dmi.readable else f"asset tag is {dmi.asset_tag!r}"
    hint = (
        "reboot the VM to trigger re-registration"
        if ctx.is_azure
        else "ignore this if the machine is not an Azure VM"
    )
    return Verdict(
        FAILED,
        "The Azure chassis asset tag was not found (applies to Azure VMs only).",
        reason=f"{why}, not the Azure tag {AZURE_ASSET_TAG}; {hint}",
        evidence=evidence,
    )


def check_agent_installed(facts: Facts, ctx: RuleContext) -> Verdict:
    agent: OmsAgent = facts.section("oms_agent")
    evidence = {"omsadmin_conf_present": agent.omsadmin_conf_present, "log_present": agent.log_present}
    if agent.omsadmin_conf_present and agent.log_present:
        return Verdict(
            PASSED,
            "The Log Analytics agent for Linux is installed.",
            reason="omsadmin.conf and omsagent.log exist",
            evidence=evidence,
        )
    missing = [
        n
        for n, ok in (("omsadmin.conf", agent.omsadmin_conf_present), ("omsagent.log", agent.log_present))
        if not ok
    ]
    return Verdict(
        FAILED,
        "The Log Analytics agent for Linux is not installed or not onboarded.",
        args=[OMS_TROUBLESHOOTING_URL],
        reason=f"missing: {', '.join(missing)}",
        evidence=evidence,
    )


def check_agent_running(facts: Facts, ctx: RuleContext) -> Verdict:
    agent: OmsAgent = facts.section("oms_agent")
    if agent.running:
        return Verdict(
            PASSED,
            "The Log Analytics agent (omsagent) is running.",
            reason="omsagent process found",
            evidence={"running": True},
        )
    return Verdict(
        FAILED,
        "The Log Analytics agent (omsagent) is not running.",
        args=[OMS_TROUBLESHOOTING_URL],
        reason="no omsagent process with omsagent.log/omsagent.conf in its arguments",
        evidence={"running": False},
    )


def check_multihoming(facts: Facts, ctx: RuleContext) -> Verdict:
    ws = facts.section("workspaces")
    if not ws.base_dir_present:
        return Verdict(
            FAILED,
            "The machine is not registered with a Log Analytics workspace.",
            suffix="NoWorkspace",
            reason="/var/opt/microsoft/omsagent does not exist",
            evidence={"base_dir_present": False, "workspaces": []},
        )
    listing = str(list(ws.dirs))  # the official argument: one string holding the list's repr
    evidence = {"base_dir_present": True, "workspaces": list(ws.dirs)}
    if not ws.dirs:  # Q-L3a: the official script passes here
        return Verdict(
            FAILED,
            "The machine is not registered with a Log Analytics workspace.",
            suffix="NoWorkspace",
            reason="no workspace directory under /var/opt/microsoft/omsagent (the official script reports Passed)",
            evidence=evidence,
        )
    if len(ws.dirs) > 1:
        return Verdict(
            FAILED,
            f"The machine reports to more than one Log Analytics workspace: {listing}.",
            args=[listing],
            reason=f"{len(ws.dirs)} workspace directories",
            evidence=evidence,
        )
    return Verdict(
        PASSED,
        f"The machine reports to one workspace: {listing}.",
        args=[listing],
        reason="exactly one workspace",
        evidence=evidence,
    )


def check_worker_package(facts: Facts, ctx: RuleContext) -> Verdict:
    w: LinuxWorker = facts.section("worker")
    evidence = {"version_file": w.version_file, "configuration_py": w.configuration_py, "version": w.version}
    if w.version_file and w.configuration_py:
        return Verdict(
            PASSED,
            "The hybrid worker package (nxOMSAutomationWorker) is present.",
            reason=f"module version {w.version or 'unknown'}",
            evidence=evidence,
        )
    missing = [
        n
        for n, ok in (("VERSION", w.version_file), ("worker/configuration.py", w.configuration_py))
        if not ok
    ]
    return Verdict(
        FAILED,
        "The hybrid worker package (nxOMSAutomationWorker) is not present.",
        reason=f"missing module file(s): {', '.join(missing)}",
        evidence=evidence,
    )


def _marshall_failures(mof: CurrentMof, w: LinuxWorker, agent: OmsAgent) -> list[str]:
    """The conditions of the DSC module's Test_Marshall, as facts (Q-L3b, Q-L7)."""
    failures = []
    primary = workspace_id(agent)
    if mof.workspace_id and primary and mof.workspace_id.lower() != primary.lower():
        failures.append(
            f"Current.mof configures workspace {mof.workspace_id}, not the agent's primary workspace {primary}"
        )
    if not w.nxautomation_user:
        failures.append("user nxautomation does not exist")
    if w.other_workspace_workers:
        failures.append("worker processes for another workspace are running")
    if not w.oms_conf_present:
        failures.append("state/automationworker/oms.conf is missing")
    if not w.manager_running:
        failures.append("worker manager (worker/main.py) is not running as nxautomation")
    if not w.worker_conf_present:
        failures.append("state/automationworker/worker.conf is missing (system worker not registered)")
    if not w.hybridworker_running:
        failures.append("hybrid worker (worker/hybridworker.py) is not running")
    if w.jrds_cert_thumbprint_matches is False:
        failures.append("worker.conf jrds_cert_thumbprint does not match the agent certificate (certs/oms.crt)")
    return failures


def check_worker_status(facts: Facts, ctx: RuleContext) -> Verdict:
    mof: CurrentMof = facts.section("current_mof")
    path = mof.path or CURRENT_MOF_PATH
    if not mof.present:
        return Verdict(
            FAILED,
            f"The hybrid worker is not running: {path} is missing.",
            suffix="MissingCurrentMofFile",
            args=[path],
            reason="no DSC configuration (Current.mof) has arrived from the service",
            evidence={"current_mof_present": False},
        )
    if not mof.has_resource_settings:
        return Verdict(
            FAILED,
            "The hybrid worker is not running: Current.mof has no worker settings.",
            reason="Current.mof has no ResourceSettings line (no nxOMSAutomationWorker configuration)",
            evidence={"current_mof_present": True, "has_resource_settings": False},
        )
    if mof.updates_enabled is None:  # Q-L1c: the official script crashes here (no output at all)
        raise NotCollected(
            "current_mof", "ResourceSettings present but Solutions.Updates.Enabled could not be read"
        )
    if not mof.updates_enabled:
        return Verdict(
            FAILED,
            "The hybrid worker is not running: the Updates solution is not enabled for this machine.",
            suffix="UpdateDeploymentDisabled",
            args=[path],
            reason="Current.mof Solutions.Updates.Enabled is false",
            evidence={"updates_enabled": False, "workspace_id": mof.workspace_id},
        )
    w: LinuxWorker = facts.section("worker")
    agent: OmsAgent = facts.section("oms_agent")
    failures = _marshall_failures(mof, w, agent)
    evidence = {
        "updates_enabled": True,
        "mof_workspace_id": mof.workspace_id,
        "primary_workspace_id": workspace_id(agent),
        "nxautomation_user": w.nxautomation_user,
        "manager_running": w.manager_running,
        "hybridworker_running": w.hybridworker_running,
        "oms_conf_present": w.oms_conf_present,
        "worker_conf_present": w.worker_conf_present,
        "other_workspace_workers": w.other_workspace_workers,
        "jrds_cert_thumbprint_matches": w.jrds_cert_thumbprint_matches,
        "failed_conditions": failures,
    }
    if failures:
        return Verdict(
            FAILED, "The hybrid worker is not running.", reason="; ".join(failures), evidence=evidence
        )
    return Verdict(
        PASSED,
        "The system hybrid worker is running.",
        reason="Updates enabled; worker manager and hybrid worker running as nxautomation with oms.conf and worker.conf",
        evidence=evidence,
    )


AGENT_RULES: list[RuleSpec] = [
    linux_spec("Linux.OperatingSystemCheck", PREREQUISITES, "Operating system",
          "The distribution and version must be one Update Management supports.",
          ("Passed", "Failed"), check_os, ["os"]),
    linux_spec("Linux.DmidecodeCheck", PREREQUISITES, "Dmidecode check",
          "An Azure VM must carry the Azure chassis asset tag, or the agent cannot register it as an Azure machine.",
          ("Passed", "Failed"), check_dmidecode, ["dmi"]),
    linux_spec("Linux.OMSAgentInstallCheck", SERVICE_HEALTH, "Monitoring Agent",
          "The Log Analytics agent for Linux must be installed and onboarded (omsadmin.conf and its log exist).",
          ("Passed", "Failed"), check_agent_installed, ["oms_agent"]),
    linux_spec("Linux.OMSAgentStatusCheck", SERVICE_HEALTH, "Monitoring Agent status",
          "The omsagent process must be running; it carries the worker's configuration and heartbeats.",
          ("Passed", "Failed"), check_agent_running, ["oms_agent"]),
    linux_spec("Linux.MultiHomingCheck", SERVICE_HEALTH, "Multihoming",
          "The agent must report to exactly one Log Analytics workspace, the one linked to Update Management.",
          ("Passed", "Failed", "Failed.NoWorkspace"), check_multihoming, ["workspaces"]),
    linux_spec("Linux.HybridWorkerPackgeCheck", SERVICE_HEALTH, "Hybrid Runbook Worker",
          "The nxOMSAutomationWorker DSC module that installs the hybrid worker must have been downloaded.",
          ("Passed", "Failed"), check_worker_package, ["worker"]),
    linux_spec("Linux.HybridWorkerStatusCheck", SERVICE_HEALTH, "Hybrid Runbook Worker status",
          "The Updates solution must be enabled in the DSC configuration and the system hybrid worker must be running.",
          ("Passed", "Failed", "Failed.MissingCurrentMofFile", "Failed.UpdateDeploymentDisabled"),
          check_worker_status, ["current_mof", "worker", "oms_agent"]),
]  # fmt: skip
