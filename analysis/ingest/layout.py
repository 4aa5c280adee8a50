"""Lay raw speaker turns out as the stored transcript text, with exact turn offsets.

Every format ends here, so every transcript is stored the same way: one turn per
paragraph block, `[timestamp] Speaker: what was said`, blank line between turns. Turn
offsets cover only what was said, so segments never include a label.
"""

from __future__ import annotations

import hashlib
import html
import re

from analysis.errors import InputFileError
from analysis.ingest.labels import BRACKETED_TS, RawTurn
from analysis.models import ParsedTranscript, Turn

PREAMBLE_SPEAKER = "Preamble"
UNLABELLED_SPEAKER = "Participant"
_SHORT_PREAMBLE_WORDS = 12


def clean_paragraph(paragraph: str) -> str:
    """Decode HTML entities, drop inline timestamps, collapse spaces."""
    text = html.unescape(paragraph)
    text = BRACKETED_TS.sub(" ", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def _tidy(turns: list[RawTurn]) -> list[RawTurn]:
    """Drop empty paragraphs and turns, settle the preamble, merge same-speaker runs."""
    for turn in turns:
        turn.paragraphs = [p for p in map(clean_paragraph, turn.paragraphs) if p]
    labelled = [turn for turn in turns if turn.speaker is not None]
    if not labelled:
        # No labels anywhere: a monologue or notes; every paragraph is the participant's.
        return [RawTurn(UNLABELLED_SPEAKER, [p]) for t in turns for p in t.paragraphs]
    tidy: list[RawTurn] = []
    for turn in turns:
        if turn.speaker is None:
            # Text before the first label: titles and metadata are dropped, prose is kept.
            if any(len(p.split()) > _SHORT_PREAMBLE_WORDS for p in turn.paragraphs):
                tidy.append(RawTurn(PREAMBLE_SPEAKER, turn.paragraphs, turn.timestamp))
            continue
        if not turn.paragraphs:
            continue
        if tidy and tidy[-1].speaker == turn.speaker:
            tidy[-1].paragraphs.extend(turn.paragraphs)
        else:
            tidy.append(turn)
    return tidy


def lay_out(
    source_name: str, source_format: str, turns: list[RawTurn], data: bytes
) -> ParsedTranscript:
    """Build the stored text and its turns.

    Raises:
        InputFileError: nothing that anyone said is left.
    """
    tidy = _tidy(turns)
    if not tidy:
        raise InputFileError(source_name, "contains no transcript text")
    parts: list[str] = []
    laid_out: list[Turn] = []
    position = 0
    for turn in tidy:
        speaker = turn.speaker or UNLABELLED_SPEAKER
        stamp = f"[{turn.timestamp}] " if turn.timestamp else ""
        prefix = ("\n\n" if parts else "") + f"{stamp}{speaker}: "
        content = "\n".join(turn.paragraphs)
        parts.extend([prefix, content])
        start = position + len(prefix)
        position = start + len(content)
        laid_out.append(Turn(speaker, start, position, turn.timestamp))
    text = "".join(parts) + "\n"
    return ParsedTranscript(
        source_name=source_name,
        source_format=source_format,
        text=text,
        turns=tuple(laid_out),
        source_sha256=hashlib.sha256(data).hexdigest(),
    )
