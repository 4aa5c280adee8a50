"""The demo study arrives whole: mixed formats, participants, codebook, two coders, memos."""

from __future__ import annotations

from pathlib import Path

from analysis.demo import INTERVIEWS_DIR, transcript_files
from analysis.ingest import read_transcript_file
from analysis.storage import Store


def test_demo_interviews_are_mixed_formats_of_realistic_length() -> None:
    files = transcript_files(INTERVIEWS_DIR)
    assert 8 <= len(files) <= 12
    assert {".txt", ".md", ".docx", ".vtt", ".srt"} <= {f.suffix for f in files}
    for path in files:
        parsed = read_transcript_file(path)
        words = sum(len(parsed.text[t.start : t.end].split()) for t in parsed.turns)
        assert 800 <= words <= 3000, (path.name, words)
        assert len(parsed.speakers) == 2, (path.name, parsed.speakers)


def test_demo_study_is_partly_coded_by_two_coders(demo_db: Path) -> None:
    store = Store.open(demo_db)
    project = store.list_projects()[0]
    codings = store.list_codings(project_id=project.id)
    transcripts = store.list_transcripts(project.id)
    assert {c.coder for c in codings} == {"sam.coder", "alex.coder"}
    coded = {c.transcript_id for c in codings}
    assert 0 < len(coded) < len(transcripts)
    double = {t for t in coded if len({c.coder for c in codings if c.transcript_id == t}) == 2}
    assert double
    for coding in codings:
        text = store.get_transcript(coding.transcript_id).text
        assert text[coding.start_char : coding.end_char] == coding.text
        turn = next(
            t
            for t in store.list_turns(coding.transcript_id)
            if t.start_char <= coding.start_char < t.end_char
        )
        assert turn.role == "participant"
    assert store.list_memos(project.id, target_table="codings")
    assert all(t.participant for t in transcripts)
    assert {u["name"] for u in store.list_users()} >= {
        "lead",
        "sam.coder",
        "alex.coder",
        "evaluator",
    }
    store.close()
