"""Consent records and withdrawal: what a participant agreed to, and removing them entirely."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from analysis.cli import cli
from analysis.codebook import current_codebook
from analysis.coding import apply_code, remove_coding
from analysis.consent import (
    may_quote,
    quotable_participants,
    record_consent,
    withdraw_participant,
    withdrawn_pseudonyms,
)
from analysis.embed import embed_segments, text_hash
from analysis.errors import (
    InputFileError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from analysis.memos import add_memo, delete_memo, edit_memo
from analysis.models import Consent, Project
from analysis.participants import (
    ParticipantRecord,
    read_participants_csv,
    save_participants,
    set_participant_attribute,
)
from analysis.retrieve import retrieve_quotes
from analysis.storage import Store, now_utc
from analysis.suggestions import reject_suggestion
from analysis.transcripts import UploadedFile, import_transcripts

REPO_ROOT = Path(__file__).resolve().parent.parent
# Liam (P08.txt) is coded by sam.coder in the demo, with two memos on his codings.
WITHDRAWN, WITHDRAWN_FILE = "Liam", "P08.txt"
# A sentence only Liam says, to look for in the raw database file afterwards.
DISTINCTIVE = "I'd be at work stacking shelves thinking, what's the point."


class WordsEmbedder:
    """A deterministic bag-of-words embedder (as in test_suggest.py): no model needed."""

    name = "test-words"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = np.zeros((len(texts), 32), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                rows[i, zlib.crc32(word.encode()) % 32] += 1.0
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.where(norms == 0, 1, norms)


# -- consent from a participants file -------------------------------------------------------

CONSENT_CSV = (
    b"pseudonym,gender,consent_date,consent_quotes,consent_share\n"
    b"Ada,woman,2026-03-11,yes,no\n"
    b"Ben,man,2026-03-12,N,Y\n"
    b"Cal,,,,\n"
)


def test_consent_columns_are_stored_and_read_back(store: Store, project: Project) -> None:
    records = read_participants_csv("people.csv", CONSENT_CSV)
    assert [r.consent for r in records] == [
        Consent("2026-03-11", True, False),
        Consent("2026-03-12", False, True),
        Consent(None, None, None),
    ]
    save_participants(store, project.id, records, actor="sam")
    people = {p.pseudonym: p for p in store.list_participants(project.id)}
    assert people["Ada"].consent == Consent("2026-03-11", True, False)
    assert people["Ben"].consent == Consent("2026-03-12", False, True)
    assert people["Cal"].consent == Consent(None, None, None)
    # The consent columns are the consent record, never attributes.
    assert people["Ada"].attributes == {"gender": "woman"}
    assert people["Ben"].attributes == {"gender": "man"}
    assert people["Cal"].attributes == {}


def test_a_file_without_consent_columns_leaves_consent_unrecorded(
    store: Store, project: Project
) -> None:
    [record] = read_participants_csv("people.csv", b"pseudonym,gender\nAda,woman\n")
    assert record.consent is None
    save_participants(store, project.id, [record], actor="sam")
    [ada] = store.list_participants(project.id)
    assert ada.consent == Consent(None, None, None)
    assert quotable_participants(store, project.id) == set()


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (b"Ada,2026-03-11,maybe,yes", "consent_quotes must be yes or no, not 'maybe'"),
        (b"Ada,2026-03-11,yes,perhaps", "consent_share must be yes or no, not 'perhaps'"),
        (b"Ada,12/03/2026,yes,yes", "consent_date must be YYYY-MM-DD, not '12/03/2026'"),
    ],
)
def test_bad_consent_values_name_the_file_and_row(row: bytes, problem: str) -> None:
    data = b"pseudonym,consent_date,consent_quotes,consent_share\nBo,,,\n" + row + b"\n"
    with pytest.raises(InputFileError) as caught:
        read_participants_csv("consent.csv", data)
    assert caught.value.source_name == "consent.csv"
    assert caught.value.row == 3
    assert caught.value.problem == problem
    assert str(caught.value).startswith("consent.csv, row 3: ")


# -- recording consent in the app or CLI ----------------------------------------------------


@pytest.fixture
def people(store: Store, project: Project) -> dict[str, int]:
    return save_participants(
        store,
        project.id,
        [ParticipantRecord("Ada"), ParticipantRecord("Ben"), ParticipantRecord("Cal")],
        actor="lead",
    )


def test_a_researcher_records_consent_and_it_is_audited(
    store: Store, project: Project, people: dict[str, int]
) -> None:
    updated = record_consent(
        store, project.id, "Ada", date=" 2026-04-01 ", quotes=True, share=False, actor="sam"
    )
    assert updated.id == people["Ada"]
    assert updated.consent == Consent("2026-04-01", True, False)
    [ada] = [p for p in store.list_participants(project.id) if p.pseudonym == "Ada"]
    assert ada.consent == Consent("2026-04-01", True, False)
    entry = store.audit_entries(table="participants")[0]
    assert (entry.actor, entry.action, entry.row_id) == ("sam", "record consent", people["Ada"])
    assert json.loads(entry.payload_json) == {
        "pseudonym": "Ada",
        "consent_date": "2026-04-01",
        "consent_quotes": 1,
        "consent_share": 0,
    }
    # A correction replaces the record.
    corrected = record_consent(
        store, project.id, "Ada", date="2026-04-02", quotes=False, share=True, actor="lead"
    )
    assert corrected.consent == Consent("2026-04-02", False, True)


def test_an_evaluator_cannot_record_consent(
    store: Store, project: Project, people: dict[str, int]
) -> None:
    audit_rows = len(store.audit_entries())
    with pytest.raises(PermissionDeniedError, match="eve"):
        record_consent(
            store, project.id, "Ada", date="2026-04-01", quotes=True, share=True, actor="eve"
        )
    [ada] = [p for p in store.list_participants(project.id) if p.pseudonym == "Ada"]
    assert ada.consent == Consent(None, None, None)
    assert len(store.audit_entries()) == audit_rows


@pytest.mark.parametrize("bad", ["12/03/2026", "2026-3-1", "1 March 2026"])
def test_a_badly_written_consent_date_is_refused(
    store: Store, project: Project, people: dict[str, int], bad: str
) -> None:
    with pytest.raises(InvalidRequestError, match="YYYY-MM-DD"):
        record_consent(store, project.id, "Ada", date=bad, quotes=True, share=True, actor="sam")
    [ada] = [p for p in store.list_participants(project.id) if p.pseudonym == "Ada"]
    assert ada.consent == Consent(None, None, None)


def test_a_consent_date_that_is_not_a_calendar_day_is_refused(
    store: Store, project: Project, people: dict[str, int]
) -> None:
    with pytest.raises(InvalidRequestError):
        record_consent(
            store, project.id, "Ada", date="2026-13-45", quotes=True, share=True, actor="sam"
        )


def test_consent_for_an_unknown_participant_is_not_found(
    store: Store, project: Project, people: dict[str, int]
) -> None:
    with pytest.raises(NotFoundError, match="Zed"):
        record_consent(store, project.id, "Zed", date=None, quotes=True, share=True, actor="sam")


def test_only_participants_who_said_yes_may_be_quoted(
    store: Store, project: Project, people: dict[str, int]
) -> None:
    record_consent(
        store, project.id, "Ada", date="2026-04-01", quotes=True, share=False, actor="sam"
    )
    record_consent(
        store, project.id, "Ben", date="2026-04-01", quotes=False, share=True, actor="sam"
    )
    # Cal's consent is never recorded: that counts as no.
    assert quotable_participants(store, project.id) == {people["Ada"]}
    assert may_quote(store, project.id, people["Ada"]) is True
    assert may_quote(store, project.id, people["Ben"]) is False
    assert may_quote(store, project.id, people["Cal"]) is False
    assert may_quote(store, project.id, None) is False
    # Recording "not answered" takes a yes back.
    record_consent(
        store, project.id, "Ada", date="2026-04-01", quotes=None, share=None, actor="sam"
    )
    assert quotable_participants(store, project.id) == set()


# -- withdrawal on the demo study -----------------------------------------------------------


@pytest.fixture
def demo(demo_db: Path) -> Iterator[tuple[Store, Project]]:
    opened = Store.open(demo_db)
    yield opened, opened.list_projects()[0]
    opened.close()


def _count(store: Store, sql: str, params: Sequence[Any] = ()) -> int:
    return int(store.db.execute(sql, list(params)).fetchone()[0])


def _ids(store: Store, sql: str, params: Sequence[Any] = ()) -> set[int]:
    return {int(row[0]) for row in store.db.execute(sql, list(params)).fetchall()}


def _in(ids: Sequence[int] | set[int]) -> str:
    return ",".join(str(int(i)) for i in ids) or "NULL"


def _embedded(store: Store, hashes: set[str]) -> int:
    """How many of these text hashes have a cached embedding."""
    marks = ",".join("?" * len(hashes))
    sql = f"SELECT count(DISTINCT text_hash) FROM embeddings WHERE text_hash IN ({marks})"
    return _count(store, sql, sorted(hashes))


def _participant_id(store: Store, project: Project, pseudonym: str) -> int:
    return next(p.id for p in store.list_participants(project.id) if p.pseudonym == pseudonym)


def _footprint(store: Store, participant_id: int) -> dict[str, set[int]]:
    """Ids of everything hanging off one participant's transcripts."""
    transcripts = _ids(
        store, "SELECT id FROM transcripts WHERE participant_id = ?", [participant_id]
    )
    segments = _ids(store, f"SELECT id FROM segments WHERE transcript_id IN ({_in(transcripts)})")
    codings = _ids(store, f"SELECT id FROM codings WHERE transcript_id IN ({_in(transcripts)})")
    memos = _ids(
        store,
        f"""SELECT id FROM memos WHERE (target_table = 'codings' AND target_id IN ({_in(codings)}))
            OR (target_table = 'segments' AND target_id IN ({_in(segments)}))
            OR (target_table = 'transcripts' AND target_id IN ({_in(transcripts)}))
            OR (target_table = 'participants' AND target_id = {int(participant_id)})""",
    )
    return {"transcripts": transcripts, "segments": segments, "codings": codings, "memos": memos}


