"""Importing transcripts into a study: counts, participants, duplicates, roles, audit."""

from __future__ import annotations

import json

import pytest

from analysis.codebook import CodebookDraft, CodeSpec, save_codebook_version
from analysis.coding import apply_code
from analysis.errors import DuplicateTranscriptError, InputFileError, InvalidRequestError
from analysis.ingest import parse_transcript
from analysis.models import Project
from analysis.participants import ParticipantRecord
from analysis.review import mark_not_personal
from analysis.storage import Store
from analysis.transcripts import (
    BatchImportError,
    UploadedFile,
    default_pseudonym,
    import_transcripts,
    set_speaker_role,
)

# Every participant sentence has at least three words, so each is one segment.
P1_TXT = (
    b"Interviewer: How did you hear about the peer support group?\n"
    b"P1: A poster in the library. I almost ignored it.\n"
    b"Interviewer: What made you go?\n"
    b"P1: My friend Tamsin came with me. We sat at the back.\n"
)
P1_SENTENCES = [
    "A poster in the library.",
    "I almost ignored it.",
    "My friend Tamsin came with me.",
    "We sat at the back.",
]
P1_INTERVIEWER_SENTENCES = [
    "How did you hear about the peer support group?",
    "What made you go?",
]
# The same conversation written as Markdown: a different file, the same stored text.
P1_MD = (
    b"# Session one\n\n"
    b"**Interviewer:** How did you hear about the peer support group?\n\n"
    b"**P1:** A poster in the library. I almost ignored it.\n\n"
    b"**Interviewer:** What made you go?\n\n"
    b"**P1:** My friend Tamsin came with me. We sat at the back.\n"
)
P2_MD = (
    b"**Interviewer:** Was the group easy to find?\n\n"
    b"**P2:** Not at first. The room number was wrong on the website.\n\n"
    b"**Interviewer:** And after that?\n\n"
    b"**P2:** After that it was fine. I went every single week.\n"
)
P2_SENTENCES = [
    "Not at first.",
    "The room number was wrong on the website.",
    "After that it was fine.",
    "I went every single week.",
]


