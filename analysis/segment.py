"""Participant turns split into sentence segments with spaCy, as offsets into the text.

The sentencizer of a blank English pipeline is enough here (no trained English
pipeline installs offline). Very short sentences ("Yeah.", "Um, so.") are joined to
their neighbour in the same paragraph, because a coder never codes them alone.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from analysis.models import PARTICIPANT

if TYPE_CHECKING:
    from spacy.language import Language

SEGMENTER_NAME = "segment.sentences.v1"
MIN_WORDS = 3


@dataclass(frozen=True)
class SegmentSpan:
    """A segment before it is stored: `text[start:end]` of the transcript."""

    turn_index: int
    start: int
    end: int


@dataclass(frozen=True)
class TurnSpan:
    """The part of a turn needed for segmentation."""

    start: int
    end: int
    role: str


def import_spacy_without_torch() -> None:
    """Import spaCy without letting thinc import torch (0.8 s of spaCy's 1.3 s import).

    A blank pipeline never uses thinc's PyTorch layers. torch is hidden only while
    spaCy loads; later `import torch` (for embeddings) works as usual. When torch is
    already loaded there is nothing to save and nothing is hidden.
    """
    if "spacy" in sys.modules or "torch" in sys.modules:
        return
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        import spacy  # noqa: F401
    finally:
        del sys.modules["torch"]


@lru_cache(maxsize=1)
def sentence_pipeline() -> Language:
    """A blank English pipeline with a sentencizer that also ends sentences at `...`."""
    import_spacy_without_torch()
    import spacy
    from spacy.pipeline.sentencizer import Sentencizer

    nlp = spacy.blank("en")
    punct = sorted(set(Sentencizer.default_punct_chars) | {"…", "...", "\n"})
    nlp.add_pipe("sentencizer", config={"punct_chars": punct})
    return nlp


def _merge_short(content: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join sentences under `MIN_WORDS` words to a neighbour in the same paragraph."""
    paragraphs: list[list[tuple[int, int]]] = []
    for span in spans:
        if paragraphs and "\n" not in content[paragraphs[-1][-1][1] : span[0]]:
            paragraphs[-1].append(span)
        else:
            paragraphs.append([span])
    merged: list[tuple[int, int]] = []
    for paragraph in paragraphs:
        joined: list[tuple[int, int]] = []
        carry: int | None = None
        for start, end in paragraph:
            start = carry if carry is not None else start
            carry = None
            if len(content[start:end].split()) < MIN_WORDS:
                carry = start
            else:
                joined.append((start, end))
        if carry is not None:
            last_end = paragraph[-1][1]
            joined[-1:] = [(joined[-1][0], last_end)] if joined else [(carry, last_end)]
        merged.extend(joined)
    return merged


def split_segments(text: str, turns: Sequence[TurnSpan]) -> list[SegmentSpan]:
    """Sentence segments of the participant turns of a transcript.

    Every result satisfies `text[span.start:span.end]` being a whole, trimmed
    sentence (or run of short sentences) inside one participant turn.

    Example:
        >>> split_segments("P: I waited a week. Then I left.", [TurnSpan(3, 32, "participant")])
        [SegmentSpan(turn_index=0, start=3, end=19), SegmentSpan(turn_index=0, start=20, end=32)]
    """
    nlp = sentence_pipeline()
    wanted = [(i, t) for i, t in enumerate(turns) if t.role == PARTICIPANT]
    contents = [text[t.start : t.end] for _, t in wanted]
    segments: list[SegmentSpan] = []
    for (index, turn), content, doc in zip(wanted, contents, nlp.pipe(contents), strict=True):
        spans = _merge_short(content, _sentences_from_doc(content, doc))
        segments.extend(SegmentSpan(index, turn.start + s, turn.start + e) for s, e in spans)
    return segments


_OPENERS = "([{“‘\"'"


def _sentences_from_doc(content: str, doc: object) -> list[tuple[int, int]]:
    """Trimmed sentence spans; an opening bracket or quote goes with what follows it
    (the sentencizer leaves `[` of `know. [laughs]` on the sentence before)."""
    starts = [sentence.start_char for sentence in doc.sents]  # type: ignore[attr-defined]
    for index in range(1, len(starts)):
        while starts[index] > starts[index - 1] + 1 and content[starts[index] - 1] in _OPENERS:
            starts[index] -= 1
    spans = []
    for start, end in zip(starts, [*starts[1:], len(content)], strict=True):
        while start < end and content[start].isspace():
            start += 1
        while end > start and content[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))
    return spans


def segment_rows(
    transcript_id: int,
    text: str,
    spans: Sequence[TurnSpan],
    turn_ids: Sequence[int],
    speakers: Sequence[str],
) -> list[dict[str, object]]:
    """Rows for the `segments` table: the sentence segments of `spans` (one per turn,
    with its stored id and speaker label), each carrying its text."""
    return [
        {
            "transcript_id": transcript_id,
            "turn_id": turn_ids[seg.turn_index],
            "start_char": seg.start,
            "end_char": seg.end,
            "speaker": speakers[seg.turn_index],
            "text": text[seg.start : seg.end],
        }
        for seg in split_segments(text, spans)
    ]