def _others_counts(store: Store, keep: Sequence[int]) -> dict[str, int]:
    """Row counts of other participants' data, which a withdrawal must not touch."""
    transcripts = f"SELECT id FROM transcripts WHERE participant_id IN ({_in(keep)})"
    segments = f"SELECT id FROM segments WHERE transcript_id IN ({transcripts})"
    return {
        "participants": _count(
            store, f"SELECT count(*) FROM participants WHERE id IN ({_in(keep)})"
        ),
        "attributes": _count(
            store,
            f"SELECT count(*) FROM participant_attributes WHERE participant_id IN ({_in(keep)})",
        ),
        "transcripts": _count(store, f"SELECT count(*) FROM ({transcripts})"),
        "turns": _count(
            store, f"SELECT count(*) FROM turns WHERE transcript_id IN ({transcripts})"
        ),
        "segments": _count(store, f"SELECT count(*) FROM ({segments})"),
        "codings": _count(
            store, f"SELECT count(*) FROM codings WHERE transcript_id IN ({transcripts})"
        ),
        "pii_findings": _count(
            store, f"SELECT count(*) FROM pii_findings WHERE transcript_id IN ({transcripts})"
        ),
        "suggestions": _count(
            store, f"SELECT count(*) FROM suggestion_decisions WHERE segment_id IN ({segments})"
        ),
    }


