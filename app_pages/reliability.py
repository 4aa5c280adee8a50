"""Reliability rounds: a lead opens blind double-coding on some transcripts, closes it,
and reads agreement per code and overall; coders see which rounds they are in."""

import pandas as pd
import streamlit as st

from analysis.access import LEAD, RESEARCHER, Action
from analysis.accounts import list_users
from analysis.errors import StudyError
from analysis.review import is_cleared
from analysis.rounds import close_round, list_rounds, open_round
from app_pages._cache import page_context

ctx = page_context(Action.SEE_CODINGS)
st.title("Reliability")
st.caption(
    "Two or more coders code the same transcripts blind; closing the round measures "
    "agreement per code at segment level (did each coder apply the code to each "
    "participant segment?): percent agreement, Cohen's kappa (two coders) and "
    "Krippendorff's alpha (nominal). Disagreements are then settled on the "
    "Disagreements page."
)

transcripts = {t.id: t for t in ctx.store.list_transcripts(ctx.project.id)}
rounds = list_rounds(ctx.store, ctx.project.id)


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


if ctx.may(Action.OPEN_ROUND):
    busy = {t for r in rounds if r.status == "open" for t in r.transcript_ids}
    candidates = [t for t in transcripts.values() if is_cleared(t) and t.id not in busy]
    coders = [
        u.name
        for u in list_users(ctx.store, actor=ctx.user)
        if u.active and u.role in (RESEARCHER, LEAD)
    ]
    with st.form("reliability_open"):
        st.subheader("Open a round")
        name = st.text_input("Name", key="reliability_name", placeholder="e.g. Round 1")
        picked = st.multiselect(
            "Transcripts (cleared by the review, not in another open round)",
            [t.id for t in candidates],
            format_func=lambda i: f"{transcripts[i].source_name} ({transcripts[i].participant})",
            key="reliability_transcripts",
        )
        chosen = st.multiselect("Coders (two or more)", coders, key="reliability_coders")
        if st.form_submit_button("Open round", type="primary"):
            try:
                opened = open_round(ctx.store, ctx.project.id, name, picked, chosen, actor=ctx.user)
                st.success(f"Opened '{opened.name}' for {', '.join(opened.coders)}")
                st.rerun()
            except StudyError as exc:
                st.error(str(exc))

st.subheader("Rounds")
if not rounds:
    st.info("No reliability rounds yet.")
for round_ in reversed(rounds):
    names = ", ".join(transcripts[t].source_name for t in round_.transcript_ids if t in transcripts)
    with st.expander(f"{round_.name} · {round_.status}", expanded=round_.status == "open"):
        st.write(f"Coders: {', '.join(round_.coders)} · Transcripts: {names}")
        st.caption(f"Opened by {round_.opened_by} at {round_.opened_at}")
        if round_.status == "open":
            if ctx.user in round_.coders:
                st.info(
                    "You are coding these transcripts blind: you see only your own codings "
                    "on them until the round closes."
                )
            if ctx.may(Action.OPEN_ROUND) and st.button(
                "Close round and measure agreement", key=f"reliability_close_{round_.id}"
            ):
                try:
                    close_round(ctx.store, round_.id, actor=ctx.user)
                    st.rerun()
                except StudyError as exc:
                    st.error(str(exc))
            continue
        results = round_.results or {}
        overall = results.get("overall", {})
        st.caption(f"Closed by {round_.closed_by} at {round_.closed_at}")
        columns = st.columns(4)
        columns[0].metric("Segments", results.get("segments", 0))
        columns[1].metric("Percent agreement", _figure(overall.get("percent_agreement")))
        columns[2].metric("Krippendorff's alpha", _figure(overall.get("krippendorff_alpha")))
        columns[3].metric("Cohen's kappa", _figure(overall.get("cohen_kappa")))
        st.caption(
            f"Overall: every (segment, code) pair is a unit, over the codes any coder "
            f"used. {results.get('disagreements', 0)} segments where the coders differ."
        )
        rows = [
            {
                "code": c["code_name"],
                "units": c["pairable_units"],
                "percent agreement": _figure(c["percent_agreement"]),
                "Cohen's kappa": _figure(c["cohen_kappa"]),
                "Krippendorff's alpha": _figure(c["krippendorff_alpha"]),
                **{f"segments coded by {coder}": n for coder, n in c["applied"].items()},
            }
            for c in results.get("per_code", [])
        ]
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"reliability_codes_{round_.id}")
        if ctx.may(Action.RESOLVE_DISAGREEMENTS) and (
            ctx.may(Action.OPEN_ROUND) or ctx.user in round_.coders
        ):
            st.caption("Settle the disagreements on the Disagreements page.")
