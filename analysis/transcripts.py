"""Importing transcripts into a study: parse, check, link participants, segment, store.

A batch is all or nothing: every file is parsed and checked before anything is
written, and the writes happen in one transaction, so a bad file leaves the study as
it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from analysis.access import Action, require
from analysis.consent import ensure_not_withdrawn
from analysis.errors import (
    DuplicateTranscriptError,
    InputFileError,
    InvalidRequestError,
    StudyError,
)
from analysis.files import read_input_bytes
from analysis.ingest import guess_speaker_roles, parse_transcript
from analysis.models import (
    INTERVIEWER,
    PARTICIPANT,
    SPEAKER_ROLES,
    ParsedTranscript,
    Segment,
    StoredTurn,
    Transcript,
)
from analysis.participants import ParticipantRecord, save_participants
from analysis.review import scan_new_transcript
from analysis.segment import TurnSpan, segment_rows
from analysis.storage import Store, now_utc


class BatchImportError(StudyError):
    """One or more files of a batch were refused; nothing was imported."""

    def __init__(self, errors: Sequence[InputFileError]) -> None:
        self.errors = list(errors)
        lines = "\n".join(f"- {error}" for error in self.errors)
        super().__init__(f"nothing was imported; {len(self.errors)} file(s) refused:\n{lines}")


@dataclass(frozen=True)
class ImportedTranscript:
    """What one imported file became."""

    transcript_id: int
    source_name: str
    participant: str | None
    speakers: dict[str, str]
    turns: int
    segments: int
    pii_findings: int = 0


@dataclass(frozen=True)
class UploadedFile:
    """A file as the user handed it over: its name and bytes."""

    name: str
    data: bytes

    @classmethod
    def from_path(cls, path: str | Path) -> UploadedFile:
        return cls(*read_input_bytes(path))


def default_pseudonym(source_name: str) -> str:
    """Without a participants file, a transcript's participant is named by its file."""
    return Path(source_name).stem


def pseudonym_for(
    source_name: str, records: Sequence[ParticipantRecord], chosen: Mapping[str, str]
) -> str:
    if source_name in chosen:
        return chosen[source_name]
    stem = Path(source_name).stem.lower()
    for record in records:
        if source_name.lower() in (t.lower() for t in record.transcripts):
            return record.pseudonym
    for record in records:
        if record.pseudonym.lower() == stem:
            return record.pseudonym
    return default_pseudonym(source_name)


def parse_batch(
    store: Store, project_id: int, files: Sequence[UploadedFile]
) -> list[ParsedTranscript]:
    """Parse every file and refuse duplicates (in the study or within the batch).

    Raises:
        BatchImportError: listing every refused file.
    """
    parsed: list[ParsedTranscript] = []
    errors: list[InputFileError] = []
    seen: dict[str, str] = {}
    for upload in files:
        try:
            result = parse_transcript(upload.name, upload.data)
        except InputFileError as exc:
            errors.append(exc)
            continue
        sha = text_sha256(result.text)
        existing = store.find_transcript_by_hash(
            project_id, sha256=sha, source_sha256=result.source_sha256
        )
        if existing:
            errors.append(
                DuplicateTranscriptError(
                    upload.name,
                    f"has the same content as transcript '{existing['source_name']}' "
                    "already in the study",
                )
            )
        elif sha in seen:
            errors.append(
                DuplicateTranscriptError(upload.name, f"has the same content as '{seen[sha]}'")
            )
        else:
            seen[sha] = upload.name
            parsed.append(result)
    if errors:
        raise BatchImportError(errors)
    return parsed


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def import_transcripts(
    store: Store,
    project_id: int,
    files: Sequence[UploadedFile],
    *,
    actor: str,
    participants: Sequence[ParticipantRecord] = (),
    pseudonyms: Mapping[str, str] | None = None,
    roles: Mapping[str, Mapping[str, str]] | None = None,
) -> list[ImportedTranscript]:
    """Import a batch of transcript files, all or nothing.

    Args:
        store: the open study.
        project_id: the project to import into.
        files: the uploaded files.
        actor: the user doing the import (written to the audit log).
        participants: records from a participants file; created or updated first.
        pseudonyms: file name -> participant pseudonym, overriding the file's own.
        roles: file name -> {speaker label -> role}, overriding the guessed roles.

    Raises:
        BatchImportError: some file was refused; nothing was written.

    Example:
        >>> import_transcripts(store, 1, [UploadedFile("P1.txt", b"I: Hi?\\nP1: Hi.")], actor="sam")
    """
    require(store, actor, Action.IMPORT)
    parsed = parse_batch(store, project_id, files)
    results = []
    with store.transaction():
        save_participants(store, project_id, list(participants), actor=actor)
        for item in parsed:
            guessed = guess_speaker_roles(item)
            chosen = {**guessed, **((roles or {}).get(item.source_name, {}))}
            for role in chosen.values():
                if role not in SPEAKER_ROLES:
                    raise InvalidRequestError(f"{item.source_name}: unknown speaker role '{role}'")
            pseudonym = pseudonym_for(item.source_name, participants, pseudonyms or {})
            ensure_not_withdrawn(store, project_id, [pseudonym] if pseudonym else [])
            results.append(
                store_parsed_transcript(store, project_id, item, chosen, pseudonym, actor)
            )
    return results


