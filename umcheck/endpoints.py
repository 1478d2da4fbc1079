"""Cloud + Automation account location -> the endpoints a host must reach.

Built from the documented DNS-record tables (rules reference §4). Two record styles exist:
the legacy region-wide ones (``<m>-jobruntimedata-prod-su1.<domain>``) and the account-specific
ones (``<accountId>.jrds.<m>.<domain>``). Precedence, most trustworthy first:

1. a JRDS URI recorded on the machine itself (registry ``JobRuntimeDataServiceUri`` or Linux
   ``worker.conf`` ``jrds_base_uri``) — the collectors probe it as ``jrds_recorded``;
2. the account-specific record, when the account id is known;
3. the legacy region-wide record.

An unknown region is reported as unknown (``EndpointPlan.unknown_region``); it is never mapped
silently to East US 2 as the official script does (quirk Q-W5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Cloud = Literal["public", "usgov", "china"]
# How a probe is made. ``tcp``/``https``/``http`` are the legacy probes; the successor pack adds one
# kind per purpose, each with its own method in the collectors (docs/facts.md "Probe"):
# ``arc`` HTTPS GET through the Arc agent's own proxy, ``wu`` HTTPS GET through the WinHTTP proxy,
# ``wireserver`` TCP connect (Azure VMs only), ``hrw2`` DNS + TLS (hosts derived on the host).
ProbeKind = Literal["tcp", "https", "http", "arc", "wu", "wireserver", "hrw2"]
PROBE_KINDS: tuple[str, ...] = ("tcp", "https", "http", "arc", "wu", "wireserver", "hrw2")
CLOUDS: tuple[str, ...] = ("public", "usgov", "china")

AUTOMATION_DOMAIN = {"public": "azure-automation.net", "usgov": "azure-automation.us", "china": "azure-automation.cn"}
OPINSIGHTS_TLD = {"public": "azure.com", "usgov": "azure.us", "china": "azure.cn"}
IMDS_URL = "http://169.254.169.254/metadata/instance?api-version=2018-02-01"
INTERNET_HOST = "bing.com"

# Legacy region-wide records (§4.3 + §4.4): ARM location -> moniker.
LEGACY_MONIKERS: dict[str, str] = {
    "australiacentral": "ac",
    "australiaeast": "ae",
    "australiasoutheast": "ase",
    "canadacentral": "cc",
    "centralindia": "cid",
    "eastus2": "eus2",
    "japaneast": "jpe",
    "northeurope": "ne",
    "southcentralus": "scus",
    "southeastasia": "sea",
    "switzerlandnorth": "stzn",
    "uksouth": "uks",
    "usgovvirginia": "usge",
    "usgovarizona": "phx",
    "chinaeast2": "sha2",
    "westcentralus": "wcus",
    "westeurope": "we",
    "westus2": "wus2",
    "eastus": "eus",
    "northcentralus": "ncus",
}

# Account-specific records (§4.5, "Support for Private Link"): ARM location -> moniker.
ACCOUNT_MONIKERS: dict[str, str] = {
    "southafricanorth": "san", "eastasia": "ea", "southeastasia": "sea", "australiacentral": "ac",
    "australiacentral2": "cbr2", "australiasoutheast": "ase", "australiaeast": "ae", "brazilsouth": "brs",
    "brazilsoutheast": "brse", "canadacentral": "cc", "chinaeast2": "sha2", "chinanorth": "bjb",
    "chinanorth2": "bjs2", "westeurope": "we", "northeurope": "ne", "francecentral": "fc",
    "francesouth": "mrs", "germanywestcentral": "dewc", "centralindia": "cid", "southindia": "ma",
    "japaneast": "jpe", "japanwest": "jpw", "koreacentral": "kc", "koreasouth": "ps", "norwayeast": "noe",
    "norwaywest": "now", "switzerlandwest": "stzw", "uaecentral": "auh", "uaenorth": "uaen", "ukwest": "cw",
    "uksouth": "uks", "centralus": "cus", "eastus": "eus", "eastus2": "eus2", "northcentralus": "ncus",
    "southcentralus": "scus", "westcentralus": "wcus", "westus": "wus", "westus2": "wus2", "westus3": "usw3",
    "usgovvirginia": "usge", "usgovtexas": "ussc", "usgovarizona": "phx",
}  # fmt: skip

# Account-specific records whose domain differs from the cloud's (documented, unverified: §9).
ACCOUNT_DOMAIN_OVERRIDES = {"germanywestcentral": "azure-automation.de"}

# What the official Windows script uses (§4.3): 12 public regions + 3 sovereign special cases.
OFFICIAL_WINDOWS_MONIKERS = {
    "australiasoutheast": "ase", "canadacentral": "cc", "centralindia": "cid", "eastus2": "eus2",
    "japaneast": "jpe", "northeurope": "ne", "southcentralus": "scus", "southeastasia": "sea",
    "uksouth": "uks", "westcentralus": "wcus", "westeurope": "we", "westus2": "wus2",
    "usgovvirginia": "usge", "usgovarizona": "phx", "chinaeast2": "sha2",
}  # fmt: skip


def normalize_location(location: str | None) -> str | None:
    """ARM name from what a user may type ("West Europe", "westeurope", "WestEurope")."""
    if not location:
        return None
    return "".join(location.split()).lower()


def cloud_of(location: str | None, default: str = "public") -> str:
    loc = normalize_location(location) or ""
    if loc.startswith("usgov") or loc.startswith("usdod"):
        return "usgov"
    if loc.startswith("china"):
        return "china"
    return default


@dataclass(frozen=True)
class EndpointTemplate:
    """One endpoint to probe. ``{workspace}`` is filled in on the host, which knows its workspaces."""

    name: str  # agentsvc, jrds, ods, oms, https, imds, internet; successor: arc_*, wu_*, wireserver_*
    template: str  # host name, or URL for kind https/http/arc/wu
    port: int = 443
    kind: ProbeKind = "tcp"
    source: str = "table"  # table | legacy-table | account-table | fixed


@dataclass(frozen=True)
class EndpointPlan:
    cloud: str
    location: str | None
    moniker: str | None
    unknown_region: bool
    templates: list[EndpointTemplate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def get(self, name: str) -> EndpointTemplate | None:
        return next((t for t in self.templates if t.name == name), None)


def jrds_host(cloud: str, location: str | None, account_id: str | None = None) -> tuple[str | None, str, str | None]:
    """(host, source, moniker) of the JRDS endpoint for a location; host None when unknown."""
    loc = normalize_location(location)
    if loc is None:
        return None, "unknown", None
    if account_id and loc in ACCOUNT_MONIKERS:
        m = ACCOUNT_MONIKERS[loc]
        domain = ACCOUNT_DOMAIN_OVERRIDES.get(loc, AUTOMATION_DOMAIN[cloud_of(loc, cloud)])
        return f"{account_id}.jrds.{m}.{domain}", "account-table", m
    if loc in LEGACY_MONIKERS:
        m = LEGACY_MONIKERS[loc]
        return f"{m}-jobruntimedata-prod-su1.{AUTOMATION_DOMAIN[cloud_of(loc, cloud)]}", "legacy-table", m
    return None, "unknown", ACCOUNT_MONIKERS.get(loc)


def plan_endpoints(cloud: str = "public", location: str | None = None, account_id: str | None = None) -> EndpointPlan:
    """The endpoint templates a collector should probe for this cloud and account location."""
    if cloud not in CLOUDS:
        raise ValueError(f"unknown cloud {cloud!r} (expected one of {', '.join(CLOUDS)})")
    loc = normalize_location(location)
    cloud = cloud_of(loc, cloud)
    domain = AUTOMATION_DOMAIN[cloud]
    tld = OPINSIGHTS_TLD[cloud]
    notes: list[str] = []
    templates = [
        EndpointTemplate("agentsvc", f"{{workspace}}.agentsvc.{domain}"),
        EndpointTemplate("ods", f"{{workspace}}.ods.opinsights.{tld}"),
        EndpointTemplate("oms", f"{{workspace}}.oms.opinsights.{tld}"),
        EndpointTemplate("imds", IMDS_URL, port=80, kind="http", source="fixed"),
        EndpointTemplate("internet", INTERNET_HOST, source="fixed"),
    ]
    host, source, moniker = jrds_host(cloud, loc, account_id)
    unknown = loc is not None and host is None
    if host:
        templates.append(EndpointTemplate("jrds", host, source=source))
        templates.append(EndpointTemplate("https", f"https://{host}", kind="https", source=source))
    elif loc is None:
        notes.append("no Automation account location given: only the JRDS URI recorded on each machine is probed")
    else:
        notes.append(
            f"region {loc!r} has no documented region-wide JRDS record"
            + (" (set the account id to use the account-specific record)" if moniker else "")
            + ": only the JRDS URI recorded on each machine is probed"
        )
    templates += successor_templates(cloud)
    return EndpointPlan(cloud, loc, moniker, unknown, templates, notes)


def official_windows_hosts(location: str | None, workspace: str) -> dict[str, str]:
    """The hosts the official Windows script would probe (compat, §4.1), for evidence and docs."""
    loc = normalize_location(location) or ""
    gov = loc in ("usgovvirginia", "usgovarizona")
    cn = loc == "chinaeast2"
    auto = "us" if gov else "cn" if cn else "net"
    la = "us" if loc == "usgovvirginia" else "cn" if cn else "com"
    m = OFFICIAL_WINDOWS_MONIKERS.get(loc, "eus2")
    return {
        "agentsvc": f"{workspace}.agentsvc.azure-automation.{auto}",
        "jrds": f"{m}-jobruntimedata-prod-su1.azure-automation.{auto}",
        "ods": f"{workspace}.ods.opinsights.azure.{la}",
        "oms": f"{workspace}.oms.opinsights.azure.{la}",
        "https": "https://eus2-jobruntimedata-prod-su1.azure-automation.net",
    }


# --------------------------------------------------------------------------------------------
# Successor pack probes (successor-readiness.md §2.5, §4.3, §7 rules 7, 13, 28)


@dataclass(frozen=True)
class ArcEndpoint:
    """One Arc endpoint umcheck probes: a concrete host for a documented (often wildcard) entry."""

    name: str  # probe name, arc_<short>
    host: str
    required: bool  # False: only for connect/disconnect or install/upgrade, or the host is inferred
    basis: str  # D documented, C Microsoft code, I inferred (never required)
    why: str


# network-requirements (D) lists wildcards; the concrete gbl.his / agentserviceapi hosts are the ones
# Microsoft's own Arc troubleshooter probes (ArcRequiredEndpointsCheck, rules-reference.md §7: C).
# Not probed: azgn*.servicebus.windows.net and *.blob.core.windows.net (no concrete host to test;
# the blob entry also left the 2026 table, §8), and <region>.login.microsoft.com (region-specific).
ARC_ENDPOINTS: dict[str, tuple[ArcEndpoint, ...]] = {
    "public": (
        ArcEndpoint("arc_login", "login.microsoftonline.com", True, "D", "Microsoft Entra ID tokens"),
        ArcEndpoint("arc_pas", "pas.windows.net", True, "D", "Microsoft Entra ID (PAS)"),
        ArcEndpoint("arc_his", "gbl.his.arc.azure.com", True, "C", "hybrid identity service (*.his.arc.azure.com)"),
        ArcEndpoint("arc_gc", "agentserviceapi.guestconfiguration.azure.com", True, "C",
                    "extension and guest configuration service (*.guestconfiguration.azure.com)"),
        ArcEndpoint("arc_gns", "guestnotificationservice.azure.com", True, "D", "notification service"),
        ArcEndpoint("arc_arm", "management.azure.com", False, "D", "Azure Resource Manager: connect/disconnect only"),
        ArcEndpoint("arc_download", "download.microsoft.com", False, "D", "agent install and upgrade (Windows)"),
        ArcEndpoint("arc_packages", "packages.microsoft.com", False, "D", "agent install and upgrade (Linux)"),
    ),
    "usgov": (
        ArcEndpoint("arc_login", "login.microsoftonline.us", True, "D", "Microsoft Entra ID tokens"),
        ArcEndpoint("arc_pas", "pasff.usgovcloudapi.net", True, "D", "Microsoft Entra ID (PAS)"),
        ArcEndpoint("arc_his", "gbl.his.arc.azure.us", False, "I", "hybrid identity service (*.his.arc.azure.us)"),
        ArcEndpoint("arc_gc", "agentserviceapi.guestconfiguration.azure.us", False, "I",
                    "guest configuration service (*.guestconfiguration.azure.us)"),
        ArcEndpoint("arc_arm", "management.usgovcloudapi.net", False, "D", "Azure Resource Manager: connect/disconnect only"),
    ),
    "china": (
        ArcEndpoint("arc_login", "login.chinacloudapi.cn", True, "D", "Microsoft Entra ID tokens"),
        ArcEndpoint("arc_pas", "pas.chinacloudapi.cn", True, "D", "Microsoft Entra ID (PAS)"),
        ArcEndpoint("arc_his", "gbl.his.arc.azure.cn", False, "I", "hybrid identity service (*.his.arc.azure.cn)"),
        ArcEndpoint("arc_gc", "agentserviceapi.guestconfiguration.azure.cn", False, "I",
                    "guest configuration service (*.guestconfiguration.azure.cn)"),
        ArcEndpoint("arc_gns", "guestnotificationservice.azure.cn", True, "D", "notification service"),
        ArcEndpoint("arc_arm", "management.chinacloudapi.cn", False, "D", "Azure Resource Manager: connect/disconnect only"),
    ),
}  # fmt: skip

# The Windows Update hosts Microsoft's Update Manager troubleshooter probes (WUEndpointConnectivityCheck,
# successor-readiness.md §4.3: C). Public endpoints in every cloud.
WU_HOSTS: tuple[str, ...] = ("windowsupdate.microsoft.com", "dl.delivery.mp.microsoft.com", "download.windowsupdate.com",
                             "download.microsoft.com", "ntservicepack.microsoft.com", "go.microsoft.com")  # fmt: skip
# The Azure platform's WireServer (AzureUpdateManager troubleshooter, §7 rule 13: C): the guest agent talks
# to it on 80 and 32526. The collectors probe it only on hosts that look like Azure VMs.
WIRESERVER = "168.63.129.16"
WIRESERVER_PORTS: tuple[int, ...] = (80, 32526)


def arc_endpoint(cloud: str, name: str) -> ArcEndpoint | None:
    """The Arc endpoint a probe ``name`` stands for (any cloud's table when the cloud is unknown)."""
    for c in (cloud, *CLOUDS):
        for e in ARC_ENDPOINTS.get(c, ()):
            if e.name == name:
                return e
    return None


def successor_templates(cloud: str = "public") -> list[EndpointTemplate]:
    """Probes of the successor pack the controller plans (the host adds its own worker hosts, ``hrw2``)."""
    out = [EndpointTemplate(e.name, f"https://{e.host}", kind="arc", source="arc-table") for e in ARC_ENDPOINTS[cloud]]
    out += [EndpointTemplate("wu", f"https://{h}", kind="wu", source="fixed") for h in WU_HOSTS]
    out += [EndpointTemplate("wireserver", WIRESERVER, port=p, kind="wireserver", source="fixed") for p in WIRESERVER_PORTS]
    return out
