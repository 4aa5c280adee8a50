"""Export: the evidence summary for everyone (agreed items only; a lead may take a
draft), and for leads the spreadsheets, codebook and REFI-QDA files for other tools."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from analysis.access import Action
from analysis.errors import StudyError
from analysis.exports import EXPORTS, SUMMARY_FORMATS, export_bytes, export_file_name
from analysis.storage import resolve_db_path
from analysis.study import open_study
from analysis.summary import build_summary, summary_html
from app_pages._cache import page_context

ctx = page_context(Action.EXPORT_SUMMARY)
st.title("Export")


def deferred(kind: str, file_format: str, actor: str, **options: object) -> Callable[[], bytes]:
    """The file is made only when the button is pressed, on its own connection (the
    download runs after this page's rerun has closed its own)."""

    def make() -> bytes:
        store, project = open_study(resolve_db_path())
        try:
            return export_bytes(store, project.id, kind, file_format, actor=actor, **options)
        finally:
            store.close()

    return make


st.header("Evidence summary")
draft = False
if ctx.may(Action.AGREE_OUTPUTS):
    draft = st.toggle(
        "Include drafts and items in review (every page is marked DRAFT)",
        key="export_draft",
    )
st.caption(
    "Agreed themes, findings and recommendations, with the methods, the intersectional "
    "table (small groups suppressed) and charts. Quotes appear only from participants who "
    "agreed to be quoted."
)
try:
    summary = build_summary(ctx.store, ctx.project.id, actor=ctx.user, draft=draft)
except StudyError as exc:
    st.error(str(exc))
    st.stop()
columns = st.columns(len(SUMMARY_FORMATS))
for column, (file_format, label) in zip(columns, SUMMARY_FORMATS.items(), strict=True):
    column.download_button(
        f"Download {label}",
        data=deferred("summary", file_format, ctx.user, draft=draft),
        file_name=export_file_name(ctx.project.slug, "summary", file_format, draft=draft),
        key=f"export_summary_{file_format}",
        on_click="ignore",
        type="primary" if file_format == "docx" else "secondary",
    )
# Not a fixed-height box: a scrolling region would need keyboard focus of its own.
with st.expander("Preview", expanded=True), st.container(key="export_preview"):
    st.html(summary_html(summary, fragment=True))

if not ctx.may(Action.EXPORT_PROJECT):
    st.stop()

st.header("Data for other tools")
st.caption(
    "Coded segments and the code x participant matrix for spreadsheets; the codebook; the "
    "whole project as REFI-QDA for NVivo, ATLAS.ti, MAXQDA or QualCoder. Quotes of "
    "participants who did not agree to be quoted are withheld from the spreadsheets."
)
for kind, (title, formats) in EXPORTS.items():
    if kind == "summary":
        continue
    row = st.columns([2, *([1] * len(formats))], vertical_alignment="center")
    row[0].write(title)
    for column, file_format in zip(row[1:], formats, strict=True):
        column.download_button(
            file_format.upper(),
            data=deferred(kind, file_format, ctx.user),
            file_name=export_file_name(ctx.project.slug, kind, file_format),
            key=f"export_{kind}_{file_format}",
            on_click="ignore",
        )
