"""Facts contract v1: what a collector reports about one host.

A facts document is JSON produced on the host (``collectors/windows.ps1``, ``collectors/linux.py``,
the simulator) and read on the controller. It is untrusted input: ``Facts.from_json`` checks
every section against the dataclasses below. A section that is missing, or was reported as
failed in ``collector.errors``, or does not have the right shape, is *not collected*: rules
that need it yield ``NotEvaluated`` with the reason instead of guessing. Only a document that
is not a facts document at all (not an object, wrong ``facts_version``, unknown ``os_family``)
is rejected as a whole, with a ``FactsError`` that becomes the host's collector error.

The field-by-field meaning is documented in docs/facts.md.
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, TypeVar

from umcheck.acl import FolderAcl
from umcheck.endpoints import ProbeKind
from umcheck.packs.successor.facts import ArcAgent, AzureVmAgent, Extensions, Hrw2, LinuxUpdates
from umcheck.typed_load import ShapeError, describe, dump, load, load_dataclass

FACTS_VERSION = 2  # what the collectors write; v2 adds the successor sections (docs/facts.md "Facts v2")
V2_SECTIONS = frozenset({"arc", "azure_vm", "extensions", "hrw2", "linux_updates"})
READABLE_VERSIONS = (1, 2)  # v1 documents keep loading: their successor rules are NotEvaluated
OsFamily = Literal["windows", "linux"]
T = TypeVar("T")


class FactsError(ValueError):
    """The document as a whole is unusable (not JSON, not a facts document, wrong version)."""


class NotCollected(Exception):
    """A rule's input section is absent or invalid; carries the reason for NotEvaluated."""

    def __init__(self, section: str, reason: str):
        super().__init__(f"{section}: {reason}")
        self.section = section
        self.reason = reason


# --------------------------------------------------------------------------------------------
# Shared pieces


@dataclass(frozen=True)
class Probe:
    """One network probe made from the host.

    ``name`` says what was probed (``agentsvc``, ``jrds``, ``jrds_recorded``, ``ods``, ``oms``,
    ``https``, ``imds``, ``internet``, ``la1``..``la4``, ``repo``; successor: ``arc_*``, ``wu``,
    ``wireserver``, ``hrw2_jrds``/``hrw2_agentsvc``); ``kind`` how (legacy ``tcp``/``https``/``http``)
    or, for the successor probes, what for (``arc``, ``wu``, ``wireserver``, ``hrw2``: one method each,
    docs/facts.md). ``via`` is ``direct`` or ``proxy``. ``error`` is a class (dns, refused, timeout,
    tls, reset, http, proxy, skipped, other), ``detail`` the host's own text.
    """

    name: str
    target: str
    port: int = 443
    kind: ProbeKind = "tcp"
    via: Literal["direct", "proxy"] = "direct"
    ok: bool = False
    status: int | None = None
    error: str | None = None
    detail: str | None = None
    elapsed_ms: int = 0
    workspace: str | None = None
    address: str | None = None  # hrw2: the address the name resolved to (private under Private Link)


@dataclass(frozen=True)
class CollectorError:
    section: str
    message: str


@dataclass(frozen=True)
class CollectorInfo:
    name: str = "unknown"
    version: str = "0"
    started: str | None = None
    elapsed_ms: int = 0
    errors: list[CollectorError] = field(default_factory=list)


@dataclass(frozen=True)
class HostInfo:
    hostname: str = ""
    fqdn: str | None = None


# --------------------------------------------------------------------------------------------
# Windows sections


@dataclass(frozen=True)
class WinOs:
    version: str  # [Environment]::OSVersion.Version, e.g. "10.0.17763"
    caption: str | None = None


@dataclass(frozen=True)
class DotNet:
    release: int | None = None  # NDP\v4\Full value Release (the documented detection)
    subkey_releases: list[int] = field(default_factory=list)  # Release of each Full subkey (official walk)


