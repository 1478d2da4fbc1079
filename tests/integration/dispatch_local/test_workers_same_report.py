"""`--workers 2` and `--workers 1` on the same simulated fleet write the same reports.

One fleet (WinRM NTLM/Basic, PSRP, SSH password/key; healthy, problem and never-onboarded states;
a few fast faults), scanned twice in a row by run_scan: once in this process, once by two child
processes. Only timing fields may differ — normalised below: the run's ``run_id``, ``started`` and
``finished``, ``summary.duration_seconds``, each host's ``started`` and ``elapsed_ms``, and the run id
in the CSV's first column — plus one value the *host* reports: the simulator's last agent event
time (``evidence.last_event_time``, "now minus two hours" on the simulated machine's clock).
"""

from __future__ import annotations

import collections
import csv
import io
import json
import os

import pytest
from scan.e2e import PASSWORD, PASSWORD_ENV, first_address, run_sync, spec

from umcheck.dispatch import Dispatch
from umcheck.plan import Timeouts
from umcheck.scan import ScanRequest, run_scan
from umcheck.sim import Fleet, Ports

TIMING_RUN = ("run_id", "started", "finished")
TIMING_HOST = ("started", "elapsed_ms")


def _specs():
    specs = []
    for transport, auth in (("winrm", "ntlm"), ("winrm", "basic"), ("psrp", "negotiate"), ("psrp", "ntlm"),
                            ("ssh", "password"), ("ssh", "key")):  # fmt: skip
        problem = ("omsagent_stopped",) if transport == "ssh" else ("tls12_disabled",)
        for i, states in enumerate((("healthy",), problem, ("not_configured",), ("healthy",))):
            specs.append(spec(f"{transport}-{auth}-{i}", transport, auth=auth, states=states))
    specs += [spec("win-refused", "winrm", faults=("refused",)), spec("win-auth", "winrm", faults=("auth_failure",)),
              spec("lnx-garbage", "ssh", faults=("garbage_output",)), spec("win-json", "psrp", faults=("invalid_json",))]
    return specs


async def _scan_twice(tmp):
    async with Fleet(_specs(), first_address=first_address(), ports=Ports.ephemeral()) as fleet:
        inventory = fleet.write_inventory(tmp / "inventory.yml", PASSWORD_ENV)
        out = {}
        for workers in (1, 2):
            req = ScanRequest(inventory=[str(inventory)], reports_dir=tmp / f"reports-{workers}", forks=10,
                              timeouts=Timeouts(connect=60, host=120), retries=0, formats=("json", "csv"),
                              verbosity=-1, environ={**os.environ, PASSWORD_ENV: PASSWORD},
                              dispatch=Dispatch(workers=workers))  # fmt: skip
            out[workers] = await run_scan(req)
        return out, {n: dict(c) for n, c in fleet.stats.hosts.items()}


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    return run_sync(_scan_twice(tmp_path_factory.mktemp("workers")), timeout=600)


def _json(outcome) -> dict:
    data = json.loads((outcome.run_dir / "report.json").read_text())
    for key in TIMING_RUN:
        data[key] = None
    data["summary"]["duration_seconds"] = None
    for host in data["hosts"]:
        for key in TIMING_HOST:
            host[key] = None
        for outcome in host["outcomes"]:
            if "last_event_time" in outcome["evidence"]:
                outcome["evidence"]["last_event_time"] = None
    return data


def _csv(outcome) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO((outcome.run_dir / "report.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "run_id"
    return [rows[0]] + [["RUN", *r[1:]] for r in rows[1:]]


def test_every_host_once_and_each_scanned_once_per_run(scans):
    outcomes, stats = scans
    names = sorted(s.name for s in _specs())
    for outcome in outcomes.values():
        assert sorted(h.name for h in outcome.fleet.hosts) == names and not outcome.fleet.interrupted
        journal = [json.loads(x) for x in (outcome.run_dir / "journal.jsonl").read_text().splitlines()]
        assert collections.Counter(r["name"] for r in journal if r["type"] == "host") == collections.Counter(names)
    for s in _specs():  # two runs: the collector ran twice on every host that answers, never more
        if not s.faults or s.faults[0] in ("garbage_output", "invalid_json"):
            assert stats[s.name]["collector_runs"] == 2, (s.name, stats[s.name])


def test_the_fleet_really_was_split_across_processes(scans):
    outcomes, _ = scans
    statuses = collections.Counter(h.status for h in outcomes[2].fleet.hosts)
    assert statuses["ok"] == 24 and all(h.worker is None for h in outcomes[2].fleet.hosts), statuses


def test_json_report_identical_apart_from_timings(scans):
    outcomes, _ = scans
    one, two = _json(outcomes[1]), _json(outcomes[2])
    assert one.keys() == two.keys()
    for key in one:
        if key != "hosts":
            assert one[key] == two[key], key
    assert [h["name"] for h in one["hosts"]] == [h["name"] for h in two["hosts"]]
    for a, b in zip(one["hosts"], two["hosts"], strict=True):
        assert a == b, a["name"]


def test_csv_report_identical_apart_from_the_run_id(scans):
    outcomes, _ = scans
    assert _csv(outcomes[1]) == _csv(outcomes[2])
