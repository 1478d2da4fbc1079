"""``umcheck sim``: run the fleet simulator in the foreground (Ctrl-C / SIGTERM stops it)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from umcheck.errors import UsageError

if TYPE_CHECKING:  # the simulator is imported only when the subcommand runs (keeps `umcheck --help` fast)
    from umcheck.sim.fleet import Fleet
    from umcheck.sim.scenario import Scenario

PASSWORD_ENV = "UMCHECK_SIM_PASSWORD"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sim", help="simulated fleet on loopback (WinRM, PSRP, SSH)",
                              description="Fleet simulator: real protocol servers on 127.0.0.0/8.")  # fmt: skip
    sub = p.add_subparsers(dest="sim_command", metavar="ACTION")
    start = sub.add_parser("start", help="start simulated hosts and write an inventory for them")
    start.add_argument("--hosts", type=int, metavar="N", help="number of hosts (mix: generated; file: the first N)")
    start.add_argument("--scenario", default=None, metavar="FILE|mix",
                       help="scenario YAML, a shipped name (small, all-states, faults, kerberos) or 'mix' (default: small, "
                            "or mix when --hosts is given)")  # fmt: skip
    start.add_argument("--seed", type=int, default=0, help="seed of the mix generator (default 0)")
    start.add_argument("--write-inventory", metavar="PATH", help="write an Ansible-style YAML inventory here")
    start.add_argument("--password-env", default=PASSWORD_ENV, metavar="VAR",
                       help=f"environment variable holding the password hosts accept (default {PASSWORD_ENV})")  # fmt: skip
    start.add_argument("--user", default="simadmin", help="user name for mix hosts (default simadmin)")
    start.add_argument("--first-address", default="127.0.0.2", metavar="IP", help="first loopback address")
    start.add_argument("--winrm-port", type=int, default=5985)
    start.add_argument("--winrm-https-port", type=int, default=5986)
    start.add_argument("--ssh-port", type=int, default=22)
    start.add_argument("--ephemeral-ports", action="store_true", help="let every listener pick a free port")
    start.add_argument("--state-dir", metavar="DIR", help="where to write the CA, keys and known_hosts")
    start.add_argument("--ready-file", metavar="PATH", help="write a JSON description of the fleet here when ready")
    start.add_argument("--duration", type=float, metavar="SECONDS", help="stop by itself after this long")
    start.set_defaults(func=_start)
    lst = sub.add_parser("states", help="list machine states, faults and transports")
    lst.set_defaults(func=_states)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _states(args: argparse.Namespace) -> int:
    from umcheck.sim.faults import FAULTS
    from umcheck.sim.hosts import CLIENT_AUTH, TRANSPORTS
    from umcheck.sim.machines import STATES

    for os_family, states in STATES.items():
        print(f"{os_family} states:")
        for name, (text, _) in states.items():
            print(f"  {name:24} {text}")
    for os_family, faults in FAULTS.items():
        print(f"{'winrm/psrp' if os_family == 'windows' else 'ssh'} faults:")
        for name, text in faults.items():
            print(f"  {name:24} {text}")
    print("transports (client auth): " + ", ".join(
        f"{t} ({'/'.join(CLIENT_AUTH[t])})" for t in TRANSPORTS))  # fmt: skip
    return 0


def _scenario(args: argparse.Namespace, password: str) -> Scenario:
    from umcheck.sim.scenario import load_scenario, mix

    if args.hosts is not None and args.hosts < 1:
        raise UsageError("--hosts must be at least 1")
    name = args.scenario or ("mix" if args.hosts else "small")
    if name == "mix":
        return mix(args.hosts or 20, seed=args.seed, password=password, user=args.user)
    scenario = load_scenario(name, password)
    if args.hosts is not None:
        if args.hosts > len(scenario.hosts):
            raise UsageError(f"scenario {scenario.name} has {len(scenario.hosts)} hosts, fewer than --hosts {args.hosts}")
        scenario = type(scenario)(scenario.name, scenario.hosts[: args.hosts], scenario.description)
    return scenario


def _describe(fleet: Fleet, inventory: str | None) -> dict:
    return {
        "hosts": [{"name": h.name, "address": h.address, "os": h.os, "transport": h.transport, "auth": h.spec.client_auth,
                   "user": h.credentials.user, "port": h.port, "ports": h.ports, "states": list(h.spec.states),
                   "faults": list(h.spec.faults)} for h in fleet.hosts],  # fmt: skip
        "ca_file": str(fleet.ca_file),
        "known_hosts": str(fleet.known_hosts),
        "client_key": str(fleet.client_key_file),
        "inventory": inventory,
        "pid": os.getpid(),
        "kerberos": None if fleet.kdc is None else {
            "realm": fleet.kdc.realm, "kdc": f"127.0.0.1:{fleet.kdc.port}", "krb5_config": str(fleet.krb5_conf),
            "kdc_log": str(fleet.kdc.log), "export": f"export KRB5_CONFIG={fleet.krb5_conf}",
            "hosts": {h.name: fleet.kerberos_fqdn(h.name) for h in fleet.hosts if h.spec.client_auth == "kerberos"}},
    }


async def _serve(args: argparse.Namespace, scenario: Scenario) -> int:
    from umcheck.sim.addresses import CapacityError
    from umcheck.sim.fleet import Fleet, KdcError, Ports

    ports = Ports.ephemeral() if args.ephemeral_ports else Ports(args.winrm_port, args.winrm_https_port, args.ssh_port)
    fleet = Fleet(scenario, first_address=args.first_address, ports=ports, state_dir=args.state_dir)
    try:
        await fleet.start()
    except (CapacityError, KdcError) as exc:
        await fleet.stop()
        raise UsageError(str(exc)) from None
    except OSError as exc:
        await fleet.stop()
        raise UsageError(f"cannot start the simulator: {exc.strerror or exc}") from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if fleet.kdc is not None:  # the acceptors: the realm's config, no replay cache (kdc.py)
        os.environ.update({k: v for k, v in fleet.kdc.env.items() if k in ("KRB5_CONFIG", "KRB5RCACHETYPE")})
    try:
        inventory = None
        if args.write_inventory:
            inventory = str(fleet.write_inventory(args.write_inventory, args.password_env))
        for note in fleet.notes:
            print(f"umcheck sim: note: {note}", file=sys.stderr)
        if args.ready_file:
            tmp = Path(args.ready_file + ".tmp")
            tmp.write_text(json.dumps(_describe(fleet, inventory)))
            tmp.replace(args.ready_file)
        extra = f"; inventory {inventory}" if inventory else ""
        if fleet.kdc is not None:
            print(f"umcheck sim: Kerberos realm {fleet.kdc.realm}, KDC on 127.0.0.1:{fleet.kdc.port} (log "
                  f"{fleet.kdc.log}); before scanning: export KRB5_CONFIG={fleet.krb5_conf}", flush=True)  # fmt: skip
        print(f"umcheck sim: {fleet.summary()}{extra}; CA {fleet.ca_file}; Ctrl-C to stop", flush=True)
        try:
            await asyncio.wait_for(stop.wait(), args.duration)
        except TimeoutError:
            pass
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await fleet.stop()
    s = fleet.stats
    print(f"umcheck sim: stopped ({s['http_requests']} HTTP requests, {s['ssh_execs']} SSH commands, "
          f"{s['collector_runs']} collector runs)", flush=True)  # fmt: skip
    return 0


def _start(args: argparse.Namespace) -> int:
    password = os.environ.get(args.password_env)
    if not password:
        raise UsageError(f"set the environment variable {args.password_env} to the password simulated hosts accept")
    scenario = _scenario(args, password)
    return asyncio.run(_serve(args, scenario))
