"""Warnings on stderr as ``umcheck: warning: ...``, each distinct message printed once per command.

Library code keeps logging to the ``umcheck.*`` loggers (``log.warning("h.yml:3: ...")``); the
CLI calls ``install()`` once per command so those records reach the user in umcheck's one-line
format and a warning raised for each of 5,000 hosts is printed once. Without ``install()`` (library
use, tests) Python's logging defaults apply and records still propagate to ``caplog``.
"""

from __future__ import annotations

import logging
import sys

LOGGER = "umcheck"


class _StderrOnce(logging.Handler):
    """Writes each distinct message once to the *current* ``sys.stderr`` (so capture works)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if message in self.seen:
                return
            self.seen.add(message)
            sys.stderr.write(f"umcheck: {record.levelname.lower()}: {message}\n")
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - logging must never break the command
            self.handleError(record)


def install() -> logging.Handler:
    """Route ``umcheck.*`` warnings to stderr, replacing the handler of an earlier command."""
    logger = logging.getLogger(LOGGER)
    for old in [h for h in logger.handlers if isinstance(h, _StderrOnce)]:
        logger.removeHandler(old)
    handler = _StderrOnce()
    logger.addHandler(handler)
    return handler
