"""A PostgreSQL history that cannot be used is one line, with the password masked: exit 2 for
history/diff/report; a scan still writes its reports (tests/integration/history_pg)."""

from __future__ import annotations

import socket

import pytest

from umcheck.cli import main
from umcheck.store import HistoryUnavailable, Store

CANARY = "Canary-Db-Passw0rd!"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


def _cases(postgres) -> dict[str, tuple[str, str]]:
    return {
        "unreachable": (f"postgresql://umcheck:{CANARY}@127.0.0.1:{_closed_port()}/history", "refused"),
        "wrong password": (postgres.url("postgres", password=CANARY), "password authentication failed"),
        "missing database": (postgres.url("no_such_history"), "does not exist"),
    }


@pytest.mark.parametrize("case", ["unreachable", "wrong password", "missing database"])
def test_each_problem_is_one_masked_line(postgres, case):
    url, says = _cases(postgres)[case]
    with pytest.raises(HistoryUnavailable) as caught:
        Store(url)
    text = str(caught.value)
    assert says in text and "\n" not in text and CANARY not in text, text
    assert text.startswith("cannot use the history database postgresql://")
    assert ":***@" in text or case == "missing database"


@pytest.mark.parametrize("command", [["history"], ["diff"], ["report", "last", "-f", "json", "-o", "-"]])
def test_history_diff_and_report_exit_2_with_one_line(postgres, capsys, command, tmp_path):
    url, _says = _cases(postgres)["wrong password"]
    assert main([*command, "--db", url, *(["--reports-dir", str(tmp_path)] if "report" in command else [])]) == 2
    out, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and "password authentication failed" in err, err
    assert CANARY not in out + err


def test_the_password_may_come_from_the_environment(postgres, monkeypatch):
    from tests.postgres import ADMIN_PASSWORD

    name = postgres.create_database()
    try:
        monkeypatch.setenv("UMCHECK_DB_PASSWORD", ADMIN_PASSWORD)
        with Store(postgres.url(name, password=None)) as store:
            assert store.runs() == [] and ADMIN_PASSWORD not in str(store.path)
        monkeypatch.delenv("UMCHECK_DB_PASSWORD")
        monkeypatch.setenv("PGPASSWORD", ADMIN_PASSWORD)  # libpq's own: umcheck never reads it
        with Store(postgres.url(name, password=None)) as store:
            assert store.run_ids() == []
    finally:
        postgres.drop_database(name)