def _enrich(store: Store, project: Project, participant_id: int) -> dict[str, Any]:
    """Give the withdrawn participant (and, for contrast, Amber) memos of every kind,
    embeddings and suggestion decisions; returns what was written on the participant."""
    transcript = next(
        t for t in store.list_transcripts(project.id) if t.participant_id == participant_id
    )
    amber = next(t for t in store.list_transcripts(project.id) if t.participant == "Amber")
    segments = store.list_segments(transcript.id)
    amber_segments = store.list_segments(amber.id)
    segment_memo = add_memo(
        store,
        project.id,
        "segments",
        segments[3].id,
        "Liam minimises: 'sort of' hedging.",
        author="sam.coder",
    )
    add_memo(
        store,
        project.id,
        "transcripts",
        transcript.id,
        "Night shifts shape all of P08.",
        author="lead",
    )
    add_memo(
        store,
        project.id,
        "participants",
        participant_id,
        "Liam asked for a summary.",
        author="lead",
    )
    # An edited memo: the audit row of the edit holds the old and the new words.
    edit_memo(
        store, segment_memo.id, "Liam hedges with 'sort of' when distressed.", actor="sam.coder"
    )
    coded = apply_code(
        store,
        code_key="what-helped",
        coder="alex.coder",
        segment_id=segments[5].id,
        memo="Alex reads this as relief from isolation.",
    )
    assert coded.transcript_id == transcript.id
    add_memo(
        store, project.id, "segments", amber_segments[2].id, "Amber memo stays.", author="sam.coder"
    )
    embed_segments(store, [*segments, *amber_segments], embedder=WordsEmbedder())
    for segment in segments[:3]:
        reject_suggestion(store, segment.id, "waiting-times", coder="sam.coder", score=0.5)
    reject_suggestion(store, amber_segments[0].id, "waiting-times", coder="sam.coder", score=0.5)
    return {"transcript": transcript, "segments": segments, "amber_segments": amber_segments}


