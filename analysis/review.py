"""The anonymisation review gate: nothing identifiable is stored un-reviewed.

Possible identifiers found at import wait as `pending` findings; until none is left a
transcript cannot be coded, embedded or exported (`ensure_cleared`). A reviewer redacts a
finding, marks it not personal, adjusts its span or adds one the detector missed.

Redacting replaces the span of the stored text with a stable placeholder such as
`[PERSON_3]`: the same string with the same label gets the same number across the
project, looked up by an HMAC of the string (the string itself is never stored). One
transaction rewrites the text, shifts every offset after the span (turns, findings),
renames a speaker whose label held the span, re-segments the transcript and writes the
audit rows, which name the finding, its label and placeholder but never the removed
text. The WAL is then checkpointed, so no old copy of the text stays in the -wal file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from analysis.access import Action, require
from analysis.errors import InvalidRequestError, NotFoundError
from analysis.models import NOT_PERSONAL, PENDING, REDACTED, PiiFinding, ReviewStatus, Transcript
from analysis.pii import CONFIDENT, LABELS, Finding, find_personal_data, starter_allow_list
from analysis.redaction import TranscriptDraft, normalise, placeholder_key, trim_span
from analysis.storage import Store, now_utc

UNCHECKED = "unchecked"
NEEDS_REVIEW = "needs review"
CLEARED = "cleared"
REVIEWER_SOURCE = "reviewer"


def is_cleared(transcript: Transcript) -> bool:
    return transcript.anonymisation_status == CLEARED


def ensure_cleared(store: Store, transcript_id: int, *, action: str = "coded") -> Transcript:
    """The transcript, if its review is done; the gate for coding, embedding and export.

    Raises:
        InvalidRequestError: findings are pending, or it was never checked.

    Example:
        >>> ensure_cleared(store, 3, action="exported")
    """
    transcript = store.get_transcript(transcript_id)
    if not is_cleared(transcript):
        raise InvalidRequestError(
            f"{transcript.source_name} needs PII review before it can be {action}"
        )
    return transcript


# -- finding -----------------------------------------------------------------------------


def _finding_rows(transcript_id: int, found: Sequence[Finding]) -> list[dict[str, Any]]:
    return [
        {
            "transcript_id": transcript_id,
            "start_char": f.start,
            "end_char": f.end,
            "label": f.label,
            "score": float(f.score),
            "source": f.source,
            "status": PENDING,
        }
        for f in found
    ]


def scan_new_transcript(store: Store, project_id: int, transcript_id: int, text: str) -> int:
    """Store what detection finds in a just-imported transcript as pending findings and set
    its status; returns how many. Runs inside the import's transaction."""
    allow = [*starter_allow_list(), *store.list_allow_terms(project_id)]
    found = find_personal_data(text, allow_list=allow)
    store.insert_findings(_finding_rows(transcript_id, found))
    store.update_transcript(
        transcript_id, {"anonymisation_status": NEEDS_REVIEW if found else CLEARED}
    )
    return len(found)


def scan_transcript(store: Store, transcript_id: int, *, actor: str) -> ReviewStatus:
    """Run detection again (a transcript from before the review gate, or after the
    allow-list changed); findings overlapping earlier ones are not added twice."""
    require(store, actor, Action.RESOLVE_PII)
    transcript = store.get_transcript(transcript_id)
    existing = store.list_findings(transcript_id=transcript_id)
    allow = [*starter_allow_list(), *store.list_allow_terms(transcript.project_id)]
    new = [
        f
        for f in find_personal_data(transcript.text, allow_list=allow)
        if not any(f.start < e.end_char and e.start_char < f.end for e in existing)
    ]
    with store.transaction():
        store.insert_findings(_finding_rows(transcript_id, new))
        status = refresh_review_status(store, transcript_id)
        store.audit(
            actor=actor,
            action="scan for personal data",
            table="transcripts",
            row_id=transcript_id,
            payload={"new_findings": len(new), "status": status},
        )
    return review_status(store, transcript_id)


