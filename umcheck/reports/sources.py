"""Where a past run comes from: the history store, a run folder, a journal or a report.json.

``umcheck report`` and friends accept any of these, so reports can be rebuilt even when the
database is gone (from the journal) or was never written (a run folder copied off a jump host).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from umcheck.errors import InputError, UsageError
from umcheck.journal import JOURNAL_NAME, read_journal
from umcheck.reports.runref import resolve_ref
from umcheck.results import FleetResult
from umcheck.retention import run_folders
from umcheck.store import display, is_url
from umcheck.typed_load import ShapeError

if TYPE_CHECKING:
    from umcheck.store import Store


@dataclass
class LoadedRun:
    fleet: FleetResult
    run_dir: Path  # where regenerated reports go by default
    store: Store | None = None  # set when the run came from (or is in) the history store


def read_report_json(path: Path) -> FleetResult:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read report: {exc.strerror}", path=str(path)) from None
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(
            f"not valid JSON: {exc.msg if hasattr(exc, 'msg') else exc}", path=str(path), line=line
        ) from None
    try:
        return FleetResult.from_dict(data)
    except ShapeError as exc:
        raise InputError(f"not an umcheck report: {exc}", path=str(path)) from None


def _from_path(path: Path) -> LoadedRun:
    if path.is_dir():
        if (path / JOURNAL_NAME).is_file():
            return LoadedRun(read_journal(path).to_fleet(), path)
        if (path / "report.json").is_file():
            return LoadedRun(read_report_json(path / "report.json"), path)
        raise InputError(f"no {JOURNAL_NAME} or report.json in this folder", path=str(path))
    if path.suffix == ".json":
        return LoadedRun(read_report_json(path), path.parent)
    return LoadedRun(read_journal(path).to_fleet(), path.parent)


def _exists(db: Path | str) -> bool:
    """A SQLite file that is there, or a server URL (whether it answers is the Store's to say)."""
    return is_url(db) or Path(db).is_file()


def _store_holding(db: Path | str, run_id: str) -> Store | None:
    """The history store, if it exists and records this run (for the trend and the diff)."""
    if not _exists(db):
        return None
    from umcheck.store import Store  # SQLAlchemy: only when a history is read

    store = Store(db, create=False)
    if run_id in store.run_ids():
        return store
    store.close()
    return None


def load_run(ref: str, *, db: Path | str, reports_dir: Path) -> LoadedRun:
    """Resolve ``ref`` as a path first, then in the store, then among the run folders."""
    path = Path(ref)
    if path.exists():
        loaded = _from_path(path)
        loaded.store = _store_holding(db, loaded.fleet.run_id)
        return loaded
    if "/" in ref or ref.endswith((".json", ".jsonl")):
        raise InputError("no such file or folder", path=ref)
    store_error: UsageError | None = None
    if is_url(db) or Path(db).exists():
        from umcheck.store import Store  # SQLAlchemy: only when a history is read

        store = Store(db, create=False)
        try:
            run_id = store.resolve(ref)
        except UsageError as exc:
            store_error = exc
            store.close()
        else:
            return LoadedRun(store.load_run(run_id), Path(reports_dir) / run_id, store)
    folders = {p.name: p for p in run_folders(Path(reports_dir))}
    if folders:
        try:
            name = resolve_ref(ref, sorted(folders), where=f"{reports_dir}/")
        except UsageError:
            if store_error is not None:
                raise store_error from None
            raise
        return _from_path(folders[name])
    if store_error is not None:
        raise store_error
    raise UsageError(f"no history database at {display(db)} and no run folders in {reports_dir}/ (run a scan first)")