@dataclass(frozen=True)
class PowerShell:
    engine_version: str | None = None  # HKLM\...\PowerShell\3\PowerShellEngine\PowerShellVersion
    collector_host_version: str | None = None  # $PSVersionTable.PSVersion of the collector


@dataclass(frozen=True)
class Tls12:
    """SCHANNEL TLS 1.2 DWORDs; ``None`` means the value is absent (which is not 0)."""

    client_enabled: int | None = None
    client_disabled_by_default: int | None = None
    server_enabled: int | None = None
    server_disabled_by_default: int | None = None
    strong_crypto: int | None = None  # .NETFramework\v4.0.30319 SchUseStrongCrypto
    strong_crypto_wow64: int | None = None


@dataclass(frozen=True)
class WinWorkspaces:
    configured: list[str] = field(default_factory=list)  # AgentConfigManager.MgmtSvcCfg GetCloudWorkspaces
    with_updates: list[str] = field(default_factory=list)  # AOI-<id> of event 1210 listing "updates;"
    operations_log_present: bool = True


@dataclass(frozen=True)
class Service:
    present: bool = False
    status: str | None = None  # Running, Stopped, ...
    start_type: str | None = None  # Automatic, Manual, Disabled, ...


@dataclass(frozen=True)
class WinServices:
    health_service: Service = field(default_factory=Service)
    wuauserv: Service = field(default_factory=Service)


@dataclass(frozen=True)
class AgentEvents:
    operations_log_present: bool = False
    events_4502: int = 0  # source Health Service Modules, last window_hours
    events_4502_hybrid: int = 0  # of those, mentioning AzureAutomation.HybridAgent
    window_hours: int = 24


@dataclass(frozen=True)
class SystemWorker:
    sma_log_present: bool = False
    last_event_id: int | None = None  # 15003 started / 15004 stopped, system worker group only
    last_event_time: str | None = None  # ISO 8601
    group: str | None = None


@dataclass(frozen=True)
class HrwRegistration:
    account_id: str | None = None
    group: str | None = None
    jrds_uri: str | None = None  # JobRuntimeDataServiceUri recorded by the worker
    layout: str = "v1"  # v1 = HybridRunbookWorker, v2 = HybridRunbookWorkerV2


@dataclass(frozen=True)
class HrwRegistrations:
    key_present: bool = False
    registrations: list[HrwRegistration] = field(default_factory=list)


@dataclass(frozen=True)
class MachineKeys(FolderAcl):
    path: str = r"C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys"


@dataclass(frozen=True)
class WindowsUpdatePolicy:
    wu_server: str | None = None
    wu_status_server: str | None = None
    use_wu_server: int | None = None
    au_options: int | None = None
    no_auto_update: int | None = None
    always_auto_reboot: int | None = None  # AlwaysAutoRebootAtScheduledTime
    always_auto_reboot_minutes: int | None = None  # AlwaysAutoRebootAtScheduledTimeMinutes
    # facts v2 (successor pack): WindowsUpdate\Services\7971f918-…\RegisteredWithAU — 0 when absent,
    # None when not collected (an older collector): Microsoft Update opted in or not.
    microsoft_update: int | None = None
    # facts v2: DoNotConnectToWindowsUpdateInternetLocations (GPO "Do not connect to any Windows Update
    # Internet locations"; value name [U]): 1 with WSUS means the WU endpoints are never used.
    do_not_connect: int | None = None


@dataclass(frozen=True)
class WinProxy:
    winhttp_proxy: str | None = None  # None = "Direct access (no proxy server)"
    winhttp_bypass: str | None = None
    wininet_system_proxy: str | None = None  # HKU\S-1-5-18 Internet Settings, when enabled
    wininet_policy_proxy: str | None = None
    agent_proxy: str | None = None  # the MMA's own proxy (credentials are never collected)


