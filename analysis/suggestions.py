"""Suggestions in a study: codes suggested for a transcript's segments, a coder's accept
or reject, the next segment to code, and how far suggestions can be trusted here.

Prototypes are rebuilt from the study each time: the current codebook's descriptions,
every coding made so far (accepted codings strengthen a code) and every rejected
suggestion (which weakens it). Nothing is applied without a person.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.access import Action, require
from analysis.codebook import current_codebook
from analysis.coding import apply_code
from analysis.embed import (
    Embedder,
    embed_segments,
    embed_texts,
    transcript_participant_segments,
)
from analysis.errors import InvalidRequestError
from analysis.models import Code, Coding, Segment
from analysis.review import ensure_cleared
from analysis.rounds import visible_codings
from analysis.storage import Store, now_utc
from analysis.suggest import (
    TOP_K,
    CodedPassage,
    CodeExamples,
    Suggester,
    SuggestionQuality,
    evaluate_suggestions,
)


@dataclass(frozen=True)
class SegmentSuggestions:
    """A segment with its best codes (key, score), best first."""

    segment: Segment
    suggestions: tuple[tuple[str, float], ...]
    coded: tuple[str, ...]


def code_descriptions(code: Code) -> tuple[str, ...]:
    """The texts that describe a code: its name, definition, when to use, example."""
    parts = (code.name, code.definition, code.include_rule, code.example)
    return tuple(part for part in parts if part.strip())


def study_suggester(
    store: Store, project_id: int, *, embedder: Embedder, actor: str | None = None
) -> Suggester:
    """Prototypes from the current codebook, the study's codings and rejected suggestions.

    With `actor`, only the codings they may see count, so a blind coder's suggestions
    never carry another coder's work on a transcript of an open round.

    Raises:
        InvalidRequestError: the study has no codebook yet.
    """
    _, codes = current_codebook(store, project_id)
    if not codes:
        raise InvalidRequestError("the study has no codebook yet: import one first")
    codings = store.list_codings(project_id=project_id)
    if actor is not None:
        codings = visible_codings(store, actor, codings)
    rejected = [
        d for d in store.list_suggestion_decisions(project_id) if d["decision"] == "rejected"
    ]
    examples = [
        CodeExamples(
            code.key,
            code_descriptions(code),
            tuple(dict.fromkeys(c.text for c in codings if c.code_key == code.key)),
            tuple(dict.fromkeys(d["segment_text"] for d in rejected if d["code_key"] == code.key)),
        )
        for code in codes
    ]
    texts = list(
        dict.fromkeys(t for e in examples for t in (*e.descriptions, *e.positives, *e.negatives))
    )
    vectors = dict(zip(texts, embed_texts(texts, embedder=embedder, store=store), strict=True))
    return Suggester.build(examples, embedder=embedder, vectors=vectors)


def suggest_for_transcript(
    store: Store,
    transcript_id: int,
    *,
    embedder: Embedder,
    actor: str,
    k: int = TOP_K,
    suggester: Suggester | None = None,
) -> list[SegmentSuggestions]:
    """The top `k` codes for every participant segment of a cleared transcript.

    Raises:
        InvalidRequestError: the transcript still needs its anonymisation review.

    Example:
        >>> suggest_for_transcript(store, 3, embedder=load_embedder())[0].suggestions
        (('waiting-times', 0.61), ('knowing-where-to-go', 0.48), ('thresholds-eligibility', 0.44))
    """
    require(store, actor, Action.CODE)
    transcript = ensure_cleared(store, transcript_id, action="given suggestions")
    segments = transcript_participant_segments(store, transcript_id)
    if not segments:
        return []
    suggester = suggester or study_suggester(
        store, transcript.project_id, embedder=embedder, actor=actor
    )
    vectors = embed_segments(store, segments, embedder=embedder)
    coded: dict[int, list[str]] = {}
    mine = store.list_codings(project_id=transcript.project_id, transcript_id=transcript_id)
    for coding in visible_codings(store, actor, mine):
        if coding.segment_id is not None:
            coded.setdefault(coding.segment_id, []).append(coding.code_key)
    return [
        SegmentSuggestions(segment, tuple(top), tuple(dict.fromkeys(coded.get(segment.id, []))))
        for segment, top in zip(segments, suggester.top(vectors, k=k), strict=True)
    ]


def accept_suggestion(
    store: Store, segment_id: int, code_key: str, *, coder: str, score: float
) -> Coding:
    """Apply a suggested code as the coder's own coding (source `accepted-suggestion`)."""
    with store.transaction():
        coding = apply_code(
            store,
            code_key=code_key,
            coder=coder,
            segment_id=segment_id,
            source="accepted-suggestion",
        )
        _record(store, segment_id, code_key, coder=coder, score=score, decision="accepted")
    return coding


def reject_suggestion(
    store: Store, segment_id: int, code_key: str, *, coder: str, score: float
) -> None:
    """Record that a suggestion does not fit; the code's prototype moves away from it."""
    require(store, coder, Action.CODE)
    segment = store.get_segment(segment_id)
    ensure_cleared(store, segment.transcript_id)
    with store.transaction():
        _record(store, segment_id, code_key, coder=coder, score=score, decision="rejected")


def _record(
    store: Store, segment_id: int, code_key: str, *, coder: str, score: float, decision: str
) -> None:
    decision_id = store.record_suggestion_decision(
        {
            "segment_id": segment_id,
            "code_key": code_key,
            "coder": coder,
            "score": score,
            "decision": decision,
            "created_at": now_utc(),
        }
    )
    store.audit(
        actor=coder,
        action=f"{decision[:-2]} suggestion",
        table="suggestion_decisions",
        row_id=decision_id,
        payload={"segment_id": segment_id, "code": code_key, "score": score},
    )


def next_uncoded_segment(
    store: Store, transcript_id: int, *, coder: str, after_segment_id: int | None = None
) -> Segment | None:
    """The next participant segment (after `after_segment_id`) that `coder` has not coded
    and has not decided on, wrapping round to the start."""
    require(store, coder, Action.CODE)
    segments = transcript_participant_segments(store, transcript_id)
    transcript = store.get_transcript(transcript_id)
    done = {
        c.segment_id
        for c in store.list_codings(project_id=transcript.project_id, transcript_id=transcript_id)
        if c.coder == coder
    }
    done |= {
        d["segment_id"]
        for d in store.list_suggestion_decisions(transcript.project_id)
        if d["coder"] == coder
    }
    ids = [s.id for s in segments]
    start = ids.index(after_segment_id) + 1 if after_segment_id in ids else 0
    for segment in segments[start:] + segments[:start]:
        if segment.id not in done:
            return segment
    return None


def study_suggestion_quality(
    store: Store, project_id: int, *, embedder: Embedder
) -> SuggestionQuality:
    """Leave-one-transcript-out quality of suggestions on the study's own codings."""
    _, codes = current_codebook(store, project_id)
    spans: dict[tuple[str, str], set[str]] = {}
    names = {t.id: t.source_name for t in store.list_transcripts(project_id)}
    for coding in store.list_codings(project_id=project_id):
        spans.setdefault((names[coding.transcript_id], coding.text), set()).add(coding.code_key)
    passages = [CodedPassage(doc, text, tuple(sorted(keys))) for (doc, text), keys in spans.items()]
    codebook = [(c.key, " ".join(code_descriptions(c))) for c in codes]
    return evaluate_suggestions(passages, codebook, embedder=embedder)
