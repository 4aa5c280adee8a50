"""Retrieve: all quotes for a code, with transcript and participant, filterable."""

import pandas as pd
import streamlit as st

from analysis.access import Action
from analysis.codebook import code_tree, current_codebook
from analysis.errors import StudyError
from analysis.findings import add_evidence, list_findings
from analysis.retrieve import retrieve_quotes
from app_pages._cache import code_label, page_context

ctx = page_context(Action.SEE_CODINGS)
st.title("Retrieve")
_, codes = current_codebook(ctx.store, ctx.project.id)
tree = code_tree(codes)
if not tree:
    st.info("No codebook yet.")
    st.stop()

names = {c.key: code_label(c.name, d) for c, d in tree}
picked = st.multiselect("Codes", list(names), format_func=names.__getitem__, key="retrieve_codes")
include_subcodes = st.checkbox("Include sub-codes", value=True, key="retrieve_subcodes")
participants = ctx.store.list_participants(ctx.project.id)
attribute_names = sorted({name for p in participants for name in p.attributes})
left, middle, right = st.columns(3)
coder_options = sorted({u["name"] for u in ctx.store.list_users()})
coders = left.multiselect("Coders", coder_options, key="retrieve_coders")
attribute = middle.selectbox(
    "Participant attribute", ["(any)", *attribute_names], key="retrieve_attribute"
)
values = sorted({p.attributes[attribute] for p in participants if attribute in p.attributes})
value = right.selectbox(
    "Value", values or ["(any)"], key="retrieve_value", disabled=attribute == "(any)"
)
contains = st.text_input("Quote contains", key="retrieve_contains")

if picked:
    quotes = retrieve_quotes(
        ctx.store,
        ctx.project.id,
        picked,
        include_subcodes=include_subcodes,
        coders=coders or None,
        text_contains=contains,
        attributes={attribute: value} if attribute != "(any)" else None,
        actor=ctx.user,
    )
    st.write(f"{len(quotes)} quotes from {len({q.source_name for q in quotes})} transcripts")
    findings = (
        {f.id: f for f in list_findings(ctx.store, ctx.project.id, actor=ctx.user)}
        if ctx.may(Action.DRAFT_OUTPUTS)
        else {}
    )
    target = (
        st.selectbox(
            "Add quotes as evidence to finding",
            list(findings),
            format_func=lambda i: f"{findings[i].theme}: {findings[i].statement}",
            key="retrieve_finding",
        )
        if findings
        else None
    )
    for quote in quotes:
        st.markdown(
            f"> {quote.coding.text}\n\n"
            f"**{quote.coding.code_name}** · {quote.participant} · {quote.source_name} "
            f"[{quote.coding.start_char}–{quote.coding.end_char}] · coded by {quote.coding.coder}"
        )
        for memo in quote.memos:
            st.caption(f"Memo: {memo}")
        if target is not None and st.button(
            "Add as evidence", key=f"retrieve_evidence_{quote.coding.id}"
        ):
            try:
                add_evidence(ctx.store, target, quote.coding.id, actor=ctx.user)
                st.success(f"Added to: {findings[target].statement}")
            except StudyError as exc:
                st.error(str(exc))
    table = pd.DataFrame(
        [
            {
                "code": q.coding.code_key,
                "quote": q.coding.text,
                "participant": q.participant,
                "transcript": q.source_name,
                "start": q.coding.start_char,
                "end": q.coding.end_char,
                "coder": q.coding.coder,
            }
            for q in quotes
        ]
    )
    st.download_button(
        "Download CSV", table.to_csv(index=False), file_name="quotes.csv", key="retrieve_download"
    )
else:
    st.info("Pick one or more codes to see their quotes.")
