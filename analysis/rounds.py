"""Reliability rounds: blind double-coding, agreement on close, and consensus.

A lead opens a round on some transcripts for two or more coders. While it is open each
coder sees only their own codings on those transcripts (`visible_codings`), and only
the round's coders may code them. Closing the round measures agreement at segment
level: each participant segment is a unit, and for each code a coder's value is
whether they applied it there (1) or not (0). A coder who made no coding at all on a
transcript gives no value for its segments (missing data), rather than "absent".

The figures are per code (codes any round coder used) and overall, where every
(segment, code) pair is one unit. Disagreements are then settled segment by segment:
the consensus codes become the project's coding, and each coder's originals stay in
the database, marked as superseded, for the record.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from analysis.access import LEAD, Action, require
from analysis.agreement import Agreement, measure_agreement
from analysis.codebook import current_codebook
from analysis.embed import transcript_participant_segments
from analysis.errors import InvalidRequestError, NotFoundError, PermissionDeniedError
from analysis.models import Coding, ConsensusDecision, Memo, ReliabilityRound, Segment
from analysis.review import is_cleared
from analysis.storage import Store, now_utc

OPEN, CLOSED = "open", "closed"


@dataclass(frozen=True)
class CodeAgreement:
    """Agreement on one code across the round's segments."""

    code_key: str
    code_name: str
    applied: dict[str, int]  # coder -> segments they coded with it
    agreement: Agreement


@dataclass(frozen=True)
class RoundResults:
    """What closing a round measured; kept for the methods section of the summary."""

    coders: tuple[str, ...]
    transcripts: int
    segments: int
    overall: Agreement
    per_code: tuple[CodeAgreement, ...]
    disagreements: int

    def as_json(self) -> dict[str, object]:
        return {
            "coders": list(self.coders),
            "transcripts": self.transcripts,
            "segments": self.segments,
            "overall": asdict(self.overall),
            "per_code": [
                {
                    "code_key": c.code_key,
                    "code_name": c.code_name,
                    "applied": c.applied,
                    **asdict(c.agreement),
                }
                for c in self.per_code
            ],
            "disagreements": self.disagreements,
        }


@dataclass(frozen=True)
class Disagreement:
    """A segment where the coders' codes differ, with each coder's codes and memos."""

    segment: Segment
    transcript_source: str
    participant: str | None
    codes_by_coder: dict[str, tuple[str, ...]]
    memos_by_coder: dict[str, tuple[str, ...]]
    consensus: ConsensusDecision | None


# -- opening and closing -------------------------------------------------------------------


def open_round(
    store: Store,
    project_id: int,
    name: str,
    transcript_ids: Sequence[int],
    coders: Sequence[str],
    *,
    actor: str,
) -> ReliabilityRound:
    """Start blind double-coding of `transcript_ids` by `coders`.

    Raises:
        PermissionDeniedError: `actor` is not a lead, or a coder may not code.
        InvalidRequestError: fewer than two coders, no transcripts, a transcript not
            cleared by the anonymisation review or already in an open round.
    """
    require(store, actor, Action.OPEN_ROUND)
    coders = list(dict.fromkeys(c.strip() for c in coders if c.strip()))
    transcript_ids = list(dict.fromkeys(transcript_ids))
    if not name.strip():
        raise InvalidRequestError("a reliability round needs a name")
    if len(coders) < 2:
        raise InvalidRequestError("a reliability round needs at least two coders")
    if not transcript_ids:
        raise InvalidRequestError("a reliability round needs at least one transcript")
    for coder in coders:
        require(store, coder, Action.CODE)
    for transcript_id in transcript_ids:
        transcript = store.get_transcript(transcript_id)
        if transcript.project_id != project_id:
            raise NotFoundError(f"transcript {transcript_id} is not in this project")
        if not is_cleared(transcript):
            raise InvalidRequestError(
                f"{transcript.source_name} still needs its anonymisation review"
            )
    with store.transaction():
        busy = store.open_round_ids_for_transcripts(transcript_ids)
        if busy:
            transcript_id, round_id = next(iter(busy.items()))
            raise InvalidRequestError(
                f"transcript {transcript_id} is already in open round {round_id}"
            )
        round_id = store.insert_round(
            {
                "project_id": project_id,
                "name": name.strip(),
                "status": OPEN,
                "opened_by": actor,
                "opened_at": now_utc(),
            },
            transcript_ids,
            coders,
        )
        store.audit(
            actor=actor,
            action="open reliability round",
            table="reliability_rounds",
            row_id=round_id,
            payload={"name": name.strip(), "transcripts": transcript_ids, "coders": coders},
        )
    return store.get_round(round_id)


