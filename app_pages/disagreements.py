"""Disagreements of a closed reliability round: each segment where the coders differ,
their codes and memos side by side, and the consensus coding that becomes the
project's coding (the coders' originals are kept for the record)."""

import streamlit as st

from analysis.access import Action
from analysis.codebook import current_codebook
from analysis.errors import StudyError
from analysis.rounds import list_disagreements, list_rounds, record_consensus
from app_pages._cache import page_context

ctx = page_context(Action.RESOLVE_DISAGREEMENTS)
st.title("Disagreements")

closed = [
    r
    for r in list_rounds(ctx.store, ctx.project.id)
    if r.status == "closed" and (ctx.may(Action.OPEN_ROUND) or ctx.user in r.coders)
]
if not closed:
    st.info("No closed reliability round you can settle yet (see the Reliability page).")
    st.stop()
round_ = st.selectbox(
    "Round", list(reversed(closed)), format_func=lambda r: r.name, key="disagreements_round"
)
assert round_ is not None
try:
    found = list_disagreements(ctx.store, round_.id, actor=ctx.user)
except StudyError as exc:
    st.error(str(exc))
    st.stop()
_, codes = current_codebook(ctx.store, ctx.project.id)
names = {c.key: c.name for c in codes}
settled = sum(1 for d in found if d.consensus is not None)
st.write(f"{len(found)} segments where the coders differ; {settled} settled.")
show_open_only = st.toggle("Only unsettled segments", value=False, key="disagreements_open")

for item in found:
    if show_open_only and item.consensus is not None:
        continue
    segment = item.segment
    with st.container(border=True):
        st.caption(
            f"{item.transcript_source} · {item.participant or 'no participant'} · "
            f"characters {segment.start_char}-{segment.end_char}"
        )
        st.markdown(f"> {segment.text}")
        columns = st.columns(len(item.codes_by_coder) or 1)
        for column, (coder, keys) in zip(columns, item.codes_by_coder.items(), strict=False):
            column.markdown(f"**{coder}**")
            column.write(", ".join(names.get(k, k) for k in keys) or "(no code)")
            for memo in item.memos_by_coder.get(coder, ()):
                column.caption(f"Memo: {memo}")
        union = sorted({k for keys in item.codes_by_coder.values() for k in keys})
        agreed = item.consensus.code_keys if item.consensus else ()
        if item.consensus:
            st.success(
                "Consensus by "
                f"{item.consensus.decided_by}: "
                + (", ".join(names.get(k, k) for k in agreed) or "no code")
                + (f" ({item.consensus.note})" if item.consensus.note else "")
            )
        with st.form(f"disagreements_form_{segment.id}"):
            chosen = st.multiselect(
                "Consensus codes",
                [c.key for c in codes],
                default=[k for k in (agreed or union) if k in names],
                format_func=lambda k: names.get(k, k),
                key=f"disagreements_codes_{segment.id}",
            )
            note = st.text_input("Note (optional)", key=f"disagreements_note_{segment.id}")
            if st.form_submit_button("Record consensus"):
                try:
                    record_consensus(
                        ctx.store, round_.id, segment.id, chosen, actor=ctx.user, note=note
                    )
                    st.rerun()
                except StudyError as exc:
                    st.error(str(exc))