def test_withdrawal_removes_everything_of_the_participant(demo: tuple[Store, Project]) -> None:
    store, project = demo
    liam = _participant_id(store, project, WITHDRAWN)
    setup = _enrich(store, project, liam)
    before = _footprint(store, liam)
    assert len(before["transcripts"]) == 1
    assert len(before["codings"]) == 12  # the demo's 11 by sam.coder, plus one by alex.coder
    assert len(before["memos"]) == 6  # two demo memos on codings, plus one of each kind here
    others = [p.id for p in store.list_participants(project.id) if p.id != liam]
    others_before = _others_counts(store, others)
    memo_bodies = [
        row[0]
        for row in store.db.execute(f"SELECT body FROM memos WHERE id IN ({_in(before['memos'])})")
    ]
    assert "Financial help framed as the most effective mental-health support." in " ".join(
        memo_bodies
    )
    removed_words = [*memo_bodies, "Liam minimises: 'sort of' hedging."]  # the edited-away text
    logged = " ".join(row[0] for row in store.db.execute("SELECT payload_json FROM audit_log"))
    assert all(json.dumps(words)[1:-1] in logged for words in removed_words)
    liam_texts = {s.text for s in setup["segments"]}
    other_texts = set(
        row[0]
        for row in store.db.execute(
            f"SELECT text FROM segments WHERE transcript_id IN "
            f"(SELECT id FROM transcripts WHERE participant_id IN ({_in(others)}))"
        )
    )
    unique_hashes = {text_hash(t) for t in liam_texts - other_texts}
    shared_hashes = {text_hash(t) for t in liam_texts & other_texts}
    amber_hashes = {text_hash(s.text) for s in setup["amber_segments"]}
    assert unique_hashes
    assert _embedded(store, unique_hashes) == len(unique_hashes)
    segment_ids = _in(before["segments"])
    assert (
        _count(
            store, f"SELECT count(*) FROM suggestion_decisions WHERE segment_id IN ({segment_ids})"
        )
        == 3
    )

    done = withdraw_participant(store, project.id, WITHDRAWN, actor="lead")

    assert (done.pseudonym, done.transcripts, done.segments, done.codings, done.memos) == (
        WITHDRAWN,
        1,
        len(before["segments"]),
        12,
        6,
    )
    assert done.topic_models_deleted == 0
    assert WITHDRAWN not in {p.pseudonym for p in store.list_participants(project.id)}
    assert _count(store, "SELECT count(*) FROM participants WHERE id = ?", [liam]) == 0
    assert (
        _count(
            store, "SELECT count(*) FROM participant_attributes WHERE participant_id = ?", [liam]
        )
        == 0
    )
    transcript_ids = _in(before["transcripts"])
    for table, column, ids in (
        ("transcripts", "id", transcript_ids),
        ("speakers", "transcript_id", transcript_ids),
        ("turns", "transcript_id", transcript_ids),
        ("segments", "id", segment_ids),
        ("pii_findings", "transcript_id", transcript_ids),
        ("codings", "id", _in(before["codings"])),
        ("memos", "id", _in(before["memos"])),
        ("suggestion_decisions", "segment_id", segment_ids),
        ("segment_topics", "segment_id", segment_ids),
    ):
        assert _count(store, f"SELECT count(*) FROM {table} WHERE {column} IN ({ids})") == 0, table
    assert (
        _count(store, "SELECT count(*) FROM transcripts WHERE source_name = ?", [WITHDRAWN_FILE])
        == 0
    )
    assert _embedded(store, unique_hashes) == 0
    # Texts another participant also said keep their (shared) embedding, as do Amber's.
    assert _embedded(store, shared_hashes | amber_hashes) == len(shared_hashes | amber_hashes)
    # Nobody else's data changed.
    assert _others_counts(store, others) == others_before
    assert [m.body for m in store.list_memos(project.id, target_table="segments")] == [
        "Amber memo stays."
    ]
    assert withdrawn_pseudonyms(store, project.id) == {WITHDRAWN}

    # The audit log says who withdrew whom, when, and how much went; nothing of the content.
    entry = store.audit_entries(table="participants")[0]
    assert (entry.actor, entry.action, entry.row_id) == ("lead", "withdraw participant", liam)
    assert entry.at[:10] == now_utc()[:10]
    assert json.loads(entry.payload_json) == {
        "pseudonym": WITHDRAWN,
        "transcripts": 1,
        "segments": len(before["segments"]),
        "codings": 12,
        "memos": 6,
        "topic_models_deleted": 0,
    }
    payloads = [row[0] for row in store.db.execute("SELECT payload_json FROM audit_log")]
    for words in removed_words:
        for encoded in (words, json.dumps(words)[1:-1]):
            assert not any(encoded in p for p in payloads), words
    # Nor any of the longer sentences Liam said.
    for text in (t for t in liam_texts - other_texts if len(t) > 40):
        assert not any(json.dumps(text)[1:-1] in p for p in payloads), text
    # Liam's attributes (written by "save participant") are gone from the log too.
    liam_rows = [
        json.loads(row[0])
        for row in store.db.execute(
            "SELECT payload_json FROM audit_log WHERE table_name = 'participants' AND row_id = ?",
            [liam],
        )
    ]
    assert liam_rows and not any("attributes" in payload for payload in liam_rows)