def close_round(store: Store, round_id: int, *, actor: str) -> RoundResults:
    """Stop blind coding, measure agreement and keep the figures with the round."""
    require(store, actor, Action.OPEN_ROUND)
    round_ = store.get_round(round_id)
    if round_.status != OPEN:
        raise InvalidRequestError(f"round '{round_.name}' is already closed")
    results = measure_round(store, round_)
    with store.transaction():
        store.update_round(
            round_id,
            {
                "status": CLOSED,
                "closed_by": actor,
                "closed_at": now_utc(),
                "results_json": json.dumps(results.as_json(), sort_keys=True),
            },
        )
        store.audit(
            actor=actor,
            action="close reliability round",
            table="reliability_rounds",
            row_id=round_id,
            payload={
                "segments": results.segments,
                "krippendorff_alpha": results.overall.krippendorff_alpha,
                "disagreements": results.disagreements,
            },
        )
    return results


def list_rounds(store: Store, project_id: int) -> list[ReliabilityRound]:
    return store.list_rounds(project_id)


# -- blind coding ----------------------------------------------------------------------------


def ensure_may_code(store: Store, transcript_id: int, coder: str) -> None:
    """Only a round's coders code its transcripts while it is open."""
    round_id = store.open_round_ids_for_transcripts([transcript_id]).get(transcript_id)
    if round_id is not None and coder not in store.get_round(round_id).coders:
        raise PermissionDeniedError(
            f"transcript {transcript_id} is in an open reliability round; only its coders "
            "code it until the round closes"
        )


def visible_codings(store: Store, actor: str, codings: Sequence[Coding]) -> list[Coding]:
    """The codings `actor` may see: in an open round a coder sees only their own.

    Raises:
        PermissionDeniedError: the actor may not see codings at all (evaluators).
    """
    user = require(store, actor, Action.SEE_CODINGS)
    if user.role == LEAD:
        return list(codings)
    blind = store.open_round_ids_for_transcripts(sorted({c.transcript_id for c in codings}))
    return [c for c in codings if c.transcript_id not in blind or c.coder == actor]


# -- measuring -------------------------------------------------------------------------------


def _round_units(store: Store, round_: ReliabilityRound) -> list[Segment]:
    return [
        segment
        for transcript_id in round_.transcript_ids
        for segment in transcript_participant_segments(store, transcript_id)
    ]


def measure_round(store: Store, round_: ReliabilityRound) -> RoundResults:
    """Agreement per code and overall over the round's participant segments."""
    units = _round_units(store, round_)
    present, coded = _original_presence(round_, units, _round_codings(store, round_))
    keys = sorted({key for codes in present.values() for key in codes})
    _, codes = current_codebook(store, round_.project_id)
    names = {c.key: c.name for c in codes}

    def value(coder: str, segment: Segment, key: str) -> str | None:
        if segment.transcript_id not in coded[coder]:
            return None
        return "1" if key in present.get((coder, segment.id), set()) else "0"

    per_code = []
    pooled: dict[str, dict[str, str | None]] = {}
    for key in keys:
        ratings = {
            str(s.id): {coder: value(coder, s, key) for coder in round_.coders} for s in units
        }
        pooled.update({f"{unit}:{key}": values for unit, values in ratings.items()})
        applied = {
            coder: sum(1 for s in units if key in present.get((coder, s.id), set()))
            for coder in round_.coders
        }
        per_code.append(
            CodeAgreement(key, names.get(key, key), applied, measure_agreement(ratings))
        )
    overall = measure_agreement(pooled) if pooled else measure_agreement({})
    differing = sum(1 for s in units if _differs(round_, s, present, coded))
    return RoundResults(
        round_.coders,
        len(round_.transcript_ids),
        len(units),
        overall,
        tuple(per_code),
        differing,
    )


