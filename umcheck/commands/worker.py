"""``umcheck worker``: serve one or more segment queues for ``umcheck scan --dispatch`` (docs/celery.md)."""

from __future__ import annotations

import argparse
import os

from umcheck.commands.options import add_vault_options, vault_from
from umcheck.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("worker", help="run hosts sent by 'umcheck scan --dispatch' (a Celery worker per segment)")
    p.add_argument("--queue", "-Q", action="append", required=True, metavar="SEGMENT",
                   help="segment to serve (queue umcheck.SEGMENT; repeatable); hosts choose theirs with "
                        "umcheck_segment (default: default)")  # fmt: skip
    p.add_argument("--broker", metavar="URL", default=os.environ.get("UMCHECK_BROKER"),
                   help="redis://HOST:PORT/DB or rediss://… (default $UMCHECK_BROKER); the password comes "
                        "from $UMCHECK_BROKER_PASSWORD, never the command line")  # fmt: skip
    p.add_argument("--broker-ca", metavar="FILE", default=os.environ.get("UMCHECK_BROKER_CA") or None,
                   help="CA certificate(s) that signed a rediss:// broker's certificate (default: system trust)")
    p.add_argument("--concurrency", "-c", type=int, default=1, metavar="N",
                   help="chunks run at once: 1 = one process (solo pool), N > 1 = N child processes")
    p.add_argument("--forks", "-f", type=int, metavar="N",
                   help="hosts scanned at once within a chunk (default: the controller's --forks)")
    p.add_argument("--visibility-timeout", type=float, default=None, metavar="SECONDS",
                   help="a chunk not acknowledged this long after delivery (its worker died) is handed out "
                        "again; must exceed the longest chunk (default 3600)")  # fmt: skip
    p.add_argument("--password-env", metavar="VAR",
                   help="connection password from this environment variable, for hosts whose inventory sets none")
    p.add_argument("--name", "-n", metavar="NAME",
                   help="worker name recorded with every host it scans (default umcheck-PID@HOSTNAME)")
    p.add_argument("--loglevel", "-l", default="WARNING", help="Celery log level (default WARNING)")
    add_vault_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from umcheck.dispatch.celery import require_celery

    require_celery("umcheck worker")
    from umcheck.dispatch.celery.app import DEFAULT_VISIBILITY_TIMEOUT
    from umcheck.dispatch.celery.broker import broker_from
    from umcheck.dispatch.celery.task import WorkerConfig
    from umcheck.dispatch.celery.worker import WorkerOptions, run_worker
    from umcheck.inventory.connection import _segment

    if not args.broker:
        raise UsageError("umcheck worker: give --broker redis://HOST:PORT/DB (or set UMCHECK_BROKER)")
    for q in args.queue:
        try:
            _segment(q)
        except ValueError as exc:
            raise UsageError(f"--queue {q!r}: {exc}") from None
    if args.concurrency < 1 or (args.forks is not None and args.forks < 1):
        raise UsageError("--concurrency and --forks: give 1 or more")
    visibility = DEFAULT_VISIBILITY_TIMEOUT if args.visibility_timeout is None else args.visibility_timeout
    if visibility <= 0:
        raise UsageError("--visibility-timeout: give a positive number of seconds")
    password = None
    if args.password_env:
        password = os.environ.get(args.password_env)
        if password is None:
            raise UsageError(f"--password-env {args.password_env}: that environment variable is not set")
    broker = broker_from(args.broker, ca_file=args.broker_ca)
    config = WorkerConfig(broker=broker, vault=vault_from(args), password=password, forks=args.forks)
    options = WorkerOptions(tuple(dict.fromkeys(args.queue)), args.name, args.concurrency, visibility,
                            args.loglevel.upper())  # fmt: skip
    return run_worker(config, options)