def test_quotes_retrieved_afterwards_have_nothing_of_theirs(demo: tuple[Store, Project]) -> None:
    store, project = demo
    _, codes = current_codebook(store, project.id)
    keys = [code.key for code in codes]

    def quoted() -> dict[str | None, int]:
        found = retrieve_quotes(store, project.id, keys, actor="lead")
        return {p: sum(q.participant == p for q in found) for p in {q.participant for q in found}}

    before = quoted()
    assert before[WITHDRAWN] == 11
    withdraw_participant(store, project.id, WITHDRAWN, actor="lead")
    after = quoted()
    assert WITHDRAWN not in after
    assert after == {p: n for p, n in before.items() if p != WITHDRAWN}


def test_withdrawn_words_are_gone_from_the_database_file(
    demo: tuple[Store, Project], demo_db: Path
) -> None:
    store, project = demo
    [transcript] = [t for t in store.list_transcripts(project.id) if t.participant == WITHDRAWN]
    assert DISTINCTIVE in transcript.text
    store.checkpoint_wal()
    needle = DISTINCTIVE.encode("utf-8")
    assert needle in demo_db.read_bytes()

    withdraw_participant(store, project.id, WITHDRAWN, actor="lead")
    store.checkpoint_wal()

    wal = Path(f"{demo_db}-wal")
    raw = demo_db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert needle not in raw
    assert b"stacking shelves" not in raw


