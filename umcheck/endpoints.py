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

    name: str  # agentsvc, jrds, ods, oms, https, imds, internet
    template: str  # host name, or URL for kind https/http
    port: int = 443
    kind: Literal["tcp", "https", "http"] = "tcp"
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
