"""Backups: `backup_study` copies the whole study with SQLite's online backup API, even
while someone writes; `restore_study` brings every row back exactly as it was backed up,
keeps the replaced study beside it, and refuses a file that is not a study database this
version can open without touching the study. Also from the command line."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from analysis.backup import backup_study, check_backup, restore_study
from analysis.cli import cli
from analysis.consent import withdraw_participant
from analysis.errors import InputFileError, InvalidRequestError, PermissionDeniedError
from analysis.memos import add_memo
from analysis.storage import Store, latest_schema_version, migrations, schema_version
from analysis.study import open_study
from analysis.themes import list_themes, update_theme
from analysis.transcripts import UploadedFile, import_transcripts
from tests.test_faults import synthetic_transcript, table_rows


def _change_everything(store: Store) -> None:
    """Work done after the backup: an import, a memo, a theme edit and a withdrawal."""
    project = store.list_projects()[0]
    import_transcripts(
        store, project.id, [UploadedFile("T01.txt", synthetic_transcript(1))], actor="lead"
    )
    add_memo(store, project.id, "transcripts", 1, "written after the backup", author="lead")
    theme = list_themes(store, project.id, actor="lead")[0]
    update_theme(
        store,
        theme.id,
        name="Renamed after the backup",
        description=theme.description,
        code_keys=list(theme.code_keys),
        revision=theme.revision,
        actor="lead",
    )
    withdraw_participant(store, project.id, "Jun", actor="lead")


def test_restore_brings_back_every_row_as_it_was_backed_up(demo_db: Path, tmp_path: Path) -> None:
    store = Store.open(demo_db)
    at_backup = table_rows(store)
    report = backup_study(store, tmp_path / "backup.db", actor="lead")
    assert report.path == tmp_path / "backup.db"
    assert report.size_bytes == report.path.stat().st_size > 0
    assert (report.schema_version, report.audited) == (latest_schema_version(), True)
    assert not list(tmp_path.glob(".*partial*"))
    # The backup is one self-contained file, sound, and of this version's schema.
    assert check_backup(report.path) == latest_schema_version()
    assert not Path(f"{report.path}-wal").exists()
    [audited] = store.audit_entries(limit=1)
    assert (audited.actor, audited.action) == ("lead", "back up study")

    _change_everything(store)
    changed = table_rows(store)
    assert changed != at_backup

    restored = restore_study(store, report.path, actor="lead")
    assert restored.kept is not None and restored.kept.name.startswith(
        f"{demo_db.name}.before-restore-"
    )
    latest = latest_schema_version()
    assert (restored.schema_version, restored.upgraded_from) == (latest, latest)
    after = table_rows(store)
    restore_rows = [row for row in after["audit_log"] if row not in at_backup["audit_log"]]
    assert [row[2:4] for row in restore_rows] == [("lead", "restore study")]
    assert {**after, "audit_log": at_backup["audit_log"]} == at_backup
    store.close()

    # Another connection sees the restored study; the replaced one is kept, whole.
    reopened = Store.open(demo_db)
    assert table_rows(reopened) == after
    assert reopened.integrity_problems() == ()
    reopened.close()
    kept = Store.open(restored.kept)
    assert {**table_rows(kept), "audit_log": []} == {**changed, "audit_log": []}
    kept.close()


def test_a_backup_taken_while_another_connection_writes_is_consistent(
    demo_db: Path, tmp_path: Path
) -> None:
    store = Store.open(demo_db)
    project = store.list_projects()[0]
    memos_at_start = store.db["memos"].count
    audits_at_start = store.db["audit_log"].count_where("action = 'add memo'")
    writing, stop = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def write_memos() -> None:
        # Its own connection, as another app session would have. Each memo and its audit
        # row commit together, so a consistent copy has as many of one as of the other.
        writer = Store.open(demo_db)
        try:
            number = 0
            while not stop.is_set():
                add_memo(writer, project.id, "transcripts", 1, f"memo {number}", author="lead")
                writing.set()
                number += 1
                time.sleep(0.005)  # let the backups' audit rows have the lock too
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            writing.set()
            writer.close()

    thread = threading.Thread(target=write_memos)
    thread.start()
    seen: list[int] = []
    try:
        assert writing.wait(timeout=30)
        for number in range(10):
            report = backup_study(store, tmp_path / f"b{number}.db", actor="lead")
            copy = Database(sqlite3.connect(report.path))
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            memos = copy["memos"].count
            added = copy["audit_log"].count_where("action = 'add memo'")
            copy.close()
            assert memos - memos_at_start == added - audits_at_start
            seen.append(memos)
    finally:
        stop.set()
        thread.join()
    final = store.db["memos"].count
    store.close()
    assert not failures, failures
    # Every backup was taken while the memos were being written, each at its own moment.
    assert all(memos_at_start < memos < final for memos in seen), (memos_at_start, seen, final)
    assert seen == sorted(seen) and len(set(seen)) > 1, seen


# -- what a restore refuses -----------------------------------------------------------------


def _newer_schema(path: Path) -> None:
    """A backup as a later version of the platform would write it: one more migration."""
    db = Database(sqlite3.connect(path))
    db["_sqlite_migrations"].insert(
        {
            "migration_set": migrations.name,
            "name": "m999_from_the_future",
            "applied_at": "2099-01-01 00:00:00+00:00",
        }
    )
    db.close()


def _refused_files(folder: Path, backup: Path) -> dict[str, Path]:
    text = folder / "notes.db"
    text.write_text("Interviewer: this is a transcript, not a database\n")
    other = folder / "other.db"
    Database(sqlite3.connect(other))["things"].insert({"id": 1})
    newer = folder / "newer.db"
    newer.write_bytes(backup.read_bytes())
    _newer_schema(newer)
    cut = folder / "cut.db"
    cut.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])
    return {
        "is not an SQLite database": text,
        "is not a study database of this platform": other,
        "was made by a newer version of the platform (schema version "
        f"{latest_schema_version() + 1}; this version opens up to {latest_schema_version()})": newer,
        "or is damaged (database disk image is malformed)": cut,
        "does not exist": folder / "missing.db",
    }


def test_restoring_what_is_not_a_usable_backup_is_refused_and_changes_nothing(
    demo_db: Path, tmp_path: Path
) -> None:
    store = Store.open(demo_db)
    backup = backup_study(store, tmp_path / "backup.db", actor="lead").path
    before = table_rows(store)
    for problem, path in _refused_files(tmp_path, backup).items():
        with pytest.raises(InputFileError) as refused:
            restore_study(store, path, actor="lead")
        assert problem in str(refused.value)
        assert str(refused.value).startswith(path.name)
        assert table_rows(store) == before
    with pytest.raises(InvalidRequestError, match="is the study database itself"):
        restore_study(store, demo_db, actor="lead")
    assert table_rows(store) == before
    assert list(demo_db.parent.glob("*.before-restore-*")) == []
    store.close()


def test_a_backup_of_an_older_schema_is_restored_and_brought_up_to_date(
    tmp_path: Path,
) -> None:
    older = tmp_path / "older.db"
    db = Database(sqlite3.connect(older))
    migrations.apply(db, stop_before="m006_themes_findings_recommendations")
    db["users"].insert(
        {"name": "lead", "role": "project lead", "created_at": "2024-01-01T00:00:00+00:00"}
    )
    db.close()
    assert check_backup(older) == 5
    store, _ = open_study(tmp_path / "study.db")
    store.upsert_user("lead", "project lead")
    report = restore_study(store, older, actor="lead")
    assert (report.upgraded_from, report.schema_version) == (5, latest_schema_version())
    assert schema_version(store.db) == latest_schema_version()
    assert store.db["themes"].exists()
    store.close()


def test_only_a_project_lead_may_back_up_or_restore(demo_db: Path, tmp_path: Path) -> None:
    store = Store.open(demo_db)
    backup = backup_study(store, tmp_path / "backup.db", actor="lead").path
    before = table_rows(store)
    for actor in ("sam.coder", "evaluator"):
        with pytest.raises(PermissionDeniedError, match="may not back up or restore"):
            backup_study(store, tmp_path / f"{actor}.db", actor=actor)
        with pytest.raises(PermissionDeniedError, match="may not back up or restore"):
            restore_study(store, backup, actor=actor)
    assert not list(tmp_path.glob("sam*")) and not list(tmp_path.glob("evaluator*"))
    assert table_rows(store) == before
    store.close()


def test_a_backup_never_overwrites_and_goes_into_a_folder_with_a_dated_name(
    demo_db: Path, tmp_path: Path
) -> None:
    store = Store.open(demo_db)
    first = backup_study(store, tmp_path, actor="lead").path
    assert first.parent == tmp_path
    assert first.name.startswith(f"{demo_db.stem}-backup-") and first.suffix == ".db"
    with pytest.raises(InvalidRequestError, match="already exists"):
        backup_study(store, first, actor="lead")
    # A folder named with a trailing slash is made, not taken for a file name.
    second = backup_study(store, f"{tmp_path / 'new-folder'}/", actor="lead").path
    assert second.parent == tmp_path / "new-folder"
    store.close()


# -- the command line -------------------------------------------------------------------------


def _status(db: Path) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["--db", str(db), "status", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_backup_and_restore_round_trip_on_the_command_line(demo_db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(demo_db)
    out = tmp_path / "backup.db"
    at_backup = _status(demo_db)
    made = runner.invoke(cli, ["--db", db, "backup", str(out), "--json"])
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["path"] == str(out)
    again = runner.invoke(cli, ["--db", db, "backup", str(out)])
    assert again.exit_code == 1 and "already exists" in again.output

    imported = runner.invoke(cli, ["--db", db, "import", str(_one_file(tmp_path))])
    assert imported.exit_code == 0, imported.output
    changed = _status(demo_db)
    assert changed["transcripts"] == at_backup["transcripts"] + 1  # type: ignore[operator]

    declined = runner.invoke(cli, ["--db", db, "restore", str(out)], input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert _status(demo_db) == changed
    restored = runner.invoke(cli, ["--db", db, "restore", str(out)], input="y\n")
    assert restored.exit_code == 0, restored.output
    assert "the previous study is kept as" in restored.output
    assert _status(demo_db) == at_backup

    refused = runner.invoke(cli, ["--db", db, "restore", str(_one_file(tmp_path)), "--yes"])
    assert refused.exit_code == 1
    assert "T01.txt: is not an SQLite database" in refused.output
    assert _status(demo_db) == at_backup


def _one_file(folder: Path) -> Path:
    path = folder / "T01.txt"
    path.write_bytes(synthetic_transcript(1))
    return path