def store_parsed_transcript(
    store: Store,
    project_id: int,
    item: ParsedTranscript,
    roles: Mapping[str, str],
    pseudonym: str,
    actor: str,
) -> ImportedTranscript:
    """Write one checked transcript (speakers, turns, segments, identifier scan, audit),
    inside the caller's transaction; every importer ends here."""
    participant_id = store.get_or_create_participant(project_id, pseudonym)
    transcript_id = store.insert_transcript(
        {
            "project_id": project_id,
            "participant_id": participant_id,
            "source_name": item.source_name,
            "source_format": item.source_format,
            "source_sha256": item.source_sha256,
            "sha256": text_sha256(item.text),
            "text": item.text,
            "imported_by": actor,
            "imported_at": now_utc(),
        }
    )
    speaker_ids = {
        label: store.insert_speaker(transcript_id, label, roles[label]) for label in item.speakers
    }
    turn_ids = [
        store.insert_turn(
            {
                "transcript_id": transcript_id,
                "speaker_id": speaker_ids[turn.speaker],
                "position": position,
                "start_char": turn.start,
                "end_char": turn.end,
                "timestamp": turn.timestamp,
            }
        )
        for position, turn in enumerate(item.turns)
    ]
    spans = [TurnSpan(t.start, t.end, roles[t.speaker]) for t in item.turns]
    segments = segment_rows(
        transcript_id, item.text, spans, turn_ids, [t.speaker for t in item.turns]
    )
    store.insert_segments(segments)
    findings = scan_new_transcript(store, project_id, transcript_id, item.text)
    # Speaker labels may be real names, so the audit row keeps only how many of each role.
    speaker_roles = [roles[label] for label in item.speakers]
    role_counts = {role: speaker_roles.count(role) for role in sorted(set(speaker_roles))}
    store.audit(
        actor=actor,
        action="import transcript",
        table="transcripts",
        row_id=transcript_id,
        payload={
            "source_name": item.source_name,
            "participant": pseudonym,
            "speakers": len(item.speakers),
            "roles": role_counts,
            "pii_findings": findings,
        },
    )
    return ImportedTranscript(
        transcript_id,
        item.source_name,
        pseudonym,
        dict(roles),
        len(item.turns),
        len(segments),
        findings,
    )


def set_speaker_role(store: Store, transcript_id: int, label: str, role: str, *, actor: str) -> int:
    """Change a speaker's role and re-segment their turns; returns the new segment count.

    Raises:
        InvalidRequestError: unknown role or speaker, or the change would drop codings.
    """
    require(store, actor, Action.IMPORT)
    if role not in SPEAKER_ROLES:
        raise InvalidRequestError(f"unknown speaker role '{role}' (use {', '.join(SPEAKER_ROLES)})")
    speaker = next((s for s in store.list_speakers(transcript_id) if s.label == label), None)
    if speaker is None:
        raise InvalidRequestError(f"transcript {transcript_id} has no speaker '{label}'")
    transcript = store.get_transcript(transcript_id)
    turns = [t for t in store.list_turns(transcript_id) if t.speaker == label]
    turn_ids = {t.id for t in turns}
    with store.transaction():
        store.set_speaker_role(speaker.id, role)
        old = [s for s in store.list_segments(transcript_id) if s.turn_id in turn_ids]
        if role == INTERVIEWER and old:
            coded = {
                c.segment_id
                for c in store.list_codings(
                    project_id=transcript.project_id, transcript_id=transcript_id
                )
            }
            if coded & {s.id for s in old}:
                raise InvalidRequestError(
                    f"'{label}' has coded segments; remove those codings before making "
                    "them the interviewer"
                )
            store.delete_segments(s.id for s in old)
        if role == PARTICIPANT and not old:
            spans = [TurnSpan(t.start_char, t.end_char, PARTICIPANT) for t in turns]
            rows = segment_rows(
                transcript_id, transcript.text, spans, [t.id for t in turns], [label] * len(turns)
            )
            store.insert_segments(rows)
        store.audit(
            actor=actor,
            action="set speaker role",
            table="speakers",
            row_id=speaker.id,
            # The speaker's row id, never its label: labels can be real names.
            payload={"transcript_id": transcript_id, "role": role},
        )
    return len(store.list_segments(transcript_id))


def attach_participant(store: Store, transcript_id: int, pseudonym: str, *, actor: str) -> None:
    """Link a transcript to a participant (created if new)."""
    require(store, actor, Action.MANAGE_PARTICIPANTS)
    transcript = store.get_transcript(transcript_id)
    if not pseudonym.strip():
        raise InvalidRequestError("a participant needs a pseudonym")
    with store.transaction():
        participant_id = store.get_or_create_participant(transcript.project_id, pseudonym.strip())
        store.set_transcript_participant(transcript_id, participant_id)
        store.audit(
            actor=actor,
            action="attach participant",
            table="transcripts",
            row_id=transcript_id,
            payload={"participant": pseudonym.strip()},
        )


def list_transcripts(store: Store, project_id: int) -> list[Transcript]:
    return store.list_transcripts(project_id)


def transcript_view(
    store: Store, transcript_id: int, *, actor: str
) -> tuple[Transcript, list[StoredTurn], list[Segment]]:
    """Everything the Transcript page shows, read in one place (never for evaluators)."""
    require(store, actor, Action.SEE_TRANSCRIPTS)
    return (
        store.get_transcript(transcript_id),
        store.list_turns(transcript_id),
        store.list_segments(transcript_id),
    )
