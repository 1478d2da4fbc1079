"""Celery dispatch without a broker: URLs and masking, chunking, de-duplication, what crosses the wire."""

from __future__ import annotations

import re

import pytest

from umcheck.dispatch.celery.broker import broker_from, mask, scrub
from umcheck.dispatch.celery.controller import Dedup, chunk_sizes, group_by_segment, split
from umcheck.dispatch.celery.wire import (
    Chunk,
    HostWork,
    NoVaultPassword,
    encrypt,
    literal_password,
    options_from,
    options_json,
    pack,
    unpack,
)
from umcheck.errors import InputError, UsageError
from umcheck.inventory.connection import build_connection
from umcheck.inventory.vault import VaultSecret, VaultSecrets
from umcheck.inventory.vault.decrypt import decrypt_text
from umcheck.inventory.vault.plaintext import DecryptedText, VaultText
from umcheck.plan import RunOptions, Timeouts, target_for
from umcheck.results import HostResult, HostStatus

SECRET = VaultSecrets([VaultSecret("default", "test", b"vault-pw")])


# -- URLs ----------------------------------------------------------------------------------------


def test_mask_hides_any_password_in_a_url() -> None:
    assert mask("redis://:s3cret@broker:6379/0") == "redis://:****@broker:6379/0"
    assert mask("rediss://user:s3cret@broker:6380/1?ssl_cert_reqs=none") == "rediss://user:****@broker:6380/1"
    assert mask("redis://broker:6379/0") == "redis://broker:6379/0"


def test_the_password_comes_from_the_environment_and_is_never_shown() -> None:
    b = broker_from("redis://broker:6379/0", environ={"UMCHECK_BROKER_PASSWORD": "p@ss:word"})
    assert b.url == "redis://:p%40ss%3Aword@broker:6379/0"
    assert b.masked == "redis://:****@broker:6379/0" and "p@ss" not in repr(b)
    assert scrub(f"Error connecting to {b.url}: wrong password p@ss:word", b) == (
        "Error connecting to redis://:****@broker:6379/0: wrong password ****"
    )
    assert broker_from("redis://broker", environ={}).url == "redis://broker/0"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("amqp://broker:5672//", "give redis://HOST:PORT/DB"),
        ("redis://:6379/0", "no host name"),
        ("redis://broker:6379/queue", "must be a database number"),
        ("redis://:pw@broker:notaport/0", "broker URL redis://:****@broker:notaport/0"),
    ],
)
def test_bad_urls_are_one_line_usage_errors_without_the_password(url: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)) as err:
        broker_from(url, environ={})
    assert ":pw@" not in str(err.value)


