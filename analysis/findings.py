"""Findings: statements under a theme, supported by evidence quotes picked from codings.

Counts (participants, transcripts, segments) are computed from the evidence each time,
so they stay right when a quote is removed or a participant withdraws (their codings
go, and the evidence rows with them).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analysis.access import Action, allowed, require
from analysis.consent import quotable_participants
from analysis.errors import InvalidRequestError
from analysis.models import User
from analysis.outputs import DRAFT, get_row, may_see, require_visible, save_revision
from analysis.storage import Store, now_utc

LIVED_EXPERIENCE = (
    "first-hand",
    "about a friend",
    "about family",
    "staff view",
    "observed in others",
)


@dataclass(frozen=True)
class Evidence:
    """One quote supporting a finding, traceable to transcript and participant."""

    coding_id: int
    quote: str
    code_key: str
    transcript_id: int
    source_name: str
    participant: str | None
    start_char: int
    end_char: int


@dataclass(frozen=True)
class Finding:
    id: int
    theme_id: int
    theme: str
    statement: str
    lived_experience: tuple[str, ...]
    intersectional_note: str
    status: str
    revision: int
    evidence: tuple[Evidence, ...]
    participants: int
    transcripts: int
    segments: int
    withheld: int  # quotes not shown: their participant did not agree to be quoted


def _tags(tags: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    unknown = [t for t in chosen if t not in LIVED_EXPERIENCE]
    if unknown:
        raise InvalidRequestError(
            f"unknown lived-experience tag '{unknown[0]}' (use {', '.join(LIVED_EXPERIENCE)})"
        )
    return chosen


@dataclass(frozen=True)
class _Lookup:
    """What every finding of a project needs, read once per listing."""

    themes: dict[int, str]
    transcripts: dict[int, dict[str, Any]]  # id -> source_name, participant_id, pseudonym
    quotable: set[int] | None  # None: every quote may be shown


def _lookup(store: Store, project_id: int, user: User) -> _Lookup:
    reader_only = not allowed(user.role, Action.SEE_CODINGS)
    return _Lookup(
        {t["id"]: t["name"] for t in store.list_theme_rows(project_id)},
        {t["id"]: t for t in store.list_transcript_owners(project_id)},
        quotable_participants(store, project_id) if reader_only else None,
    )


def _finding(store: Store, row: dict[str, Any], lookup: _Lookup) -> Finding:
    transcripts, allowed_people = lookup.transcripts, lookup.quotable
    evidence: list[Evidence] = []
    withheld = 0
    participants: set[int | str] = set()
    segments: set[tuple[int, int]] = set()
    for coding_id in store.evidence_coding_ids(row["id"]):
        coding = store.get_coding(coding_id)
        transcript = transcripts[coding.transcript_id]
        participants.add(transcript["participant_id"] or f"t{transcript['id']}")
        segments.add((coding.transcript_id, coding.segment_id or -coding.id))
        if allowed_people is not None and transcript["participant_id"] not in allowed_people:
            withheld += 1
            continue
        evidence.append(
            Evidence(
                coding.id,
                coding.text,
                coding.code_key,
                transcript["id"],
                transcript["source_name"],
                transcript["pseudonym"],
                coding.start_char,
                coding.end_char,
            )
        )
    return Finding(
        row["id"],
        row["theme_id"],
        lookup.themes[row["theme_id"]],
        row["statement"],
        tuple(_json_list(row["lived_experience_json"])),
        row["intersectional_note"],
        row["status"],
        row["revision"],
        tuple(evidence),
        len(participants),
        len({t for t, _ in segments}),
        len(segments),
        withheld,
    )


def _json_list(raw: str) -> list[str]:
    return [str(item) for item in json.loads(raw or "[]")]


def create_finding(
    store: Store,
    theme_id: int,
    statement: str,
    *,
    actor: str,
    lived_experience: Sequence[str] = (),
    intersectional_note: str = "",
    evidence: Sequence[int] = (),
) -> Finding:
    """A new draft finding under a theme, optionally with its first evidence quotes."""
    require(store, actor, Action.DRAFT_OUTPUTS)
    get_row(store, "themes", theme_id)
    if not statement.strip():
        raise InvalidRequestError("a finding needs a statement")
    tags = _tags(lived_experience)
    with store.transaction():
        finding_id = store.insert_output(
            "findings",
            {
                "theme_id": theme_id,
                "statement": statement.strip(),
                "lived_experience_json": json.dumps(tags),
                "intersectional_note": intersectional_note.strip(),
                "status": DRAFT,
                "created_by": actor,
                "created_at": now_utc(),
                "updated_at": now_utc(),
            },
        )
        store.audit(
            actor=actor,
            action="create finding",
            table="findings",
            row_id=finding_id,
            payload={"theme_id": theme_id, "statement": statement.strip()},
        )
        for coding_id in evidence:
            _add_evidence(store, finding_id, coding_id, actor=actor)
    return get_finding(store, finding_id, actor=actor)


def update_finding(
    store: Store,
    finding_id: int,
    *,
    statement: str,
    lived_experience: Sequence[str],
    intersectional_note: str,
    revision: int,
    actor: str,
) -> Finding:
    """Save an edited finding made on `revision` (an agreed one goes back to review)."""
    require(store, actor, Action.DRAFT_OUTPUTS)
    row = get_row(store, "findings", finding_id)
    if not statement.strip():
        raise InvalidRequestError("a finding needs a statement")
    with store.transaction():
        save_revision(
            store,
            "findings",
            row,
            {
                "statement": statement.strip(),
                "lived_experience_json": json.dumps(_tags(lived_experience)),
                "intersectional_note": intersectional_note.strip(),
            },
            revision=revision,
            actor=actor,
            action="edit finding",
        )
    return get_finding(store, finding_id, actor=actor)


def _add_evidence(store: Store, finding_id: int, coding_id: int, *, actor: str) -> None:
    coding = store.get_coding(coding_id)
    finding = get_row(store, "findings", finding_id)
    theme = get_row(store, "themes", finding["theme_id"])
    if store.get_transcript(coding.transcript_id).project_id != theme["project_id"]:
        raise InvalidRequestError(f"coding {coding_id} is not in this project")
    store.add_evidence_row(
        {"finding_id": finding_id, "coding_id": coding_id, "added_by": actor, "added_at": now_utc()}
    )
    store.audit(
        actor=actor,
        action="add evidence",
        table="findings",
        row_id=finding_id,
        payload={"coding_id": coding_id, "transcript_id": coding.transcript_id},
    )


def add_evidence(store: Store, finding_id: int, coding_id: int, *, actor: str) -> Finding:
    """Attach a coded quote as evidence (from Retrieve or the Themes page)."""
    require(store, actor, Action.DRAFT_OUTPUTS)
    with store.transaction():
        _add_evidence(store, finding_id, coding_id, actor=actor)
    return get_finding(store, finding_id, actor=actor)


def remove_evidence(store: Store, finding_id: int, coding_id: int, *, actor: str) -> Finding:
    require(store, actor, Action.DRAFT_OUTPUTS)
    get_row(store, "findings", finding_id)
    with store.transaction():
        store.remove_evidence_row(finding_id, coding_id)
        store.audit(
            actor=actor,
            action="remove evidence",
            table="findings",
            row_id=finding_id,
            payload={"coding_id": coding_id},
        )
    return get_finding(store, finding_id, actor=actor)


def get_finding(store: Store, finding_id: int, *, actor: str) -> Finding:
    """One finding; evaluators get agreed ones only, with quotes of consenting
    participants only (the others are counted as withheld)."""
    row = get_row(store, "findings", finding_id)
    user = require_visible(store, actor, "findings", row)
    project_id = get_row(store, "themes", row["theme_id"])["project_id"]
    return _finding(store, row, _lookup(store, project_id, user))


def list_findings(
    store: Store, project_id: int, *, actor: str, theme_id: int | None = None
) -> list[Finding]:
    user = require(store, actor, Action.EXPORT_SUMMARY)
    lookup = _lookup(store, project_id, user)
    return [
        _finding(store, row, lookup)
        for row in store.list_finding_rows(project_id, theme_id=theme_id)
        if may_see(user, row["status"])
    ]


def finding_json(finding: Finding) -> dict[str, Any]:
    """A finding with its evidence chain, for `findings --json` and exports."""
    return {
        "id": finding.id,
        "theme": finding.theme,
        "theme_id": finding.theme_id,
        "statement": finding.statement,
        "status": finding.status,
        "lived_experience": list(finding.lived_experience),
        "intersectional_note": finding.intersectional_note,
        "counts": {
            "participants": finding.participants,
            "transcripts": finding.transcripts,
            "segments": finding.segments,
        },
        "evidence": [
            {
                "coding_id": e.coding_id,
                "quote": e.quote,
                "code": e.code_key,
                "transcript_id": e.transcript_id,
                "transcript": e.source_name,
                "participant": e.participant,
                "start": e.start_char,
                "end": e.end_char,
            }
            for e in finding.evidence
        ],
        "quotes_withheld": finding.withheld,
    }