def test_a_withdrawn_pseudonym_cannot_be_imported_again(demo: tuple[Store, Project]) -> None:
    store, project = demo
    withdraw_participant(store, project.id, WITHDRAWN, actor="lead")
    participants_before = len(store.list_participants(project.id))
    with pytest.raises(InvalidRequestError, match=f"{WITHDRAWN} withdrew"):
        save_participants(store, project.id, [ParticipantRecord(WITHDRAWN)], actor="lead")
    data = (REPO_ROOT / "interviews" / WITHDRAWN_FILE).read_bytes()
    with pytest.raises(InvalidRequestError, match=f"{WITHDRAWN} withdrew"):
        import_transcripts(
            store,
            project.id,
            [UploadedFile(WITHDRAWN_FILE, data)],
            actor="lead",
            participants=[ParticipantRecord(WITHDRAWN, (WITHDRAWN_FILE,))],
        )
    with pytest.raises(InvalidRequestError, match=f"{WITHDRAWN} withdrew"):
        import_transcripts(
            store,
            project.id,
            [UploadedFile(WITHDRAWN_FILE, data)],
            actor="lead",
            pseudonyms={WITHDRAWN_FILE: WITHDRAWN},
        )
    assert len(store.list_participants(project.id)) == participants_before
    assert (
        _count(store, "SELECT count(*) FROM transcripts WHERE source_name = ?", [WITHDRAWN_FILE])
        == 0
    )


@pytest.mark.parametrize("actor", ["sam.coder", "evaluator"])
def test_only_a_lead_withdraws_and_a_refusal_deletes_nothing(
    demo: tuple[Store, Project], actor: str
) -> None:
    store, project = demo
    liam = _participant_id(store, project, WITHDRAWN)
    before = _footprint(store, liam)
    audit_rows = _count(store, "SELECT count(*) FROM audit_log")
    with pytest.raises(PermissionDeniedError, match="withdraw a participant"):
        withdraw_participant(store, project.id, WITHDRAWN, actor=actor)
    assert _footprint(store, liam) == before
    assert _count(store, "SELECT count(*) FROM audit_log") == audit_rows
    assert withdrawn_pseudonyms(store, project.id) == set()


def test_withdrawing_an_unknown_pseudonym_is_not_found(demo: tuple[Store, Project]) -> None:
    store, project = demo
    with pytest.raises(NotFoundError, match="Nobody"):
        withdraw_participant(store, project.id, "Nobody", actor="lead")
    assert withdrawn_pseudonyms(store, project.id) == set()


