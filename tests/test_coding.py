"""Coding by hand and memos, each change with its audit row."""

from __future__ import annotations

import json

import pytest

from analysis.codebook import CodebookDraft, CodeSpec, save_code, save_codebook_version
from analysis.coding import apply_code, codings_for_transcript, remove_coding
from analysis.errors import InvalidRequestError, NotFoundError
from analysis.highlight import render_turn_html
from analysis.memos import add_memo, delete_memo, edit_memo
from analysis.models import Project
from analysis.retrieve import retrieve_quotes
from analysis.review import mark_not_personal
from analysis.storage import Store
from analysis.transcripts import UploadedFile, import_transcripts

TRANSCRIPT = (
    b"Interviewer: How did you first look for support?\n\n"
    b"Participant: I emailed the wellbeing team in October. Nobody replied for six weeks. "
    b"My friend Tomasz kept telling me to phone them instead.\n\n"
    b"Interviewer: And then?\n\n"
    b"Participant: Then the GP referred me to talking therapies, which was quicker.\n"
)


@pytest.fixture
def coded_study(store: Store, project: Project) -> tuple[Store, Project, int]:
    draft = CodebookDraft(
        "Pilot",
        "",
        (
            CodeSpec("access", "Access"),
            CodeSpec("waits", "Waiting times", parent="access"),
            CodeSpec("peers", "Friends and peers"),
        ),
    )
    save_codebook_version(store, project.id, draft, actor="lead", note="start")
    [result] = import_transcripts(
        store, project.id, [UploadedFile("P01.txt", TRANSCRIPT)], actor="lead"
    )
    # These tests are about coding, not review: keep whatever was found ("Tomasz") so the
    # transcript passes the review gate with its text unchanged.
    for finding in store.list_findings(transcript_id=result.transcript_id, status="pending"):
        mark_not_personal(store, finding.id, actor="lead")
    return store, project, result.transcript_id


def test_apply_code_to_segment_records_quote_and_audit(
    coded_study: tuple[Store, Project, int],
) -> None:
    store, project, transcript_id = coded_study
    segment = next(s for s in store.list_segments(transcript_id) if "six weeks" in s.text)
    coding = apply_code(
        store, code_key="waits", coder="sam", segment_id=segment.id, memo="silence = rejection?"
    )
    assert coding.text == segment.text == "Nobody replied for six weeks."
    assert (coding.start_char, coding.end_char, coding.source) == (
        segment.start_char,
        segment.end_char,
        "manual",
    )
    entry = store.audit_entries(table="codings")[0]
    assert (entry.actor, entry.action, entry.row_id) == ("sam", "apply code", coding.id)
    assert json.loads(entry.payload_json)["code"] == "waits"
    [memo] = store.list_memos(project.id, target_table="codings", target_ids=[coding.id])
    assert memo.body == "silence = rejection?" and memo.author == "sam"
    assert store.audit_entries(table="memos")[0].action == "add memo"


def test_span_coding_is_trimmed_and_checked(coded_study: tuple[Store, Project, int]) -> None:
    store, _, transcript_id = coded_study
    text = store.get_transcript(transcript_id).text
    start = text.index("My friend Tomasz")
    coding = apply_code(
        store,
        code_key="peers",
        coder="alex",
        transcript_id=transcript_id,
        start_char=start - 1,
        end_char=start + len("My friend Tomasz") + 1,
    )
    assert coding.text == "My friend Tomasz"
    assert text[coding.start_char : coding.end_char] == coding.text
    segment = store.get_segment(coding.segment_id or -1)
    assert segment.start_char <= coding.start_char < coding.end_char <= segment.end_char
    with pytest.raises(InvalidRequestError, match="outside"):
        apply_code(
            store,
            code_key="peers",
            coder="alex",
            transcript_id=transcript_id,
            start_char=10,
            end_char=10**6,
        )
    with pytest.raises(NotFoundError, match="no code 'nope'"):
        apply_code(
            store,
            code_key="nope",
            coder="alex",
            transcript_id=transcript_id,
            start_char=0,
            end_char=5,
        )


def test_applying_twice_is_one_coding(coded_study: tuple[Store, Project, int]) -> None:
    store, project, transcript_id = coded_study
    segment = store.list_segments(transcript_id)[0]
    first = apply_code(store, code_key="access", coder="sam", segment_id=segment.id)
    again = apply_code(store, code_key="access", coder="sam", segment_id=segment.id)
    other = apply_code(store, code_key="access", coder="alex", segment_id=segment.id)
    assert first.id == again.id != other.id
    assert len(store.list_codings(project_id=project.id)) == 2
    assert len(store.audit_entries(table="codings")) == 2


