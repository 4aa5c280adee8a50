"""Audit log (project leads only): who did what and when, filterable and downloadable."""

from datetime import date

import pandas as pd
import streamlit as st

from analysis.access import Action
from analysis.audit import AUDIT_COLUMNS, audit_csv, audit_filters, audit_rows, audit_trail
from app_pages._cache import page_context

ctx = page_context(Action.READ_AUDIT)
st.title("Audit log")

facets = audit_filters(ctx.store, actor=ctx.user)
who_col, action_col, table_col = st.columns(3)
who = who_col.multiselect("Who", facets["actors"], key="audit_who")
actions = action_col.multiselect("Action", facets["actions"], key="audit_actions")
tables = table_col.multiselect("Table", facets["tables"], key="audit_tables")
dates_col, contains_col = st.columns(2)
# A range picker: empty means any date; while picking it holds only the first date.
dates = dates_col.date_input("Between (optional)", value=[], key="audit_dates")
picked_dates: list[date] = list(dates) if isinstance(dates, list | tuple) else [dates]
contains = contains_col.text_input("Details contain", key="audit_contains")

entries = audit_trail(
    ctx.store,
    actor=ctx.user,
    who=who,
    actions=actions,
    tables=tables,
    since=picked_dates[0] if picked_dates else None,
    until=picked_dates[1] if len(picked_dates) > 1 else None,
    contains=contains,
)
st.write(f"{len(entries)} entries")
st.dataframe(
    pd.DataFrame(audit_rows(entries), columns=list(AUDIT_COLUMNS)),
    hide_index=True,
    key="audit_table",
)
st.download_button(
    "Download as CSV",
    audit_csv(entries),
    file_name="audit-log.csv",
    mime="text/csv",
    key="audit_download",
)