@pytest.mark.parametrize("how", ["delete memo", "remove code"])
def test_memos_deleted_before_the_withdrawal_leave_no_words_in_the_log(
    demo: tuple[Store, Project], how: str
) -> None:
    store, project = demo
    liam = _participant_id(store, project, WITHDRAWN)
    transcript = next(t for t in store.list_transcripts(project.id) if t.participant_id == liam)
    segment = store.list_segments(transcript.id)[6]
    coding = apply_code(
        store,
        code_key="what-helped",
        coder="sam.coder",
        segment_id=segment.id,
        memo="Mentions his nan's illness.",
    )
    if how == "delete memo":
        [memo] = store.list_memos(project.id, target_table="codings", target_ids=[coding.id])
        delete_memo(store, memo.id, actor="sam.coder")
    else:
        remove_coding(store, coding.id, actor="sam.coder")
    assert store.audit_entries()[0].action == how
    withdraw_participant(store, project.id, WITHDRAWN, actor="lead")
    payloads = [row[0] for row in store.db.execute("SELECT payload_json FROM audit_log")]
    assert not any("illness" in p for p in payloads)


def test_attributes_set_by_hand_leave_no_value_in_the_log(demo: tuple[Store, Project]) -> None:
    store, project = demo
    liam = _participant_id(store, project, WITHDRAWN)
    set_participant_attribute(store, liam, "hometown", "Seaham colliery", actor="lead")
    withdraw_participant(store, project.id, WITHDRAWN, actor="lead")
    payloads = [row[0] for row in store.db.execute("SELECT payload_json FROM audit_log")]
    assert not any("Seaham" in p for p in payloads)


# -- topic summaries and saved topic models ---------------------------------------------------


def _topic(num: int, quotes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "topic_num": num,
        "label": f"topic {num}",
        "keywords_json": "[]",
        "size": len(quotes),
        "representative_json": json.dumps(quotes),
    }


def test_withdrawal_takes_quotes_out_of_topics_and_deletes_models_fitted_on_them(
    demo: tuple[Store, Project], tmp_path: Path
) -> None:
    store, project = demo
    liam = _participant_id(store, project, WITHDRAWN)
    [liam_t] = [t for t in store.list_transcripts(project.id) if t.participant_id == liam]
    [amber_t] = [t for t in store.list_transcripts(project.id) if t.participant == "Amber"]
    liam_seg = store.list_segments(liam_t.id)[4]
    amber_segs = store.list_segments(amber_t.id)[:3]

    def quote(segment: Any) -> dict[str, Any]:
        return {
            "segment_id": segment.id,
            "transcript_id": segment.transcript_id,
            "text": segment.text,
        }

    # Test setup: two stored topic runs, as fit_topics would leave them.
    folders = {name: tmp_path / name for name in ("with_liam", "without_liam")}
    runs: dict[str, int] = {}
    topics: dict[str, dict[int, int]] = {}
    with store.transaction():
        for name, folder in folders.items():
            folder.mkdir()
            (folder / "model.safetensors").write_bytes(b"weights")
            runs[name] = store.insert_topic_run(
                {
                    "project_id": project.id,
                    "params_json": "{}",
                    "seed": 42,
                    "embedding_model": "test-words",
                    "corpus_hash": name,
                    "segment_count": 4,
                    "model_path": str(folder),
                    "created_by": "lead",
                    "created_at": now_utc(),
                }
            )
        topics["with_liam"] = store.insert_topics(
            runs["with_liam"],
            [
                _topic(0, [quote(liam_seg), quote(amber_segs[0])]),
                _topic(1, [quote(amber_segs[1]), quote(amber_segs[2])]),
            ],
        )
        topics["without_liam"] = store.insert_topics(
            runs["without_liam"], [_topic(0, [quote(s) for s in amber_segs])]
        )
        store.insert_segment_topics(
            [
                {"segment_id": liam_seg.id, "topic_id": topics["with_liam"][0], "probability": 0.9},
                {
                    "segment_id": amber_segs[0].id,
                    "topic_id": topics["with_liam"][0],
                    "probability": 0.8,
                },
                *[
                    {"segment_id": s.id, "topic_id": topics["without_liam"][0], "probability": 0.7}
                    for s in amber_segs
                ],
            ]
        )

    done = withdraw_participant(store, project.id, WITHDRAWN, actor="lead")

    assert done.topic_models_deleted == 1
    summary = {t["topic_num"]: t["representative"] for t in store.list_topics(runs["with_liam"])}
    assert summary == {0: [quote(amber_segs[0])], 1: [quote(amber_segs[1]), quote(amber_segs[2])]}
    assert not folders["with_liam"].exists()
    run = store.get_topic_run(runs["with_liam"])
    assert run is not None and run["model_path"] is None
    assert [r["segment_id"] for r in store.list_segment_topics(runs["with_liam"])] == [
        amber_segs[0].id
    ]
    # A run that never saw Liam's words keeps its model and quotes.
    assert (folders["without_liam"] / "model.safetensors").read_bytes() == b"weights"
    other = store.get_topic_run(runs["without_liam"])
    assert other is not None and other["model_path"] == str(folders["without_liam"])
    [kept] = store.list_topics(runs["without_liam"])
    assert kept["representative"] == [quote(s) for s in amber_segs]
    assert (
        json.loads(store.audit_entries(table="participants")[0].payload_json)[
            "topic_models_deleted"
        ]
        == 1
    )


