"""Several coders and processes on one study file at once, and transactions and the write lock."""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
import time
from pathlib import Path
from subprocess import PIPE, Popen

import pytest
from sqlite_utils import Database

import analysis.storage.base as storage_base
from analysis.codebook import CodebookDraft, CodeSpec, save_codebook_version
from analysis.errors import StudyError
from analysis.review import mark_not_personal
from analysis.storage import Store
from analysis.storage.schema import migrations
from analysis.study import open_study
from analysis.transcripts import UploadedFile, import_transcripts

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKERS = 8
CODINGS_PER_WORKER = 250
REMOVE_EVERY = 10  # each worker removes its 10th, 20th, ... coding again
CODE_KEYS = [f"code-{n}" for n in range(10)]
SUBJECTS = [
    "The waiting list",
    "The counselling service",
    "The online form",
    "The first appointment",
    "The reply from the team",
    "The group session",
    "The crisis line",
    "The booking system",
    "The referral letter",
    "The follow up call",
    "The support plan",
    "The drop in clinic",
    "The wellbeing app",
]
# 25 participant sentences, none with a name or number, so the transcript needs no review.
SENTENCES = [f"{subject} felt {mood} to me." for subject in SUBJECTS for mood in ("slow", "kind")]
SENTENCES = SENTENCES[:25]

# Each worker runs in its own interpreter with its own connection. It calls `wait_for_go()`
# once it is ready, and all of them go on together when the test creates the go file.
PRELUDE = """
import json, sys, time
from pathlib import Path

def wait_for_go():
    go = Path(sys.argv[1])
    Path(f"{go}.{sys.argv[2]}").touch()
    while not go.exists():
        time.sleep(0.005)
"""
CODER = """
from analysis.coding import apply_code, remove_coding
from analysis.storage import Store

coder, db, remove_every = sys.argv[2], sys.argv[3], int(sys.argv[4])
pairs = json.loads(Path(sys.argv[5]).read_text())
store = Store.open(db)
wait_for_go()
for number, (segment_id, code_key) in enumerate(pairs, start=1):
    coding = apply_code(store, code_key=code_key, coder=coder, segment_id=segment_id)
    if number % remove_every == 0:
        remove_coding(store, coding.id, actor=coder)
store.close()
"""
OPENER = """
from analysis.storage import Store

wait_for_go()
Store.open(sys.argv[3]).close()
"""


def _run_together(tmp_path: Path, script: str, args: dict[str, list[str]]) -> dict[str, str]:
    """Run `script` once per name with its arguments, all at once; each one's stderr."""
    go = tmp_path / "go"
    workers = {
        name: Popen(
            [sys.executable, "-c", PRELUDE + script, str(go), name, *extra],
            cwd=REPO_ROOT,
            stdout=PIPE,
            stderr=PIPE,
            text=True,
        )
        for name, extra in args.items()
    }
    deadline = time.monotonic() + 30
    while not all(Path(f"{go}.{name}").exists() for name in workers):
        if any(w.poll() is not None for w in workers.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    go.touch()
    errors = {name: w.communicate(timeout=120)[1] for name, w in workers.items()}
    failed = {name: errors[name] for name, w in workers.items() if w.returncode != 0}
    assert not failed, failed
    return errors


def _set_up_study(path: Path, coders: list[str]) -> list[int]:
    """A study with users, a ten-code codebook and one cleared transcript; its segment ids."""
    store, project = open_study(path)
    store.upsert_user("lead", "project lead")
    for coder in coders:
        store.upsert_user(coder, "student researcher")
    draft = CodebookDraft("Pilot", "", tuple(CodeSpec(key, key.title()) for key in CODE_KEYS))
    save_codebook_version(store, project.id, draft, actor="lead", note="start")
    text = "".join(
        f"Interviewer: How was it?\n\nParticipant: {sentence}\n\n" for sentence in SENTENCES
    )
    [result] = import_transcripts(
        store, project.id, [UploadedFile("P01.txt", text.encode())], actor="lead"
    )
    for finding in store.list_findings(transcript_id=result.transcript_id, status="pending"):
        mark_not_personal(store, finding.id, actor="lead")
    segment_ids = [
        s.id for s in store.list_segments(result.transcript_id) if s.speaker == "Participant"
    ]
    store.close()
    return segment_ids


def _rotated(pairs: list[tuple[int, str]], n: int) -> list[tuple[int, str]]:
    """Coder `n`'s 250 pairs: the same pool started elsewhere, so coders hit the same rows."""
    start = (n * 31) % len(pairs)
    return (pairs[start:] + pairs[:start])[:CODINGS_PER_WORKER]


def test_eight_coders_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    coders = [f"coder{n}" for n in range(WORKERS)]
    segment_ids = _set_up_study(path, coders)
    pairs = [(segment_id, key) for segment_id in segment_ids for key in CODE_KEYS]
    assert len(set(pairs)) == len(pairs) >= CODINGS_PER_WORKER
    plans = {coder: _rotated(pairs, n) for n, coder in enumerate(coders)}
    for coder, plan in plans.items():
        (tmp_path / f"{coder}.json").write_text(json.dumps(plan))

    errors = _run_together(
        tmp_path,
        CODER,
        {c: [str(path), str(REMOVE_EVERY), str(tmp_path / f"{c}.json")] for c in coders},
    )

    assert not any("locked" in err or "busy" in err for err in errors.values()), errors
    expected = {
        coder: {pair for n, pair in enumerate(plan, start=1) if n % REMOVE_EVERY}
        for coder, plan in plans.items()
    }
    removed = CODINGS_PER_WORKER // REMOVE_EVERY
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT c.coder, c.segment_id, k.key FROM codings c JOIN codes k ON k.id = c.code_id"
        ).fetchall()
        actual: dict[str, list[tuple[int, str]]] = {coder: [] for coder in coders}
        for coder, segment_id, key in rows:
            actual[coder].append((segment_id, key))
        for coder in coders:
            assert len(actual[coder]) == CODINGS_PER_WORKER - removed
            assert set(actual[coder]) == expected[coder]
        audit = dict(
            conn.execute(
                "SELECT action, COUNT(*) FROM audit_log WHERE table_name = 'codings' "
                "GROUP BY action"
            ).fetchall()
        )
        assert audit == {
            "apply code": WORKERS * CODINGS_PER_WORKER,
            "remove code": WORKERS * removed,
        }
        per_actor = conn.execute(
            "SELECT actor, action, COUNT(*) FROM audit_log WHERE table_name = 'codings' "
            "GROUP BY actor, action"
        ).fetchall()
        assert sorted(per_actor) == sorted(
            [(c, "apply code", CODINGS_PER_WORKER) for c in coders]
            + [(c, "remove code", removed) for c in coders]
        )
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()


