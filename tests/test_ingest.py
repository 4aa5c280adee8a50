"""Reading transcript files: label conventions, formats, encodings and refusals.

Every parsed transcript is checked against the central invariant: for each turn `t`,
`text[t.start:t.end]` is exactly what the speaker said, with no label or timestamp.
"""

from __future__ import annotations

import html
import io
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import pytest

from analysis.errors import InputFileError
from analysis.ingest import MAX_FILE_BYTES, guess_speaker_roles, parse_transcript
from analysis.models import ParsedTranscript

DATA = Path(__file__).resolve().parent / "data"
PDPILOT = "transcripts/pdpilot_user_study"
CHANGELOG = "transcripts/changelog"


# -- helpers ---------------------------------------------------------------------------


def parse(name: str, content: str | bytes) -> ParsedTranscript:
    data = content.encode("utf-8") if isinstance(content, str) else content
    parsed = parse_transcript(name, data)
    assert_turn_invariant(parsed)
    return parsed


def assert_turn_invariant(parsed: ParsedTranscript) -> None:
    """Each turn's span is the bare speech; the stored layout puts the label before it."""
    assert parsed.turns
    previous_end = 0
    for turn in parsed.turns:
        said = parsed.text[turn.start : turn.end]
        assert said, turn
        assert said == said.strip(), turn
        assert turn.start >= previous_end
        stamp = f"[{turn.timestamp}] " if turn.timestamp else ""
        assert parsed.text[: turn.start].endswith(f"{stamp}{turn.speaker}: "), turn
        assert not said.startswith(f"{turn.speaker}:")
        previous_end = turn.end


def said(parsed: ParsedTranscript) -> list[tuple[str, str]]:
    return [(t.speaker, parsed.text[t.start : t.end]) for t in parsed.turns]


def stamps(parsed: ParsedTranscript) -> list[str | None]:
    return [t.timestamp for t in parsed.turns]


