"""``umcheck demo``: start the simulator with a mixed fleet, scan it, write the reports.

Everything happens on this machine's loopback (127.0.0.x): Windows hosts over WinRM (HTTP with
NTLM message encryption, HTTPS) and PSRP, Linux hosts over SSH, some with problems and a few
with faults, scanned exactly as a real fleet would be.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import threading
from pathlib import Path

from umcheck.commands.scan import print_outcome
from umcheck.errors import UsageError
from umcheck.plan import Timeouts
from umcheck.reports import FORMATS
from umcheck.scan import ScanRequest, exit_code, run_scan

PASSWORD_ENV = "UMCHECK_SIM_PASSWORD"
DEMO_DIR = Path("umcheck-demo")
DEMO_DB = "demo.db"  # not umcheck.db: simulated runs never mix with real history, whatever -o says


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="scan a built-in simulated fleet on loopback and write reports")
    p.add_argument("--hosts", type=int, default=50, help="number of simulated hosts (default 50)")
    p.add_argument("--seed", type=int, default=7, help="seed of the fleet's mix of states (default 7)")
    p.add_argument("-o", "--output-dir", type=Path, default=DEMO_DIR,
                   help=f"the demo's own folder for its runs and its history database {DEMO_DB} "
                        f"(default: {DEMO_DIR}; never your reports/umcheck.db)")  # fmt: skip
    p.add_argument("-f", "--forks", type=int, default=50)
    p.add_argument("--timeout", type=float, default=20.0, help="per-host deadline (default 20 s)")
    p.add_argument("-q", "--quiet", action="count", default=0)
    p.add_argument("-v", "--verbose", action="count", default=0)
    p.set_defaults(func=run)


class SimulatorThread:
    """The simulated fleet in its own thread and event loop, so it never competes with the
    controller's loop, and stops cleanly however the scan ends."""

    def __init__(self, hosts: int, seed: int, password: str):
        from umcheck.sim import Fleet, mix

        self.fleet = Fleet(mix(hosts, seed=seed, password=password))
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, name="umcheck-sim", daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.fleet.start())
        except BaseException as exc:  # reported to the main thread
            self.error = exc
            self.ready.set()
            return
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.fleet.stop())
        self.loop.close()

    def __enter__(self) -> SimulatorThread:
        self.thread.start()
        self.ready.wait(120)
        if self.error is not None:
            raise UsageError(f"the simulator could not start: {self.error}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.hosts <= 2000:
        raise UsageError("--hosts must be between 1 and 2000")
    password = secrets.token_urlsafe(12)  # a throwaway: the simulated hosts accept only this one
    verbosity = args.verbose - args.quiet
    with SimulatorThread(args.hosts, args.seed, password) as sim:
        inventory = sim.fleet.write_inventory(sim.fleet.state_dir / "inventory.yml", PASSWORD_ENV)
        if verbosity >= 0:
            print(f"umcheck demo: simulated {len(sim.fleet.hosts)} hosts on 127.0.0.x "
                  f"(inventory {inventory}); scanning…", flush=True)  # fmt: skip
            for note in sim.fleet.notes:
                print(f"  note: {note}")
        req = ScanRequest(
            inventory=[str(inventory)],
            forks=args.forks,
            timeouts=Timeouts(connect=5.0, host=args.timeout, probe=5.0),
            retries=1,
            formats=FORMATS,
            reports_dir=args.output_dir,
            db=args.output_dir / DEMO_DB,
            verbosity=verbosity,
            environ={**os.environ, PASSWORD_ENV: password},
        )
        outcome = asyncio.run(run_scan(req))
    print_outcome(outcome, verbosity)
    if verbosity >= 0:
        print(f"open {outcome.run_dir / 'report.html'} in a browser; the demo keeps its runs and history "
              f"in {args.output_dir}/ ('umcheck history --db {args.output_dir / DEMO_DB}' lists them)")  # fmt: skip
    # The simulated fleet has problems on purpose; the demo succeeded once its reports exist.
    return 130 if exit_code(outcome.fleet) == 130 else 0
