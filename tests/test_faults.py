"""Faults: an import killed mid-write leaves nothing behind, a full disk or a read-only
database gives a clear error and loses no earlier work, and two people editing the same
theme in the app do not silently overwrite each other."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from analysis.cli import cli
from analysis.errors import DatabaseFullError, DatabaseReadOnlyError
from analysis.storage import Store
from analysis.study import open_study
from analysis.themes import get_theme, list_themes
from analysis.transcripts import UploadedFile, import_transcripts
from tests.test_pages import open_page

REPO_ROOT = Path(__file__).resolve().parent.parent
BATCH = 30
PLACES = (
    "the counselling waiting list",
    "my personal tutor",
    "the wellbeing drop-in",
    "the GP surgery",
    "the out-of-hours crisis line",
    "exam stress",
    "my flatmates",
    "the library at night",
)


def synthetic_transcript(number: int, *, turns: int = 40) -> bytes:
    """An interview written for these tests: labelled turns, different in every file."""
    lines = []
    for turn in range(turns):
        place = PLACES[(number + turn) % len(PLACES)]
        lines.append(f"Interviewer: Interview {number}, question {turn}: how did {place} feel?")
        lines.append(
            f"Participant: In interview {number} I said {place} took {turn + number} days to "
            "answer. After that it was easier to keep going to lectures."
        )
    return ("\n\n".join(lines) + "\n").encode()


def write_batch(folder: Path, count: int = BATCH) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        path = folder / f"T{number:02d}.txt"
        path.write_bytes(synthetic_transcript(number))
        paths.append(path)
    return paths


def table_rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that nothing at all changed."""
    return {
        name: sorted(tuple(row.values()) for row in store.db[name].rows)
        for name in store.db.table_names()
    }


def new_study(db: Path) -> None:
    """A study file with its project and the command line's lead account, as `status`
    leaves it, so the only write a later command makes is its own."""
    result = CliRunner().invoke(cli, ["--db", str(db), "status"])
    assert result.exit_code == 0, result.output


# -- an import killed with SIGKILL in the middle of its transaction --------------------------


def _holds_write_lock(probe: sqlite3.Connection) -> bool:
    """Whether another connection is inside a write transaction (we cannot take the lock)."""
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    probe.execute("ROLLBACK")
    return False


def _kill_inside_the_write(
    db: Path, command: list[str], *, delay: float, wal_growth: bool
) -> tuple[int | None, int]:
    """Run `command`, and SIGKILL it `delay` seconds after it is seen holding the study's
    write lock (with `wal_growth`, once its uncommitted pages have also spilled into the
    WAL). Returns the exit status and the WAL's size when the kill was sent."""
    wal = Path(f"{db}-wal")
    baseline = wal.stat().st_size if wal.exists() else 0
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    probe = sqlite3.connect(db, timeout=0, isolation_level=None)
    wal_at_kill = -1
    try:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if _holds_write_lock(probe):
                size = wal.stat().st_size if wal.exists() else 0
                if not wal_growth or size > baseline:
                    time.sleep(delay)
                    wal_at_kill = wal.stat().st_size if wal.exists() else 0
                    process.send_signal(signal.SIGKILL)
                    break
            time.sleep(0.005)
        return process.wait(timeout=60), wal_at_kill
    finally:
        probe.close()
        if process.poll() is None:
            process.kill()
            process.wait()


# A subprocess that imports through the library with a page cache of 20 pages, so the
# transaction's pages spill into the WAL (uncommitted frames) long before it commits.
SPILLING_IMPORT = """
import sys
from pathlib import Path
from analysis.study import open_study
from analysis.transcripts import UploadedFile, import_transcripts
store, project = open_study(sys.argv[1])
store.db.execute("PRAGMA cache_size = 20")
uploads = [UploadedFile.from_path(p) for p in sorted(Path(sys.argv[2]).glob("*.txt"))]
import_transcripts(store, project.id, uploads, actor="cli")
"""


