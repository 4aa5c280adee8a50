"""Sentence segments of participant turns: unit cases and properties over random files."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.ingest import guess_speaker_roles, parse_transcript
from analysis.models import PARTICIPANT, ParsedTranscript, Project
from analysis.segment import MIN_WORDS, SegmentSpan, TurnSpan, split_segments
from analysis.storage import Store
from analysis.transcripts import UploadedFile, import_transcripts


def segment_texts(text: str, turns: list[TurnSpan]) -> list[tuple[int, str]]:
    return [(s.turn_index, text[s.start : s.end]) for s in split_segments(text, turns)]


def whole(text: str, prefix: str = "P: ") -> list[TurnSpan]:
    return [TurnSpan(len(prefix), len(text), PARTICIPANT)]


# -- basics ---------------------------------------------------------------------------------


def test_exact_offsets() -> None:
    text = "P: I waited all week. Then I gave up."
    assert split_segments(text, [TurnSpan(3, 37, PARTICIPANT)]) == [
        SegmentSpan(turn_index=0, start=3, end=21),
        SegmentSpan(turn_index=0, start=22, end=37),
    ]
    assert text[3:21] == "I waited all week."
    assert text[22:37] == "Then I gave up."


def test_two_word_sentence_is_short_three_words_is_not() -> None:
    text = "P: I waited. Then I gave up."
    assert segment_texts(text, whole(text)) == [(0, "I waited. Then I gave up.")]
    text = "P: I waited long. Then I gave up."
    assert segment_texts(text, whole(text)) == [(0, "I waited long."), (0, "Then I gave up.")]


def test_short_sentences_are_merged_with_the_next_one() -> None:
    text = "P: Yeah. I waited three weeks for a call. Um, so. Then it finally came through."
    assert segment_texts(text, whole(text)) == [
        (0, "Yeah. I waited three weeks for a call."),
        (0, "Um, so. Then it finally came through."),
    ]


def test_short_sentence_at_the_end_joins_the_previous_one() -> None:
    text = "P: I waited three weeks for a call. Okay. Fine."
    assert segment_texts(text, whole(text)) == [(0, "I waited three weeks for a call. Okay. Fine.")]


def test_short_sentences_do_not_cross_paragraphs() -> None:
    text = "P: I waited a long time.\nYeah.\nThen the call came at last."
    assert segment_texts(text, whole(text)) == [
        (0, "I waited a long time."),
        (0, "Yeah."),
        (0, "Then the call came at last."),
    ]


def test_a_paragraph_break_ends_a_sentence_without_punctuation() -> None:
    text = "P: I was not sure what to say\nbut the nurse was patient with me."
    assert segment_texts(text, whole(text)) == [
        (0, "I was not sure what to say"),
        (0, "but the nurse was patient with me."),
    ]


def test_ellipsis_ends_a_sentence() -> None:
    text = "P: I kept waiting for news… Nobody rang me back at all. I hoped... they never did call."
    assert segment_texts(text, whole(text)) == [
        (0, "I kept waiting for news…"),
        (0, "Nobody rang me back at all."),
        (0, "I hoped... they never did call."),
    ]
    text = "P: I kept waiting for some news... Nobody rang me back at all."
    assert segment_texts(text, whole(text)) == [
        (0, "I kept waiting for some news..."),
        (0, "Nobody rang me back at all."),
    ]


def test_single_short_turn_is_one_segment() -> None:
    text = "P: Okay."
    assert segment_texts(text, whole(text)) == [(0, "Okay.")]


def test_interviewer_turns_are_not_segmented() -> None:
    text = "I: Why did you wait so long? What stopped you?\n\nP: I did not know where to go."
    interviewer_end = text.index("\n\n")
    participant_start = text.index("P: ") + 3
    turns = [
        TurnSpan(3, interviewer_end, "interviewer"),
        TurnSpan(participant_start, len(text), PARTICIPANT),
    ]
    segments = split_segments(text, turns)
    assert segments == [SegmentSpan(1, participant_start, len(text))]
    assert split_segments(text, [turns[0]]) == []


def test_segments_of_a_parsed_file_use_turn_offsets() -> None:
    parsed = parse_transcript(
        "P8.txt",
        b"INT: How was the first week?\n"
        b"P8: It was fine. I settled in quickly and met my flatmates.\n"
        b"INT: And the second?\n"
        b"P8: Harder. The workload really picked up after that.\n",
    )
    roles = guess_speaker_roles(parsed)
    spans = [TurnSpan(t.start, t.end, roles[t.speaker]) for t in parsed.turns]
    segments = split_segments(parsed.text, spans)
    assert [(s.turn_index, parsed.text[s.start : s.end]) for s in segments] == [
        (1, "It was fine."),
        (1, "I settled in quickly and met my flatmates."),
        (3, "Harder. The workload really picked up after that."),
    ]
    assert MIN_WORDS == 3


# -- properties -------------------------------------------------------------------------------

LABELS = ("Interviewer", "Participant", "INT", "P2", "Respondent", "Robin Vale")
LETTERS = st.characters(categories=["L"])
word = st.text(alphabet=LETTERS, min_size=1, max_size=9)
inner_punct = st.sampled_from(["", "", "", ",", "'", "-", ";"])
end_punct = st.sampled_from([".", "?", "!", "…", "...", "?!", ""])
gap = st.sampled_from([" ", " ", " ", "  ", "   ", "\n", " \n ", "\n\n"])


@st.composite
def sentences(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.tuples(word, inner_punct), min_size=1, max_size=9))
    spaces = draw(
        st.lists(st.sampled_from([" ", " ", "  "]), min_size=len(words), max_size=len(words))
    )
    body = "".join(f"{w}{p}{s}" for (w, p), s in zip(words, spaces, strict=True)).rstrip()
    return body + draw(end_punct)


@st.composite
def turn_texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(sentences(), min_size=1, max_size=5))
    gaps = draw(st.lists(gap, min_size=len(parts), max_size=len(parts)))
    return "".join(f"{p}{g}" for p, g in zip(parts, gaps, strict=True)).rstrip()


@st.composite
def transcript_files(draw: st.DrawFn) -> bytes:
    """A `.txt` transcript: `Label: text` lines, text possibly running over several lines."""
    turns = draw(st.lists(st.tuples(st.sampled_from(LABELS), turn_texts()), min_size=1, max_size=8))
    # Interviewer and participant always speak, so both roles occur.
    turns = [("Interviewer", "So, tell me more?"), *turns, ("Participant", "That is all.")]
    line_end = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [f"{label}: {text}" for label, text in turns]
    return line_end.join(lines).replace("\n", line_end).replace("\r\r\n", "\r\n").encode("utf-8")


def assert_segments_valid(parsed: ParsedTranscript, roles: dict[str, str]) -> list[SegmentSpan]:
    text = parsed.text
    spans = [TurnSpan(t.start, t.end, roles[t.speaker]) for t in parsed.turns]
    segments = split_segments(text, spans)
    participant_turns = [t for t in parsed.turns if roles[t.speaker] == PARTICIPANT]
    assert participant_turns
    previous_end = -1
    for segment in segments:
        content = text[segment.start : segment.end]
        assert content
        assert content == content.strip()
        assert not content[0].isspace()
        assert not content[-1].isspace()
        holders = [
            t for t in participant_turns if t.start <= segment.start and segment.end <= t.end
        ]
        assert len(holders) == 1
        assert parsed.turns[segment.turn_index] == holders[0]
        assert segment.start >= previous_end
        previous_end = segment.end
    # Every participant turn yields at least one segment, and none is lost entirely.
    assert {s.turn_index for s in segments} == {
        i for i, t in enumerate(parsed.turns) if roles[t.speaker] == PARTICIPANT
    }
    return segments


@settings(max_examples=40, deadline=None)
@given(transcript_files())
def test_segments_are_trimmed_and_inside_one_participant_turn(data: bytes) -> None:
    parsed = parse_transcript("random.txt", data)
    for turn in parsed.turns:
        said = parsed.text[turn.start : turn.end]
        assert said
        assert said == said.strip()
    roles = guess_speaker_roles(parsed)
    assert set(roles) == set(parsed.speakers)
    assert roles["Interviewer"] == "interviewer"
    assert roles["Participant"] == PARTICIPANT
    assert_segments_valid(parsed, roles)


_slugs = itertools.count()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(transcript_files())
def test_stored_segments_match_stored_text(store: Store, data: bytes) -> None:
    # A fresh project per example: hypothesis may replay an example, and a study refuses
    # the same transcript twice.
    project = store.get_or_create_project(f"prop-{next(_slugs)}", "Property study")
    store.upsert_user("tester", "student researcher")
    [imported] = import_transcripts(
        store, project.id, [UploadedFile("random.txt", data)], actor="tester"
    )
    transcript = store.get_transcript(imported.transcript_id)
    turns = store.list_turns(transcript.id)
    segments = store.list_segments(transcript.id)
    assert len(turns) == imported.turns
    assert len(segments) == imported.segments
    participant_turns = {t.id: t for t in turns if t.role == PARTICIPANT}
    for turn in turns:
        said = transcript.text[turn.start_char : turn.end_char]
        assert said == said.strip() and said
    for segment in segments:
        assert transcript.text[segment.start_char : segment.end_char] == segment.text
        assert segment.text == segment.text.strip() and segment.text
        turn = participant_turns[segment.turn_id]
        assert turn.start_char <= segment.start_char < segment.end_char <= turn.end_char
        assert segment.speaker == turn.speaker
    assert {s.turn_id for s in segments} == set(participant_turns)


def test_stored_segments_of_a_fixed_file(store: Store, project: Project) -> None:
    data = (
        "Interviewer: What did the service feel like?\n"
        "Participant: Slow.   Really slow… I waited\nfor weeks!  Then, at last, a call came.\n"
    ).encode()
    [imported] = import_transcripts(
        store,
        project.id,
        [UploadedFile("fixed.txt", data)],
        actor="tester",
    )
    transcript = store.get_transcript(imported.transcript_id)
    segments = store.list_segments(transcript.id)
    assert [s.text for s in segments] == [
        "Slow. Really slow…",
        "I waited for weeks!",
        "Then, at last, a call came.",
    ]
    for segment in segments:
        assert transcript.text[segment.start_char : segment.end_char] == segment.text
