"""Widgets the Themes and Recommendations pages share."""

from __future__ import annotations

import streamlit as st

from analysis.access import Action
from analysis.errors import StudyError
from analysis.outputs import STATUSES, set_status
from app_pages._cache import PageContext


def status_control(ctx: PageContext, table: str, row_id: int, current: str, *, key: str) -> None:
    """Move an item through draft -> in review -> agreed; 'agreed' is offered to leads
    (and shown where the item already is), the library refuses anything else."""
    options = [
        s for s in STATUSES if s in (current, *STATUSES[:2]) or ctx.may(Action.AGREE_OUTPUTS)
    ]
    chosen = st.segmented_control("Status", options, default=current, key=key)
    if chosen and chosen != current:
        try:
            set_status(ctx.store, table, row_id, chosen, actor=ctx.user)
            st.rerun()
        except StudyError as exc:
            st.error(str(exc))
