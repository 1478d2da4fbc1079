"""The line protocol between ``--workers`` child processes and the parent.

Parent -> child (stdin): one length-prefixed pickle of a ``ChildJob``, then nothing; the pipe
stays open, and its end of file tells the child that the parent is gone. Pickle is safe here: the
only writer is the parent that started the child, over a pipe no one else holds.

Child -> parent (stdout): one JSON object per line, flushed per event — ``{"t": "s", "n": NAME}``
(host started), ``{"t": "f", "r": HOSTRESULT}`` (host finished), ``{"t": "done"}`` (share over).
The parent treats anything else — a torn or garbled line, a host outside the share, a host
finished twice — as a broken child, so a child bug can never put a wrong result in the report.
"""

from __future__ import annotations

import json
import pickle
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from umcheck.plan import HostTarget, RunOptions
from umcheck.results import HostResult
from umcheck.state.cells import Cell
from umcheck.typed_load import ShapeError

LINE_LIMIT = 256 * 1024 * 1024  # a HostResult line (outcomes, evidence) is KBs; output is capped long before
_LENGTH = struct.Struct("!Q")


class ProtocolError(Exception):
    """A child wrote something that is not the protocol."""


@dataclass(frozen=True)
class ChildJob:
    """One share of the plan, as a child runs it (credentials inside the targets: pipe only)."""

    index: int  # worker number, for its stderr prefix
    targets: list[HostTarget]
    options: RunOptions  # forks already divided among the children
    earlier: Mapping[str, Mapping[str, Cell]] = field(default_factory=dict)
    started: str = ""  # the run's start: carried outcomes get their age from it, as in one process
    trace: bool = False  # -vvv: transport events on the child's stderr


def encode_job(job: ChildJob) -> bytes:
    data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


def read_job(stream: IO[bytes]) -> ChildJob:
    head = stream.read(_LENGTH.size)
    if len(head) != _LENGTH.size:
        raise ProtocolError("no job on stdin")
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    if len(data) != size:
        raise ProtocolError("the job on stdin was cut short")
    job = pickle.loads(data)  # noqa: S301 - written by our own parent over a private pipe
    if not isinstance(job, ChildJob):
        raise ProtocolError("stdin did not carry a job")
    return job


def started_line(name: str) -> bytes:
    return json.dumps({"t": "s", "n": name}).encode() + b"\n"


def finished_line(result: HostResult) -> bytes:
    return b'{"t":"f","r":' + result.json_text().encode() + b"}\n"


DONE_LINE = b'{"t":"done"}\n'


@dataclass(frozen=True)
class Event:
    kind: str  # started | finished | done
    name: str = ""
    result: HostResult | None = None


def decode(line: bytes, pending: set[str]) -> Event:
    """One line from a child, checked against the hosts it still owes (``pending``)."""
    try:
        record: Any = json.loads(line)
    except ValueError:
        raise ProtocolError(f"unreadable line ({len(line)} bytes)") from None
    if not isinstance(record, dict):
        raise ProtocolError("a line that is not an object")
    kind = record.get("t")
    if kind == "done":
        if pending:
            raise ProtocolError(f"done with {len(pending)} host(s) unreported")
        return Event("done")
    if kind == "s":
        name = record.get("n")
        if not isinstance(name, str) or name not in pending:
            raise ProtocolError("a start for a host outside its share")
        return Event("started", name)
    if kind == "f":
        data = record.get("r")
        if not isinstance(data, dict):
            raise ProtocolError("a result that is not an object")
        try:
            result = HostResult.from_dict(data)
        except (ShapeError, ValueError, TypeError) as exc:
            raise ProtocolError(f"a malformed result: {str(exc)[:200]}") from None
        if result.name not in pending:
            raise ProtocolError("a result for a host outside its share, or one already reported")
        return Event("finished", result.name, result)
    raise ProtocolError("an unknown line type")