# -- the command line -------------------------------------------------------------------------


def test_cli_withdraw_prints_the_counts(demo_db: Path) -> None:
    opened = Store.open(demo_db)
    project = opened.list_projects()[0]
    footprint = _footprint(opened, _participant_id(opened, project, WITHDRAWN))
    opened.close()

    result = CliRunner().invoke(cli, ["--db", str(demo_db), "withdraw", WITHDRAWN, "--yes"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"withdrew {WITHDRAWN}: 1 transcripts, {len(footprint['segments'])} segments, "
        f"{len(footprint['codings'])} codings, {len(footprint['memos'])} memos deleted"
    )
    assert (len(footprint["codings"]), len(footprint["memos"])) == (11, 2)
    opened = Store.open(demo_db)
    try:
        assert WITHDRAWN not in {p.pseudonym for p in opened.list_participants(project.id)}
        entry = opened.audit_entries(table="participants")[0]
        assert (entry.actor, entry.action) == ("cli", "withdraw participant")
    finally:
        opened.close()


def test_cli_withdraw_by_a_researcher_exits_1(demo_db: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--db", str(demo_db), "--user", "sam.coder", "withdraw", WITHDRAWN, "--yes"]
    )
    assert result.exit_code == 1
    assert "may not withdraw a participant" in result.output
    opened = Store.open(demo_db)
    try:
        project = opened.list_projects()[0]
        assert WITHDRAWN in {p.pseudonym for p in opened.list_participants(project.id)}
    finally:
        opened.close()


def test_cli_consent_records_an_answer(demo_db: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(demo_db), "consent", "Amber", "--quotes", "no"])
    assert result.exit_code == 0, result.output
    assert "Amber: " in result.output and "'quotes': False" in result.output
    opened = Store.open(demo_db)
    try:
        project = opened.list_projects()[0]
        amber = next(p for p in opened.list_participants(project.id) if p.pseudonym == "Amber")
        assert amber.consent.quotes is False
        assert amber.id not in quotable_participants(opened, project.id)
    finally:
        opened.close()
    bad = CliRunner().invoke(
        cli, ["--db", str(demo_db), "consent", "Amber", "--date", "12/03/2026"]
    )
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.output


def test_cli_consent_keeps_the_answers_it_was_not_given(demo_db: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(demo_db), "consent", "Amber", "--quotes", "no"])
    assert result.exit_code == 0, result.output
    opened = Store.open(demo_db)
    try:
        project = opened.list_projects()[0]
        amber = next(p for p in opened.list_participants(project.id) if p.pseudonym == "Amber")
        assert amber.consent == Consent("2026-03-11", False, True)
    finally:
        opened.close()