@pytest.mark.parametrize("spilled", [False, True], ids=["cli-import", "pages-in-wal"])
def test_an_import_killed_mid_write_leaves_nothing_and_the_next_succeeds(
    tmp_path: Path, spilled: bool
) -> None:
    files = write_batch(tmp_path / "batch")
    killed_inside = 0
    for attempt, delay in enumerate((0.3, 0.1, 0.0)):
        db = tmp_path / f"study-{attempt}.db"
        new_study(db)
        store = Store.open(db)
        before = table_rows(store)
        store.close()
        command = (
            [sys.executable, "-c", SPILLING_IMPORT, str(db), str(tmp_path / "batch")]
            if spilled
            else [sys.executable, "-m", "analysis", "--db", str(db), "import", *map(str, files)]
        )
        status, wal_at_kill = _kill_inside_the_write(
            db, command, delay=0.0 if spilled else delay, wal_growth=spilled
        )
        store = Store.open(db)
        try:
            assert store.integrity_problems() == ()
            after = table_rows(store)
            transcripts = len(after["transcripts"])
            # All or nothing, whenever the kill landed.
            assert transcripts in (0, BATCH), transcripts
            if transcripts == BATCH:
                continue  # the kill came after the commit: try again, earlier
            assert status == -signal.SIGKILL
            assert after == before
            if spilled:
                assert wal_at_kill > 0  # uncommitted pages were on disk, and were ignored
        finally:
            store.close()
        killed_inside += 1
        result = CliRunner().invoke(cli, ["--db", str(db), "import", *map(str, files)])
        assert result.exit_code == 0, result.output
        store = Store.open(db)
        try:
            assert store.db["transcripts"].count == BATCH
            assert store.integrity_problems() == ()
        finally:
            store.close()
        break
    assert killed_inside == 1, "no kill landed inside the import's transaction"


# -- a full disk and a read-only database ----------------------------------------------------


def _study_with_one_transcript(db: Path) -> None:
    new_study(db)
    store, project = open_study(db)
    try:
        import_transcripts(
            store, project.id, [UploadedFile("T99.txt", synthetic_transcript(99))], actor="cli"
        )
    finally:
        store.close()


def _batch_uploads(count: int = 10) -> list[UploadedFile]:
    return [UploadedFile(f"T{n:02d}.txt", synthetic_transcript(n)) for n in range(count)]


