"""Participants: pseudonyms and attributes, imported from a CSV or edited here."""

import pandas as pd
import streamlit as st

from analysis.access import Action
from analysis.consent import record_consent, withdraw_participant
from analysis.errors import StudyError
from analysis.participants import (
    read_participants_csv,
    save_participants,
    set_participant_attribute,
)
from app_pages._cache import page_context

ctx = page_context(Action.MANAGE_PARTICIPANTS)
st.title("Participants")
participants = ctx.store.list_participants(ctx.project.id)
names = sorted({name for p in participants for name in p.attributes})
table = pd.DataFrame(
    [
        {"pseudonym": p.pseudonym, **{n: p.attributes.get(n, "") for n in names}}
        for p in participants
    ]
)
edited = st.data_editor(table, hide_index=True, disabled=["pseudonym"], key="participants_table")
if st.button("Save attribute changes", key="participants_save"):
    changed = 0
    for participant, (_, row) in zip(participants, edited.iterrows(), strict=True):
        for name in names:
            new = str(row[name] or "").strip()
            if new != participant.attributes.get(name, ""):
                set_participant_attribute(ctx.store, participant.id, name, new, actor=ctx.user)
                changed += 1
    st.success(f"Saved {changed} change(s)")

with st.form("participants_add_attribute"):
    st.write("Add an attribute to a participant")
    who = st.selectbox("Participant", [p.pseudonym for p in participants], key="participants_who")
    name = st.text_input("Attribute", key="participants_attr_name")
    value = st.text_input("Value", key="participants_attr_value")
    if st.form_submit_button("Set attribute"):
        target = next((p for p in participants if p.pseudonym == who), None)
        try:
            if target is None:
                raise StudyError("choose a participant")
            set_participant_attribute(ctx.store, target.id, name, value, actor=ctx.user)
            st.rerun()
        except StudyError as exc:
            st.error(str(exc))

uploaded = st.file_uploader("Import participants CSV", type=["csv"], key="participants_upload")
if uploaded is not None and st.button("Import participants", key="participants_import"):
    try:
        records = read_participants_csv(uploaded.name, uploaded.getvalue())
        save_participants(ctx.store, ctx.project.id, records, actor=ctx.user)
        st.success(f"Imported {len(records)} participants")
    except StudyError as exc:
        st.error(str(exc))

st.subheader("Consent")
st.caption(
    "Quotes of a participant appear in reports and exports only when they agreed to be "
    "quoted; anything not recorded counts as no."
)
st.dataframe(
    pd.DataFrame(
        [
            {
                "pseudonym": p.pseudonym,
                "consent date": p.consent.date or "not recorded",
                "may be quoted": {True: "yes", False: "no", None: "not recorded"}[p.consent.quotes],
                "may be shared": {True: "yes", False: "no", None: "not recorded"}[p.consent.share],
            }
            for p in participants
        ]
    ),
    hide_index=True,
    key="participants_consent_table",
)
_ANSWERS = {"not recorded": None, "yes": True, "no": False}
with st.form("participants_consent"):
    who = st.selectbox(
        "Participant", [p.pseudonym for p in participants], key="participants_consent_who"
    )
    when = st.text_input("Consent date (YYYY-MM-DD)", key="participants_consent_date")
    quotes = st.radio(
        "May be quoted in reports", list(_ANSWERS), horizontal=True, key="participants_quotes"
    )
    share = st.radio(
        "Data may be shared with partners",
        list(_ANSWERS),
        horizontal=True,
        key="participants_share",
    )
    if st.form_submit_button("Record consent"):
        try:
            record_consent(
                ctx.store,
                ctx.project.id,
                who or "",
                date=when or None,
                quotes=_ANSWERS[quotes],
                share=_ANSWERS[share],
                actor=ctx.user,
            )
            st.rerun()
        except StudyError as exc:
            st.error(str(exc))

if ctx.may(Action.WITHDRAW_PARTICIPANT):
    st.subheader("Withdraw a participant")
    st.caption(
        "Deletes the participant's transcripts, segments, codings, memos on them, "
        "embeddings, suggestions and their quotes in topic summaries. The audit log keeps "
        "only who withdrew which pseudonym, and when. This cannot be undone."
    )
    leaving = st.selectbox(
        "Participant", [p.pseudonym for p in participants], key="participants_withdraw_who"
    )
    confirm = st.text_input(
        "Type the pseudonym again to confirm", key="participants_withdraw_confirm"
    )
    if st.button("Withdraw and delete their data", key="participants_withdraw", type="primary"):
        if not leaving or confirm.strip() != leaving:
            st.error("Type the pseudonym exactly to confirm the withdrawal.")
        else:
            try:
                done = withdraw_participant(ctx.store, ctx.project.id, leaving, actor=ctx.user)
                st.success(
                    f"Withdrew {done.pseudonym}: {done.transcripts} transcript(s), "
                    f"{done.codings} coding(s) and {done.memos} memo(s) deleted."
                )
            except StudyError as exc:
                st.error(str(exc))
