"""``-vvv`` with ``--workers 2``: the children's transport events arrive in this process's
``umcheck.transport`` logger, so they print (and can be collected) exactly as in one process."""

from __future__ import annotations

import logging
import os

from scan.e2e import PASSWORD, PASSWORD_ENV, first_address, run_sync, spec

from umcheck.dispatch import Dispatch
from umcheck.plan import Timeouts
from umcheck.scan import ScanRequest, run_scan
from umcheck.sim import Fleet, Ports


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def _scan(tmp):
    specs = [spec("tw-win-1", "winrm"), spec("tw-win-2", "winrm"), spec("tw-lnx-1", "ssh", auth="key"),
             spec("tw-psrp-1", "psrp", auth="negotiate")]  # fmt: skip
    async with Fleet(specs, first_address=first_address(), ports=Ports.ephemeral()) as fleet:
        inventory = fleet.write_inventory(tmp / "inventory.yml", PASSWORD_ENV)
        req = ScanRequest(inventory=[str(inventory)], reports_dir=tmp / "reports", forks=4, formats=("json",),
                          timeouts=Timeouts(connect=60, host=120), verbosity=-1, history=False,
                          environ={**os.environ, PASSWORD_ENV: PASSWORD}, dispatch=Dispatch(workers=2))  # fmt: skip
        return await run_scan(req)


def test_transport_tracing_from_the_workers(tmp_path):
    records, log = Records(), logging.getLogger("umcheck.transport")
    old_level = log.level
    log.setLevel(logging.DEBUG)
    log.addHandler(records)
    try:
        outcome = run_sync(_scan(tmp_path), timeout=300)
    finally:
        log.removeHandler(records)
        log.setLevel(old_level)
    assert {h.status for h in outcome.fleet.hosts} == {"ok"}
    for name, how in (("tw-win-1", "winrm"), ("tw-win-2", "winrm"), ("tw-lnx-1", "ssh"), ("tw-psrp-1", "psrp")):
        assert any(m.startswith(f"{name}: {how} to ") for m in records.messages), (name, records.messages)
        assert any(m.startswith(f"{name}: collector exited rc=0") for m in records.messages), name
    assert not any(PASSWORD in m for m in records.messages)
