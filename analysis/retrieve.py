"""Retrieve: every quote coded with a code (and its sub-codes), with who said it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analysis.codebook import current_codebook, with_descendants
from analysis.models import Coding
from analysis.rounds import visible_codings
from analysis.storage import Store


@dataclass(frozen=True)
class RetrievedQuote:
    """A coded quote with the context a reader needs to trace it."""

    coding: Coding
    source_name: str
    participant: str | None
    memos: tuple[str, ...]


def code_and_descendants(store: Store, project_id: int, code_key: str) -> list[str]:
    """The key itself plus every key below it in the current codebook tree."""
    _, codes = current_codebook(store, project_id)
    return with_descendants(codes, [code_key])


def retrieve_quotes(
    store: Store,
    project_id: int,
    code_keys: Sequence[str],
    *,
    include_subcodes: bool = True,
    coders: Sequence[str] | None = None,
    attributes: Mapping[str, str] | None = None,
    transcript_ids: Sequence[int] | None = None,
    text_contains: str = "",
    actor: str,
) -> list[RetrievedQuote]:
    """Quotes coded with any of `code_keys`, narrowed by coder, participant attributes,
    transcript or a word in the quote.

    Example:
        >>> retrieve_quotes(store, 1, ["waiting-times"], attributes={"fee_status": "international"})
    """
    keys = list(code_keys)
    if include_subcodes:
        keys = with_descendants(current_codebook(store, project_id)[1], keys)
    participants = store.list_participants(project_id)
    wanted_ids = None
    if attributes:
        wanted_ids = [
            p.id
            for p in participants
            if all(p.attributes.get(n) == v for n, v in attributes.items())
        ]
    codings = store.list_codings(
        project_id=project_id, code_keys=keys, coders=coders, participant_ids=wanted_ids
    )
    codings = visible_codings(store, actor, codings)
    if transcript_ids is not None:
        codings = [c for c in codings if c.transcript_id in set(transcript_ids)]
    if text_contains:
        codings = [c for c in codings if text_contains.lower() in c.text.lower()]
    transcripts = {t.id: t for t in store.list_transcripts(project_id)}
    memos: dict[int, list[str]] = {}
    for memo in store.list_memos(
        project_id, target_table="codings", target_ids=[c.id for c in codings]
    ):
        memos.setdefault(memo.target_id, []).append(memo.body)
    return [
        RetrievedQuote(
            coding=c,
            source_name=transcripts[c.transcript_id].source_name,
            participant=transcripts[c.transcript_id].participant,
            memos=tuple(memos.get(c.id, [])),
        )
        for c in codings
    ]
