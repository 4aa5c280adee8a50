"""The audit log for leads: who did what and when, filtered, and exported as CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.audit import AUDIT_COLUMNS, audit_csv, audit_filters, audit_rows, audit_trail
from analysis.cli import cli
from analysis.codebook import CodebookDraft, CodeSpec, save_codebook_version
from analysis.coding import apply_code
from analysis.errors import PermissionDeniedError
from analysis.memos import add_memo
from analysis.models import Project
from analysis.review import mark_not_personal
from analysis.storage import Store, now_utc
from analysis.transcripts import UploadedFile, import_transcripts

TRANSCRIPT = (
    b"Interviewer: How did you first look for support?\n\n"
    b"Participant: I emailed the wellbeing team in October. Nobody replied for six weeks.\n\n"
    b"Interviewer: And then?\n\n"
    b"Participant: Then the GP referred me to talking therapies, which was quicker.\n"
)
# Rows from earlier days, written straight into the log (test setup: `at` is always now).
HISTORY = [
    ("2026-03-01T09:00:00+00:00", "lee", "archive note", "projects"),
    ("2026-03-02T00:00:00+00:00", "lee", "archive note", "projects"),
    ("2026-03-02T23:59:59+00:00", "tester", "archive note", "codes"),
    ("2026-03-03T00:00:00+00:00", "tester", "archive note", "codes"),
]


@pytest.fixture
def logged(store: Store, project: Project) -> Store:
    """A small study with a few days of history and today's work by lead, sam and alex."""
    with store.transaction():
        for at, actor, action, table in HISTORY:
            store._insert(
                "audit_log",
                {
                    "at": at,
                    "actor": actor,
                    "action": action,
                    "table_name": table,
                    "row_id": None,
                    "payload_json": json.dumps({"day": at[:10]}),
                },
            )
    draft = CodebookDraft("Pilot", "", (CodeSpec("waits", "Waiting times"),))
    save_codebook_version(store, project.id, draft, actor="lead", note="start")
    [imported] = import_transcripts(
        store, project.id, [UploadedFile("P01.txt", TRANSCRIPT)], actor="lead"
    )
    for finding in store.list_findings(transcript_id=imported.transcript_id, status="pending"):
        mark_not_personal(store, finding.id, actor="lead")
    segments = store.list_segments(imported.transcript_id)
    apply_code(
        store,
        code_key="waits",
        coder="sam",
        segment_id=segments[1].id,
        memo='SILENCE read as "rejection", then\nanger',
    )
    apply_code(store, code_key="waits", coder="alex", segment_id=segments[1].id)
    add_memo(store, project.id, "segments", segments[0].id, "October start", author="alex")
    return store


def _all_rows(store: Store) -> list[tuple[int, str, str, str]]:
    return [
        (int(r[0]), r[1], r[2], r[3])
        for r in store.db.execute(
            "SELECT id, actor, action, table_name FROM audit_log ORDER BY id DESC"
        ).fetchall()
    ]


def test_without_filters_every_row_comes_newest_first(logged: Store) -> None:
    entries = audit_trail(logged, actor="lead")
    assert [(e.id, e.actor, e.action, e.table_name) for e in entries] == _all_rows(logged)
    assert [e.id for e in entries] == sorted((e.id for e in entries), reverse=True)
    assert entries[-1].at == HISTORY[0][0]
    assert [e.id for e in audit_trail(logged, actor="lead", limit=3)] == [e.id for e in entries[:3]]


def test_filter_by_who_what_and_table(logged: Store) -> None:
    by_sam = audit_trail(logged, actor="lead", who=["sam"])
    assert [e.action for e in by_sam] == ["add memo", "apply code"]
    assert {e.actor for e in by_sam} == {"sam"}
    both = audit_trail(logged, actor="lead", who=["sam", "alex"])
    assert [(e.actor, e.action) for e in both] == [
        ("alex", "add memo"),
        ("alex", "apply code"),
        ("sam", "add memo"),
        ("sam", "apply code"),
    ]
    codings = audit_trail(logged, actor="lead", actions=["apply code"])
    assert [e.actor for e in codings] == ["alex", "sam"]
    assert {e.table_name for e in codings} == {"codings"}
    memos = audit_trail(logged, actor="lead", tables=["memos"])
    assert [(e.actor, e.action) for e in memos] == [("alex", "add memo"), ("sam", "add memo")]
    # Filters combine: every one must hold.
    assert audit_trail(logged, actor="lead", who=["lead"], tables=["memos"]) == []
    [alex_memo] = audit_trail(logged, actor="lead", who=["alex"], actions=["add memo"])
    assert json.loads(alex_memo.payload_json)["body"] == "October start"
    assert audit_trail(logged, actor="lead", who=["nobody"]) == []


