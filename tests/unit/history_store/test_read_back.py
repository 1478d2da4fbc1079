"""A run read back from the history (``umcheck report``): each host converted as it is read, its
stored JSON kept as the encoded form when this umcheck version wrote it (never encoded again),
and re-encoded when another version did; on both backends."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from tests.unit.state.helpers import evaluated, facts, run
from umcheck import __version__
from umcheck.store import Store
from umcheck.store.schema import hosts

T0 = "2026-12-01T02:00:00+00:00"


def _fleet():
    hosts_ = [evaluated(n, facts(s)) for n, s in (("A", "windows-healthy"), ("B", "windows-tls-disabled"))]
    return replace(run("r1", T0, hosts_), umcheck_version=__version__)  # as the runner records it


def test_a_run_this_version_wrote_is_read_back_with_its_stored_text(history_db):
    fleet = _fleet()
    with Store(history_db) as store:
        store.save_run(fleet)
        stored = dict(store._conn.execute(select(hosts.c.name, hosts.c.result_z)).all())
        back = store.load_run("r1")
    assert [h.name for h in back.hosts] == ["A", "B"]
    for mine, read in zip(fleet.hosts, back.hosts, strict=True):
        assert read == mine
        assert read.__dict__["_packed"] == (stored[read.name], None)  # the stored bytes, adopted: not encoded
        assert read.json_z() == stored[read.name]
        assert read.json_text() == mine.json_text()
        assert read.outcome_texts() == mine.outcome_texts()  # the offsets are found when asked for
    shared = {id(o.CheckResultMessage) for h in back.hosts for o in h.outcomes if o.CheckResult == "Passed"}
    assert len(shared) < sum(1 for h in back.hosts for o in h.outcomes if o.CheckResult == "Passed")


def test_a_run_another_version_wrote_is_encoded_again(history_db):
    fleet = replace(_fleet(), umcheck_version="0.0.1")
    with Store(history_db) as store:
        store.save_run(fleet)
        back = store.load_run("r1")
    for mine, read in zip(fleet.hosts, back.hosts, strict=True):
        assert "_packed" not in read.__dict__  # nothing adopted: the text is this version's encoding
        assert read.json_text() == mine.json_text()
