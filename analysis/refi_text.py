"""A REFI-QDA text source as a transcript to store, with its selections moved onto the
stored text.

A source exported by this platform comes back exactly as it left: its text is already
laid out (`Speaker: words`, a blank line between turns), and its description names each
speaker's role, so the text is stored unchanged and the turns are read back from it.
Any other source goes through the ingest like an uploaded `.txt` (speaker labels found,
monologues and field notes become one participant's turns), and each selection is moved
through an explicit map from the source's offsets to the stored text's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from analysis.errors import InputFileError
from analysis.ingest import guess_speaker_roles, parse_transcript
from analysis.models import SPEAKER_ROLES, ParsedTranscript, Turn
from analysis.refi_offsets import OffsetMap, map_offsets
from analysis.refi_project import (
    FORMAT_LABEL,
    NOT_PERSONAL_LABEL,
    SOURCE_HASH_LABEL,
    SPEAKER_LABEL,
)
from analysis.refi_records import RefiSelection, RefiSource

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NOT_PERSONAL = re.compile(rf"^{NOT_PERSONAL_LABEL}([A-Z_]+) (\d+)-(\d+)$")


@dataclass(frozen=True)
class PlacedSelection:
    """A selection on the stored text (`[start, end)`, trimmed to its words)."""

    selection: RefiSelection
    start: int
    end: int


@dataclass(frozen=True)
class PlannedTranscript:
    """What a text source becomes: the parsed transcript, speaker roles, and where its
    selections landed; `unplaced` lists selections whose words are not in the text."""

    source: RefiSource
    parsed: ParsedTranscript
    roles: dict[str, str]
    placed: tuple[PlacedSelection, ...]
    unplaced: tuple[str, ...]
    is_own: bool
    not_personal: tuple[tuple[str, int, int], ...] = ()


@dataclass(frozen=True)
class Carried:
    """What this platform wrote into a transcript's description."""

    file_format: str | None = None
    source_hash: str | None = None
    roles: dict[str, str] = field(default_factory=dict)
    not_personal: tuple[tuple[str, int, int], ...] = ()  # (label, start, end)


def _carried(description: str) -> Carried:
    file_format = source_hash = None
    roles: dict[str, str] = {}
    not_personal: list[tuple[str, int, int]] = []
    for line in description.splitlines():
        found = _NOT_PERSONAL.match(line)
        if found:
            label, start, end = found.groups()
            not_personal.append((label, int(start), int(end)))
        elif line.startswith(FORMAT_LABEL):
            file_format = line[len(FORMAT_LABEL) :].strip() or None
        elif line.startswith(SOURCE_HASH_LABEL):
            value = line[len(SOURCE_HASH_LABEL) :].strip().lower()
            source_hash = value if _SHA256.match(value) else None
        elif line.startswith(SPEAKER_LABEL) and ": " in line:
            label, role = line[len(SPEAKER_LABEL) :].rsplit(": ", 1)
            if role.strip() in SPEAKER_ROLES and label.strip():
                roles[label.strip()] = role.strip()
    return Carried(file_format, source_hash, roles, tuple(not_personal))


def own_layout_turns(text: str, labels: list[str]) -> tuple[Turn, ...] | None:
    """The turns of a text laid out by our ingest (`[ts] Label: words`, turns separated
    by a blank line, a final newline), with labels from `labels`; None if it is not."""
    if not text.endswith("\n") or "\r" in text or not labels:
        return None
    by_length = sorted(labels, key=len, reverse=True)
    turns: list[Turn] = []
    offset = 0
    for block in text[:-1].split("\n\n"):
        found = _turn_prefix(block, by_length)
        if found is None:
            return None
        label, stamp, prefix = found
        start, end = offset + prefix, offset + len(block)
        if start >= end:
            return None
        turns.append(Turn(label, start, end, stamp))
        offset += len(block) + 2
    return tuple(turns)


def _turn_prefix(block: str, labels: list[str]) -> tuple[str, str | None, int] | None:
    """(label, timestamp, length of `[ts] Label: `) at the start of one turn's block."""
    for label in labels:
        if block.startswith(f"{label}: "):
            return label, None, len(label) + 2
    if block.startswith("[") and "] " in block:
        stamp, rest = block[1:].split("] ", 1)
        for label in labels:
            if rest.startswith(f"{label}: "):
                return label, stamp, len(stamp) + 3 + len(label) + 2
    return None


def plan_text_source(archive_name: str, source: RefiSource) -> PlannedTranscript | None:
    """The transcript a text source becomes; None when it holds no words.

    Raises:
        InputFileError: the text cannot be used as a transcript (binary, too large).
    """
    carried = _carried(source.description)
    turns = own_layout_turns(source.text, list(carried.roles))
    if turns is not None:
        parsed = ParsedTranscript(
            source.name,
            carried.file_format or "txt",
            source.text,
            turns,
            carried.source_hash or source.file_sha256,
        )
        offsets = OffsetMap.identity(source.text)
        chosen = {label: carried.roles[label] for label in parsed.speakers}
    else:
        if not source.text.strip():
            return None
        # The plain text is read as a .txt whatever the original was (a .docx, a PDF).
        as_text = f"{Path(source.name).stem or 'source'}.txt"
        try:
            parsed = parse_transcript(as_text, source.text.encode("utf-8"))
        except InputFileError as exc:
            if "no transcript text" in exc.problem:
                return None
            raise InputFileError(archive_name, f"text of '{source.name}' {exc.problem}") from exc
        parsed = ParsedTranscript(
            source.name, "qdpx", parsed.text, parsed.turns, source.file_sha256
        )
        offsets = map_offsets(source.text, parsed.text)
        chosen = guess_speaker_roles(parsed)
    placed, unplaced = [], []
    for selection in source.selections:
        span = offsets.span(selection.start, selection.end)
        if selection.start == selection.end:
            unplaced.append(f"empty selection at {selection.start} of {source.name}")
        elif span is None:
            unplaced.append(
                f"selection {selection.start}-{selection.end} of {source.name} "
                "(its words are not in the stored transcript)"
            )
        else:
            placed.append(PlacedSelection(selection, *span))
    own = turns is not None
    return PlannedTranscript(
        source,
        parsed,
        chosen,
        tuple(placed),
        tuple(unplaced),
        own,
        carried.not_personal if own else (),
    )
