"""Shared page plumbing: one database connection per rerun, the demo on first run,
and the acting user. Pages call `page_context()` first."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from analysis.demo import DEMO_ACTOR, is_empty_study, load_demo_study
from analysis.models import Project
from analysis.storage import Store, resolve_db_path
from analysis.study import open_study


@dataclass(frozen=True)
class PageContext:
    store: Store
    project: Project
    user: str


@st.cache_resource(show_spinner=False)
def _demo_checked(db_path: str) -> bool:
    """Load the demo study into an empty database, once per server process."""
    store, project = open_study(db_path)
    try:
        if is_empty_study(store, project):
            with st.status("Loading the demo study (first run)…", expanded=False) as status:
                counts = load_demo_study(store, project)
                status.update(
                    label=f"Demo study loaded: {counts['transcripts']} transcripts",
                    state="complete",
                )
    finally:
        store.close()
    return True


def page_context() -> PageContext:
    """Open the study for this rerun and show who is working in the sidebar."""
    db_path = str(resolve_db_path())
    _demo_checked(db_path)
    store, project = open_study(db_path)
    users = [u["name"] for u in store.list_users()] or [DEMO_ACTOR]
    default = users.index(DEMO_ACTOR) if DEMO_ACTOR in users else 0
    user = st.sidebar.selectbox("Working as", users, index=default, key="app_user")
    st.sidebar.caption(f"Study: {project.name}")
    return PageContext(store, project, user or DEMO_ACTOR)


def code_label(name: str, depth: int) -> str:
    """Indented name for code pickers, so the tree shows in a flat list."""
    return ("\u2003" * depth) + ("└ " if depth else "") + name
