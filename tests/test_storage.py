"""Schema, migrations, connection settings and transactions."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.errors import StudyError
from analysis.storage import Store, latest_schema_version, resolve_db_path, schema_version


def test_new_database_has_every_table_and_latest_schema(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    tables = set(store.db.table_names())
    assert {
        "projects",
        "users",
        "participants",
        "participant_attributes",
        "transcripts",
        "speakers",
        "turns",
        "segments",
        "codebook_versions",
        "codes",
        "codings",
        "memos",
        "audit_log",
    } <= tables
    assert schema_version(store.db) == latest_schema_version() >= 1
    store.close()


def test_file_database_uses_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    assert store.db.journal_mode == "wal"
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    store.close()


def test_reopening_applies_no_migration_twice(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Store.open(path).close()
    store = Store.open(path)
    assert schema_version(store.db) == latest_schema_version()
    store.close()


def test_transaction_rolls_back_change_and_audit_together(store: Store) -> None:
    project = store.get_or_create_project("p")
    with pytest.raises(RuntimeError), store.transaction():
        store.get_or_create_participant(project.id, "P01")
        store.audit(actor="sam", action="x", table="participants", row_id=1)
        raise RuntimeError("boom")
    assert store.list_participants(project.id) == []
    assert store.audit_entries() == []


def test_db_path_prefers_option_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDY_DB", "/tmp/from-env.db")
    assert resolve_db_path("/tmp/option.db") == Path("/tmp/option.db")
    assert resolve_db_path(None) == Path("/tmp/from-env.db")
    monkeypatch.delenv("STUDY_DB")
    default = resolve_db_path(None)
    assert default.parts[-2:] == ("data", "study.db")
    assert default.parent.parent == Path(__file__).resolve().parent.parent


def test_a_file_that_is_not_sqlite_gives_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StudyError, match=r"notes\.db"):
        Store.open(bogus)


def test_copy_to_makes_an_identical_study(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a.db")
    project = store.get_or_create_project("p", "Pilot")
    store.get_or_create_participant(project.id, "P07")
    store.copy_to(tmp_path / "b.db")
    copy = Store.open(tmp_path / "b.db")
    assert [p.pseudonym for p in copy.list_participants(project.id)] == ["P07"]
    copy.close()
    store.close()
