"""The suggestion panel of the Transcript page: one segment at a time, its top codes with
accept and reject, and a quick way to the next segment still to code."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.errors import StudyError
from analysis.models import Transcript
from analysis.suggestions import (
    accept_suggestion,
    next_uncoded_segment,
    reject_suggestion,
    suggest_for_transcript,
)
from app_pages._cache import PageContext, shared_embedder

FOCUS_KEY = "transcript_focus"


def render_suggestions(
    ctx: PageContext, transcript: Transcript, numbers: dict[int, int], code_names: dict[str, str]
) -> None:
    """Suggested codes for the focused segment, with accept/reject and "next uncoded"."""
    st.subheader("Suggestions")
    st.caption(
        "Suggested from the codebook and the study's codings; nothing is applied until you "
        "accept it. Rejecting a suggestion teaches it for next time."
    )
    if not st.toggle("Suggest codes", key="transcript_suggest"):
        return
    try:
        rows = suggest_for_transcript(
            ctx.store, transcript.id, embedder=shared_embedder(), actor=ctx.user
        )
    except StudyError as exc:
        st.info(str(exc))
        return
    if not rows:
        st.info("This transcript has no participant segments.")
        return
    by_id = {row.segment.id: row for row in rows}
    focus = st.session_state.get(FOCUS_KEY)
    if focus not in by_id:
        first = next_uncoded_segment(ctx.store, transcript.id, coder=ctx.user)
        focus = first.id if first else rows[0].segment.id
    row = by_id[focus]
    st.markdown(f"**Segment {numbers[focus]}**: “{row.segment.text}”")
    if row.coded:
        st.caption("Already coded: " + ", ".join(code_names.get(k, k) for k in row.coded))
    for rank, (code, score) in enumerate(row.suggestions):
        name, accept, reject = st.columns([2, 1, 1], vertical_alignment="center")
        name.write(f"{code_names.get(code, code)} · {score:.2f}")
        if accept.button("Accept", key=f"transcript_accept_{focus}_{rank}"):
            _decide(ctx, transcript, focus, code, score, accepted=True)
        if reject.button("Reject", key=f"transcript_reject_{focus}_{rank}"):
            _decide(ctx, transcript, focus, code, score, accepted=False)
    if st.button("Next uncoded segment", key="transcript_next"):
        following = next_uncoded_segment(
            ctx.store, transcript.id, coder=ctx.user, after_segment_id=focus
        )
        st.session_state[FOCUS_KEY] = following.id if following else focus
        st.rerun()
    with st.expander("All segments with their top suggestion"):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "segment": numbers[r.segment.id],
                        "text": r.segment.text,
                        "suggested": code_names.get(r.suggestions[0][0], r.suggestions[0][0]),
                        "score": r.suggestions[0][1],
                        "coded": ", ".join(r.coded),
                    }
                    for r in rows
                ]
            ),
            hide_index=True,
            key="transcript_suggestion_table",
        )


def _decide(
    ctx: PageContext,
    transcript: Transcript,
    segment_id: int,
    code: str,
    score: float,
    *,
    accepted: bool,
) -> None:
    try:
        if accepted:
            accept_suggestion(ctx.store, segment_id, code, coder=ctx.user, score=score)
            following = next_uncoded_segment(
                ctx.store, transcript.id, coder=ctx.user, after_segment_id=segment_id
            )
            st.session_state[FOCUS_KEY] = following.id if following else segment_id
        else:
            reject_suggestion(ctx.store, segment_id, code, coder=ctx.user, score=score)
    except StudyError as exc:
        st.error(str(exc))
        return
    st.rerun()