def test_a_ca_file_is_for_rediss_only(tmp_path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    with pytest.raises(UsageError, match="--broker-ca is for rediss://"):
        broker_from("redis://b/0", ca_file=str(ca), environ={})
    tls = broker_from("rediss://b:6380/0", ca_file=str(ca), environ={})
    assert tls.celery_ssl()["ssl_ca_certs"] == str(ca) and tls.redis_options()["ssl_cert_reqs"] == "required"


# -- segments, chunks, de-duplication ------------------------------------------------------------


def _target(name: str, **vars: object):
    return target_for(build_connection(name, {"ansible_connection": "ssh", **vars}, {}), RunOptions())


def test_hosts_are_grouped_by_segment_in_plan_order() -> None:
    targets = [_target("a1"), _target("d1", umcheck_segment="dmz"), _target("a2"), _target("d2", umcheck_segment="dmz")]
    segments = group_by_segment(targets)
    assert {n: [t.name for t in s.targets] for n, s in segments.items()} == {"default": ["a1", "a2"], "dmz": ["d1", "d2"]}
    assert segments["dmz"].queue == "umcheck.dmz"


def test_a_segment_must_be_a_queue_name() -> None:
    with pytest.raises(InputError, match="umcheck_segment: 'a b' is not a segment name"):
        build_connection("h", {"umcheck_segment": "a b"}, {})


def test_chunks_spread_small_fleets_and_cap_large_ones() -> None:
    assert chunk_sizes(10_000, 4) == 50
    assert chunk_sizes(24, 2) == 12 and chunk_sizes(3, 8) == 1 and chunk_sizes(100, 0) == 50
    assert split(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]


def test_the_first_result_per_host_wins_and_strangers_are_dropped() -> None:
    seen = Dedup(["h1", "h2"])
    assert seen.start("h1") and not seen.start("h1") and not seen.start("other")
    first = HostResult(name="h1", worker="w1@a")
    assert seen.finish(first)
    assert not seen.finish(HostResult(name="h1", worker="w2@b", status=HostStatus.TIMEOUT))
    assert not seen.finish(HostResult(name="other"))
    assert seen.results == {"h1": first} and seen.pending == {"h2"}


# -- what crosses the broker ---------------------------------------------------------------------


def test_a_literal_password_is_found_directly_and_through_templates() -> None:
    assert literal_password({"ansible_password": "Secret1"}) == "ansible_password"
    assert literal_password({"ansible_winrm_pass": "{{ pw }}", "pw": "{{ inner }}", "inner": "x"}) == "ansible_winrm_pass"
    assert literal_password({"ansible_password": "{{ lookup('env', 'PW') }}"}) is None
    assert literal_password({"ansible_password": "{{ pw }}", "pw": VaultText("x", "$ANSIBLE_VAULT;1.1;AES256\n00")}) is None
    assert literal_password({"ansible_password": DecryptedText("from a vaulted file")}) is None
    assert literal_password({"ansible_user": "admin"}) is None
    assert literal_password({"ansible_password": "{{ a }}", "a": "{{ b }}", "b": "{{ a }}"}) is None  # a cycle ends


def test_vault_values_travel_encrypted_and_decrypt_on_the_worker() -> None:
    original = encrypt("inline-pw", next(iter(SECRET)))
    values = {
        "inline": VaultText("inline-pw", original),
        "from_file": DecryptedText("file-pw"),
        "nested": {"list": [1, "two", None, True]},
        "template": "{{ lookup('env', 'X') }}",
    }
    packed = {k: pack(v, SECRET) for k, v in values.items()}
    text = repr(packed)
    assert "inline-pw" not in text and "file-pw" not in text
    assert packed["inline"] == {"__ansible_vault": original}  # the inventory's own ciphertext
    restored = {k: unpack(v, SECRET) for k, v in packed.items()}
    assert restored == values
    assert isinstance(restored["inline"], VaultText) and isinstance(restored["from_file"], DecryptedText)
    with pytest.raises(InputError, match="no vault password was given"):
        unpack(packed["from_file"], None)
    with pytest.raises(NoVaultPassword):
        pack(DecryptedText("x"), None)


def test_encrypt_is_ansible_vault_that_umcheck_decrypts() -> None:
    labelled = VaultSecret("prod", "test", b"pw2")
    blob = encrypt("héllo", labelled)
    assert blob.startswith("$ANSIBLE_VAULT;1.2;AES256;prod\n")
    assert decrypt_text(blob, VaultSecrets([labelled]), "x", None, "value") == "héllo"


def test_options_and_chunks_round_trip_as_json() -> None:
    import json

    options = RunOptions(forks=7, timeouts=Timeouts(connect=3, host=40, probe=2), selectors=("legacy",),
                         probe_overrides=(("a", "b"),))  # fmt: skip
    assert options_from(json.loads(json.dumps(options_json(options)))) == options
    chunk = Chunk("run-1", "dmz", options_json(options), [HostWork("h1", {"v": 1}, ["g"], [])])
    again = Chunk.from_json(json.loads(json.dumps(chunk.to_json())))
    assert again == chunk and again.run_options() == options
    with pytest.raises(ValueError, match="upgrade umcheck"):
        Chunk.from_json({**chunk.to_json(), "version": 99})


def test_the_dispatch_deadline_covers_every_wave_and_one_redelivery() -> None:
    from umcheck.dispatch import Dispatch
    from umcheck.dispatch.celery.controller import CeleryRunner, WorkerInfo

    runner = CeleryRunner(Dispatch(broker="redis://127.0.0.1:1/0"), RunOptions(forks=10), lambda s: None, [], None)
    runner.segments = group_by_segment([_target(f"h{i}", umcheck_timeout=30) for i in range(200)])
    runner.segments["default"].workers = [WorkerInfo("w@a", concurrency=2, forks=10, visibility_timeout=600)]
    # 200 hosts, 2 slots -> chunks of 50 -> 4 chunks = 2 rounds x 5 waves of 10 forks, at 30 s (+2 s grace) each
    assert runner.budget() == 2 * 5 * 32 + 600 + 10 + 60


def test_equal_strings_of_parsed_results_become_one_object() -> None:
    import json

    from umcheck.shared_strings import share_strings

    memo: dict[str, str] = {}
    a = share_strings(json.loads('{"msg": ["a long remediation text"], "n": 1}'), memo)
    b = share_strings(json.loads('{"msg": ["a long remediation text"], "n": 1}'), memo)
    assert a == b and a["msg"][0] is b["msg"][0]


def test_earlier_cells_travel_with_their_host() -> None:
    import json

    from umcheck.dispatch.celery.wire import earlier_cells
    from umcheck.results import RuleOutcome
    from umcheck.state.cells import Cell

    outcome = RuleOutcome("R1", "G", "Rule one", "Group", None, "Passed", "fine", "R1.Passed", [])
    cells = {"R1": Cell("h1", "R1", "run-0", "2026-01-01T00:00:00.000+00:00", outcome),
             "R2": Cell("h1", "R2", "run-0", "2026-01-01T00:00:00.000+00:00", None)}  # fmt: skip
    chunk = Chunk("run-1", "default", options_json(RunOptions()), [HostWork("h1", {}, [], earlier_cells(cells)),
                                                                    HostWork("h2", {}, [], [])])  # fmt: skip
    assert Chunk.from_json(json.loads(json.dumps(chunk.to_json()))).earlier() == {"h1": cells}
