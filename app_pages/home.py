"""Study overview: what the study holds and where to start (counts only for evaluators)."""

import pandas as pd
import streamlit as st

from analysis.access import Action
from app_pages._cache import page_context

ctx = page_context()
st.title(ctx.project.name)
st.write(ctx.project.description)

counts = ctx.store.count_rows(ctx.project.id)
columns = st.columns(5)
for column, (label, key) in zip(
    columns,
    [
        ("Transcripts", "transcripts"),
        ("Participants", "participants"),
        ("Segments", "segments"),
        ("Codes", "codes"),
        ("Codings", "codings"),
    ],
    strict=True,
):
    column.metric(label, counts[key])

version = ctx.store.latest_codebook_version(ctx.project.id)
codebook_note = (
    f"Codebook version {version.version} ({version.name})" if version else "No codebook yet."
)
if not ctx.may(Action.SEE_TRANSCRIPTS):
    # Evaluators see how much the study holds, never which transcripts or whose.
    st.caption(codebook_note)
    st.stop()

st.subheader("Transcripts")
transcripts = ctx.store.list_transcripts(ctx.project.id)
codings = ctx.store.list_codings(project_id=ctx.project.id)
coded: dict[int, int] = {}
for coding in codings:
    coded[coding.transcript_id] = coded.get(coding.transcript_id, 0) + 1
if transcripts:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "id": t.id,
                    "transcript": t.source_name,
                    "participant": t.participant,
                    "format": t.source_format,
                    "words": len(t.text.split()),
                    "codings": coded.get(t.id, 0),
                    "imported by": t.imported_by,
                }
                for t in transcripts
            ]
        ),
        hide_index=True,
        key="home_transcripts",
    )
else:
    st.info("No transcripts yet: start on the Import page.")

st.caption(codebook_note)