def table_count(store: Store, table: str) -> int:
    return int(store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def snapshot(store: Store, project: Project) -> tuple[dict[str, int], int, int, int, int]:
    return (
        store.count_rows(project.id),
        len(store.audit_entries(limit=10_000)),
        table_count(store, "turns"),
        table_count(store, "speakers"),
        table_count(store, "participants"),
    )


def import_one(store: Store, project: Project, name: str, data: bytes) -> int:
    [imported] = import_transcripts(store, project.id, [UploadedFile(name, data)], actor="sam")
    return imported.transcript_id


# -- counts ---------------------------------------------------------------------------------


def test_import_stores_transcripts_turns_speakers_and_segments(
    store: Store, project: Project
) -> None:
    results = import_transcripts(
        store,
        project.id,
        [UploadedFile("P1.txt", P1_TXT), UploadedFile("P2.md", P2_MD)],
        actor="sam",
    )
    assert [(r.source_name, r.participant, r.turns, r.segments) for r in results] == [
        ("P1.txt", "P1", 4, 4),
        ("P2.md", "P2", 4, 4),
    ]
    assert results[0].speakers == {"Interviewer": "interviewer", "P1": "participant"}
    assert results[1].speakers == {"Interviewer": "interviewer", "P2": "participant"}

    counts = store.count_rows(project.id)
    assert counts["transcripts"] == 2
    assert counts["participants"] == 2
    assert counts["segments"] == 8
    assert counts["codings"] == 0
    assert table_count(store, "turns") == 8
    assert table_count(store, "speakers") == 4

    first = store.get_transcript(results[0].transcript_id)
    assert first.source_format == "txt"
    assert first.imported_by == "sam"
    assert first.participant == "P1"
    assert first.text == parse_transcript("P1.txt", P1_TXT).text
    assert [s.text for s in store.list_segments(first.id)] == P1_SENTENCES
    second = store.get_transcript(results[1].transcript_id)
    assert second.source_format == "md"
    assert [s.text for s in store.list_segments(second.id)] == P2_SENTENCES

    turns = store.list_turns(first.id)
    assert [(t.position, t.speaker, t.role) for t in turns] == [
        (0, "Interviewer", "interviewer"),
        (1, "P1", "participant"),
        (2, "Interviewer", "interviewer"),
        (3, "P1", "participant"),
    ]
    assert [first.text[t.start_char : t.end_char] for t in turns] == [
        "How did you hear about the peer support group?",
        "A poster in the library. I almost ignored it.",
        "What made you go?",
        "My friend Tamsin came with me. We sat at the back.",
    ]
    for transcript in (first, second):
        for segment in store.list_segments(transcript.id):
            assert transcript.text[segment.start_char : segment.end_char] == segment.text
            assert segment.speaker in ("P1", "P2")


def test_role_override_at_import(store: Store, project: Project) -> None:
    [result] = import_transcripts(
        store,
        project.id,
        [UploadedFile("P1.txt", P1_TXT)],
        actor="sam",
        roles={"P1.txt": {"Interviewer": "participant"}},
    )
    assert result.speakers == {"Interviewer": "participant", "P1": "participant"}
    assert result.segments == 6
    texts = [s.text for s in store.list_segments(result.transcript_id)]
    assert sorted(texts) == sorted(P1_SENTENCES + P1_INTERVIEWER_SENTENCES)


def test_unknown_role_at_import_writes_nothing(store: Store, project: Project) -> None:
    before = snapshot(store, project)
    with pytest.raises(InvalidRequestError, match="unknown speaker role 'observer'"):
        import_transcripts(
            store,
            project.id,
            [UploadedFile("P2.md", P2_MD), UploadedFile("P1.txt", P1_TXT)],
            actor="sam",
            participants=[ParticipantRecord("Heron")],
            roles={"P1.txt": {"P1": "observer"}},
        )
    assert snapshot(store, project) == before


# -- participants -----------------------------------------------------------------------------


def test_participant_linked_through_transcripts_column(store: Store, project: Project) -> None:
    records = [
        ParticipantRecord("Heron", ("Interview-07.TXT",), {"year": "2", "course": "history"}),
        ParticipantRecord("Wren", ("other.txt",)),
    ]
    [result] = import_transcripts(
        store,
        project.id,
        [UploadedFile("interview-07.txt", P1_TXT)],
        actor="sam",
        participants=records,
    )
    assert result.participant == "Heron"
    assert store.get_transcript(result.transcript_id).participant == "Heron"
    people = {p.pseudonym: p.attributes for p in store.list_participants(project.id)}
    assert people == {"Heron": {"course": "history", "year": "2"}, "Wren": {}}


def test_participant_linked_by_pseudonym_equal_to_file_stem(store: Store, project: Project) -> None:
    [result] = import_transcripts(
        store,
        project.id,
        [UploadedFile("p4.txt", P1_TXT)],
        actor="sam",
        participants=[ParticipantRecord("P4", (), {"year": "1"})],
    )
    assert result.participant == "P4"
    assert [p.pseudonym for p in store.list_participants(project.id)] == ["P4"]


def test_default_pseudonym_is_the_file_stem(store: Store, project: Project) -> None:
    assert default_pseudonym("session blue.final.docx") == "session blue.final"
    transcript_id = import_one(store, project, "session-blue.txt", P1_TXT)
    assert store.get_transcript(transcript_id).participant == "session-blue"
    assert [p.pseudonym for p in store.list_participants(project.id)] == ["session-blue"]


def test_chosen_pseudonym_overrides_file_and_records(store: Store, project: Project) -> None:
    [result] = import_transcripts(
        store,
        project.id,
        [UploadedFile("p4.txt", P1_TXT)],
        actor="sam",
        participants=[ParticipantRecord("P4")],
        pseudonyms={"p4.txt": "Kestrel"},
    )
    assert result.participant == "Kestrel"
    assert sorted(p.pseudonym for p in store.list_participants(project.id)) == ["Kestrel", "P4"]


# -- duplicates and bad batches ----------------------------------------------------------------


def test_same_bytes_under_another_name_is_refused(store: Store, project: Project) -> None:
    import_one(store, project, "P1.txt", P1_TXT)
    before = snapshot(store, project)
    with pytest.raises(BatchImportError) as caught:
        import_transcripts(store, project.id, [UploadedFile("copy of P1.txt", P1_TXT)], actor="sam")
    [error] = caught.value.errors
    assert isinstance(error, DuplicateTranscriptError)
    assert error.source_name == "copy of P1.txt"
    assert "'P1.txt'" in str(error)
    assert "nothing was imported" in str(caught.value)
    assert snapshot(store, project) == before
    assert before[0]["transcripts"] == 1


def test_same_text_in_another_format_is_refused(store: Store, project: Project) -> None:
    assert parse_transcript("P1.md", P1_MD).text == parse_transcript("P1.txt", P1_TXT).text
    import_one(store, project, "P1.txt", P1_TXT)
    before = snapshot(store, project)
    with pytest.raises(BatchImportError) as caught:
        import_transcripts(
            store,
            project.id,
            [UploadedFile("P2.md", P2_MD), UploadedFile("P1.md", P1_MD)],
            actor="sam",
        )
    assert [e.source_name for e in caught.value.errors] == ["P1.md"]
    assert isinstance(caught.value.errors[0], DuplicateTranscriptError)
    assert snapshot(store, project) == before


def test_duplicate_within_one_batch_is_refused(store: Store, project: Project) -> None:
    before = snapshot(store, project)
    with pytest.raises(BatchImportError) as caught:
        import_transcripts(
            store,
            project.id,
            [UploadedFile("P1.txt", P1_TXT), UploadedFile("P1.md", P1_MD)],
            actor="sam",
        )
    [error] = caught.value.errors
    assert isinstance(error, DuplicateTranscriptError)
    assert str(error) == "P1.md: has the same content as 'P1.txt'"
    assert snapshot(store, project) == before
    assert before[0]["transcripts"] == 0


def test_one_bad_file_means_nothing_is_imported(store: Store, project: Project) -> None:
    before = snapshot(store, project)
    with pytest.raises(BatchImportError) as caught:
        import_transcripts(
            store,
            project.id,
            [
                UploadedFile("P1.txt", P1_TXT),
                UploadedFile("empty.txt", b""),
                UploadedFile("P2.md", P2_MD),
                UploadedFile("notes.rtf", b"{\\rtf1 hello}"),
            ],
            actor="sam",
            participants=[ParticipantRecord("Heron", ("P1.txt",))],
        )
    assert [e.source_name for e in caught.value.errors] == ["empty.txt", "notes.rtf"]
    assert all(isinstance(e, InputFileError) for e in caught.value.errors)
    message = str(caught.value)
    assert "2 file(s) refused" in message
    assert "- empty.txt: is empty" in message
    assert "notes.rtf: unsupported file type '.rtf'" in message
    assert snapshot(store, project) == before
    assert store.list_transcripts(project.id) == []
    assert store.list_participants(project.id) == []
    assert store.audit_entries() == []


# -- speaker roles ----------------------------------------------------------------------------


def segment_spans(store: Store, transcript_id: int) -> list[tuple[int, int, str, str]]:
    return [
        (s.start_char, s.end_char, s.speaker, s.text) for s in store.list_segments(transcript_id)
    ]


def test_set_speaker_role_resegments(store: Store, project: Project) -> None:
    transcript_id = import_one(store, project, "P1.txt", P1_TXT)
    original = segment_spans(store, transcript_id)
    assert [text for *_, text in original] == P1_SENTENCES

    assert set_speaker_role(store, transcript_id, "P1", "interviewer", actor="lee") == 0
    assert store.list_segments(transcript_id) == []
    roles = {s.label: s.role for s in store.list_speakers(transcript_id)}
    assert roles == {"Interviewer": "interviewer", "P1": "interviewer"}

    assert set_speaker_role(store, transcript_id, "P1", "participant", actor="lee") == 4
    assert segment_spans(store, transcript_id) == original

    assert set_speaker_role(store, transcript_id, "Interviewer", "participant", actor="lee") == 6
    texts = [s.text for s in store.list_segments(transcript_id)]
    assert texts == [
        P1_INTERVIEWER_SENTENCES[0],
        *P1_SENTENCES[:2],
        P1_INTERVIEWER_SENTENCES[1],
        *P1_SENTENCES[2:],
    ]
    transcript = store.get_transcript(transcript_id)
    turn_ids = {t.id: t for t in store.list_turns(transcript_id)}
    for segment in store.list_segments(transcript_id):
        assert transcript.text[segment.start_char : segment.end_char] == segment.text
        turn = turn_ids[segment.turn_id]
        assert turn.speaker == segment.speaker
        assert turn.start_char <= segment.start_char < segment.end_char <= turn.end_char

    labels = {s.id: s.label for s in store.list_speakers(transcript_id)}
    entries = list(reversed(store.audit_entries(table="speakers")))
    assert all("label" not in json.loads(e.payload_json) for e in entries)
    actions = [
        (e.action, e.actor, labels[e.row_id or -1], json.loads(e.payload_json)["role"])
        for e in entries
    ]
    assert actions == [
        ("set speaker role", "lee", "P1", "interviewer"),
        ("set speaker role", "lee", "P1", "participant"),
        ("set speaker role", "lee", "Interviewer", "participant"),
    ]


def test_set_speaker_role_refuses_when_segments_are_coded(store: Store, project: Project) -> None:
    transcript_id = import_one(store, project, "P1.txt", P1_TXT)
    draft = CodebookDraft(
        name="Pilot codebook",
        description="First pass",
        codes=(
            CodeSpec("finding-help", "Finding help", definition="How students learn of support"),
            CodeSpec("peers", "Peers"),
        ),
    )
    save_codebook_version(store, project.id, draft, actor="lead", note="pilot")
    # Keep what the review gate found ("Tamsin"), so the transcript can be coded as it is.
    for finding in store.list_findings(transcript_id=transcript_id, status="pending"):
        mark_not_personal(store, finding.id, actor="lee")
    segment = store.list_segments(transcript_id)[2]
    assert segment.text == "My friend Tamsin came with me."
    coding = apply_code(store, code_key="peers", coder="lee", segment_id=segment.id)
    assert coding.text == segment.text

    before = snapshot(store, project)
    segments_before = segment_spans(store, transcript_id)
    with pytest.raises(InvalidRequestError, match="'P1' has coded segments"):
        set_speaker_role(store, transcript_id, "P1", "interviewer", actor="lee")
    assert snapshot(store, project) == before
    assert segment_spans(store, transcript_id) == segments_before
    roles = {s.label: s.role for s in store.list_speakers(transcript_id)}
    assert roles == {"Interviewer": "interviewer", "P1": "participant"}
    assert store.audit_entries(table="speakers") == []
    assert store.count_rows(project.id)["codings"] == 1


def test_set_speaker_role_rejects_unknown_role_and_speaker(store: Store, project: Project) -> None:
    transcript_id = import_one(store, project, "P1.txt", P1_TXT)
    with pytest.raises(InvalidRequestError, match="unknown speaker role 'observer'"):
        set_speaker_role(store, transcript_id, "P1", "observer", actor="lee")
    with pytest.raises(InvalidRequestError, match="no speaker 'P9'"):
        set_speaker_role(store, transcript_id, "P9", "participant", actor="lee")
    assert [text for *_, text in segment_spans(store, transcript_id)] == P1_SENTENCES


# -- audit --------------------------------------------------------------------------------------


def test_import_writes_audit_rows(store: Store, project: Project) -> None:
    results = import_transcripts(
        store,
        project.id,
        [UploadedFile("P1.txt", P1_TXT), UploadedFile("P2.md", P2_MD)],
        actor="sam",
        participants=[ParticipantRecord("P2", (), {"year": "3"})],
    )
    entries = list(reversed(store.audit_entries(table="transcripts")))
    assert [(e.action, e.actor, e.row_id) for e in entries] == [
        ("import transcript", "sam", results[0].transcript_id),
        ("import transcript", "sam", results[1].transcript_id),
    ]
    # Speaker labels may be real names, so the audit row counts roles instead of naming them.
    assert json.loads(entries[0].payload_json) == {
        "source_name": "P1.txt",
        "participant": "P1",
        "speakers": 2,
        "roles": {"interviewer": 1, "participant": 1},
        "pii_findings": results[0].pii_findings,
    }
    assert json.loads(entries[1].payload_json)["participant"] == "P2"
    participant_entries = store.audit_entries(table="participants")
    assert [(e.action, json.loads(e.payload_json)["pseudonym"]) for e in participant_entries] == [
        ("save participant", "P2")
    ]
    assert len(store.audit_entries()) == 3