def docx_bytes(build: Callable[[Any], None]) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pdf_string(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal PDF written by hand: one Helvetica text line per entry, xref included.

    Objects: 1 catalog, 2 page tree, 3 font, then a page and its content stream per page.
    An empty list of lines gives a page with an empty content stream (no text layer).
    """
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for index, lines in enumerate(pages):
        operators = ["BT", "/F1 11 Tf", "14 TL", "72 760 Td"]
        operators += [f"({_pdf_string(line)}) Tj T*" for line in lines]
        operators.append("ET")
        stream = "\n".join(operators).encode("cp1252") if lines else b""
        objects.append(
            (
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * index} 0 R >>"
            ).encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)


# -- 1. label conventions in plain text ---------------------------------------------------


def test_interviewer_and_participant_labels() -> None:
    parsed = parse(
        "ward.txt",
        "Interviewer: How did you find the waiting room?\n"
        "Participant: Honestly it felt cold.\n"
        "Interviewer: Why?\n"
        "Participant: Nobody said hello.\n",
    )
    assert parsed.speakers == ("Interviewer", "Participant")
    assert said(parsed) == [
        ("Interviewer", "How did you find the waiting room?"),
        ("Participant", "Honestly it felt cold."),
        ("Interviewer", "Why?"),
        ("Participant", "Nobody said hello."),
    ]
    assert parsed.source_format == "txt"
    assert parsed.text == (
        "Interviewer: How did you find the waiting room?\n\n"
        "Participant: Honestly it felt cold.\n\n"
        "Interviewer: Why?\n\n"
        "Participant: Nobody said hello.\n"
    )
    assert parsed.turns[1].start == len(
        "Interviewer: How did you find the waiting room?\n\n"
    ) + len("Participant: ")


def test_int_and_numbered_participant_labels() -> None:
    parsed = parse(
        "P3.txt",
        "INT: When did you first go?\nP3: In my second year.\nINT: And then?\nP3: I stopped.\n",
    )
    assert parsed.speakers == ("INT", "P3")
    assert said(parsed) == [
        ("INT", "When did you first go?"),
        ("P3", "In my second year."),
        ("INT", "And then?"),
        ("P3", "I stopped."),
    ]


def test_single_letter_r_and_i_labels() -> None:
    parsed = parse(
        "r.txt", "R: I used it twice.\nI: Did it help?\nR: Not really.\nI: Okay, thank you.\n"
    )
    assert parsed.speakers == ("R", "I")
    assert said(parsed) == [
        ("R", "I used it twice."),
        ("I", "Did it help?"),
        ("R", "Not really."),
        ("I", "Okay, thank you."),
    ]


def test_numbered_participant_label_with_space() -> None:
    parsed = parse(
        "p3.txt",
        "Interviewer: Shall we start?\nParticipant 3: Sure, go ahead.\n"
        "Interviewer: What year are you in?\nParticipant 3: Final year.\n",
    )
    assert parsed.speakers == ("Interviewer", "Participant 3")
    assert said(parsed)[1] == ("Participant 3", "Sure, go ahead.")
    assert said(parsed)[3] == ("Participant 3", "Final year.")


def test_recurring_names_are_speakers_but_one_off_header_is_not() -> None:
    parsed = parse(
        "dropin.txt",
        "Date: 3 May 2025\n"
        "Jordan: So what brought you to the drop-in?\n"
        "Priya: A friend told me about it.\n"
        "Jordan: Was that easy?\n"
        "Priya: Easier than I thought. The reason is: nobody judged me.\n",
    )
    assert parsed.speakers == ("Jordan", "Priya")
    assert "Date" not in parsed.text
    assert "3 May 2025" not in parsed.text
    assert said(parsed) == [
        ("Jordan", "So what brought you to the drop-in?"),
        ("Priya", "A friend told me about it."),
        ("Jordan", "Was that easy?"),
        ("Priya", "Easier than I thought. The reason is: nobody judged me."),
    ]


def test_bracketed_timestamps_before_label() -> None:
    parsed = parse(
        "stamped.txt",
        "[00:12:31] INT: What happened next?\n"
        "[00:12:40] P3: I booked a session.\n"
        "[00:13:02] INT: Okay.\n",
    )
    assert said(parsed) == [
        ("INT", "What happened next?"),
        ("P3", "I booked a session."),
        ("INT", "Okay."),
    ]
    assert stamps(parsed) == ["00:12:31", "00:12:40", "00:13:02"]
    assert parsed.text.startswith("[00:12:31] INT: What happened next?\n\n[00:12:40] P3: ")


def test_bare_timestamps_before_label() -> None:
    parsed = parse(
        "bare.txt",
        "00:12:31 Interviewer: What happened next?\n"
        "00:12:45 Participant: I booked a session at 10:30 on Monday.\n",
    )
    assert said(parsed) == [
        ("Interviewer", "What happened next?"),
        ("Participant", "I booked a session at 10:30 on Monday."),
    ]
    assert stamps(parsed) == ["00:12:31", "00:12:45"]


@pytest.mark.parametrize(
    "content",
    [
        "Interviewer: [00:01:02] What happened next?\nParticipant: [00:01:10] I booked a session.\n",
        "Interviewer [00:01:02]: What happened next?\nParticipant [00:01:10]: I booked a session.\n",
        "Interviewer (00:01:02): What happened next?\nParticipant (00:01:10): I booked a session.\n",
        "Interviewer: 00:01:02 What happened next?\nParticipant: 00:01:10 I booked a session.\n",
    ],
    ids=["after-colon", "bracket-before-colon", "paren-before-colon", "bare-after-colon"],
)
def test_timestamp_after_label(content: str) -> None:
    parsed = parse("after.txt", content)
    assert said(parsed) == [
        ("Interviewer", "What happened next?"),
        ("Participant", "I booked a session."),
    ]
    assert stamps(parsed) == ["00:01:02", "00:01:10"]


def test_continuation_lines_join_previous_turn_and_blank_lines_make_paragraphs() -> None:
    parsed = parse(
        "wrapped.txt",
        "Interviewer: What happened next?\n"
        "Participant: I booked a session\n"
        "with the counsellor on Friday.\n"
        "It went fine.\n"
        "\n"
        "Then I went back a second time.\n"
        "Interviewer: Good to hear.\n",
    )
    assert said(parsed) == [
        ("Interviewer", "What happened next?"),
        (
            "Participant",
            "I booked a session with the counsellor on Friday. It went fine.\n"
            "Then I went back a second time.",
        ),
        ("Interviewer", "Good to hear."),
    ]


def test_label_alone_on_its_line_pdf_style() -> None:
    parsed = parse(
        "alone.txt",
        "Interviewer:\nWhat happened next?\nParticipant:\nI booked a session\nwith the counsellor.\n",
    )
    assert said(parsed) == [
        ("Interviewer", "What happened next?"),
        ("Participant", "I booked a session with the counsellor."),
    ]


def test_otter_style_speaker_and_time_line() -> None:
    parsed = parse(
        "otter.txt",
        "Speaker 1  0:03\nSo how are you finding term?\n\n"
        "Speaker 2  0:07\nBusy, very busy.\nToo many deadlines.\n\n"
        "Speaker 1  0:15\nI hear that.\n",
    )
    assert said(parsed) == [
        ("Speaker 1", "So how are you finding term?"),
        ("Speaker 2", "Busy, very busy. Too many deadlines."),
        ("Speaker 1", "I hear that."),
    ]
    assert stamps(parsed) == ["0:03", "0:07", "0:15"]


def test_text_without_labels_is_all_participant() -> None:
    parsed = parse(
        "diary.txt",
        "I went to the centre on a Tuesday.\nIt was quiet.\n\nLater I went back and it was busy.\n",
    )
    assert said(parsed) == [
        ("Participant", "I went to the centre on a Tuesday. It was quiet."),
        ("Participant", "Later I went back and it was busy."),
    ]
    assert guess_speaker_roles(parsed) == {"Participant": "participant"}


def test_consecutive_turns_of_one_speaker_are_merged() -> None:
    parsed = parse(
        "merge.txt",
        "Interviewer: First question.\nInterviewer: Actually, let me rephrase?\n"
        "Participant: Sure.\n",
    )
    assert said(parsed) == [
        ("Interviewer", "First question.\nActually, let me rephrase?"),
        ("Participant", "Sure."),
    ]


# -- 2. Markdown ---------------------------------------------------------------------------


def test_markdown_bold_labels_escapes_entities_and_headings() -> None:
    parsed = parse(
        "kit.md",
        "# Interview with Rowan\n\n"
        "**Kit:** \\[00:04:01\\] Did you feel heard?\n\n"
        "**Rowan**: I didn&#39;t, to be honest. They said &quot;wait&quot; a lot.\n\n"
        "**Kit:** Why do you think that was\\?\n\n"
        "**Rowan**: Staffing \\*probably\\*.\n",
    )
    assert parsed.source_format == "md"
    assert parsed.speakers == ("Kit", "Rowan")
    assert said(parsed) == [
        ("Kit", "Did you feel heard?"),
        ("Rowan", 'I didn\'t, to be honest. They said "wait" a lot.'),
        ("Kit", "Why do you think that was?"),
        ("Rowan", "Staffing *probably*."),
    ]
    assert stamps(parsed) == ["00:04:01", None, None, None]
    assert "Interview with Rowan" not in parsed.text
    assert "#" not in parsed.text
    assert "&#39;" not in parsed.text
    assert "\\[" not in parsed.text


# -- 3. Captions ---------------------------------------------------------------------------


def test_zoom_vtt_merges_consecutive_cues_of_one_speaker() -> None:
    parsed = parse("zoom_session.vtt", (DATA / "zoom_session.vtt").read_bytes())
    assert parsed.source_format == "vtt"
    assert said(parsed) == [
        (
            "Alex Moreno",
            "Thanks for joining me today, Sam. How has the semester been for you so far?",
        ),
        (
            "Sam Okafor",
            "Honestly, it has been pretty overwhelming. I barely slept during week six.",
        ),
        ("Alex Moreno", "What helped you get through that?"),
        ("Sam Okafor", "Mostly my flatmates and a lot of tea."),
    ]
    assert stamps(parsed) == ["00:00:02", "00:00:09", "00:00:18", "00:00:21"]
    assert "-->" not in parsed.text
    assert guess_speaker_roles(parsed) == {
        "Alex Moreno": "interviewer",
        "Sam Okafor": "participant",
    }


def test_teams_vtt_voice_tags_and_guid_cue_ids() -> None:
    parsed = parse("teams_session.vtt", (DATA / "teams_session.vtt").read_bytes())
    assert said(parsed) == [
        ("Alex Moreno", "Could you tell me about the wellbeing app?"),
        (
            "Sam Okafor",
            "I downloaded it in October. The breathing exercises were the only part I used.",
        ),
        ("Alex Moreno", "Why only those?"),
        ("Sam Okafor", "They took two minutes and I could do them anywhere."),
    ]
    assert stamps(parsed) == ["00:00:01", "00:00:05", "00:00:12", "00:00:14"]
    assert "<v" not in parsed.text
    assert "11-0" not in parsed.text


def test_vtt_note_and_style_blocks_are_ignored() -> None:
    parsed = parse("notes_and_style.vtt", (DATA / "notes_and_style.vtt").read_bytes())
    assert said(parsed) == [
        ("Alex Moreno", "Where do you usually go for help?"),
        ("Sam Okafor", "Usually my personal tutor."),
        ("Alex Moreno", "Has that worked well?"),
        ("Sam Okafor", "Most of the time, yes."),
    ]
    for leftover in ("NOTE", "note", "STYLE", "::cue", "color", "align:", "<b>"):
        assert leftover not in parsed.text


def test_srt_upper_case_labels_unlabelled_cues_wrapping_and_tags() -> None:
    parsed = parse("edited_captions.srt", (DATA / "edited_captions.srt").read_bytes())
    assert parsed.source_format == "srt"
    assert said(parsed) == [
        ("INTERVIEWER", "What made you reach out for support in the end?"),
        ("PARTICIPANT", "My tutor noticed I was really struggling. She sent me the booking link."),
        ("INTERVIEWER", "That was kind of her."),
        ("PARTICIPANT", "It was. I booked the same evening."),
    ]
    assert stamps(parsed) == ["00:00:01", "00:00:04", "00:00:10", "00:00:12"]
    assert "<i>" not in parsed.text
    assert guess_speaker_roles(parsed) == {
        "INTERVIEWER": "interviewer",
        "PARTICIPANT": "participant",
    }


# -- 4. Word documents -----------------------------------------------------------------------


def _paragraph_interview(document: Any) -> None:
    document.add_heading("Interview 4", level=1)
    for line in (
        "I: How did the first week go?",
        "R: It was a blur, honestly.",
        "I: Any support?",
        "R: My flatmate, mostly.",
    ):
        document.add_paragraph(line)


def _table_interview(document: Any) -> None:
    document.add_paragraph("Session notes, recorded in the library.")
    table = document.add_table(rows=0, cols=2)
    for speaker, text in (
        ("Speaker", "Text"),
        ("Interviewer", "What did you expect from the service?"),
        ("Participant", "Not much, honestly."),
        ("Interviewer", "And now?"),
        ("Participant", "I am more hopeful than before."),
    ):
        cells = table.add_row().cells
        cells[0].text = speaker
        cells[1].text = text


def test_docx_paragraph_labels() -> None:
    parsed = parse("interview4.docx", docx_bytes(_paragraph_interview))
    assert parsed.source_format == "docx"
    assert said(parsed) == [
        ("I", "How did the first week go?"),
        ("R", "It was a blur, honestly."),
        ("I", "Any support?"),
        ("R", "My flatmate, mostly."),
    ]
    assert guess_speaker_roles(parsed) == {"I": "interviewer", "R": "participant"}


def test_docx_two_column_table_header_row_is_not_a_turn() -> None:
    parsed = parse("library.docx", docx_bytes(_table_interview))
    assert parsed.speakers == ("Interviewer", "Participant")
    assert said(parsed) == [
        ("Interviewer", "What did you expect from the service?"),
        ("Participant", "Not much, honestly."),
        ("Interviewer", "And now?"),
        ("Participant", "I am more hopeful than before."),
    ]


def test_corrupt_docx_is_refused_with_the_file_name() -> None:
    random_bytes = bytes((i * 97 + 13) % 256 for i in range(2048))
    with pytest.raises(InputFileError, match=r"noise\.docx.*not a readable Word document"):
        parse_transcript("noise.docx", random_bytes)
    real = docx_bytes(_paragraph_interview)
    with pytest.raises(InputFileError) as caught:
        parse_transcript("cut short.docx", real[: len(real) // 2])
    assert "cut short.docx" in str(caught.value)
    assert caught.value.source_name == "cut short.docx"


# -- 5. PDF -------------------------------------------------------------------------------------


def test_hand_made_pdf_is_well_formed() -> None:
    data = make_pdf([["Hello"], ["World"]])
    xref_at = int(data.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert data[xref_at:].startswith(b"xref\n0 8\n")
    entries = data[xref_at:].split(b"\n")[3:10]
    for number, entry in enumerate(entries, start=1):
        offset = int(entry.split()[0])
        assert data[offset:].startswith(b"%d 0 obj\n" % number)


def test_pdf_rejoins_wrapped_turn_across_page_break_and_drops_page_numbers() -> None:
    data = make_pdf(
        [
            [
                "1/2",
                "Dan:",
                "What was the hardest part of the term?",
                "Participant:",
                "The hardest part was probably the waiting list for",
                "counselling, because it was a well-",
                "known problem and I had to wait nearly six",
            ],
            ["2/2", "weeks before anyone called me back.", "Dan:", "That sounds long."],
        ]
    )
    parsed = parse("robin.pdf", data)
    assert parsed.source_format == "pdf"
    assert said(parsed) == [
        ("Dan", "What was the hardest part of the term?"),
        (
            "Participant",
            "The hardest part was probably the waiting list for counselling, because it was "
            "a well-known problem and I had to wait nearly six weeks before anyone called me back.",
        ),
        ("Dan", "That sounds long."),
    ]
    assert "1/2" not in parsed.text
    assert "2/2" not in parsed.text
    assert guess_speaker_roles(parsed) == {"Dan": "interviewer", "Participant": "participant"}


def test_pdf_without_text_layer_is_refused() -> None:
    with pytest.raises(InputFileError) as caught:
        parse_transcript("scan.pdf", make_pdf([[]]))
    assert "scan.pdf" in str(caught.value)
    assert "text layer" in str(caught.value)


def test_unreadable_pdf_is_refused() -> None:
    with pytest.raises(InputFileError, match=r"broken\.pdf.*not a readable PDF"):
        parse_transcript("broken.pdf", b"%PDF-1.4 this is not really a pdf")


LABEL_LINES = {"Dan:", "Participant:"}


def _unwrapped_participant_sentence(extracted: str) -> str:
    """The first whole participant turn of >= 8 words that fits on one extracted line."""
    lines = extracted.split("\n")
    first = next(i for i, line in enumerate(lines) if line.strip() == "Participant:")
    for index in range(first + 1, len(lines) - 1):
        line = lines[index]
        if (
            lines[index - 1].strip() == "Participant:"
            and lines[index + 1].strip() in LABEL_LINES
            and len(line.split()) >= 8
        ):
            return " ".join(line.split())
    raise AssertionError("no unwrapped participant line found")


@pytest.mark.parametrize("number", range(1, 8))
def test_real_pdf_interviews(shared_data: Path, number: int) -> None:
    folder = shared_data / PDPILOT
    parsed = parse(f"P{number}.pdf", (folder / f"P{number}.pdf").read_bytes())
    assert parsed.speakers == ("Dan", "Participant")
    assert guess_speaker_roles(parsed) == {"Dan": "interviewer", "Participant": "participant"}
    sentence = _unwrapped_participant_sentence(
        (folder / f"P{number}.extracted.txt").read_text(encoding="utf-8")
    )
    participant_turns = [
        " ".join(parsed.text[t.start : t.end].split())
        for t in parsed.turns
        if t.speaker == "Participant"
    ]
    assert any(sentence in turn for turn in participant_turns), sentence
    assert not re.search(r"(?m)^\s*\d+/\d+\s*$", parsed.text)


# -- 6. Real Markdown transcripts -------------------------------------------------------------

_MD_LABEL = re.compile(r"^\*\*([^*\n]+?):\*\*(.*)$", re.MULTILINE)
_ESCAPED_STAMP = re.compile(r"\\\[[\d:.,]+\\\]")


def _changelog_files() -> list[str]:
    """File names for parametrizing; the `shared_data` fixture skips when shared/ is absent."""
    shared = Path(os.environ.get("SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
    folder = shared / "data" / CHANGELOG
    return sorted(p.name for p in folder.glob("*.md")) if folder.is_dir() else ["missing"]


@pytest.mark.parametrize("file_name", _changelog_files())
def test_real_markdown_transcripts(shared_data: Path, file_name: str) -> None:
    path = shared_data / CHANGELOG / file_name
    raw = path.read_text(encoding="utf-8")
    parsed = parse(file_name, path.read_bytes())

    # Labels whose line holds speech; a `**Break:** \[17:39\]` marker holds none.
    spoken = [
        match.group(1)
        for match in _MD_LABEL.finditer(raw)
        if _ESCAPED_STAMP.sub("", match.group(2)).strip()
    ]
    assert spoken, "the regex found no labels"
    assert set(parsed.speakers) == set(spoken)

    expected_sequence: list[str] = []
    for label in spoken:
        if not expected_sequence or expected_sequence[-1] != label:
            expected_sequence.append(label)
    assert [t.speaker for t in parsed.turns] == expected_sequence

    assert "\\[" not in parsed.text
    assert "&#39;" not in parsed.text
    assert "&quot;" not in parsed.text
    assert "**" not in parsed.text
    for match in _MD_LABEL.finditer(raw):
        speech = html.unescape(_ESCAPED_STAMP.sub("", match.group(2))).strip()
        first_words = " ".join(speech.replace("\\", "").split()[:4])
        if first_words:
            assert first_words in parsed.text

    roles = guess_speaker_roles(parsed)
    assert set(roles) == set(parsed.speakers)
    if len(parsed.speakers) == 2:
        assert sorted(roles.values()) == ["interviewer", "participant"]


# -- 7. Encodings -------------------------------------------------------------------------------


def test_utf8_with_bom() -> None:
    parsed = parse(
        "bom.txt", b"\xef\xbb\xbfInterviewer: Ready?\nParticipant: Ready, caf\xc3\xa9 open.\n"
    )
    assert said(parsed) == [("Interviewer", "Ready?"), ("Participant", "Ready, café open.")]
    assert "\ufeff" not in parsed.text


def test_windows_1252_curly_quotes() -> None:
    data = "Interviewer: What\u2019s changed?\nParticipant: \u201cEverything\u201d \u2013 really.\n"
    parsed = parse("cp1252.txt", data.encode("cp1252"))
    assert said(parsed) == [
        ("Interviewer", "What’s changed?"),
        ("Participant", "“Everything” – really."),
    ]


def test_utf16_with_bom() -> None:
    data = "Interviewer: Été ou hiver?\nParticipant: L’été, toujours.\n".encode("utf-16")
    assert data[:2] in (b"\xff\xfe", b"\xfe\xff")
    parsed = parse("utf16.txt", data)
    assert said(parsed) == [("Interviewer", "Été ou hiver?"), ("Participant", "L’été, toujours.")]


def test_crlf_line_ends() -> None:
    parsed = parse(
        "crlf.txt", b"Interviewer: Hi?\r\nParticipant: Hello\r\nthere.\r\n\r\nSecond part.\r\n"
    )
    assert said(parsed) == [("Interviewer", "Hi?"), ("Participant", "Hello there.\nSecond part.")]
    assert "\r" not in parsed.text


# -- 8. Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("empty.txt", b"", "is empty"),
        ("blank.txt", b"  \n\t\n  \r\n", "no transcript text"),
        ("picture.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + b"IHDR", "binary"),
        ("notes.rtf", b"{\\rtf1 Interviewer: hi}", "unsupported file type '.rtf'"),
        ("no header.vtt", b"00:00:01.000 --> 00:00:02.000\nAlex: Hi\n", "no WEBVTT header"),
        ("untimed.srt", b"1\nINTERVIEWER: hi\n\n2\nPARTICIPANT: hello\n", "no caption cues"),
        ("noext", b"Interviewer: hi\n", "unsupported file type 'none'"),
    ],
)
def test_bad_input_is_refused_naming_the_file(name: str, data: bytes, problem: str) -> None:
    with pytest.raises(InputFileError) as caught:
        parse_transcript(name, data)
    assert str(caught.value).startswith(f"{name}: ")
    assert problem in str(caught.value)


def test_file_over_the_size_limit_is_refused() -> None:
    data = b"a" * (MAX_FILE_BYTES + 1)
    with pytest.raises(InputFileError) as caught:
        parse_transcript("huge.txt", data)
    assert str(caught.value).startswith("huge.txt: ")
    assert "limit" in str(caught.value)


def test_file_at_the_size_limit_is_accepted() -> None:
    head = b"Participant: I kept a diary.\n"
    data = head + b" " * (MAX_FILE_BYTES - len(head))
    assert len(data) == MAX_FILE_BYTES
    parsed = parse("diary.txt", data)
    assert said(parsed) == [("Participant", "I kept a diary.")]


# -- 9. Speaker roles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "INT: Where do you study?\nP3: In the east library.\nINT: Why?\nP3: Quiet.\n",
            {"INT": "interviewer", "P3": "participant"},
        ),
        (
            "I: Where do you study?\nR: In the east library.\nI: Why?\nR: Quiet.\n",
            {"I": "interviewer", "R": "participant"},
        ),
        (
            "Interviewer: Where do you study?\nJordan: In the east library.\n"
            "Interviewer: Why there?\nJordan: It is quiet.\n",
            {"Interviewer": "interviewer", "Jordan": "participant"},
        ),
        (
            "Maya Interviewer: Where do you study?\nParticipant 5: In the east library.\n"
            "Maya Interviewer: Why there?\nParticipant 5: It is quiet.\n",
            {"Maya Interviewer": "interviewer", "Participant 5": "participant"},
        ),
        (
            "Noor: I mostly study at home.\nElliot: Where at home? Your room?\n"
            "Noor: At the kitchen table.\nElliot: Does that work for you?\n"
            "Noor: Most days it does.\n",
            {"Noor": "participant", "Elliot": "interviewer"},
        ),
    ],
    ids=["INT-P3", "I-R", "Interviewer-name", "Maya-Interviewer", "two-names"],
)
def test_guess_speaker_roles(content: str, expected: dict[str, str]) -> None:
    assert guess_speaker_roles(parse("roles.txt", content)) == expected


def test_role_word_alone_on_a_line_starts_a_turn() -> None:
    data = (
        b"Interviewer\nHow did the first appointment go?\n\n"
        b"Participant 4\nBetter than I feared. The nurse listened.\n\n"
        b"Interviewer\nAnd after that?\n\n"
        b"Participant 4\nI was told to wait for a letter.\n"
    )
    parsed = parse_transcript("word-export.txt", data)
    assert [(t.speaker, parsed.text[t.start : t.end]) for t in parsed.turns] == [
        ("Interviewer", "How did the first appointment go?"),
        ("Participant 4", "Better than I feared. The nurse listened."),
        ("Interviewer", "And after that?"),
        ("Participant 4", "I was told to wait for a letter."),
    ]