def test_remove_coding_deletes_its_memos_and_keeps_the_record(
    coded_study: tuple[Store, Project, int],
) -> None:
    store, project, transcript_id = coded_study
    segment = store.list_segments(transcript_id)[0]
    coding = apply_code(
        store, code_key="access", coder="sam", segment_id=segment.id, memo="first contact"
    )
    remove_coding(store, coding.id, actor="sam")
    assert codings_for_transcript(store, transcript_id, actor="lead") == []
    assert store.list_memos(project.id) == []
    entry = store.audit_entries(table="codings")[0]
    assert entry.action == "remove code"
    assert json.loads(entry.payload_json)["memos"] == ["first contact"]


def test_codings_keep_the_codebook_version_they_were_made_under(
    coded_study: tuple[Store, Project, int],
) -> None:
    store, project, transcript_id = coded_study
    segment = store.list_segments(transcript_id)[0]
    before = apply_code(store, code_key="waits", coder="sam", segment_id=segment.id)
    save_code(
        store, project.id, CodeSpec("waits", "Waiting for support", parent="access"), actor="lead"
    )
    after = apply_code(store, code_key="waits", coder="alex", segment_id=segment.id)
    assert before.code_id != after.code_id
    assert store.get_code(before.code_id).name == "Waiting times"
    assert store.get_code(after.code_id).name == "Waiting for support"
    quotes = retrieve_quotes(store, project.id, ["access"], actor="lead")
    assert sorted(q.coding.coder for q in quotes) == ["alex", "sam"]


def test_memo_edit_and_delete_are_audited(coded_study: tuple[Store, Project, int]) -> None:
    store, project, transcript_id = coded_study
    memo = add_memo(
        store, project.id, "transcripts", transcript_id, "Long pause before answering", author="sam"
    )
    edited = edit_memo(store, memo.id, "Long pause before the second answer", actor="sam")
    assert edited.body == "Long pause before the second answer"
    delete_memo(store, memo.id, actor="lead")
    actions = [(e.actor, e.action) for e in reversed(store.audit_entries(table="memos"))]
    assert actions == [("sam", "add memo"), ("sam", "edit memo"), ("lead", "delete memo")]
    with pytest.raises(InvalidRequestError):
        add_memo(store, project.id, "nowhere", 1, "x", author="sam")
    with pytest.raises(InvalidRequestError):
        add_memo(store, project.id, "transcripts", transcript_id, "   ", author="sam")


def test_retrieve_filters_by_attribute_and_words(coded_study: tuple[Store, Project, int]) -> None:
    store, project, transcript_id = coded_study
    participant_id = store.get_transcript(transcript_id).participant_id or -1
    store.set_participant_attribute(participant_id, "fee_status", "international")
    for segment in store.list_segments(transcript_id):
        apply_code(store, code_key="waits", coder="sam", segment_id=segment.id)
    assert (
        len(
            retrieve_quotes(
                store,
                project.id,
                ["waits"],
                actor="lead",
                attributes={"fee_status": "international"},
            )
        )
        == 4
    )
    assert (
        retrieve_quotes(
            store, project.id, ["waits"], actor="lead", attributes={"fee_status": "home"}
        )
        == []
    )
    [quote] = retrieve_quotes(store, project.id, ["waits"], actor="lead", text_contains="GP")
    assert quote.participant == "P01" and quote.source_name == "P01.txt"
    assert (
        retrieve_quotes(store, project.id, ["access"], actor="lead", include_subcodes=False) == []
    )


def test_highlight_marks_coded_words_and_names_the_code(
    coded_study: tuple[Store, Project, int],
) -> None:
    store, _, transcript_id = coded_study
    text = store.get_transcript(transcript_id).text
    start = text.index("six weeks")
    apply_code(
        store,
        code_key="waits",
        coder="sam",
        transcript_id=transcript_id,
        start_char=start,
        end_char=start + 9,
    )
    turn = store.list_turns(transcript_id)[1]
    segments = store.list_segments(transcript_id)
    html = render_turn_html(
        text,
        turn,
        segments,
        codings_for_transcript(store, transcript_id, actor="lead"),
        segment_numbers={s.id: n for n, s in enumerate(segments, 1)},
    )
    assert "<mark>six weeks</mark>" in html
    assert "Waiting times · sam" in html
    assert '<sup class="seg">1</sup>' in html
