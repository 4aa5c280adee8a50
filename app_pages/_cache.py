"""Shared page plumbing: one database connection per rerun, the demo on first run,
and the acting user. Pages call `page_context()` first."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import streamlit as st

from analysis.demo import DEMO_ACTOR, is_empty_study, load_demo_study
from analysis.embed import SentenceEmbedder, load_embedder
from analysis.models import Project
from analysis.storage import Store, resolve_db_path
from analysis.study import open_study


@dataclass(frozen=True)
class PageContext:
    store: Store
    project: Project
    user: str


@st.cache_resource(show_spinner=False)
def _demo_lock(db_path: str) -> threading.Lock:
    """One lock per database, so two first visitors don't both load the demo."""
    return threading.Lock()


def _ensure_demo_study(db_path: str) -> None:
    """Load the demo study into an empty database (set STUDY_DEMO=0 to start empty)."""
    if os.environ.get("STUDY_DEMO", "1") == "0":
        return
    store, project = open_study(db_path)
    try:
        if not is_empty_study(store, project):
            return
        with _demo_lock(db_path), st.status("Loading the demo study (first run)…") as status:
            if is_empty_study(store, project):
                counts = load_demo_study(store, project)
                status.update(
                    label=f"Demo study loaded: {counts['transcripts']} transcripts",
                    state="complete",
                )
    finally:
        store.close()


def page_context() -> PageContext:
    """Open the study for this rerun and show who is working in the sidebar."""
    db_path = str(resolve_db_path())
    _ensure_demo_study(db_path)
    store, project = open_study(db_path)
    users = [u["name"] for u in store.list_users()] or [DEMO_ACTOR]
    default = users.index(DEMO_ACTOR) if DEMO_ACTOR in users else 0
    user = st.sidebar.selectbox("Working as", users, index=default, key="app_user")
    st.sidebar.caption(f"Study: {project.name}")
    return PageContext(store, project, user or DEMO_ACTOR)


@st.cache_resource(show_spinner="Loading the sentence model (once)…")
def shared_embedder() -> SentenceEmbedder:
    """The embedding model, loaded once per server process and shared by all sessions."""
    return load_embedder()


def code_label(name: str, depth: int) -> str:
    """Indented name for code pickers, so the tree shows in a flat list."""
    return ("\u2003" * depth) + ("└ " if depth else "") + name
