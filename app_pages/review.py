"""Review: settle every possible identifier before a transcript can be coded."""

from collections.abc import Callable

import pandas as pd
import streamlit as st

from analysis.access import Action
from analysis.errors import StudyError
from analysis.highlight import render_finding_html
from analysis.pii import CONFIDENT, LABELS
from analysis.review import (
    CLEARED,
    NEEDS_REVIEW,
    PENDING,
    UNCHECKED,
    add_findings_for_words,
    adjust_finding,
    list_findings,
    mark_not_personal,
    redact_confident,
    redact_findings,
    review_status,
    scan_transcript,
)
from app_pages._cache import page_context

SHOWN_AT_ONCE = 30

ctx = page_context(Action.RESOLVE_PII)
st.title("Review personal data")
st.caption(
    "Nothing identifiable is stored un-reviewed: a transcript with pending findings cannot be "
    "coded, embedded or exported. Redact a finding to replace it with a placeholder such as "
    "`[PERSON_3]` (the same name gets the same placeholder across the study), or keep it."
)


def act(action: Callable[[], object]) -> None:
    """Run one decision; rerun to show the new state, or show why it was refused."""
    try:
        action()
    except StudyError as exc:
        st.error(str(exc))
    else:
        st.rerun()


transcripts = ctx.store.list_transcripts(ctx.project.id)
if not transcripts:
    st.info("No transcripts yet: import some on the Import page.")
    st.stop()

statuses = {t.id: review_status(ctx.store, t.id) for t in transcripts}
columns = st.columns(3)
for column, (title, status) in zip(
    columns,
    [("Needs review", NEEDS_REVIEW), ("Not checked", UNCHECKED), ("Cleared", CLEARED)],
    strict=True,
):
    column.metric(title, sum(s.status == status for s in statuses.values()))

rank = {NEEDS_REVIEW: 0, UNCHECKED: 1, CLEARED: 2}
ordered = sorted(statuses, key=lambda i: (rank.get(statuses[i].status, 1), statuses[i].source_name))
picked = st.selectbox(
    "Transcript",
    ordered,
    key="review_pick",
    format_func=lambda i: (
        f"{statuses[i].source_name}: {statuses[i].status}"
        + (f" ({statuses[i].pending} pending)" if statuses[i].pending else "")
    ),
)
status = statuses[picked]
transcript = ctx.store.get_transcript(picked)
findings = list_findings(ctx.store, picked, actor=ctx.user)
pending = [f for f in findings if f.status == PENDING]

if status.status == UNCHECKED:
    st.warning(f"{status.source_name} has not been checked for personal data yet.")
    if st.button("Scan for personal data", key="review_scan", type="primary"):
        act(lambda: scan_transcript(ctx.store, picked, actor=ctx.user))
elif status.status == CLEARED:
    st.success(
        f"{status.source_name} is cleared: {status.redacted} redacted, "
        f"{status.not_personal} kept as not personal. It can be coded."
    )
else:
    st.warning(f"{status.pending} finding(s) to settle before {status.source_name} can be coded.")

confident = [f for f in pending if f.score >= CONFIDENT]
if st.button(
    f"Redact all confident (score >= {CONFIDENT}): {len(confident)}",
    key="review_redact_confident",
    disabled=not confident,
):
    act(lambda: redact_confident(ctx.store, picked, actor=ctx.user))

st.markdown("<style>mark{background:#fca5a5;color:#111}</style>", unsafe_allow_html=True)
if len(pending) > SHOWN_AT_ONCE:
    st.caption(f"Showing the first {SHOWN_AT_ONCE} of {len(pending)} pending findings.")
for finding in pending[:SHOWN_AT_ONCE]:
    with st.container(border=True, key=f"review_finding_{finding.id}"):
        st.markdown(
            f"**{finding.label}** · score {finding.score:.2f} · {finding.source} · "
            f"characters {finding.start_char}-{finding.end_char}"
        )
        st.markdown(
            render_finding_html(transcript.text, finding.start_char, finding.end_char),
            unsafe_allow_html=True,
        )
        redact_col, keep_col, allow_col = st.columns([1, 1, 2])
        allow = allow_col.checkbox("add to allow-list", key=f"review_allow_{finding.id}")
        if redact_col.button("Redact", key=f"review_redact_{finding.id}", type="primary"):
            act(lambda f=finding: redact_findings(ctx.store, [f.id], actor=ctx.user))
        if keep_col.button("Not personal", key=f"review_keep_{finding.id}"):
            act(
                lambda f=finding, a=allow: mark_not_personal(
                    ctx.store, f.id, actor=ctx.user, add_to_allow_list=a
                )
            )
        with st.expander("Adjust span"):
            # Keyed by the current offsets, so a redaction elsewhere resets stale numbers.
            start_col, end_col = st.columns(2)
            start = start_col.number_input(
                "Start",
                min_value=0,
                max_value=len(transcript.text),
                value=finding.start_char,
                step=1,
                key=f"review_start_{finding.id}_{finding.start_char}_{finding.end_char}",
            )
            end = end_col.number_input(
                "End",
                min_value=0,
                max_value=len(transcript.text),
                value=finding.end_char,
                step=1,
                key=f"review_end_{finding.id}_{finding.start_char}_{finding.end_char}",
            )
            st.caption(f"Selected: “{transcript.text[int(start) : int(end)]}”")
            if st.button("Save span", key=f"review_adjust_{finding.id}"):
                act(
                    lambda f=finding, s=int(start), e=int(end): adjust_finding(
                        ctx.store, f.id, s, e, actor=ctx.user
                    )
                )

st.subheader("Add a missed identifier")
with st.form("review_add_form", clear_on_submit=True):
    words = st.text_input("Exact words, as they appear in the transcript", key="review_add_words")
    label = st.selectbox("Label", LABELS, key="review_add_label")
    if st.form_submit_button("Add as finding", key="review_add_submit"):
        act(lambda: add_findings_for_words(ctx.store, picked, words, label, actor=ctx.user))

resolved = [f for f in findings if f.status != PENDING]
if resolved:
    st.subheader("Settled")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "characters": f"{f.start_char}-{f.end_char}",
                    "label": f.label,
                    "decision": f.status,
                    "placeholder": f.placeholder or "",
                    "kept as": f.text if f.status != "redacted" else "",
                    "decided by": f.decided_by,
                    "at": f.decided_at,
                }
                for f in resolved
            ]
        ),
        hide_index=True,
        key="review_resolved",
    )
terms = ctx.store.list_allow_terms(ctx.project.id)
if terms:
    with st.expander(f"This study's allow-list ({len(terms)} terms)"):
        st.write(", ".join(terms))
