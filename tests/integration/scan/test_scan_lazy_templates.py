"""Lazy templating end to end: one host's undefined password skips that host, not the fleet.

Ten simulated hosts; one host's ``ansible_password`` is ``{{ undefined_pw }}`` and every host
carries templates nothing uses (``ansible_python_interpreter: "{{ ansible_playbook_python }}"``,
an unrelated undefined reference). As in Ansible, values are rendered when used, for the host
they are used for: nine hosts are scanned, the tenth is ``skipped`` with a one-line reason
naming the variable, where it was written and how to supply it.
"""

from __future__ import annotations

import re

import pytest

from umcheck.results import HostStatus

from .e2e import expected_readiness, run_sync, scan_fleet, spec

BROKEN = "lazy-win-05"


def _specs():
    return [spec(f"lazy-win-{i:02d}", "winrm", auth="ntlm") for i in range(1, 7)] + [
        spec(f"lazy-lnx-{i:02d}", "ssh") for i in range(1, 5)
    ]


def _edit(doc, fleet) -> None:
    doc["all"]["vars"] = {
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "unrelated": "{{ nothing_defines_this }}",
    }
    doc["all"]["children"]["windows_winrm"]["hosts"][BROKEN]["ansible_password"] = "{{ undefined_pw }}"


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    return run_sync(scan_fleet(_specs(), tmp_path_factory.mktemp("lazy"), forks=10, edit_inventory=_edit), timeout=600)


def test_nine_hosts_scanned_one_skipped(scan):
    statuses = {h.name: h.status for h in scan.fleet.hosts}
    assert len(statuses) == 10
    assert [n for n, s in statuses.items() if s == HostStatus.SKIPPED] == [BROKEN]
    for name, s in scan.specs.items():
        if name != BROKEN:
            h = scan.host(name)
            assert h.status == HostStatus.OK, f"{name}: {h.status} ({h.error})"
            assert h.readiness == expected_readiness(s)


def test_skip_reason_names_variable_file_line_and_fix(scan):
    reason = scan.host(BROKEN).error
    assert "\n" not in reason
    assert re.fullmatch(
        rf"not scanned: ansible_password refers to undefined variable 'undefined_pw' \({re.escape(str(scan.inventory))}"
        r":\d+\); pass -e undefined_pw=\.\.\., define it in the inventory \(a vault-encrypted vars file for secrets\) "
        r"or give the password with --password-env NAME / -k",
        reason,
    ), reason
