"""The anonymisation review gate: findings at import, redaction with stable placeholders,
offsets kept exact, the coding gate, the audit log and what is left on disk."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from sqlite_utils import Database
from streamlit.testing.v1 import AppTest

from analysis.codebook import CodebookDraft, CodeSpec, save_codebook_version
from analysis.coding import apply_code
from analysis.errors import InvalidRequestError
from analysis.models import Project
from analysis.review import (
    CLEARED,
    NEEDS_REVIEW,
    PENDING,
    add_finding,
    add_findings_for_words,
    adjust_finding,
    ensure_cleared,
    list_findings,
    mark_not_personal,
    placeholder_key,
    redact_confident,
    redact_findings,
    review_status,
    scan_transcript,
)
from analysis.storage import Store, migrations
from analysis.transcripts import UploadedFile, import_transcripts
from tests.conftest import TEST_USERS

EMAIL = "sam.k@example.com"
PHONE = "07700 900123"
SERVICE_EMAIL = "wellbeing@uni.example.ac.uk"
TRANSCRIPT = (
    "Interviewer: How did you first get in touch with the wellbeing team?\n\n"
    f"Participant: I emailed {EMAIL} in October and nobody replied for weeks. "
    f"Then I rang {PHONE} and an adviser picked up straight away.\n\n"
    "Interviewer: What happened after that call?\n\n"
    "Participant: They booked me in for the following week. It really helped a lot.\n"
)
SPEECH = [
    "How did you first get in touch with the wellbeing team?",
    f"I emailed {EMAIL} in October and nobody replied for weeks. "
    f"Then I rang {PHONE} and an adviser picked up straight away.",
    "What happened after that call?",
    "They booked me in for the following week. It really helped a lot.",
]
PAGE = Path(__file__).resolve().parent.parent / "app_pages" / "review.py"


def import_text(store: Store, project: Project, name: str, text: str) -> int:
    [result] = import_transcripts(
        store, project.id, [UploadedFile(name, text.encode("utf-8"))], actor="sam"
    )
    return result.transcript_id


def finding_for(store: Store, transcript_id: int, text: str) -> int:
    return next(f.id for f in list_findings(store, transcript_id, actor="lead") if f.text == text)


def settle_others(store: Store, transcript_id: int) -> None:
    """Keep whatever else the detector flagged, so only the planted identifiers matter."""
    for finding in store.list_findings(transcript_id=transcript_id, status=PENDING):
        mark_not_personal(store, finding.id, actor="lead")


def assert_offsets_exact(store: Store, transcript_id: int, speech: list[str]) -> None:
    """Turns hold the expected speech, segments their text, findings their span."""
    transcript = store.get_transcript(transcript_id)
    text = transcript.text
    turns = store.list_turns(transcript_id)
    assert [text[t.start_char : t.end_char] for t in turns] == speech
    for turn in turns:
        assert text[: turn.start_char].endswith(f"{turn.speaker}: ")
    turn_by_id = {t.id: t for t in turns}
    segments = store.list_segments(transcript_id)
    assert segments
    for segment in segments:
        turn = turn_by_id[segment.turn_id]
        assert text[segment.start_char : segment.end_char] == segment.text
        assert turn.start_char <= segment.start_char < segment.end_char <= turn.end_char
        assert segment.speaker == turn.speaker
    for finding in store.list_findings(transcript_id=transcript_id):
        assert text[finding.start_char : finding.end_char] == finding.text
        if finding.status == "redacted":
            assert finding.text == finding.placeholder
    assert transcript.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
def codebook(store: Store, project: Project) -> None:
    draft = CodebookDraft("Pilot", "", (CodeSpec("access", "Access"),))
    save_codebook_version(store, project.id, draft, actor="lead", note="start")


# -- import ------------------------------------------------------------------------------------


def test_import_stores_findings_as_pending_without_their_text(
    store: Store, project: Project
) -> None:
    transcript_id = import_text(store, project, "P01.txt", TRANSCRIPT)
    findings = list_findings(store, transcript_id, actor="lead")
    by_text = {f.text: f for f in findings}
    assert by_text[EMAIL].label == "EMAIL" and by_text[PHONE].label == "PHONE"
    assert all(f.status == PENDING and 0 <= f.score <= 1 for f in findings)
    assert store.get_transcript(transcript_id).anonymisation_status == NEEDS_REVIEW
    assert store.list_segments(transcript_id), "segments are made at import"
    columns = {c.name for c in store.db.table("pii_findings").columns}
    assert "text" not in columns
    rows = store.db.execute("SELECT * FROM pii_findings").fetchall()
    assert not any(EMAIL in str(value) for row in rows for value in row)
    status = review_status(store, transcript_id)
    assert (status.status, status.pending) == (NEEDS_REVIEW, len(findings))


def test_import_audit_row_holds_no_speaker_labels(store: Store, project: Project) -> None:
    text = (
        "Interviewer: How was it?\n\nTamsin: It was slow. I waited for weeks.\n\n"
        "Interviewer: And then?\n\nTamsin: Then it got better, slowly but surely.\n"
    )
    transcript_id = import_text(store, project, "P02.txt", text)
    [entry] = store.audit_entries(table="transcripts")
    payload = json.loads(entry.payload_json)
    assert "Tamsin" not in entry.payload_json
    assert payload["source_name"] == "P02.txt" and payload["participant"] == "P02"
    assert payload["speakers"] == 2
    assert sum(payload["roles"].values()) == 2
    assert payload["pii_findings"] == len(list_findings(store, transcript_id, actor="lead"))


def test_a_transcript_without_findings_is_cleared(store: Store, project: Project) -> None:
    text = (
        "Interviewer: How was the wait?\n\nParticipant: The wait was long and the room was cold.\n"
    )
    transcript_id = import_text(store, project, "P03.txt", text)
    expected = NEEDS_REVIEW if list_findings(store, transcript_id, actor="lead") else CLEARED
    assert store.get_transcript(transcript_id).anonymisation_status == expected


# -- the gate ----------------------------------------------------------------------------------


def test_coding_is_refused_until_the_review_is_done(
    store: Store, project: Project, codebook: None
) -> None:
    transcript_id = import_text(store, project, "P01.txt", TRANSCRIPT)
    segment = store.list_segments(transcript_id)[0]
    with pytest.raises(
        InvalidRequestError, match=r"P01\.txt needs PII review before it can be coded"
    ):
        apply_code(store, code_key="access", coder="sam", segment_id=segment.id)
    assert store.count_rows(project.id)["codings"] == 0

    redact_findings(
        store,
        [finding_for(store, transcript_id, EMAIL), finding_for(store, transcript_id, PHONE)],
        actor="lead",
    )
    settle_others(store, transcript_id)
    assert ensure_cleared(store, transcript_id).anonymisation_status == CLEARED
    segment = store.list_segments(transcript_id)[0]
    coding = apply_code(store, code_key="access", coder="sam", segment_id=segment.id)
    assert coding.text == segment.text


def test_unchecked_transcripts_from_old_databases_need_review(
    store: Store, project: Project, codebook: None
) -> None:
    transcript_id = import_text(store, project, "P01.txt", TRANSCRIPT)
    store.db.execute("DELETE FROM pii_findings")
    store.update_transcript(transcript_id, {"anonymisation_status": "unchecked"})
    with pytest.raises(InvalidRequestError, match="needs PII review"):
        apply_code(
            store,
            code_key="access",
            coder="sam",
            transcript_id=transcript_id,
            start_char=20,
            end_char=40,
        )
    status = scan_transcript(store, transcript_id, actor="lead")
    assert status.status == NEEDS_REVIEW
    assert {f.text for f in list_findings(store, transcript_id, actor="lead")} >= {EMAIL, PHONE}
    assert store.audit_entries(table="transcripts")[0].action == "scan for personal data"


def test_migration_brings_an_old_database_under_the_gate(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(str(path))
    migrations.apply(old, stop_before="m002_pii_review")
    assert "pii_findings" not in old.table_names()
    old.close()
    store = Store.open(path)
    assert {"pii_findings", "placeholders", "allow_terms"} <= set(store.db.table_names())
    assert "pii_secret" in {c.name for c in store.db.table("projects").columns}
    assert store.db.execute("PRAGMA secure_delete").fetchone()[0] == 1
    store.close()


# -- redaction ---------------------------------------------------------------------------------


def test_redaction_replaces_the_span_and_keeps_every_offset_exact(
    store: Store, project: Project
) -> None:
    transcript_id = import_text(store, project, "P01.txt", TRANSCRIPT)
    assert_offsets_exact(store, transcript_id, SPEECH)
    [email] = redact_findings(store, [finding_for(store, transcript_id, EMAIL)], actor="lead")
    assert (email.status, email.placeholder, email.decided_by) == ("redacted", "[EMAIL_1]", "lead")
    text = store.get_transcript(transcript_id).text
    assert "[EMAIL_1]" in text and EMAIL not in text
    speech = [s.replace(EMAIL, "[EMAIL_1]") for s in SPEECH]
    assert_offsets_exact(store, transcript_id, speech)
    assert any("[EMAIL_1]" in s.text for s in store.list_segments(transcript_id))

    [phone] = redact_findings(store, [finding_for(store, transcript_id, PHONE)], actor="lead")
    assert phone.placeholder == "[PHONE_1]"
    speech = [s.replace(PHONE, "[PHONE_1]") for s in speech]
    assert_offsets_exact(store, transcript_id, speech)
    settle_others(store, transcript_id)
    assert review_status(store, transcript_id).status == CLEARED
    with pytest.raises(InvalidRequestError, match="already redacted"):
        redact_findings(store, [email.id], actor="lead")


def test_redact_confident_redacts_only_sure_findings(store: Store, project: Project) -> None:
    transcript_id = import_text(store, project, "P01.txt", TRANSCRIPT)
    low = add_finding(
        store, transcript_id, *_span(store, transcript_id, "October"), "DATE", actor="lead"
    )
    store.update_rows("pii_findings", {low.id: {"score": 0.3}})
    redacted = redact_confident(store, transcript_id, actor="lead")
    assert {f.placeholder for f in redacted} >= {"[EMAIL_1]", "[PHONE_1]"}
    assert all(f.status == "redacted" for f in redacted)
    assert store.list_findings(ids=[low.id])[0].status == PENDING
    assert "October" in store.get_transcript(transcript_id).text


def _span(store: Store, transcript_id: int, words: str) -> tuple[int, int]:
    start = store.get_transcript(transcript_id).text.index(words)
    return start, start + len(words)


def test_placeholders_are_stable_across_the_project(store: Store, project: Project) -> None:
    first = import_text(store, project, "P01.txt", TRANSCRIPT)
    redact_confident(store, first, actor="lead")
    # The same address, written differently, and a new one in a second transcript.
    second_text = (
        "Interviewer: Who did you write to?\n\n"
        "Participant: I wrote to  SAM.K@Example.com  first. "
        "Later I wrote to jo.b@example.com as well.\n"
    )
    second = import_text(store, project, "P02.txt", second_text)
    same = next(f for f in list_findings(store, second, actor="lead") if f.text.casefold() == EMAIL)
    other = finding_for(store, second, "jo.b@example.com")
    redact_findings(store, [same.id, other], actor="lead")
    text = store.get_transcript(second).text
    assert "I wrote to [EMAIL_1] first. Later I wrote to [EMAIL_2] as well." in text


def test_placeholder_key_ignores_case_and_spacing_but_not_label() -> None:
    key = placeholder_key("secret", "PERSON", "Tamsin  Okafor")
    assert key == placeholder_key("secret", "PERSON", " tamsin okafor ")
    assert key != placeholder_key("secret", "ADDRESS", "Tamsin Okafor")
    assert key != placeholder_key("other secret", "PERSON", "Tamsin Okafor")
    assert len(key) == 64 and "tamsin" not in key


def test_placeholders_table_holds_an_hmac_not_the_string(store: Store, project: Project) -> None:
    transcript_id = import_text(store, project, "P01.txt", TRANSCRIPT)
    redact_findings(store, [finding_for(store, transcript_id, EMAIL)], actor="lead")
    [row] = [r for r in store.db.query("SELECT * FROM placeholders") if r["label"] == "EMAIL"]
    secret = store.db.execute("SELECT pii_secret FROM projects WHERE id = ?", [project.id])
    secret_hex = secret.fetchone()[0]
    assert len(secret_hex) == 64
    expected = hmac.new(
        secret_hex.encode(), f"EMAIL\x00{EMAIL}".encode(), hashlib.sha256
    ).hexdigest()
    assert (row["key_hash"], row["number"]) == (expected, 1)
    assert not any(EMAIL in str(v) for v in row.values())


# -- other decisions ---------------------------------------------------------------------------


def test_not_personal_with_allow_list_stops_the_term_being_found(
    store: Store, project: Project
) -> None:
    text = TRANSCRIPT.replace(EMAIL, SERVICE_EMAIL)
    transcript_id = import_text(store, project, "P01.txt", text)
    service = finding_for(store, transcript_id, SERVICE_EMAIL)
    [kept] = mark_not_personal(store, service, actor="lead", add_to_allow_list=True)
    assert (kept.status, kept.decided_by) == ("not-personal", "lead")
    assert SERVICE_EMAIL in store.get_transcript(transcript_id).text
    assert SERVICE_EMAIL in store.list_allow_terms(project.id)

    later = TRANSCRIPT.replace(EMAIL, SERVICE_EMAIL).replace("October", "November")
    next_id = import_text(store, project, "P02.txt", later)
    found = {f.text for f in list_findings(store, next_id, actor="lead")}
    assert SERVICE_EMAIL not in found and PHONE in found


def test_adjust_finding_moves_a_pending_span(store: Store, project: Project) -> None:
    transcript_id = import_text(store, project, "P01.txt", TRANSCRIPT)
    start, end = _span(store, transcript_id, "the wellbeing team")
    added = add_finding(store, transcript_id, start, end, "PERSON", actor="lead")
    moved = adjust_finding(store, added.id, start + 3, end, actor="lead", label="address")
    assert (moved.text, moved.label) == ("wellbeing team", "ADDRESS")  # trimmed
    entry = store.audit_entries(table="pii_findings")[0]
    assert entry.action == "adjust finding"
    assert json.loads(entry.payload_json)["to"] == [moved.start_char, moved.end_char]
    email = finding_for(store, transcript_id, EMAIL)
    with pytest.raises(InvalidRequestError, match="overlap"):
        adjust_finding(
            store, moved.id, *_span(store, transcript_id, f"emailed {EMAIL}"), actor="lead"
        )
    redact_findings(store, [email], actor="lead")
    with pytest.raises(InvalidRequestError, match="only pending"):
        adjust_finding(store, email, 0, 5, actor="lead")


def test_add_finding_for_missed_words_redacts_every_occurrence(
    store: Store, project: Project
) -> None:
    text = (
        "Interviewer: Who helped you?\n\n"
        "Participant: My flatmate Tomasz did. Tomasz sat with me all night, honestly.\n\n"
        "Interviewer: And afterwards?\n\n"
        "Participant: Afterwards Tomasz walked me to the surgery the next morning.\n"
    )
    transcript_id = import_text(store, project, "P04.txt", text)
    settle_others(store, transcript_id)  # whatever the detector found, the reviewer adds
    added = add_findings_for_words(store, transcript_id, "Tomasz", "person", actor="lead")
    assert [f.text for f in added] == ["Tomasz"] * 3
    assert all((f.label, f.source, f.score) == ("PERSON", "reviewer", 1.0) for f in added)
    with pytest.raises(InvalidRequestError, match="already a finding"):
        add_findings_for_words(store, transcript_id, "Tomasz", "PERSON", actor="lead")
    with pytest.raises(InvalidRequestError, match="unknown label"):
        add_finding(store, transcript_id, 0, 5, "NICKNAME", actor="lead")
    redact_findings(store, [f.id for f in added], actor="lead")
    speech = [
        "Who helped you?",
        "My flatmate [PERSON_1] did. [PERSON_1] sat with me all night, honestly.",
        "And afterwards?",
        "Afterwards [PERSON_1] walked me to the surgery the next morning.",
    ]
    assert_offsets_exact(store, transcript_id, speech)


def test_a_span_across_a_speaker_label_is_refused(store: Store, project: Project) -> None:
    transcript_id = import_text(store, project, "P01.txt", TRANSCRIPT)
    start, _ = _span(store, transcript_id, "Participant: I emailed")
    with pytest.raises(InvalidRequestError, match="cross a speaker label"):
        add_finding(
            store, transcript_id, start, start + len("Participant: I"), "PERSON", actor="lead"
        )


def test_speaker_label_redaction_renames_the_speaker(store: Store, project: Project) -> None:
    text = (
        "Maya Interviewer: How did you find the counselling service?\n\n"
        "Tamsin: Through a poster in the library, I think. It was by the lifts.\n\n"
        "Maya Interviewer: What made you go?\n\n"
        "Tamsin: My tutor said it was worth a try. So I booked a session.\n"
    )
    transcript_id = import_text(store, project, "P05.txt", text)
    settle_others(store, transcript_id)
    labels = add_findings_for_words(store, transcript_id, "Tamsin", "PERSON", actor="lead")
    assert len(labels) == 2
    [maya, *_] = add_findings_for_words(store, transcript_id, "Maya", "PERSON", actor="lead")
    redact_findings(store, [labels[1].id, maya.id], actor="lead")
    speakers = {s.label: s.role for s in store.list_speakers(transcript_id)}
    assert speakers == {"[PERSON_1] Interviewer": "interviewer", "[PERSON_2]": "participant"}
    stored = store.get_transcript(transcript_id).text
    assert "Tamsin" not in stored and "Maya" not in stored
    assert stored.count("[PERSON_2]: ") == 2 and stored.count("[PERSON_1] Interviewer: ") == 2
    assert {f.status for f in store.list_findings(ids=[f.id for f in labels])} == {"redacted"}
    speech = [
        "How did you find the counselling service?",
        "Through a poster in the library, I think. It was by the lifts.",
        "What made you go?",
        "My tutor said it was worth a try. So I booked a session.",
    ]
    assert_offsets_exact(store, transcript_id, speech)
    assert {s.speaker for s in store.list_segments(transcript_id)} == {"[PERSON_2]"}
    assert "Tamsin" not in json.dumps([e.payload_json for e in store.audit_entries()])


def test_redaction_is_refused_once_the_transcript_is_coded(
    store: Store, project: Project, codebook: None
) -> None:
    transcript_id = import_text(store, project, "P01.txt", TRANSCRIPT)
    redact_confident(store, transcript_id, actor="lead")
    settle_others(store, transcript_id)
    segment = store.list_segments(transcript_id)[0]
    apply_code(store, code_key="access", coder="sam", segment_id=segment.id)
    late = add_finding(
        store, transcript_id, *_span(store, transcript_id, "October"), "DATE", actor="lead"
    )
    assert review_status(store, transcript_id).status == NEEDS_REVIEW
    before = store.get_transcript(transcript_id).text
    with pytest.raises(InvalidRequestError, match="remove its codings first"):
        redact_findings(store, [late.id], actor="lead")
    assert store.get_transcript(transcript_id).text == before
    assert store.list_findings(ids=[late.id])[0].status == PENDING


# -- what is kept ------------------------------------------------------------------------------


def test_audit_rows_of_decisions_never_hold_the_removed_text(
    store: Store, project: Project
) -> None:
    transcript_id = import_text(store, project, "P01.txt", TRANSCRIPT)
    redact_confident(store, transcript_id, actor="lead")
    name = add_finding(
        store, transcript_id, *_span(store, transcript_id, "adviser"), "PERSON", actor="lead"
    )
    redact_findings(store, [name.id], actor="lead")
    settle_others(store, transcript_id)
    entries = store.audit_entries(table="pii_findings")
    redactions = [e for e in entries if e.action == "redact personal data"]
    assert len(redactions) >= 3 and all(e.actor == "lead" for e in redactions)
    for entry in redactions:
        payload = json.loads(entry.payload_json)
        assert {"finding_id", "label", "placeholder", "transcript_id"} <= payload.keys()
        assert payload["finding_id"] == entry.row_id
    everything = json.dumps([e.payload_json for e in store.audit_entries(limit=10_000)])
    for removed in (EMAIL, PHONE, "adviser"):
        assert removed not in everything


def _files_hold(path: Path, needle: str) -> list[str]:
    holding = []
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(f"{path}{suffix}")
        if candidate.exists() and needle.encode("utf-8") in candidate.read_bytes():
            holding.append(candidate.name)
    return holding


def test_removed_text_is_gone_from_the_database_files(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    store = Store.open(path)
    for name, role in TEST_USERS.items():
        store.upsert_user(name, role)
    project = store.get_or_create_project("p", "Pilot")
    # Long enough that the text spills onto overflow pages, which are freed on rewrite.
    filler = "".join(
        f"Interviewer: And in week {n}?\n\nParticipant: Much the same as the week before, "
        "really. I kept going to lectures and tried to keep my head down.\n\n"
        for n in range(60)
    )
    transcript_id = import_text(store, project, "P01.txt", filler + TRANSCRIPT)
    assert len(store.get_transcript(transcript_id).text) > 2 * 4096
    assert _files_hold(path, EMAIL), "the plain text is on disk before redaction"
    redact_findings(
        store,
        [finding_for(store, transcript_id, EMAIL), finding_for(store, transcript_id, PHONE)],
        actor="lead",
    )
    assert store.db.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert _files_hold(path, EMAIL) == [] and _files_hold(path, PHONE) == []
    store.close()
    assert _files_hold(path, EMAIL) == [] and _files_hold(path, PHONE) == []


# -- the page ----------------------------------------------------------------------------------


def test_review_page_lists_findings_and_redacts_one(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app_pages._cache import SESSION_KEY
    from tests.test_pages import session_token

    monkeypatch.setenv("STUDY_DB", str(demo_db))
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state[SESSION_KEY] = session_token(demo_db, "sam.coder")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert {m.label for m in at.metric} == {"Needs review", "Not checked", "Cleared"}
    picked = at.selectbox(key="review_pick").value
    store = Store.open(demo_db)
    before = review_status(store, picked)
    assert before.status == NEEDS_REVIEW and before.pending > 0
    [first, *_] = store.list_findings(transcript_id=picked, status=PENDING)
    store.close()
    assert any("<mark>" in m.value for m in at.markdown)
    at.button(key=f"review_redact_{first.id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    store = Store.open(demo_db)
    [after] = store.list_findings(ids=[first.id])
    status = review_status(store, picked)
    store.close()
    assert after.status == "redacted" and after.text == after.placeholder
    assert status.pending == before.pending - 1


def test_transcript_page_disables_coding_while_review_is_pending(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app_pages._cache import SESSION_KEY
    from tests.test_pages import session_token

    monkeypatch.setenv("STUDY_DB", str(demo_db))
    store = Store.open(demo_db)
    waiting = next(t for t in store.list_transcripts(1) if t.anonymisation_status == NEEDS_REVIEW)
    store.close()
    at = AppTest.from_file(str(PAGE.parent / "transcript.py"), default_timeout=60)
    at.session_state[SESSION_KEY] = session_token(demo_db, "sam.coder")
    at.run()
    at.selectbox(key="transcript_pick").set_value(waiting).run()
    assert not at.exception
    assert any("needs PII review" in w.value for w in at.warning)
    assert at.button(key="transcript_apply").disabled


def test_review_cli_resolves_a_batch_and_clears_it(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from analysis.cli import cli

    source = tmp_path / "t1.txt"
    source.write_text(
        "Interviewer: Who helped?\n\nParticipant: My flatmate Priya did. Text me on 07700 900123 if you need.\n",
        encoding="utf-8",
    )
    db = str(tmp_path / "s.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db, "import", str(source)]).exit_code == 0
    added = runner.invoke(
        cli, ["--db", db, "users", "add", "lee", "--role", "student researcher", "--no-password"]
    )
    assert added.exit_code == 0, added.output
    status = json.loads(runner.invoke(cli, ["--db", db, "review", "status", "--json"]).stdout)
    assert status[0]["status"] == "needs review" and status[0]["pending"] == 2
    shown = runner.invoke(cli, ["--db", db, "review", "show", "1"]).output
    assert "PHONE" in shown and "PERSON" in shown
    result = runner.invoke(
        cli, ["--db", db, "--user", "lee", "review", "resolve", "--all", "--keep-rest"]
    )
    assert result.exit_code == 0, result.output
    assert "-> cleared" in result.output
    store = Store.open(db)
    text = store.get_transcript(1).text
    store.close()
    assert "07700 900123" not in text and "[PHONE_1]" in text
    assert runner.invoke(cli, ["--db", db, "review", "resolve"]).exit_code != 0
