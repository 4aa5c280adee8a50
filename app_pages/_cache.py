"""Shared page plumbing: one database connection per rerun, the demo on first run, and
the signed-in user. Pages call `page_context(action)` first: it shows the sign-in form
(or, on a new study, the form for the first lead account) and stops the page until
someone with the right role is signed in."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import streamlit as st

from analysis.access import Action, allowed
from analysis.accounts import (
    create_first_lead,
    demo_accounts,
    needs_first_lead,
    session_user,
    sign_in,
    sign_out,
)
from analysis.demo import DEMO_PASSWORD, is_empty_study, load_demo_study
from analysis.embed import SentenceEmbedder, load_embedder
from analysis.errors import PermissionDeniedError, StudyError
from analysis.models import Project, User
from analysis.storage import Store, resolve_db_path
from analysis.study import open_study

SESSION_KEY = "session_token"


@dataclass(frozen=True)
class PageContext:
    store: Store
    project: Project
    account: User

    @property
    def user(self) -> str:
        """The signed-in account's name: the actor for every library call."""
        return self.account.name

    def may(self, action: Action) -> bool:
        return allowed(self.account.role, action)


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


def current_account(store: Store) -> User | None:
    """The signed-in account of this browser session, or None (expired, signed out)."""
    token = st.session_state.get(SESSION_KEY)
    if not token:
        return None
    try:
        return session_user(store, token)
    except PermissionDeniedError as exc:
        st.session_state.pop(SESSION_KEY, None)
        st.session_state["sign_in_notice"] = str(exc)
        return None


def _first_lead_form(store: Store) -> None:
    st.title("Set up the study")
    st.write("This study has no project lead yet. Create the lead account to begin.")
    with st.form("first_lead"):
        name = st.text_input("Account name", key="first_lead_name")
        password = st.text_input(
            "Password (8 characters or more)", type="password", key="first_lead_password"
        )
        again = st.text_input("Password again", type="password", key="first_lead_again")
        if st.form_submit_button("Create lead account", type="primary"):
            if password != again:
                st.error("The passwords differ.")
            else:
                try:
                    create_first_lead(store, name, password)
                    st.session_state[SESSION_KEY] = sign_in(store, name, password).token
                    st.rerun()
                except StudyError as exc:
                    st.error(str(exc))


def _sign_in_form(store: Store, project: Project) -> None:
    st.title("Sign in")
    notice = st.session_state.pop("sign_in_notice", None)
    if notice:
        st.info(notice)
    with st.form("sign_in"):
        name = st.text_input("Account name", key="sign_in_name")
        password = st.text_input("Password", type="password", key="sign_in_password")
        if st.form_submit_button("Sign in", type="primary"):
            try:
                st.session_state[SESSION_KEY] = sign_in(store, name, password).token
                st.rerun()
            except StudyError as exc:
                st.error(str(exc))
    accounts = demo_accounts(store, project.id)
    if accounts:
        st.caption(
            "Demo study: sign in as any of these accounts with the password "
            f"`{DEMO_PASSWORD}`: " + ", ".join(f"**{u.name}** ({u.role})" for u in accounts)
        )


def page_context(action: Action | None = None) -> PageContext:
    """Open the study for this rerun; stop with the sign-in form until someone is
    signed in, and with a refusal if their role may not do `action`."""
    db_path = str(resolve_db_path())
    _ensure_demo_study(db_path)
    store, project = open_study(db_path)
    account = current_account(store)
    if account is None:
        if needs_first_lead(store) and not store.is_demo_project(project.id):
            _first_lead_form(store)
        else:
            _sign_in_form(store, project)
        st.stop()
    assert account is not None
    st.sidebar.markdown(f"Signed in as **{account.name}** ({account.role})")
    if st.sidebar.button("Sign out", key="sign_out"):
        sign_out(store, st.session_state.pop(SESSION_KEY))
        st.rerun()
    st.sidebar.caption(f"Study: {project.name}")
    if action is not None and not allowed(account.role, action):
        st.error(f"Your role ({account.role}) may not {action.value}.")
        st.stop()
    return PageContext(store, project, account)


@st.cache_resource(show_spinner="Loading the sentence model (once)…")
def shared_embedder() -> SentenceEmbedder:
    """The embedding model, loaded once per server process and shared by all sessions."""
    return load_embedder()


def code_label(name: str, depth: int) -> str:
    """Indented name for code pickers, so the tree shows in a flat list."""
    return ("\u2003" * depth) + ("└ " if depth else "") + name
