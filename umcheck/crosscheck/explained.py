"""Which documented deviation explains a disagreement between umcheck and the official script.

Each entry says: for this rule, umcheck answering one of these results while the official script
answers one of those is what docs/deviations.md describes under that id. Matching goes by rule
and result pair only (the official output carries no facts to check further), so the report says
"documented deviation Q-…" — the likely explanation — and lists every disagreement anyway.
tests/unit/crosscheck/test_explained.py keeps this table in step with the golden fixtures that
note an official verdict, and with the ids docs/deviations.md documents.
"""

from __future__ import annotations

from dataclasses import dataclass

NO_ROW = "no row"
NOT_EVALUATED = "NotEvaluated"
P, W, F = "Passed", "PassedWithWarning", "Failed"


@dataclass(frozen=True)
class Explanation:
    rule_id: str
    deviation: str
    umcheck: frozenset[str]
    official: frozenset[str]
    note: str


def _e(rule: str, deviation: str, umcheck: set[str], official: set[str], note: str) -> Explanation:
    return Explanation(rule, deviation, frozenset(umcheck), frozenset(official), note)


EXPLANATIONS: tuple[Explanation, ...] = (
    # Windows (docs/deviations.md Part 1)
    _e("TlsVersionCheck", "Q-W1", {P, F}, {P, F}, "TLS decided from the OS facts, not the first row's result"),
    _e("AutomationJobRuntimeDataServiceConnectivityCheck", "Q-W5a", {P, F}, {P, F},
       "umcheck probes the JRDS endpoint the worker records; the official script a 12-region table (eus2 default)"),
    _e("AutomationAgentServiceConnectivityCheck1", "Q-W5b", {P, F}, {P, F}, "agent-service host per cloud"),
    _e("LAOdsEndpointConnectivity", "Q-W5b", {P, F}, {P, F}, "Log Analytics host per cloud"),
    _e("LAOmsEndpointConnectivity", "Q-W5b", {P, F}, {P, F}, "Log Analytics host per cloud"),
    _e("HttpsConnection", "Q-W6a", {P, W, F}, {NO_ROW}, "the official script emits no row for errors it does not recognise"),
    _e("HttpsConnection", "Q-W6b", {W, F}, {P},
       "the official script counts any 'Forbidden' as success, a proxy refusing the tunnel included"),
    _e("HttpsConnection", "Q-W6c", {P, W, F}, {P, W, F},
       "umcheck tests the account's own JRDS URL; the official script always eus2"),
    _e("LinkedWorkspaceCheck", "Q-W7", {P, F}, {P, F}, "workspace resolution from facts, not a rolling event log"),
    _e("ProxySettings", "Q-W8a", {P, W}, {P, W}, "umcheck reads every proxy setting as data; official: WinHTTP's English text"),
    _e("CryptoRsaMachineKeysFolderAccessCheck", "Q-W10a", {P, F}, {P, F}, "rights checked by SID, Deny counts"),
    _e("WindowsManagementFrameworkInstalledCheck", "Q-W9a", {P, W, F}, {P, W, F},
       "WMF from the Windows PowerShell engine, not the collector's shell"),
    _e("DotNetFrameworkInstalledCheck", "Q-W9b", {P, F}, {P, F}, ".NET detected the documented way"),
    _e("WSUSServerConfigured", "Q-W10b", {P, W}, {P, W}, "WSUS only counts when UseWUServer is 1"),
    _e("AutomaticUpdateCheck", "Q-W10c", {P, W}, {P, W}, "NoAutoUpdate = 1 disables Automatic Updates"),
    _e("MonitoringAgentServiceEventsCheck", "Q-W10d", {P, F}, {P, F}, "only the Hybrid Worker's 4502 events count"),
    _e("WUServiceRunningCheck", "Q-W10e", {F}, {P}, "a missing Windows Update service fails"),
    _e("SystemHybridRunbookWorkerRunningCheck", "Q-W10f", {F}, {P}, "a started worker whose host is stopped is not running"),
    # Linux (docs/deviations.md Part 2)
    _e("Linux.MultiHomingCheck", "Q-L3a", {F}, {P}, "zero workspaces is not 'one workspace'"),
    _e("Linux.HybridWorkerStatusCheck", "Q-L3b", {P, F}, {P, F}, "re-implemented from facts, not by running the agent's code"),
    _e("Linux.ImdsCheck", "Q-L3c", {F}, {P}, "only a 2xx from IMDS passes; curl without -f passes on any reply"),
    _e("Linux.ImdsCheck", "Q-L4b", {P}, {F}, "not an Azure VM (inventory): IMDS is not expected"),
    _e("Linux.DmidecodeCheck", "Q-L4a", {P}, {F}, "not an Azure VM (inventory): no Azure asset tag expected"),
    _e("Linux.ProxyCheck", "Q-L3d", {F}, {P}, "umcheck sees every proxy setting and probes through it"),
    _e("Linux.ProxyCheck", "Q-L4f", {P}, {F}, "a configured proxy is not a failure by itself"),
    _e("Linux.AgentServiceConnectivityCheck", "Q-L4c", {P, F}, {F}, "a regional DSC_ENDPOINT is probed, not 'unable to get'"),
    _e("Linux.ReposAccessCheck", "Q-L4d", {P}, {F}, "judged by probing the repositories, not by stderr text"),
    _e("Linux.ReposAccessCheck", "Q-L4e", {P}, {F}, "HEAD 405 means the server answered"),
    _e("Linux.ReposAccessCheck", "Q-L1b", {NOT_EVALUATED, P, F}, {NO_ROW}, "unsupported distribution"),
    _e("Linux.LogAnalyticsConnectivityCheck", "Q-L5", {P, F}, {P, F, NO_ROW}, "Log Analytics ids shift with the workspace count"),
    *(
        _e(rule, "Q-L6b", {P}, {F}, "a probe through the agent's proxy counts; the official probes are proxy-blind")
        for rule in ("Linux.AgentServiceConnectivityCheck", "Linux.JRDSConnectivityCheck",
                     "Linux.LogAnalyticsConnectivityCheck", "Linux.InternetConnectionCheck")
    ),
    _e("Linux.", "Q-L1", {P, W, F, NOT_EVALUATED}, {NO_ROW}, "the official Linux output is all or nothing"),
)

# umcheck's own outcome with no official equivalent (docs/deviations.md, before Q-W1).
NOT_EVALUATED_NOTE = "umcheck could not evaluate this rule: its facts were not collected"


def _result(message_id: str) -> str:
    """``HttpsConnection.PassedWithWarning`` -> ``PassedWithWarning``; ``no row`` stays."""
    if message_id == NO_ROW:
        return NO_ROW
    for result in (W, P, F, NOT_EVALUATED):
        if f".{result}" in message_id:
            return result
    return message_id


def _rule_matches(entry: str, rule_id: str) -> bool:
    return rule_id == entry or (entry.endswith(".") and rule_id.startswith(entry)) or (
        entry == "Linux.LogAnalyticsConnectivityCheck" and rule_id.startswith(entry)
    )


def explain(rule_id: str, umcheck_id: str, official_id: str) -> Explanation | None:
    """The documented deviation for this disagreement, or None (first match, specific rules first)."""
    u, o = _result(umcheck_id), _result(official_id)
    if u == NOT_EVALUATED and not rule_id.startswith("Linux."):
        return Explanation(rule_id, "NotEvaluated", frozenset({u}), frozenset({o}), NOT_EVALUATED_NOTE)
    for entry in EXPLANATIONS:
        if _rule_matches(entry.rule_id, rule_id) and u in entry.umcheck and o in entry.official:
            return entry
    return None
