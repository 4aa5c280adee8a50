"""Frozen records passed between the library, the pages and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

INTERVIEWER = "interviewer"
PARTICIPANT = "participant"
SPEAKER_ROLES = (INTERVIEWER, PARTICIPANT)


@dataclass(frozen=True)
class Turn:
    """One speaker turn of a parsed file: `text[start:end]` is what was said."""

    speaker: str
    start: int
    end: int
    timestamp: str | None = None


@dataclass(frozen=True)
class ParsedTranscript:
    """A file turned into stored text plus speaker turns (offsets into `text`)."""

    source_name: str
    source_format: str
    text: str
    turns: tuple[Turn, ...]
    source_sha256: str

    @property
    def speakers(self) -> tuple[str, ...]:
        """Speaker labels in order of first appearance."""
        return tuple(dict.fromkeys(turn.speaker for turn in self.turns))


@dataclass(frozen=True)
class Project:
    id: int
    slug: str
    name: str
    description: str


@dataclass(frozen=True)
class User:
    """An account: its role decides what it may do (see `analysis.access`)."""

    id: int
    name: str
    role: str
    active: bool
    has_password: bool
    created_at: str


@dataclass(frozen=True)
class Consent:
    """A participant's consent record; None means not recorded (treated as no)."""

    date: str | None = None
    quotes: bool | None = None
    share: bool | None = None


@dataclass(frozen=True)
class Participant:
    id: int
    pseudonym: str
    attributes: dict[str, str] = field(default_factory=dict)
    consent: Consent = field(default_factory=Consent)


@dataclass(frozen=True)
class Transcript:
    id: int
    project_id: int
    participant_id: int | None
    participant: str | None
    source_name: str
    source_format: str
    text: str
    sha256: str
    anonymisation_status: str
    imported_by: str
    imported_at: str


@dataclass(frozen=True)
class Speaker:
    id: int
    transcript_id: int
    label: str
    role: str


@dataclass(frozen=True)
class StoredTurn:
    id: int
    transcript_id: int
    position: int
    speaker: str
    role: str
    start_char: int
    end_char: int
    timestamp: str | None


@dataclass(frozen=True)
class Segment:
    id: int
    transcript_id: int
    turn_id: int
    start_char: int
    end_char: int
    speaker: str
    text: str


@dataclass(frozen=True)
class CodebookVersion:
    id: int
    project_id: int
    version: int
    name: str
    parent_version_id: int | None
    note: str
    created_by: str
    created_at: str


@dataclass(frozen=True)
class Code:
    id: int
    codebook_version_id: int
    key: str
    name: str
    definition: str
    include_rule: str
    exclude_rule: str
    example: str
    parent_key: str | None
    status: str
    position: int


@dataclass(frozen=True)
class Coding:
    id: int
    transcript_id: int
    segment_id: int | None
    code_id: int
    code_key: str
    code_name: str
    coder: str
    start_char: int
    end_char: int
    source: str
    created_at: str
    text: str
    superseded_by: int | None = None


@dataclass(frozen=True)
class Memo:
    id: int
    project_id: int
    target_table: str
    target_id: int
    author: str
    body: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    table_name: str
    row_id: int | None
    payload_json: str


PENDING, REDACTED, NOT_PERSONAL = "pending", "redacted", "not-personal"
PII_STATUSES = (PENDING, REDACTED, NOT_PERSONAL)


@dataclass(frozen=True)
class PiiFinding:
    """A possible identifier in a transcript and the reviewer's decision on it.

    `text` is read from the transcript as it is now (a placeholder once redacted); the
    database never stores the found string itself.
    """

    id: int
    transcript_id: int
    start_char: int
    end_char: int
    label: str
    score: float
    source: str
    status: str
    placeholder: str | None
    decided_by: str | None
    decided_at: str | None
    text: str


@dataclass(frozen=True)
class ReviewStatus:
    """Where the anonymisation review of one transcript stands."""

    transcript_id: int
    source_name: str
    status: str
    pending: int
    redacted: int
    not_personal: int


@dataclass(frozen=True)
class ReliabilityRound:
    """A set of transcripts coded blind by two or more coders, then compared."""

    id: int
    project_id: int
    name: str
    status: str
    transcript_ids: tuple[int, ...]
    coders: tuple[str, ...]
    opened_by: str
    opened_at: str
    closed_by: str | None
    closed_at: str | None
    results: dict[str, Any] | None


@dataclass(frozen=True)
class ConsensusDecision:
    """The codes agreed for one segment of a round; they become the project's coding."""

    id: int
    round_id: int
    segment_id: int
    code_keys: tuple[str, ...]
    note: str
    decided_by: str
    decided_at: str
