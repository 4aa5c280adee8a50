"""WebVTT and SubRip captions to speaker turns.

Zoom writes `Name: text` inside each cue, Teams writes `<v Name>text</v>`; SRT files
from editors often prefix `NAME:` and leave follow-on cues of the same speaker
unlabelled. Consecutive cues of one speaker become one turn.
"""

from __future__ import annotations

import re

from analysis.errors import InputFileError
from analysis.ingest.labels import RawTurn, accepted_labels, clean_label, join_wrapped

_TIMING = re.compile(
    r"^\s*(?P<start>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}"
)
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|<\d{1,2}:\d{2}[^>]*>")
_NAME_PREFIX = re.compile(r"^(?P<label>[^\W_][^:]{0,40}?)\s*:\s+(?P<rest>.*)$")


def _cue_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(start time, payload lines) for every block that has a timing line."""
    blocks = []
    for block in re.split(r"\n\s*\n", text):
        lines = block.strip("\n").split("\n")
        for index, line in enumerate(lines):
            timing = _TIMING.match(line)
            if timing:
                payload = [ln for ln in lines[index + 1 :] if ln.strip()]
                blocks.append((timing.group("start").split(".")[0].split(",")[0], payload))
                break
    return blocks


def _speaker_and_text(payload: list[str], accepted: set[str]) -> tuple[str | None, str]:
    joined = " ".join(payload)
    voice = _VOICE.search(joined)
    speaker = clean_label(voice.group(1)) if voice else None
    body = _TAG.sub("", joined).strip()
    body = re.sub(r"^-\s+", "", body)
    if speaker is None:
        prefix = _NAME_PREFIX.match(body)
        if prefix and clean_label(prefix.group("label")).lower() in accepted:
            speaker, body = clean_label(prefix.group("label")), prefix.group("rest")
    return speaker, body


def parse_captions(source_name: str, text: str, *, is_webvtt: bool) -> list[RawTurn]:
    """Cues to turns; a cue with no speaker continues the one before it.

    Raises:
        InputFileError: no WEBVTT header (for .vtt) or no timed cues at all.
    """
    if is_webvtt and not text.lstrip().startswith("WEBVTT"):
        raise InputFileError(source_name, "is not a WebVTT file (no WEBVTT header)")
    blocks = _cue_blocks(text)
    if not blocks:
        raise InputFileError(source_name, "has no caption cues with timings")
    first_lines = [_TAG.sub("", payload[0]) for _, payload in blocks if payload]
    accepted = accepted_labels(first_lines)
    turns: list[RawTurn] = []
    for start, payload in blocks:
        speaker, body = _speaker_and_text(payload, accepted)
        if not body:
            continue
        if (speaker is None or (turns and turns[-1].speaker == speaker)) and turns:
            turns[-1].paragraphs[-1] = join_wrapped([turns[-1].paragraphs[-1], body])
            continue
        turns.append(RawTurn(speaker or "Speaker", [body], start))
    return turns