def test_a_full_disk_refuses_the_import_clearly_and_keeps_earlier_work(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    _study_with_one_transcript(db)
    store, project = open_study(db)
    before = table_rows(store)
    # SQLite's own size cap stands in for a full disk: the next page it needs is refused
    # with SQLITE_FULL, exactly as when the disk has no room.
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(DatabaseFullError) as refused:
        import_transcripts(store, project.id, _batch_uploads(), actor="cli")
    message = str(refused.value)
    assert str(db) in message
    assert "disk holding the study database is full" in message
    assert "Free some disk space" in message
    assert "everything saved before it is kept" in message
    assert table_rows(store) == before
    assert store.integrity_problems() == ()
    store.close()

    store, project = open_study(db)  # room again
    try:
        assert table_rows(store) == before
        results = import_transcripts(store, project.id, _batch_uploads(), actor="cli")
        assert len(results) == 10
        assert store.db["transcripts"].count == 11
    finally:
        store.close()


def _refused_read_only(store: Store, db: Path) -> str:
    project = store.list_projects()[0]
    with pytest.raises(DatabaseReadOnlyError) as refused:
        import_transcripts(store, project.id, _batch_uploads(2), actor="cli")
    message = str(refused.value)
    assert "cannot be written" in message and "may write to the database file" in message
    # Reading still works.
    assert [t.source_name for t in store.list_transcripts(project.id)] == ["T99.txt"]
    return message


def test_a_read_only_database_refuses_writes_clearly_and_keeps_earlier_work(
    tmp_path: Path,
) -> None:
    # As root, permissions do not stop SQLite writing, so the database is opened the way
    # SQLite opens a file this account may not write (read-only); the write fails the same
    # way (SQLITE_READONLY: "attempt to write a readonly database").
    db = tmp_path / "study.db"
    _study_with_one_transcript(db)
    store = Store.open(db)
    before = table_rows(store)
    store.close()
    read_only = Store.open(f"file:{db}?mode=ro")
    try:
        message = _refused_read_only(read_only, db)
        assert str(db) in message
        # A single statement outside any transaction is reported the same way.
        with pytest.raises(DatabaseReadOnlyError, match="cannot be written"):
            read_only.upsert_user("sam", "student researcher")
        assert table_rows(read_only) == before
    finally:
        read_only.close()
    result = CliRunner().invoke(
        cli, ["--db", f"file:{db}?mode=ro", "import", str(_write_one(tmp_path))]
    )
    assert result.exit_code == 1
    assert f"{db}: the study database cannot be written" in result.output
    assert "Traceback" not in result.output
    store = Store.open(db)
    try:
        assert table_rows(store) == before
        assert store.integrity_problems() == ()
    finally:
        store.close()


def _write_one(folder: Path) -> Path:
    path = folder / "T01.txt"
    path.write_bytes(synthetic_transcript(1))
    return path


def _permissions_bind(folder: Path) -> bool:
    """False where this process writes whatever the permissions say (root, as a rule)."""
    probe = folder / "permissions-probe"
    probe.write_text("")
    probe.chmod(0o444)
    try:
        with probe.open("a"):
            return False
    except PermissionError:
        return True
    finally:
        probe.chmod(0o644)
        probe.unlink()


def test_a_read_only_file_and_folder_are_refused_clearly(tmp_path: Path) -> None:
    if not _permissions_bind(tmp_path):
        pytest.skip("this process writes whatever the file's permissions (root)")
    folder = tmp_path / "study"
    folder.mkdir()
    db = folder / "study.db"
    _study_with_one_transcript(db)
    store = Store.open(db)
    before = table_rows(store)
    store.close()
    db.chmod(0o444)
    try:
        store = Store.open(db)
        try:
            _refused_read_only(store, db)
            assert table_rows(store) == before
        finally:
            store.close()
        # A read-only connection cannot checkpoint, so it leaves the -wal and -shm files;
        # without them and with the folder read-only, SQLite cannot even read.
        for leftover in (Path(f"{db}-wal"), Path(f"{db}-shm")):
            leftover.unlink(missing_ok=True)
        folder.chmod(0o555)
        with pytest.raises(DatabaseReadOnlyError, match="cannot be written"):
            Store.open(db)
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)


# -- two app sessions editing the same theme -----------------------------------------------


@pytest.fixture
def app_db(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STUDY_DB", str(demo_db))
    return demo_db


def _draft_theme_id(db: Path) -> int:
    store = Store.open(db)
    try:
        project = store.list_projects()[0]
        themes = list_themes(store, project.id, actor="lead")
        return next(t.id for t in themes if t.name == "Money and mental health")
    finally:
        store.close()


def test_second_save_of_the_same_theme_is_told_it_changed(app_db: Path) -> None:
    theme_id = _draft_theme_id(app_db)
    first = open_page(app_db, "themes.py", "sam.coder")
    second = open_page(app_db, "themes.py", "alex.coder")
    first.text_area(key=f"themes_text_{theme_id}").input("Sam's narrative: money first.")
    _save_theme(first, theme_id)
    assert not first.exception, [e.value for e in first.exception]
    assert [s.value for s in first.success] == ["Theme saved"]

    second.text_area(key=f"themes_text_{theme_id}").input("Alex's narrative, on the old copy.")
    _save_theme(second, theme_id)
    assert not second.exception, [e.value for e in second.exception]
    [error] = [e.value for e in second.error]
    assert "the theme changed since you opened it" in error
    assert not second.success

    store = Store.open(app_db)
    try:
        saved = get_theme(store, theme_id, actor="lead")
    finally:
        store.close()
    assert saved.description == "Sam's narrative: money first."


def _save_theme(at: AppTest, theme_id: int) -> None:
    [button] = [
        b for b in at.button if b.label == "Save theme" and b.form_id == f"themes_edit_{theme_id}"
    ]
    button.click().run()