def _codes_by_coder(
    round_: ReliabilityRound,
    segment: Segment,
    present: dict[tuple[str, int], set[str]],
    coded: dict[str, set[int]],
) -> dict[str, tuple[str, ...]]:
    return {
        coder: tuple(sorted(present.get((coder, segment.id), set())))
        for coder in round_.coders
        if segment.transcript_id in coded[coder]
    }


def _differs(
    round_: ReliabilityRound,
    segment: Segment,
    present: dict[tuple[str, int], set[str]],
    coded: dict[str, set[int]],
) -> bool:
    sets = set(_codes_by_coder(round_, segment, present, coded).values())
    return len(sets) > 1


# -- disagreements and consensus -------------------------------------------------------------


def _require_settler(store: Store, round_: ReliabilityRound, actor: str) -> None:
    user = require(store, actor, Action.RESOLVE_DISAGREEMENTS)
    if user.role != LEAD and actor not in round_.coders:
        raise PermissionDeniedError(
            f"{actor} did not code round '{round_.name}'; its coders or a lead settle it"
        )
    if round_.status != CLOSED:
        raise InvalidRequestError(
            f"round '{round_.name}' is still open: close it before comparing codings"
        )


def list_disagreements(store: Store, round_id: int, *, actor: str) -> list[Disagreement]:
    """Every segment of a closed round where the coders' codes differ, in text order,
    with each coder's original codes and the memos they wrote on those codings."""
    round_ = store.get_round(round_id)
    _require_settler(store, round_, actor)
    units = _round_units(store, round_)
    codings = _round_codings(store, round_)
    present, coded = _original_presence(round_, units, codings)
    transcripts = {t: store.get_transcript(t) for t in round_.transcript_ids}
    memos = _memos_by_coder_segment(store, round_, units, codings)
    found = []
    for segment in units:
        if not _differs(round_, segment, present, coded):
            continue
        transcript = transcripts[segment.transcript_id]
        found.append(
            Disagreement(
                segment,
                transcript.source_name,
                transcript.participant,
                _codes_by_coder(round_, segment, present, coded),
                {c: tuple(memos.get((c, segment.id), ())) for c in round_.coders},
                store.get_consensus(round_id, segment.id),
            )
        )
    return found


def _original_presence(
    round_: ReliabilityRound, units: Sequence[Segment], codings: Sequence[Coding]
) -> tuple[dict[tuple[str, int], set[str]], dict[str, set[int]]]:
    """(coder, segment id) -> codes the coder applied there, and coder -> transcripts
    they coded at all; from the coders' originals, superseded by consensus or not."""
    present: dict[tuple[str, int], set[str]] = {}
    coded: dict[str, set[int]] = {coder: set() for coder in round_.coders}
    for coding in codings:
        coded[coding.coder].add(coding.transcript_id)
        for segment in units:
            if _covers(coding, segment):
                present.setdefault((coding.coder, segment.id), set()).add(coding.code_key)
    return present, coded


def _round_codings(store: Store, round_: ReliabilityRound) -> list[Coding]:
    """The round coders' own codings on its transcripts, superseded ones included."""
    return [
        coding
        for transcript_id in round_.transcript_ids
        for coding in store.list_codings(
            project_id=round_.project_id,
            transcript_id=transcript_id,
            coders=list(round_.coders),
            include_superseded=True,
        )
        if coding.source != "consensus"
    ]


def _covers(coding: Coding, segment: Segment) -> bool:
    if coding.transcript_id != segment.transcript_id:
        return False
    if coding.segment_id is not None:
        return coding.segment_id == segment.id
    return coding.start_char < segment.end_char and segment.start_char < coding.end_char


