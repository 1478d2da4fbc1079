"""Fixtures shared by the integration tests: a real OpenSSH sshd on loopback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sshd import Sshd, start_sshd, stop_sshd  # noqa: E402


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """One sshd for the whole session (see ``tests/integration/sshd.py``)."""
    info, proc = start_sshd(tmp_path_factory.mktemp("sshd"))
    try:
        yield info
    finally:
        stop_sshd(proc)