def test_filter_by_dates_with_until_inclusive(logged: Store) -> None:
    def days(**kwargs: date) -> list[str]:
        entries = audit_trail(logged, actor="lead", actions=["archive note"], **kwargs)
        return [e.at for e in entries]

    assert days(until=date(2026, 3, 2)) == [
        "2026-03-02T23:59:59+00:00",
        "2026-03-02T00:00:00+00:00",
        "2026-03-01T09:00:00+00:00",
    ]
    assert days(since=date(2026, 3, 2)) == [
        "2026-03-03T00:00:00+00:00",
        "2026-03-02T23:59:59+00:00",
        "2026-03-02T00:00:00+00:00",
    ]
    assert days(since=date(2026, 3, 2), until=date(2026, 3, 2)) == [
        "2026-03-02T23:59:59+00:00",
        "2026-03-02T00:00:00+00:00",
    ]
    assert days(since=date(2026, 3, 4), until=date(2026, 3, 31)) == []
    # Today's work falls inside a range ending today, and outside one ending yesterday.
    today = date.fromisoformat(now_utc()[:10])
    todays = audit_trail(logged, actor="lead", since=today, until=today)
    assert len(todays) == len(_all_rows(logged)) - len(HISTORY)
    assert all(e.at.startswith(today.isoformat()) for e in todays)
    assert audit_trail(logged, actor="lead", since=today, who=["lee", "tester"]) == []


def test_filter_by_a_word_in_details_or_action_ignores_case(logged: Store) -> None:
    [memo] = audit_trail(logged, actor="lead", contains="silence")
    assert (memo.actor, memo.action) == ("sam", "add memo")
    assert [e.id for e in audit_trail(logged, actor="lead", contains="  Rejection ")] == [memo.id]
    in_action = audit_trail(logged, actor="lead", contains="APPLY")
    assert [e.action for e in in_action] == ["apply code", "apply code"]
    by_day = audit_trail(logged, actor="lead", contains="2026-03-02")
    assert [e.actor for e in by_day] == ["tester", "lee"]
    assert audit_trail(logged, actor="lead", contains="no such words") == []


def _note(store: Store, project: Project, body: str) -> None:
    with store.transaction():
        store.audit(
            actor="lead", action="note", table="projects", row_id=project.id, payload={"body": body}
        )


def test_words_with_accents_are_found_and_exported_readably(store: Store, project: Project) -> None:
    _note(store, project, "Zoë said ÉCOLE")
    assert len(audit_trail(store, actor="lead", contains="Zoë")) == 1
    assert len(audit_trail(store, actor="lead", contains="zoË")) == 1
    [row] = csv.DictReader(io.StringIO(audit_csv(audit_trail(store, actor="lead"))))
    assert row["details"] == 'body="Zoë said ÉCOLE"'


def test_words_with_accents_are_found_whatever_their_case(store: Store, project: Project) -> None:
    _note(store, project, "Zoë said ÉCOLE")
    assert len(audit_trail(store, actor="lead", contains="école")) == 1


def test_filters_list_who_what_and_tables(logged: Store) -> None:
    filters = audit_filters(logged, actor="lead")
    assert filters["actors"] == ["alex", "lead", "lee", "sam", "tester"]
    assert "apply code" in filters["actions"] and "archive note" in filters["actions"]
    assert filters["actions"] == sorted(set(filters["actions"]))
    assert set(filters["actions"]) == {a for _, _, a, _ in _all_rows(logged)}
    assert set(filters["tables"]) == {t for _, _, _, t in _all_rows(logged)}
    assert {"codings", "memos", "transcripts", "codebook_versions", "codes"} <= set(
        filters["tables"]
    )


@pytest.mark.parametrize("actor", ["sam", "eve", "stranger"])
def test_only_leads_read_the_log(logged: Store, actor: str) -> None:
    with pytest.raises(PermissionDeniedError):
        audit_trail(logged, actor=actor)
    with pytest.raises(PermissionDeniedError):
        audit_filters(logged, actor=actor)


