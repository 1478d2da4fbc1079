"""Share splitting, fork division and the child line protocol (``umcheck.dispatch.lines``)."""

from __future__ import annotations

import io
import json

import pytest

from umcheck.dispatch.lines import (
    DONE_LINE,
    ChildJob,
    ProtocolError,
    decode,
    encode_job,
    finished_line,
    read_job,
    started_line,
)
from umcheck.dispatch.local import divide_forks, split
from umcheck.inventory.connection import ConnectionSettings
from umcheck.plan import RunOptions, target_for
from umcheck.results import HostResult, HostStatus, Readiness

PASSWORD = "CANARY-child-pipe-4e1a"


def targets(n: int):
    options = RunOptions()
    return [target_for(ConnectionSettings(name=f"h{i:03d}", host=f"127.0.0.{i % 250 + 1}", connection="ssh",
                                          user="root", password=PASSWORD), options) for i in range(n)]  # fmt: skip


@pytest.mark.parametrize(("hosts", "shares"), [(10, 2), (11, 2), (7, 3), (100, 4), (3, 8), (1, 2)])
def test_split_is_balanced_complete_and_in_plan_order(hosts, shares):
    todo = targets(hosts)
    parts = split(todo, shares)
    assert len(parts) == min(shares, hosts)  # never an empty share (a child with nothing to do)
    assert sorted(len(p) for p in parts)[-1] - sorted(len(p) for p in parts)[0] <= 1
    assert sorted(t.name for p in parts for t in p) == [t.name for t in todo]  # every host exactly once
    for p in parts:  # each share keeps plan order, and every share starts at the front of the plan
        assert [t.name for t in p] == sorted(t.name for t in p)
        assert todo.index(p[0]) < len(parts)


def test_split_spreads_a_group_of_similar_hosts_over_every_share():
    todo = targets(40)  # plans list similar hosts together: the first 20 might be one slow segment
    parts = split(todo, 2)
    assert all(sum(1 for t in p if t in todo[:20]) == 10 for p in parts)


@pytest.mark.parametrize(("forks", "shares", "expected"), [(100, 2, [50, 50]), (101, 2, [51, 50]), (10, 3, [4, 3, 3]),
                                                           (1, 2, [1, 1]), (2, 2, [1, 1])])  # fmt: skip
def test_forks_divided_among_children_at_least_one_each(forks, shares, expected):
    assert divide_forks(forks, shares) == expected


def test_a_job_round_trips_through_the_pipe_format():
    job = ChildJob(2, targets(3), RunOptions(forks=7), {}, "2026-01-01T00:00:00.000+00:00", True)
    back = read_job(io.BytesIO(encode_job(job)))
    assert back == job and back.targets[0].settings.password == PASSWORD


@pytest.mark.parametrize("data", [b"", b"\x00\x00", encode_job(ChildJob(1, [], RunOptions()))[:-3]])
def test_a_missing_or_short_job_is_a_protocol_error(data):
    with pytest.raises(ProtocolError):
        read_job(io.BytesIO(data))


def test_lines_decode_to_the_events_the_child_emitted():
    result = HostResult(name="h001", status=HostStatus.OK, readiness=Readiness.READY, address="127.0.0.2",
                        elapsed_ms=12, attempts=1)  # fmt: skip
    pending = {"h001", "h002"}
    assert decode(started_line("h001"), pending).name == "h001"
    event = decode(finished_line(result), pending)
    assert event.kind == "finished" and event.result == result and event.result.to_dict() == result.to_dict()
    pending.discard("h001")
    with pytest.raises(ProtocolError, match="unreported"):
        decode(DONE_LINE, pending)
    assert decode(DONE_LINE, set()).kind == "done"
    assert b"\n" not in finished_line(HostResult(name="x\ny", error="a\nb\u2028c")).rstrip(b"\n")  # one line each


@pytest.mark.parametrize("line", [
    b"not json at all\n",
    b"\x1b]0;pwned\x07\n",
    b"[1, 2]\n",
    b'{"t": "f"}\n',
    b'{"t": "f", "r": {"name": "h001", "status": 5}}\n',
    b'{"t": "f", "r": {"status": "ok"}}\n',
    json.dumps({"t": "f", "r": HostResult(name="elsewhere").to_dict()}).encode() + b"\n",
    b'{"t": "s", "n": "elsewhere"}\n',
    b'{"t": "rm -rf"}\n',
])  # fmt: skip
def test_hostile_or_garbled_lines_are_protocol_errors(line):
    with pytest.raises(ProtocolError):
        decode(line, {"h001"})


def test_a_host_reported_twice_is_a_protocol_error():
    pending = {"h001"}
    decode(finished_line(HostResult(name="h001")), pending)
    pending.discard("h001")  # what the parent does with each finished host
    with pytest.raises(ProtocolError):
        decode(finished_line(HostResult(name="h001")), pending)