def list_findings(store: Store, transcript_id: int, *, actor: str) -> list[PiiFinding]:
    """Every finding of a transcript in text order, with its current text (a reviewer's
    view: it shows identifiers not yet redacted)."""
    require(store, actor, Action.RESOLVE_PII)
    store.get_transcript(transcript_id)
    return store.list_findings(transcript_id=transcript_id)


def review_status(store: Store, transcript_id: int) -> ReviewStatus:
    transcript = store.get_transcript(transcript_id)
    statuses = [f.status for f in store.list_findings(transcript_id=transcript_id)]
    return ReviewStatus(
        transcript_id,
        transcript.source_name,
        transcript.anonymisation_status,
        statuses.count(PENDING),
        statuses.count(REDACTED),
        statuses.count(NOT_PERSONAL),
    )


def _get_finding(store: Store, finding_id: int) -> PiiFinding:
    found = store.list_findings(ids=[finding_id])
    if not found:
        raise NotFoundError(f"finding {finding_id} does not exist")
    return found[0]


def refresh_review_status(store: Store, transcript_id: int) -> str:
    """Needs review while any finding is pending, else cleared; stores and returns it."""
    pending = store.list_findings(transcript_id=transcript_id, status=PENDING)
    status = NEEDS_REVIEW if pending else CLEARED
    store.update_transcript(transcript_id, {"anonymisation_status": status})
    return status


# -- decisions ---------------------------------------------------------------------------


def redact_findings(store: Store, finding_ids: Iterable[int], *, actor: str) -> list[PiiFinding]:
    """Replace each finding's text with its placeholder, in one transaction.

    Args:
        store: the open study.
        finding_ids: pending or not-personal findings, of one or more transcripts.
        actor: the reviewer (written to the audit log).

    Returns:
        The findings as they are now, each with its placeholder.

    Raises:
        NotFoundError: no such finding.
        InvalidRequestError: already redacted, the transcript has codings, or a span
            crosses a turn boundary; nothing is changed.

    Example:
        >>> redact_findings(store, [12, 13], actor="lead")[0].placeholder
        '[EMAIL_1]'
    """
    require(store, actor, Action.RESOLVE_PII)
    ids = list(dict.fromkeys(finding_ids))
    found = store.list_findings(ids=ids)
    missing = set(ids) - {f.id for f in found}
    if missing:
        raise NotFoundError(f"finding {min(missing)} does not exist")
    done = [f.id for f in found if f.status == REDACTED]
    if done:
        raise InvalidRequestError(f"finding {done[0]} is already redacted")
    with store.transaction():
        for transcript_id in dict.fromkeys(f.transcript_id for f in found):
            draft = TranscriptDraft.load(store, transcript_id)
            _refuse_if_coded(store, draft.transcript)
            for finding in found:
                if finding.transcript_id == transcript_id:
                    _redact_one(store, draft, finding.id, actor)
            draft.save(store)
            refresh_review_status(store, transcript_id)
    store.checkpoint_wal()
    return store.list_findings(ids=ids)


def redact_confident(
    store: Store, transcript_id: int, *, actor: str, threshold: float = CONFIDENT
) -> list[PiiFinding]:
    """Redact every pending finding of a transcript scored at least `threshold`."""
    require(store, actor, Action.RESOLVE_PII)
    pending = store.list_findings(transcript_id=transcript_id, status=PENDING)
    return redact_findings(store, [f.id for f in pending if f.score >= threshold], actor=actor)


def _refuse_if_coded(store: Store, transcript: Transcript) -> None:
    if store.list_codings(project_id=transcript.project_id, transcript_id=transcript.id):
        raise InvalidRequestError(
            f"{transcript.source_name} already has codings; redacting would move their "
            "quotes, so remove its codings first"
        )