def test_csv_has_one_row_per_entry_with_the_details(logged: Store) -> None:
    entries = audit_trail(logged, actor="lead")
    text = audit_csv(entries)
    assert text.splitlines()[0] == "id,at,actor,action,table,row_id,details"
    assert tuple(text.splitlines()[0].split(",")) == AUDIT_COLUMNS
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(entries)
    for row, entry in zip(rows, entries, strict=True):
        assert row["id"] == str(entry.id)
        assert (row["at"], row["actor"], row["action"]) == (entry.at, entry.actor, entry.action)
        assert row["table"] == entry.table_name
        assert row["row_id"] == ("" if entry.row_id is None else str(entry.row_id))
        for key in json.loads(entry.payload_json):
            assert f"{key}=" in row["details"]
    memo_row = next(r for r in rows if r["action"] == "add memo" and r["actor"] == "sam")
    # Quotes, a comma and a newline in a memo survive the round trip.
    assert 'body="SILENCE read as \\"rejection\\", then\\nanger"' in memo_row["details"]
    assert 'target_table="codings"' in memo_row["details"]
    assert audit_csv([]) == "id,at,actor,action,table,row_id,details\n"
    assert audit_rows(entries[:1])[0]["id"] == entries[0].id


# -- the demo study and the command line --------------------------------------------------------


def _demo(demo_db: Path) -> Store:
    return Store.open(demo_db)


def test_every_change_in_the_demo_is_attributed_to_an_account(demo_db: Path) -> None:
    store = _demo(demo_db)
    try:
        accounts = {user.name for user in store.list_accounts()}
        assert accounts == {"lead", "sam.coder", "alex.coder", "evaluator"}
        rows = list(store.db.query("SELECT * FROM audit_log"))
        assert rows and all(row["actor"] in accounts for row in rows)
        assert all(row["at"].endswith("+00:00") for row in rows)
        actions = {row["action"] for row in rows}
        assert {
            "import transcript",
            "save participant",
            "new codebook version",
            "redact personal data",
            "apply code",
            "add memo",
        } <= actions
        # Each coding, memo and transcript has its audit row, by whoever made it.
        made = {(row["table_name"], row["row_id"]): row["actor"] for row in rows}
        codings = list(store.db.query("SELECT id, coder FROM codings"))
        assert len(codings) == 74
        assert all(made[("codings", c["id"])] == c["coder"] for c in codings)
        memos = list(store.db.query("SELECT id, author FROM memos"))
        assert all(made[("memos", m["id"])] == m["author"] for m in memos)
        transcripts = list(store.db.query("SELECT id, imported_by FROM transcripts"))
        assert all(made[("transcripts", t["id"])] == t["imported_by"] for t in transcripts)
        lead = audit_trail(store, actor="lead", who=["sam.coder"])
        assert len(lead) == sum(row["actor"] == "sam.coder" for row in rows)
    finally:
        store.close()


def test_cli_audit_filters_by_who_as_json(demo_db: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--db", str(demo_db), "audit", "--who", "sam.coder", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    store = _demo(demo_db)
    try:
        expected = store.db.execute(
            "SELECT count(*) FROM audit_log WHERE actor = 'sam.coder'"
        ).fetchone()[0]
    finally:
        store.close()
    assert len(rows) == expected == 54  # 49 codings and 5 memos
    assert {row["actor"] for row in rows} == {"sam.coder"}
    assert {row["action"] for row in rows} == {"apply code", "add memo"}
    assert set(rows[0]) == set(AUDIT_COLUMNS)
    assert [row["id"] for row in rows] == sorted((row["id"] for row in rows), reverse=True)


def test_cli_audit_text_and_action_filter(demo_db: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--db", str(demo_db), "audit", "--action", "new codebook version"]
    )
    assert result.exit_code == 0, result.output
    [line] = result.output.strip().splitlines()
    assert "lead" in line and "new codebook version" in line
    none = CliRunner().invoke(cli, ["--db", str(demo_db), "audit", "--until", "2000-01-01"])
    assert none.exit_code == 0 and none.output.strip() == "no audit rows match"


def test_cli_audit_writes_csv(demo_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "audit.csv"
    result = CliRunner().invoke(cli, ["--db", str(demo_db), "audit", "--csv", str(target)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    store = _demo(demo_db)
    try:
        total = store.db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    finally:
        store.close()
    assert len(rows) == total
    assert f"wrote {total} audit rows to {target}" in result.output
    assert list(rows[0]) == list(AUDIT_COLUMNS)
    assert {row["action"] for row in rows} >= {"apply code", "redact personal data"}


@pytest.mark.parametrize("user", ["sam.coder", "evaluator"])
def test_cli_audit_refuses_others(demo_db: Path, user: str) -> None:
    result = CliRunner().invoke(cli, ["--db", str(demo_db), "--user", user, "audit"])
    assert result.exit_code == 1
    assert "may not read the audit log" in result.output