def _memos_by_coder_segment(
    store: Store,
    round_: ReliabilityRound,
    units: Sequence[Segment],
    codings: Sequence[Coding],
) -> dict[tuple[str, int], list[str]]:
    memos: list[Memo] = store.list_memos(
        round_.project_id, target_table="codings", target_ids=[c.id for c in codings]
    )
    by_coding = {c.id: c for c in codings}
    found: dict[tuple[str, int], list[str]] = {}
    for memo in memos:
        coding = by_coding[memo.target_id]
        for segment in units:
            if _covers(coding, segment):
                found.setdefault((coding.coder, segment.id), []).append(
                    f"{coding.code_key}: {memo.body}"
                )
    return found


def record_consensus(
    store: Store,
    round_id: int,
    segment_id: int,
    code_keys: Sequence[str],
    *,
    actor: str,
    note: str = "",
) -> ConsensusDecision:
    """Settle one segment: `code_keys` become the project's coding of it.

    The round coders' codings on the segment are kept but marked superseded; deciding
    again replaces the earlier decision. An empty `code_keys` means "no code applies".

    Raises:
        PermissionDeniedError: not a lead or one of the round's coders.
        InvalidRequestError: the round is open, the segment is not in it, or a code is
            not in the current codebook.
    """
    round_ = store.get_round(round_id)
    _require_settler(store, round_, actor)
    segment = store.get_segment(segment_id)
    if segment.transcript_id not in round_.transcript_ids:
        raise InvalidRequestError(f"segment {segment_id} is not in round '{round_.name}'")
    _, codes = current_codebook(store, round_.project_id)
    by_key = {c.key: c for c in codes}
    keys = list(dict.fromkeys(code_keys))
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise InvalidRequestError(f"the current codebook has no code '{unknown[0]}'")
    originals = [c for c in _round_codings(store, round_) if _covers(c, segment)]
    with store.transaction():
        previous = store.get_consensus(round_id, segment_id)
        if previous is not None:
            store.release_superseded(previous.id)
            store.delete_consensus_codings(segment_id, previous.decided_by)
            store.update_consensus(
                previous.id,
                {
                    "codes_json": json.dumps(keys),
                    "note": note.strip(),
                    "decided_by": actor,
                    "decided_at": now_utc(),
                },
            )
            decision_id = previous.id
        else:
            decision_id = store.insert_consensus(
                {
                    "round_id": round_id,
                    "segment_id": segment_id,
                    "codes_json": json.dumps(keys),
                    "note": note.strip(),
                    "decided_by": actor,
                    "decided_at": now_utc(),
                }
            )
        store.set_superseded([c.id for c in originals], decision_id)
        settled = {
            c.code_key
            for c in store.list_codings(
                project_id=round_.project_id,
                transcript_id=segment.transcript_id,
                coders=[actor],
                include_superseded=True,
            )
            if c.source == "consensus" and c.segment_id == segment.id
        }
        for key in keys:
            if key in settled:
                continue
            store.insert_coding(
                {
                    "transcript_id": segment.transcript_id,
                    "segment_id": segment.id,
                    "code_id": by_key[key].id,
                    "coder": actor,
                    "start_char": segment.start_char,
                    "end_char": segment.end_char,
                    "source": "consensus",
                    "created_at": now_utc(),
                }
            )
        store.audit(
            actor=actor,
            action="record consensus",
            table="consensus_decisions",
            row_id=decision_id,
            payload={
                "round_id": round_id,
                "segment_id": segment_id,
                "codes": keys,
                "superseded": [c.id for c in originals],
            },
        )
    decision = store.get_consensus(round_id, segment_id)
    assert decision is not None
    return decision


__all__ = [
    "CLOSED",
    "OPEN",
    "CodeAgreement",
    "Disagreement",
    "RoundResults",
    "close_round",
    "ensure_may_code",
    "list_disagreements",
    "list_rounds",
    "measure_round",
    "open_round",
    "record_consensus",
    "visible_codings",
]