def _redact_one(store: Store, draft: TranscriptDraft, finding_id: int, actor: str) -> None:
    finding = draft.findings[finding_id]
    if finding["status"] == REDACTED:
        return  # covered by an earlier redaction of the same speaker label
    original = draft.text[finding["start"] : finding["end"]]
    regions, in_label = draft.regions(finding["start"], finding["end"])
    key = placeholder_key(store.pii_secret(draft.transcript.project_id), finding["label"], original)
    number = store.placeholder_number(draft.transcript.project_id, finding["label"], key)
    placeholder = f"[{finding['label']}_{number}]"
    covered: list[int] = []
    for start, end in sorted(regions, reverse=True):
        covered.extend(draft.replace(start, end, placeholder))
    decided_at = now_utc()
    for covered_id in covered:
        draft.findings[covered_id].update(
            status=REDACTED, placeholder=placeholder, decided_by=actor, decided_at=decided_at
        )
    speaker_id = None
    if in_label is not None:
        speaker_id, offset = in_label
        label = draft.labels[speaker_id]
        new_label = label[:offset] + placeholder + label[offset + len(original) :]
        if new_label in {v for k, v in draft.labels.items() if k != speaker_id}:
            raise InvalidRequestError(
                f"{draft.transcript.source_name}: redacting would give two speakers one label"
            )
        draft.labels[speaker_id] = new_label
        draft.changed_labels.add(speaker_id)
    store.audit(
        actor=actor,
        action="redact personal data",
        table="pii_findings",
        row_id=finding_id,
        payload={
            "transcript_id": draft.transcript.id,
            "finding_id": finding_id,
            "label": finding["label"],
            "placeholder": placeholder,
            "also_covered": sorted(set(covered) - {finding_id}),
            "speaker_id": speaker_id,
        },
    )


def record_not_personal(
    store: Store, finding: PiiFinding, *, actor: str, at: str, details: dict[str, Any]
) -> None:
    """Write one "not personal" decision and its audit row (inside the caller's
    transaction; `details` join the audit payload)."""
    store.update_rows(
        "pii_findings",
        {finding.id: {"status": NOT_PERSONAL, "decided_by": actor, "decided_at": at}},
    )
    store.audit(
        actor=actor,
        action="mark not personal",
        table="pii_findings",
        row_id=finding.id,
        payload={
            "transcript_id": finding.transcript_id,
            "finding_id": finding.id,
            "label": finding.label,
            **details,
        },
    )


def mark_not_personal(
    store: Store, finding_id: int, *, actor: str, add_to_allow_list: bool = False
) -> list[PiiFinding]:
    """Keep a finding's text as it is. With `add_to_allow_list`, the term is never found
    again in this project, and its other pending findings are settled the same way.

    Returns:
        The findings decided.

    Raises:
        InvalidRequestError: the finding was already redacted.
    """
    require(store, actor, Action.RESOLVE_PII)
    finding = _get_finding(store, finding_id)
    if finding.status == REDACTED:
        raise InvalidRequestError(f"finding {finding_id} is already redacted")
    transcript = store.get_transcript(finding.transcript_id)
    term = " ".join(finding.text.split())
    decided = [finding]
    if add_to_allow_list:
        decided += [
            f
            for f in store.list_findings(project_id=transcript.project_id, status=PENDING)
            if f.id != finding_id and normalise(f.text) == normalise(term)
        ]
    with store.transaction():
        if add_to_allow_list:
            store.add_allow_term(transcript.project_id, term, actor=actor)
        at = now_utc()
        for item in decided:
            details: dict[str, Any] = {"allow_list": add_to_allow_list}
            if item.id == finding_id and add_to_allow_list:
                details["allow_term"] = term  # judged not personal, so safe to keep
            record_not_personal(store, item, actor=actor, at=at, details=details)
        for transcript_id in {item.transcript_id for item in decided}:
            refresh_review_status(store, transcript_id)
    return store.list_findings(ids=[item.id for item in decided])


