"""Facts v2: the sections the successor pack reads (Azure Arc, Azure VM agent, extensions,
extension-based worker, Linux update settings). docs/facts.md "Facts v2" documents each field
and where the collectors read it (../shared/reference/successor-readiness.md §2-§5).

The sections are optional in both facts versions: a v1 document (or a collector that could not
read them) leaves them absent, and the successor rules are then NotEvaluated, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from umcheck.acl import FolderAcl


@dataclass(frozen=True)
class SvcState:
    """A service or systemd unit: Windows status Running/Stopped, Linux active/inactive/failed."""

    name: str
    present: bool = False
    status: str | None = None
    start_type: str | None = None  # Windows Automatic/Manual/Disabled; Linux enabled/disabled

    @property
    def running(self) -> bool:
        return self.present and (self.status or "").lower() in ("running", "active")


@dataclass(frozen=True)
class HimdsProbe:
    """GET localhost:40342 identity endpoint without the secret: a live himds answers 401 + realm."""

    status: int | None = None
    basic_realm: bool = False  # WWW-Authenticate: Basic realm=... present (the key file path is never read)
    error: str | None = None  # refused | timeout | other


@dataclass(frozen=True)
class LogonRight:
    """Who holds "Log on as a service" by Group Policy: the winning RSoP rows (RSOP_UserPrivilegeRight)."""

    gpo_defined: bool | None = None  # None: the RSoP data could not be read (see error)
    holders: list[str] = field(default_factory=list)  # names or *SIDs, as the policy lists them
    error: str | None = None


@dataclass(frozen=True)
class ArcCheckEndpoint:
    """One row of ``azcmagent check -j`` as umcheck could read it (the JSON schema is undocumented [U])."""

    endpoint: str
    reachable: bool | None = None
    private: bool | None = None  # resolved to a private address (Private Link), when the row says so


@dataclass(frozen=True)
class ArcCheck:
    """``azcmagent check -j [--location <region>]``, run only with ``umcheck scan --arc-check`` (it
    contacts Azure). ``endpoints`` empty with ``error`` set: ran, but nothing could be read."""

    location: str | None = None  # the --location passed (None: the agent's own region)
    exit_code: int | None = None
    endpoints: list[ArcCheckEndpoint] = field(default_factory=list)
    error: str | None = None  # timeout / not json / no endpoint rows / not run (agent absent)


@dataclass(frozen=True)
class ArcAgent:
    """Azure Connected Machine agent: presence, ``azcmagent show -j`` / ``config list -j`` fields."""

    installed: bool = False
    version: str | None = None  # azcmagent version
    status: str | None = None  # show: Connected / Disconnected / Expired
    last_heartbeat: str | None = None  # ISO 8601
    error_code: str | None = None
    error_details: str | None = None
    resource_id: str | None = None
    location: str | None = None
    config: dict[str, str] = field(default_factory=dict)  # config list: proxy.url, extensions.*, config.mode, ...
    services: list[SvcState] = field(default_factory=list)  # himds, ExtensionService, GCArcService, arcproxy / *d
    himds: HimdsProbe | None = None
    msft_arc_test: bool = False  # machine env MSFT_ARC_TEST=true (evaluation on an Azure VM)
    https_proxy_env: str | None = None  # machine HTTPS_PROXY (credentials redacted)
    # Windows, read when the agent is installed; None: not read (Linux, older collector, no agent).
    tls_cipher_suites: list[str] | None = None  # enabled suites, in order (Get-TlsCipherSuite / SSL\00010002)
    service_logon: LogonRight | None = None  # "Log on as a service" by GPO: NT SERVICE\himds needs it
    check: ArcCheck | None = None  # azcmagent check, opt-in (scan --arc-check); None: not run


@dataclass(frozen=True)
class AzureVmAgent:
    """The Azure VM guest agent: WindowsAzureGuestAgent + RdAgent / walinuxagent or waagent."""

    services: list[SvcState] = field(default_factory=list)


@dataclass(frozen=True)
class Extension:
    """One extension folder under Packages\\Plugins or /var/lib/waagent, with its newest status file."""

    name: str  # <publisher>.<type>, e.g. Microsoft.CPlat.Core.WindowsPatchExtension
    version: str | None = None
    status: str | None = None  # status.status: Success / Warning / Error / Transitioning
    code: str | None = None
    message: str | None = None
    status_time: str | None = None  # ISO 8601 mtime of the status file
    settings_url: str | None = None  # HRW: public AutomationAccountURL of the newest settings file


@dataclass(frozen=True)
class Extensions:
    items: list[Extension] = field(default_factory=list)

    def named(self, *names: str) -> list[Extension]:
        wanted = {n.lower() for n in names}
        return [e for e in self.items if e.name.lower() in wanted]


@dataclass(frozen=True)
class Hrw2:
    """The extension-based Hybrid Runbook Worker on the host (besides its extension folder)."""

    service: SvcState | None = None  # HybridWorkerService / hwd
    user_present: bool | None = None  # Linux: hweautomation exists
    v2_key_present: bool | None = None  # Windows: HKLM\SOFTWARE\Microsoft\HybridRunbookWorkerV2
    azure_key_present: bool | None = None  # Windows: HKLM\SOFTWARE\Microsoft\Azure\HybridWorker
    jrds_uri: str | None = None  # JobRuntimeDataServiceUri under ...V2 (value name [C-partial])
    # Windows: Microsoft-SMA/Operational events of the last JOB_ERROR_DAYS days whose message carries
    # "Win32 Process Exited with code [<code>]" — code -> count; None: not read (older collector, Linux).
    job_errors: dict[str, int] | None = None
    job_errors_newest: str | None = None  # ISO 8601 time of the newest such event
    # Windows: the Arc Tokens folder and the worker's plugin folder, whose ACLs a custom run-as user
    # needs (Read / Read & Execute, granted directly); None: not read.
    folder_acls: list[FolderAcl] | None = None


@dataclass(frozen=True)
class LinuxUpdates:
    """How a Linux host gets its updates: the package manager and anything that patches by itself."""

    package_manager: str | None = None  # apt / yum / dnf / zypper
    python: list[str] = field(default_factory=list)  # interpreters found (python3, python2.7)
    auto_updates: list[str] = field(default_factory=list)  # active mechanisms, e.g. "apt: 20auto-upgrades"
    autoassess_timer: str | None = None  # systemctl is-active MsftLinuxPatchAutoAssess.timer
