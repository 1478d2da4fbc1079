"""Real facts through the real rule engine, recorded in a real store: the merge's inputs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from umcheck.evaluation import evaluate_output
from umcheck.results import FleetResult, HostResult
from umcheck.rules.base import RuleContext
from umcheck.state.scope import scope_for

FACTS = Path(__file__).resolve().parents[2] / "golden" / "facts"


def facts(name: str) -> dict[str, Any]:
    return json.loads((FACTS / f"{name}.json").read_text())


def evaluated(name: str, doc: dict[str, Any], selectors: tuple[str, ...] = (), started: str = "") -> HostResult:
    base = HostResult(name=name, transport="file", started=started or None)
    return evaluate_output(base, json.dumps(doc), RuleContext(location="westeurope"), selectors or None)


def run(run_id: str, started: str, hosts: list[HostResult], selectors: tuple[str, ...] = (), **scope) -> FleetResult:
    hosts = [replace(h, started=started) for h in hosts]
    return FleetResult(run_id=run_id, started=started, finished=started, hosts=hosts, rules=list(selectors),
                       scope=scope_for(selectors, hosts=len(hosts), **scope))  # fmt: skip
