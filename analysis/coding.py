"""Applying and removing codes by hand, on a segment or any span of a transcript.

Offsets are validated against the stored text and trimmed of surrounding whitespace,
so a coding's quote is always `transcript.text[start_char:end_char]`.
"""

from __future__ import annotations

from analysis.access import LEAD, Action, require
from analysis.errors import InvalidRequestError, NotFoundError, PermissionDeniedError
from analysis.memos import MEMO_TARGETS, add_memo_in_transaction
from analysis.models import Code, Coding
from analysis.review import ensure_cleared
from analysis.rounds import ensure_may_code, visible_codings
from analysis.storage import Store, now_utc

CODING_SOURCES = ("manual", "accepted-suggestion", "consensus", "imported")


def resolve_code(store: Store, project_id: int, code_key: str) -> Code:
    """The code with this key in the current codebook version.

    Raises:
        NotFoundError: the current codebook has no such code.
    """
    version = store.latest_codebook_version(project_id)
    codes = store.list_codes(version.id) if version else []
    for code in codes:
        if code.key == code_key:
            return code
    raise NotFoundError(f"the current codebook has no code '{code_key}'")


def _trimmed_span(text: str, start: int, end: int) -> tuple[int, int]:
    if not 0 <= start < end <= len(text):
        raise InvalidRequestError(
            f"span {start}-{end} is outside the transcript (0-{len(text)}) or empty"
        )
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        raise InvalidRequestError(f"span {start}-{end} holds only whitespace")
    return start, end


def apply_code(
    store: Store,
    *,
    code_key: str,
    coder: str,
    segment_id: int | None = None,
    transcript_id: int | None = None,
    start_char: int | None = None,
    end_char: int | None = None,
    memo: str | None = None,
    source: str = "manual",
) -> Coding:
    """Code a segment, or a character span `[start_char, end_char)` of a transcript.

    Applying the same code to the same span twice by the same coder changes nothing
    and returns the existing coding.

    Raises:
        InvalidRequestError: bad span, unknown source, nothing to code, or the transcript
            still needs PII review.
        NotFoundError: no such segment, transcript or code.

    Example:
        >>> apply_code(store, code_key="waiting-times", coder="sam", segment_id=12)
    """
    if not coder.strip():
        raise InvalidRequestError("a coding needs a named coder")
    require(store, coder, Action.CODE)
    if source not in CODING_SOURCES:
        raise InvalidRequestError(f"unknown coding source '{source}'")
    segment = store.get_segment(segment_id) if segment_id is not None else None
    if segment is not None:
        transcript_id = segment.transcript_id
    if transcript_id is None:
        raise InvalidRequestError("give a segment, or a transcript with a span")
    transcript = ensure_cleared(store, transcript_id, action="coded")
    ensure_may_code(store, transcript_id, coder)
    if start_char is None or end_char is None:
        if segment is None:
            raise InvalidRequestError("give a segment or both start_char and end_char")
        start_char, end_char = segment.start_char, segment.end_char
    start, end = _trimmed_span(transcript.text, start_char, end_char)
    if segment is None:
        segment = next(
            (
                s
                for s in store.list_segments(transcript_id)
                if s.start_char <= start and end <= s.end_char
            ),
            None,
        )
    code = resolve_code(store, transcript.project_id, code_key)
    existing = store.find_coding(
        transcript_id=transcript_id, code_id=code.id, coder=coder, start_char=start, end_char=end
    )
    if existing is not None:
        return existing
    with store.transaction():
        coding_id = store.insert_coding(
            {
                "transcript_id": transcript_id,
                "segment_id": segment.id if segment else None,
                "code_id": code.id,
                "coder": coder,
                "start_char": start,
                "end_char": end,
                "source": source,
                "created_at": now_utc(),
            }
        )
        store.audit(
            actor=coder,
            action="apply code",
            table="codings",
            row_id=coding_id,
            payload={
                "transcript_id": transcript_id,
                "code": code_key,
                "code_id": code.id,
                "start_char": start,
                "end_char": end,
                "source": source,
            },
        )
        if memo and memo.strip():
            add_memo_in_transaction(
                store, transcript.project_id, "codings", coding_id, memo, author=coder
            )
    return store.get_coding(coding_id)


def remove_coding(store: Store, coding_id: int, *, actor: str) -> None:
    """Remove a coding (and memos written on it); the audit log keeps what it was.

    Raises:
        PermissionDeniedError: a researcher removing someone else's coding.
    """
    user = require(store, actor, Action.CODE)
    coding = store.get_coding(coding_id)
    if coding.coder != actor and user.role != LEAD:
        raise PermissionDeniedError(f"{actor} may remove only their own codings")
    transcript = store.get_transcript(coding.transcript_id)
    memos = store.list_memos(transcript.project_id, target_table="codings", target_ids=[coding_id])
    with store.transaction():
        store.delete_coding(coding_id)
        store.audit(
            actor=actor,
            action="remove code",
            table="codings",
            row_id=coding_id,
            payload={
                "transcript_id": coding.transcript_id,
                "code": coding.code_key,
                "coder": coding.coder,
                "start_char": coding.start_char,
                "end_char": coding.end_char,
                "memos": [m.body for m in memos],
            },
        )


def codings_for_transcript(
    store: Store, transcript_id: int, *, actor: str, coders: list[str] | None = None
) -> list[Coding]:
    """The codings of a transcript that `actor` may see (blind in an open round)."""
    transcript = store.get_transcript(transcript_id)
    codings = store.list_codings(
        project_id=transcript.project_id, transcript_id=transcript_id, coders=coders
    )
    return visible_codings(store, actor, codings)


__all__ = ["MEMO_TARGETS", "apply_code", "codings_for_transcript", "remove_coding", "resolve_code"]