def adjust_finding(
    store: Store, finding_id: int, start: int, end: int, *, actor: str, label: str | None = None
) -> PiiFinding:
    """Move a pending finding to `[start, end)` (trimmed of whitespace), optionally relabelled.

    Raises:
        InvalidRequestError: not pending, a bad span, or it overlaps another finding.
    """
    require(store, actor, Action.RESOLVE_PII)
    finding = _get_finding(store, finding_id)
    if finding.status != PENDING:
        raise InvalidRequestError(
            f"finding {finding_id} is {finding.status}; only pending ones move"
        )
    new_label = _check_label(label or finding.label)
    draft = TranscriptDraft.load(store, finding.transcript_id)
    start, end = trim_span(draft.text, start, end)
    draft.check_span(start, end, ignore=finding_id)
    with store.transaction():
        store.update_rows(
            "pii_findings",
            {finding_id: {"start_char": start, "end_char": end, "label": new_label}},
        )
        store.audit(
            actor=actor,
            action="adjust finding",
            table="pii_findings",
            row_id=finding_id,
            payload={
                "transcript_id": finding.transcript_id,
                "finding_id": finding_id,
                "label": new_label,
                "from": [finding.start_char, finding.end_char],
                "to": [start, end],
            },
        )
    return _get_finding(store, finding_id)


def add_finding(
    store: Store, transcript_id: int, start: int, end: int, label: str, *, actor: str
) -> PiiFinding:
    """Record an identifier the detector missed, as a pending finding of `[start, end)`.

    Example:
        >>> add_finding(store, 3, 120, 126, "PERSON", actor="lead").text
        'Tamsin'
    """
    [finding] = _add_findings(store, transcript_id, [(start, end)], label, actor=actor)
    return finding


def add_findings_for_words(
    store: Store, transcript_id: int, words: str, label: str, *, actor: str
) -> list[PiiFinding]:
    """Add a finding at every whole-word occurrence of `words` not already found.

    Raises:
        InvalidRequestError: the words are not in the transcript (or all already found).
    """
    require(store, actor, Action.RESOLVE_PII)
    transcript = store.get_transcript(transcript_id)
    wanted = words.strip()
    pattern = re.compile(rf"(?<!\w){re.escape(wanted)}(?!\w)") if wanted else None
    spans = [m.span() for m in pattern.finditer(transcript.text)] if pattern else []
    taken = [
        (f.start_char, f.end_char)
        for f in store.list_findings(transcript_id=transcript_id)
        if f.status != NOT_PERSONAL
    ]
    spans = [(s, e) for s, e in spans if not any(s < b and a < e for a, b in taken)]
    if not spans:
        raise InvalidRequestError(
            f"{transcript.source_name}: those exact words are not in the transcript, "
            "or every occurrence is already a finding"
        )
    return _add_findings(store, transcript_id, spans, label, actor=actor)


def _check_label(label: str) -> str:
    if label.upper() not in LABELS:
        raise InvalidRequestError(f"unknown label '{label}' (use {', '.join(LABELS)})")
    return label.upper()


def _add_findings(
    store: Store, transcript_id: int, spans: Sequence[tuple[int, int]], label: str, *, actor: str
) -> list[PiiFinding]:
    require(store, actor, Action.RESOLVE_PII)
    label = _check_label(label)
    draft = TranscriptDraft.load(store, transcript_id)
    trimmed = [trim_span(draft.text, start, end) for start, end in spans]
    for start, end in trimmed:
        draft.check_span(start, end)
        draft.findings[-start - 1] = {"start": start, "end": end, "status": PENDING}
    before = {f.id for f in store.list_findings(transcript_id=transcript_id)}
    with store.transaction():
        store.insert_findings(
            [
                {
                    "transcript_id": transcript_id,
                    "start_char": start,
                    "end_char": end,
                    "label": label,
                    "score": 1.0,
                    "source": REVIEWER_SOURCE,
                    "status": PENDING,
                }
                for start, end in trimmed
            ]
        )
        added = [f for f in store.list_findings(transcript_id=transcript_id) if f.id not in before]
        for finding in added:
            store.audit(
                actor=actor,
                action="add finding",
                table="pii_findings",
                row_id=finding.id,
                payload={
                    "transcript_id": transcript_id,
                    "finding_id": finding.id,
                    "label": label,
                    "start_char": finding.start_char,
                    "end_char": finding.end_char,
                },
            )
        refresh_review_status(store, transcript_id)
    return added
