"""The intersectional view: participants in whom each code or theme occurs, by
combinations of participant attributes, with small groups suppressed for everyone."""

import streamlit as st

from analysis.access import Action
from analysis.charts import intersection_heatmap
from analysis.errors import StudyError
from analysis.intersect import (
    cell_quotes,
    code_cooccurrence,
    cooccurrence_frame,
    intersection_matrix,
    matrix_frame,
)
from app_pages._cache import page_context

ctx = page_context(Action.EXPORT_SUMMARY)
st.title("Intersections")
attributes = sorted({n for p in ctx.store.list_participants(ctx.project.id) for n in p.attributes})
if not attributes:
    st.info("No participant attributes yet: add them on the Participants page.")
    st.stop()

left, right = st.columns([3, 1])
chosen = left.multiselect(
    "Participant attributes (one to three)",
    attributes,
    default=attributes[:1],
    max_selections=3,
    key="intersections_by",
)
rows = right.radio("Rows", ["codes", "themes"], horizontal=True, key="intersections_rows")
if not chosen:
    st.stop()
try:
    matrix = intersection_matrix(ctx.store, ctx.project.id, rows=rows, by=chosen, actor=ctx.user)
except StudyError as exc:
    st.error(str(exc))
    st.stop()

chart = intersection_heatmap(matrix)  # the same chart as the evidence summary's
if chart is None:
    st.info(f"No {rows} to show yet.")
    st.stop()
st.altair_chart(chart, width="stretch")
st.caption(
    f"Participants (not segments) in whom each of the {rows} occurs, by group. Grey cells "
    f"are suppressed: their group has fewer than {matrix.k} participants. The same figures "
    "as a table:"
)
st.dataframe(matrix_frame(matrix), key="intersections_table")

if ctx.may(Action.SEE_CODINGS):
    st.subheader("Quotes behind a cell")
    pick_row = st.selectbox(
        "Row", range(len(matrix.rows)), format_func=lambda i: matrix.rows[i].name,
        key="intersections_cell_row",
    )  # fmt: skip
    pick_column = st.selectbox(
        "Group", range(len(matrix.columns)), format_func=lambda i: matrix.columns[i].label,
        key="intersections_cell_column",
    )  # fmt: skip
    if st.button("Show quotes", key="intersections_cell_show"):
        row = matrix.rows[pick_row]
        try:
            quotes = cell_quotes(
                ctx.store, ctx.project.id, rows=rows,
                row_key=row.key if row.key is not None else (row.theme_id or 0),
                values=matrix.columns[pick_column].values, actor=ctx.user,
            )  # fmt: skip
            st.write(f"{len(quotes)} quotes")
            for quote in quotes:
                st.markdown(f"> {quote.coding.text}\n\n— {quote.participant}, {quote.source_name}")
        except StudyError as exc:
            st.error(str(exc))

    st.subheader("Code co-occurrence")
    level = st.radio(
        "Counted by", ["segment", "participant"], horizontal=True, key="intersections_level"
    )
    cooccurrence = code_cooccurrence(ctx.store, ctx.project.id, level=level, actor=ctx.user)
    st.caption(f"How many {level}s have both codes; the diagonal is each code's own count.")
    st.dataframe(cooccurrence_frame(cooccurrence), key="intersections_cooccurrence")
