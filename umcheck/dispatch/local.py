"""Worker processes on this machine (``--workers N``): placeholder until the process runner lands."""

from __future__ import annotations

HOSTS_PER_EXTRA_WORKER = 10**9  # until ProcessRunner exists, the default stays one process