@dataclass(frozen=True)
class WindowsFacts:
    os: WinOs | None = None
    dotnet: DotNet | None = None
    powershell: PowerShell | None = None
    tls: Tls12 | None = None
    workspaces: WinWorkspaces | None = None
    services: WinServices | None = None
    agent_events: AgentEvents | None = None
    system_worker: SystemWorker | None = None
    hrw: HrwRegistrations | None = None
    machine_keys: MachineKeys | None = None
    windows_update: WindowsUpdatePolicy | None = None
    proxy: WinProxy | None = None
    probes: list[Probe] | None = None
    # facts v2: the successor pack (umcheck/packs/successor/facts.py)
    arc: ArcAgent | None = None
    azure_vm: AzureVmAgent | None = None
    extensions: Extensions | None = None
    hrw2: Hrw2 | None = None


# --------------------------------------------------------------------------------------------
# Linux sections


@dataclass(frozen=True)
class LinuxOs:
    id: str = ""  # os-release ID ("ol" is reported as "oracle", as the official script does)
    version_id: str = ""
    pretty_name: str | None = None

    @property
    def distro(self) -> str:
        return f"{self.id}-{self.version_id}"


@dataclass(frozen=True)
class Dmi:
    readable: bool = False
    asset_tag: str | None = None  # chassis asset tag; Azure VMs: 7783-7084-3265-9085-8269-3286-77


@dataclass(frozen=True)
class OmsAgent:
    omsadmin_conf_present: bool = False
    log_present: bool = False
    conf: dict[str, str] = field(default_factory=dict)  # omsadmin.conf keys (WORKSPACE_ID, DSC_ENDPOINT, OMS_ENDPOINT, URL_TLD, ...)
    running: bool = False  # an omsagent process with omsagent.log/omsagent.conf in its args


@dataclass(frozen=True)
class LinuxWorkspaces:
    base_dir_present: bool = False  # /var/opt/microsoft/omsagent
    dirs: list[str] = field(default_factory=list)  # subdirectories with names of 32+ characters


@dataclass(frozen=True)
class LinuxWorker:
    version_file: bool = False  # nxOMSAutomationWorker/VERSION
    configuration_py: bool = False  # .../automationworker/worker/configuration.py
    version: str | None = None
    nxautomation_user: bool = False
    manager_running: bool = False  # worker/main.py ... rworkspace:<ws>
    hybridworker_running: bool = False  # worker/hybridworker.py ... worker.conf managed
    other_workspace_workers: bool = False
    oms_conf_present: bool = False  # state/automationworker/oms.conf
    worker_conf_present: bool = False  # <ws>/state/automationworker/worker.conf
    jrds_base_uri: str | None = None
    jrds_cert_thumbprint_matches: bool | None = None  # worker.conf thumbprint vs certs/oms.crt; None = not checked


@dataclass(frozen=True)
class CurrentMof:
    present: bool = False
    path: str = "/etc/opt/omi/conf/omsconfig/configuration/Current.mof"
    has_resource_settings: bool = False
    workspace_id: str | None = None
    updates_enabled: bool | None = None
    automation_enabled: bool | None = None


@dataclass(frozen=True)
class LinuxProxy:
    env: dict[str, str] = field(default_factory=dict)  # HTTP_PROXY, https_proxy, ... (credentials redacted)
    agent_proxy: str | None = None  # omsagent proxy.conf (credentials redacted)
    agent_proxy_path: str | None = None


@dataclass(frozen=True)
class Repos:
    family: str | None = None  # debian, rhel, suse, or None when unsupported
    listing_ok: bool = True
    listing_error: str | None = None
    urls: list[str] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)


@dataclass(frozen=True)
class LinuxFacts:
    os: LinuxOs | None = None
    dmi: Dmi | None = None
    oms_agent: OmsAgent | None = None
    workspaces: LinuxWorkspaces | None = None
    worker: LinuxWorker | None = None
    current_mof: CurrentMof | None = None
    proxy: LinuxProxy | None = None
    repos: Repos | None = None
    probes: list[Probe] | None = None
    # facts v2: the successor pack (umcheck/packs/successor/facts.py)
    arc: ArcAgent | None = None
    azure_vm: AzureVmAgent | None = None
    extensions: Extensions | None = None
    hrw2: Hrw2 | None = None
    linux_updates: LinuxUpdates | None = None


