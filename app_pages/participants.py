"""Participants: pseudonyms and attributes, imported from a CSV or edited here."""

import pandas as pd
import streamlit as st

from analysis.errors import StudyError
from analysis.participants import (
    read_participants_csv,
    save_participants,
    set_participant_attribute,
)
from app_pages._cache import page_context

ctx = page_context()
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
