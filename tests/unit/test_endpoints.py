"""Endpoint derivation: documented tables, account-specific records, unknown regions, official compat."""

from __future__ import annotations

import pytest

from umcheck.endpoints import ACCOUNT_MONIKERS, LEGACY_MONIKERS, official_windows_hosts, plan_endpoints


@pytest.mark.parametrize(
    "cloud,location,jrds,agentsvc",
    [
        ("public", "westeurope", "we-jobruntimedata-prod-su1.azure-automation.net", "{workspace}.agentsvc.azure-automation.net"),
        ("public", "West Europe", "we-jobruntimedata-prod-su1.azure-automation.net", "{workspace}.agentsvc.azure-automation.net"),
        ("public", "australiaeast", "ae-jobruntimedata-prod-su1.azure-automation.net", "{workspace}.agentsvc.azure-automation.net"),
        ("public", "usgovvirginia", "usge-jobruntimedata-prod-su1.azure-automation.us", "{workspace}.agentsvc.azure-automation.us"),
        ("usgov", "usgovarizona", "phx-jobruntimedata-prod-su1.azure-automation.us", "{workspace}.agentsvc.azure-automation.us"),
        ("china", "chinaeast2", "sha2-jobruntimedata-prod-su1.azure-automation.cn", "{workspace}.agentsvc.azure-automation.cn"),
    ],
)
def test_legacy_records(cloud, location, jrds, agentsvc) -> None:
    plan = plan_endpoints(cloud, location)
    assert plan.get("jrds").template == jrds
    assert plan.get("https").template == f"https://{jrds}"
    assert plan.get("agentsvc").template == agentsvc
    assert not plan.unknown_region


def test_log_analytics_tld_follows_cloud_fixing_arizona() -> None:
    assert plan_endpoints("public", "usgovarizona").get("ods").template == "{workspace}.ods.opinsights.azure.us"
    assert official_windows_hosts("usgovarizona", "ws")["ods"] == "ws.ods.opinsights.azure.com"  # the official bug


def test_account_specific_record_when_account_known() -> None:
    plan = plan_endpoints("public", "japanwest", account_id="0000-acc")
    assert plan.get("jrds").template == "0000-acc.jrds.jpw.azure-automation.net"
    assert plan_endpoints("public", "chinanorth2", account_id="a").get("jrds").template == "a.jrds.bjs2.azure-automation.cn"


def test_unknown_region_is_reported_never_eus2() -> None:
    plan = plan_endpoints("public", "swedencentral")
    assert plan.unknown_region and plan.get("jrds") is None and plan.get("https") is None
    assert "swedencentral" in plan.notes[0]
    assert official_windows_hosts("swedencentral", "ws")["jrds"].startswith("eus2-")  # what the official does


def test_region_only_in_account_table_hints_at_account_id() -> None:
    plan = plan_endpoints("public", "japanwest")
    assert plan.unknown_region and "account id" in plan.notes[0]


def test_no_location_probes_only_what_the_machine_records() -> None:
    plan = plan_endpoints("public", None)
    assert not plan.unknown_region and plan.get("jrds") is None and "recorded" in plan.notes[0]


def test_bad_cloud() -> None:
    with pytest.raises(ValueError):
        plan_endpoints("mars", "westeurope")


def test_tables_are_consistent() -> None:
    for loc, moniker in LEGACY_MONIKERS.items():
        if loc in ACCOUNT_MONIKERS and loc != "switzerlandnorth":
            assert ACCOUNT_MONIKERS[loc] == moniker, loc
    assert len(ACCOUNT_MONIKERS) == 43