# --------------------------------------------------------------------------------------------
# The document


_SECTIONS: dict[str, type] = {"windows": WindowsFacts, "linux": LinuxFacts}


@cache
def _section_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _object(doc: dict[str, Any], key: str) -> Any:
    """``doc[key]``, with absent or null meaning an empty object (its fields take their defaults)."""
    value = doc.get(key)
    return {} if value is None else value


@dataclass(frozen=True)
class Facts:
    """One host's facts, with per-section 'why not collected' reasons kept for the rules."""

    os_family: OsFamily
    host: HostInfo
    collector: CollectorInfo
    data: WindowsFacts | LinuxFacts
    missing: dict[str, str] = field(default_factory=dict)  # section -> reason it is not usable
    facts_version: int = FACTS_VERSION

    def section(self, name: str) -> Any:
        """The named section, or raise NotCollected with the reason."""
        value = getattr(self.data, name, None)
        if value is None:
            default = "not in facts v1 (the collector predates the successor pack)" if (
                self.facts_version == 1 and name in V2_SECTIONS) else "not collected"  # fmt: skip
            raise NotCollected(name, self.missing.get(name, default))
        return value

    def probes(self, name: str | None = None, kind: str | None = None) -> list[Probe]:
        probes = self.section("probes")
        return [p for p in probes if (name is None or p.name == name) and (kind is None or p.kind == kind)]

    @classmethod
    def from_dict(cls, doc: Any) -> Facts:
        if not isinstance(doc, dict):
            raise FactsError("facts document is not a JSON object")
        version = doc.get("facts_version")
        if type(version) is not int or version not in READABLE_VERSIONS:  # True == 1.0 == 1 in Python
            raise FactsError(f"unsupported facts_version {version!r:.20} (this umcheck reads 1 and 2)")
        family = doc.get("os_family")
        if not isinstance(family, str):  # a list here was a TypeError (unhashable) before
            raise FactsError(f"$.os_family: expected a string (windows or linux), got {describe(family)}")
        if family not in _SECTIONS:
            raise FactsError(f"unknown os_family {family!r:.20} (expected windows or linux)")
        try:
            host = load_dataclass(HostInfo, _object(doc, "host"), "$.host")
        except ShapeError as exc:
            raise FactsError(str(exc)) from None
        try:
            collector = load_dataclass(CollectorInfo, _object(doc, "collector"), "$.collector")
        except ShapeError as exc:
            collector = CollectorInfo(errors=[CollectorError("collector", str(exc))])
        missing: dict[str, str] = {}
        for err in collector.errors:
            missing.setdefault(err.section, f"collector error: {err.message}")
        raw = doc.get(family)
        if raw is not None and not isinstance(raw, dict):
            raise FactsError(f"$.{family}: expected an object, got {describe(raw)}")
        if raw is None:
            raw = {}
            missing.setdefault("*", f"no '{family}' sections in document")
        section_cls = _SECTIONS[family]
        hints = _section_hints(section_cls)
        values: dict[str, Any] = {}
        for name, tp in hints.items():
            if name not in raw or raw[name] is None:
                if version == 1 and name in V2_SECTIONS:
                    continue  # a v1 document cannot have them: section() says so, without listing them
                missing.setdefault(name, "not collected")
                continue
            if name in missing:  # reported failed by the collector: do not trust partial data
                continue
            try:
                values[name] = load(tp, raw[name], f"$.{family}.{name}")
            except ShapeError as exc:
                missing[name] = f"invalid: {exc}"
        return cls(
            os_family=family,
            host=host,
            collector=collector,
            data=section_cls(**values),
            missing=missing,
            facts_version=version,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Facts:
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise FactsError(f"facts are not valid JSON: {exc}") from None
        return cls.from_dict(doc)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in dump(self.data).items() if v is not None}
        return {
            "facts_version": self.facts_version,
            "os_family": self.os_family,
            "host": dump(self.host),
            "collector": dump(self.collector),
            self.os_family: data,
        }
