"""What the benches read off a running scan: when its journal holds the first and the last host,
and the controller's CPU and peak RSS at that moment (/proc, Linux) — the split between the scan
and the post-scan work (reports, history)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of a running process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int | None) -> float | None:
    """VmHWM (peak resident memory) of a running process, in MB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (OSError, TypeError):
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return int(fields["VmHWM"].split()[0]) / 1024


class JournalWatch(threading.Thread):
    """Times the first and the last host line of the run's journal (50 ms resolution); set ``pid``
    to the controller's to get its CPU and peak RSS when the last host is journaled."""

    def __init__(self, out: Path, hosts: int):
        super().__init__(daemon=True)
        self.out, self.hosts = out, hosts
        self.earlier = set(out.glob("*/journal.jsonl"))  # earlier runs' journals in the same folder
        self.first: float | None = None
        self.done_at: float | None = None
        self.pid: int | None = None
        self.cpu_at_done: float | None = None
        self.rss_at_done: float | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        journal, seen, pos = None, 0, 0
        while not self.stop.wait(0.05):
            if journal is None:
                found = [j for j in self.out.glob("*/journal.jsonl") if j not in self.earlier]
                if not found:
                    continue
                journal = found[0]
            with journal.open("rb") as f:
                f.seek(pos)
                chunk = f.read()
            cut = chunk.rfind(b"\n") + 1
            pos += cut
            new = chunk[:cut].count(b'{"type":"host"')
            if new and self.first is None:
                self.first = time.monotonic()
            seen += new
            if seen >= self.hosts:
                self.done_at = time.monotonic()
                self.cpu_at_done, self.rss_at_done = cpu_seconds(self.pid), peak_rss_mb(self.pid)
                return