def test_processes_opening_a_new_file_at_once_migrate_it_once(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    _run_together(tmp_path, OPENER, {f"opener{n}": [str(path)] for n in range(6)})
    store = Store.open(path)
    names = [row["name"] for row in store.db.query("SELECT name FROM _sqlite_migrations")]
    assert len(names) == len(set(names)) == len(migrations.pending(Database(memory=True)))
    assert store.db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store.close()


# -- transaction nesting and the write lock ------------------------------------------------


def test_failed_inner_transaction_rolls_back_only_its_savepoint(store: Store) -> None:
    project = store.get_or_create_project("p")
    with store.transaction():
        store.get_or_create_participant(project.id, "P01")
        with pytest.raises(RuntimeError), store.transaction():
            store.get_or_create_participant(project.id, "P02")
            raise RuntimeError("boom")
        with store.transaction():
            store.get_or_create_participant(project.id, "P03")
    assert not store.db.conn.in_transaction
    assert [p.pseudonym for p in store.list_participants(project.id)] == ["P01", "P03"]


def test_failure_in_outermost_transaction_writes_nothing(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    project = store.get_or_create_project("p")
    with pytest.raises(RuntimeError), store.transaction():
        store.get_or_create_participant(project.id, "P01")
        with store.transaction():
            store.get_or_create_participant(project.id, "P02")
            store.audit(actor="lead", action="x", table="participants", row_id=1)
        raise RuntimeError("boom")
    assert not store.db.conn.in_transaction
    store.close()
    reopened = Store.open(tmp_path / "s.db")
    assert reopened.list_participants(project.id) == []
    assert reopened.audit_entries(table="participants") == []
    reopened.close()


def test_busy_database_is_a_study_error_and_the_body_never_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(tmp_path / "s.db")
    store.db.execute("PRAGMA busy_timeout = 20")
    monkeypatch.setattr(storage_base, "LOCK_RETRY_DELAYS_S", (0.01, 0.01))
    other = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ran = []
    with pytest.raises(StudyError, match="busy; try again"), store.transaction():
        ran.append(True)
    assert ran == [] and not store.db.conn.in_transaction
    other.execute("ROLLBACK")
    with store.transaction():
        ran.append(True)
    assert ran == [True]
    other.close()
    store.close()


def test_taking_the_lock_is_retried_once_the_other_writer_is_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(tmp_path / "s.db")
    project = store.get_or_create_project("p")
    store.db.execute("PRAGMA busy_timeout = 20")
    monkeypatch.setattr(storage_base, "LOCK_RETRY_DELAYS_S", (0.3,))
    other = sqlite3.connect(tmp_path / "s.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.1, other.execute, ["COMMIT"])
    release.start()
    with store.transaction():
        store.get_or_create_participant(project.id, "P01")
    release.join()
    other.close()
    assert [p.pseudonym for p in store.list_participants(project.id)] == ["P01"]
    store.close()


def test_transaction_nests_inside_one_python_opened_implicitly(store: Store) -> None:
    project = store.get_or_create_project("p")
    # Python's legacy isolation mode opens a transaction before a bare INSERT.
    store.db.conn.execute(
        "INSERT INTO participants (project_id, pseudonym) VALUES (?, 'P01')", [project.id]
    )
    assert store.db.conn.in_transaction
    with store.transaction():
        store.get_or_create_participant(project.id, "P02")
    assert store.db.conn.in_transaction  # its owner commits, not the savepoint
    store.db.conn.commit()
    assert [p.pseudonym for p in store.list_participants(project.id)] == ["P01", "P02"]
