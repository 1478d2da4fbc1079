from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import umcheck.cli  # noqa: F401  (the playbook module must import without the CLI)
from umcheck.errors import InputError
from umcheck.playbook import REPORT_FORMATS, Play, Playbook, load_playbook

REPO = Path(__file__).resolve().parents[2]
KNOWN = {"all", "connectivity", "prerequisites", "servicehealth", "permissions", "machineSettings",
         "TlsVersionCheck", "Linux.ProxyCheck"}


def known(selector: str) -> bool:
    return selector in KNOWN


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pb.yml"
    path.write_text(text)
    return path


def test_nightly_playbook() -> None:
    pb = load_playbook(REPO / "playbooks" / "nightly.yml", known)
    assert isinstance(pb, Playbook) and len(pb.plays) == 1
    play = pb.plays[0]
    assert (play.hosts, play.rules, play.history, play.keep_runs) == ("all", ("all",), True, 30)
    assert play.reports == REPORT_FORMATS and play.rerun_failed is None


def test_recheck_connectivity_playbook() -> None:
    play = load_playbook(REPO / "playbooks" / "recheck-connectivity.yml", known).plays[0]
    assert play.rules == ("connectivity",) and play.rerun_failed == "last"


def test_shipped_playbooks_pass_the_real_catalog() -> None:
    for name in ("nightly.yml", "recheck-connectivity.yml"):
        assert load_playbook(REPO / "playbooks" / name).plays  # default hook: the rule catalog if present


def test_full_play_and_defaults(tmp_path: Path) -> None:
    pb = load_playbook(write(tmp_path, """
- name: web tls
  hosts: [windows, "!retired"]
  vars: {umcheck_cloud: usgov, ansible_winrm_read_timeout_sec: 90}
  rules: [TlsVersionCheck, Linux.ProxyCheck]
  forks: 10
  timeout: 60
  connect_timeout: 5.5
  rerun_failed: true
  failed_rule: TlsVersionCheck
  reports: json
  output_dir: out
  history: false
- hosts: linux
"""), known)
    first, second = pb.plays
    assert first.hosts == "windows,!retired" and first.vars["umcheck_cloud"] == "usgov"
    assert (first.forks, first.timeout, first.connect_timeout) == (10, 60.0, 5.5)
    assert (first.rerun_failed, first.failed_rule, first.reports, first.history) == ("last", "TlsVersionCheck",
                                                                                    ("json",), False)
    assert second == Play(name="play #2", hosts="linux", line=14)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.forks = 1  # type: ignore[misc]


def test_rule_hook_may_be_a_collection(tmp_path: Path) -> None:
    path = write(tmp_path, "- hosts: all\n  rules: [Custom]\n")
    assert load_playbook(path, ["custom"]).plays[0].rules == ("Custom",)
    with pytest.raises(InputError, match="unknown rule or group 'Custom'"):
        load_playbook(path, known)


def test_reports_all_and_rerun_run_id(tmp_path: Path) -> None:
    play = load_playbook(write(tmp_path, "- hosts: all\n  reports: [all]\n  rerun_failed: 20240102-0300\n"),
                         known).plays[0]
    assert play.reports == REPORT_FORMATS and play.rerun_failed == "20240102-0300"


@pytest.mark.parametrize(("text", "line", "message"), [
    ("- hosts: all\n  forkz: 5\n", 2, "unknown key 'forkz'"),
    ("- name: x\n  rules: [all]\n", 1, "key 'hosts' is required"),
    ("- hosts: all\n  forks: 0\n", 2, "key 'forks': expected a whole number"),
    ("- hosts: all\n  forks: '5'\n", 2, "key 'forks'"),
    ("- hosts: all\n  timeout: -1\n", 2, "key 'timeout'"),
    ("- hosts: all\n  rules: [conectivity]\n", 2, "unknown rule or group 'conectivity'"),
    ("- hosts: all\n  failed_rule: NoSuchRule\n", 2, "key 'failed_rule': unknown rule"),
    ("- hosts: all\n  reports: [pdf]\n", 2, "unknown report format 'pdf'"),
    ("- hosts: all\n  history: yes please\n", 2, "key 'history': expected true or false"),
    ("- hosts: all\n  keep_runs: 2.5\n", 2, "key 'keep_runs'"),
    ("- hosts: all\n  vars:\n    umcheck_clowd: public\n", 3, "unknown variable 'umcheck_clowd'"),
    ("- hosts: all\n  vars: [a]\n", 2, "key 'vars'"),
    ("- hosts: ''\n", 1, "must not be empty"),
    ("- hosts: all\n- just a string\n", 2, "play #2 must be a mapping"),
    ("hosts: all\n", 1, "non-empty YAML list"),
    ("- hosts: all\n  rules: [all\n", 3, "invalid YAML"),
    ("- hosts: all\n  vars:\n    pw: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n", 3, "vault-encrypted"),
])
def test_schema_errors_name_file_line_and_key(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=message) as err:
        load_playbook(path, known)
    assert str(err.value).startswith(f"{path}:{line}: ")
    assert "\n" not in str(err.value)


def test_missing_playbook_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_playbook(tmp_path / "nope.yml", known)
