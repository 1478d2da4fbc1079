"""A function run in a thread of its own, its result (or exception) collected later.

The post-scan work of a big fleet is two halves that wait on different things: recording the run
(SQLite or PostgreSQL doing the work, the GIL released) and writing the reports that need nothing
from the history (zlib and file writes, the GIL released too). Run side by side on two cores,
10,000 hosts' post-scan takes the longer half, not the sum (docs/scaling.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class BackgroundCall(threading.Thread, Generic[T]):
    """``call()`` in a thread; ``result()`` waits for it and returns its value or raises its error.

    A daemon: Ctrl-C ends the process at once, as when the run was recorded in the main thread; a
    run half recorded is rolled back by the database (SQLite's journal, PostgreSQL's transaction),
    and the run's journal still holds every host."""

    def __init__(self, call: Callable[[], T], name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._call = call
        self._value: T | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            self._value = self._call()
        except BaseException as exc:  # noqa: BLE001 - handed to result()'s caller
            self._error = exc
        finally:
            _give_back_freed_memory()

    def result(self) -> T:
        self.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def _give_back_freed_memory() -> None:
    """glibc gives a second thread a malloc arena of its own and keeps its freed pages; the
    recording's batches (megabytes at 10,000 hosts) would then add to the peak of the HTML built
    after it. ``malloc_trim`` returns them (≈ 4 MB measured; nothing to do without glibc)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
