"""Consent and withdrawal: what each participant agreed to, and removing them entirely.

A participant's consent record says when they consented, whether their words may be
quoted in reports, and whether their data may be shared with partners. Anything not
recorded counts as "no": exports and reports quote only participants who said yes.

Withdrawal deletes the participant's transcripts with everything derived from them
(segments, codings, memos on those, identifier findings, embeddings, topic
assignments, suggestion decisions, consensus decisions), takes their quotes out of
topic summaries, deletes saved topic models that were fitted on their words, and strips
quoted text from earlier audit rows about their records. The audit log keeps only who
withdrew which pseudonym, when, and how many records went.
"""

from __future__ import annotations

import datetime
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from analysis.access import Action, require
from analysis.embed import text_hash
from analysis.errors import InvalidRequestError, NotFoundError
from analysis.models import Participant
from analysis.storage import Store, now_utc

# Audit payload keys that can hold participants' words or attributes.
_TEXT_KEYS = ("body", "old", "new", "memos", "attributes", "text", "quote", "value", "name")


@dataclass(frozen=True)
class Withdrawal:
    """What a withdrawal removed (counts only: the content itself is gone)."""

    pseudonym: str
    transcripts: int
    segments: int
    codings: int
    memos: int
    topic_models_deleted: int


def _participant(store: Store, project_id: int, pseudonym: str) -> Participant:
    for participant in store.list_participants(project_id):
        if participant.pseudonym == pseudonym:
            return participant
    raise NotFoundError(f"the study has no participant '{pseudonym}'")


def record_consent(
    store: Store,
    project_id: int,
    pseudonym: str,
    *,
    date: str | None,
    quotes: bool | None,
    share: bool | None,
    actor: str,
) -> Participant:
    """Record (or correct) a participant's consent; None leaves an answer unrecorded."""
    require(store, actor, Action.MANAGE_PARTICIPANTS)
    participant = _participant(store, project_id, pseudonym)
    if date is not None and date.strip():
        date = date.strip()
        if not is_calendar_day(date):
            raise InvalidRequestError(f"consent date '{date}' must be a day written YYYY-MM-DD")
    values = {
        "consent_date": date or None,
        "consent_quotes": None if quotes is None else int(quotes),
        "consent_share": None if share is None else int(share),
    }
    with store.transaction():
        store.set_consent(participant.id, values)
        store.audit(
            actor=actor,
            action="record consent",
            table="participants",
            row_id=participant.id,
            payload={"pseudonym": pseudonym, **values},
        )
    return _participant(store, project_id, pseudonym)


def is_calendar_day(text: str) -> bool:
    """Whether `text` is a real day written YYYY-MM-DD."""
    try:
        return len(text) == 10 and datetime.date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def quotable_participants(store: Store, project_id: int) -> set[int]:
    """Ids of participants who agreed that their words may be quoted in reports."""
    return {p.id for p in store.list_participants(project_id) if p.consent.quotes is True}


def may_quote(store: Store, project_id: int, participant_id: int | None) -> bool:
    """Whether a quote from this participant may appear in a report or export."""
    return participant_id is not None and participant_id in quotable_participants(store, project_id)


def withdraw_participant(
    store: Store, project_id: int, pseudonym: str, *, actor: str
) -> Withdrawal:
    """Remove a participant and everything of theirs, in one transaction.

    Raises:
        PermissionDeniedError: only a project lead withdraws participants.
        NotFoundError: no participant with this pseudonym.
    """
    require(store, actor, Action.WITHDRAW_PARTICIPANT)
    participant = _participant(store, project_id, pseudonym)
    transcript_ids = [
        t.id for t in store.list_transcripts(project_id) if t.participant_id == participant.id
    ]
    footprint = store.participant_footprint(transcript_ids)
    segment_ids = set(footprint["segments"])
    folders: list[Path] = []
    with store.transaction():
        memo_ids = [
            memo_id
            for table, ids in (
                ("codings", footprint["codings"]),
                ("segments", footprint["segments"]),
                ("transcripts", transcript_ids),
                ("participants", [participant.id]),
            )
            for memo_id in store.delete_memos_on(table, ids)
        ]
        folders = _forget_topic_quotes(store, project_id, segment_ids)
        # Codings and memos removed before the withdrawal still have audit rows.
        codings = set(footprint["codings"]) | store.audited_row_ids(
            "codings", "transcript_id", transcript_ids
        )
        memos = set(memo_ids) | store.audited_row_ids("memos", "target_id", sorted(codings))
        about_them = store.audit_ids_about(
            {
                "memos": sorted(memos),
                "codings": sorted(codings),
                "transcripts": transcript_ids,
                "participants": [participant.id],
                "segments": footprint["segments"],
            }
        )
        store.scrub_audit_rows(about_them, _TEXT_KEYS)
        store.delete_transcripts(transcript_ids)
        store.delete_participant(participant.id)
        texts = footprint["texts"]
        still_used = store.segment_texts_in_use(texts)
        store.delete_embeddings([text_hash(t) for t in texts if t not in still_used])
        store.insert_withdrawal(
            {
                "project_id": project_id,
                "pseudonym": pseudonym,
                "withdrawn_by": actor,
                "withdrawn_at": now_utc(),
            }
        )
        result = Withdrawal(
            pseudonym,
            len(transcript_ids),
            len(segment_ids),
            len(footprint["codings"]),
            len(memo_ids),
            len(folders),
        )
        store.audit(
            actor=actor,
            action="withdraw participant",
            table="participants",
            row_id=participant.id,
            payload={
                "pseudonym": pseudonym,
                "transcripts": result.transcripts,
                "segments": result.segments,
                "codings": result.codings,
                "memos": result.memos,
                "topic_models_deleted": result.topic_models_deleted,
            },
        )
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    store.checkpoint_wal()
    return result


def _forget_topic_quotes(store: Store, project_id: int, segment_ids: set[int]) -> list[Path]:
    """Drop the participant's quotes from topic summaries; the saved models of runs
    fitted on their words are to be deleted (returned), since a model keeps texts."""
    folders: dict[int, Path] = {}
    for row in store.topic_runs_with_quotes(project_id):
        quotes = json.loads(row["representative_json"])
        kept = [q for q in quotes if q.get("segment_id") not in segment_ids]
        if len(kept) != len(quotes):
            store.set_topic_quotes(row["id"], kept)
        if (
            row["model_path"]
            and segment_ids
            and store.run_used_segments(row["topic_run_id"], sorted(segment_ids))
        ):
            folders[row["topic_run_id"]] = Path(row["model_path"])
    for run_id in folders:
        store.forget_topic_model(run_id)
        store.refresh_topic_sizes(run_id)
    return list(folders.values())


def withdrawn_pseudonyms(store: Store, project_id: int) -> set[str]:
    return store.withdrawn_pseudonyms(project_id)


def ensure_not_withdrawn(store: Store, project_id: int, pseudonyms: Sequence[str]) -> None:
    """Refuse to bring back data of someone who withdrew."""
    gone = {p.casefold() for p in store.withdrawn_pseudonyms(project_id)}
    withdrawn = {p for p in pseudonyms if p.casefold() in gone}
    if withdrawn:
        raise InvalidRequestError(
            f"participant {sorted(withdrawn)[0]} withdrew from the study; their data "
            "cannot be imported again"
        )
