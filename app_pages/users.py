"""Accounts (project leads only): who may sign in, with which role, and who may do what."""

import pandas as pd
import streamlit as st

from analysis.access import ROLES, Action, permissions_table
from analysis.accounts import add_user, list_users, set_active, set_password, set_role
from analysis.errors import StudyError
from analysis.models import User
from app_pages._cache import page_context

ctx = page_context(Action.MANAGE_USERS)
st.title("Accounts")
notice = st.session_state.pop("users_notice", None)
if notice:
    st.success(notice)


def _done(message: str) -> None:
    """Show `message` after the rerun that redraws the table with the change."""
    st.session_state["users_notice"] = message
    st.rerun()


users = list_users(ctx.store, actor=ctx.user)
st.dataframe(
    pd.DataFrame(
        [
            {
                "account": u.name,
                "role": u.role,
                "active": u.active,
                "can sign in": u.active and u.has_password,
            }
            for u in users
        ],
        columns=["account", "role", "active", "can sign in"],
    ),
    hide_index=True,
    key="users_table",
)

st.subheader("Add an account")
with st.form("users_add", clear_on_submit=True):
    new_name = st.text_input("Account name (no spaces, e.g. sam.coder)", key="users_new_name")
    new_role = st.selectbox("Role", ROLES, key="users_new_role")
    no_password = st.checkbox(
        "No password yet (the account cannot sign in until one is set)",
        key="users_new_no_password",
    )
    new_password = st.text_input("Password", type="password", key="users_new_password")
    new_again = st.text_input("Password again", type="password", key="users_new_again")
    if st.form_submit_button("Add account", type="primary"):
        if not no_password and new_password != new_again:
            st.error("The passwords differ.")
        else:
            try:
                added = add_user(
                    ctx.store,
                    new_name,
                    new_role,
                    None if no_password else new_password,
                    actor=ctx.user,
                )
            except StudyError as exc:
                st.error(str(exc))
            else:
                _done(f"Added {added.name} ({added.role}).")

st.subheader("Change an account")
if users:
    picked: User = st.selectbox(
        "Account", users, format_func=lambda u: f"{u.name} ({u.role})", key="users_pick"
    )
    # Keys carry the account id, so each account's widgets start from its own values.
    role_col, password_col, active_col = st.columns(3)
    with role_col:
        role = st.selectbox(
            "Role", ROLES, index=ROLES.index(picked.role), key=f"users_role_{picked.id}"
        )
        is_self = picked.name == ctx.user
        # Changing your own role would end your session (and could leave no lead).
        if st.button(
            "Change role",
            key=f"users_set_role_{picked.id}",
            disabled=role == picked.role or is_self,
            help="Ask another project lead to change your own role." if is_self else None,
        ):
            try:
                set_role(ctx.store, picked.name, role, actor=ctx.user)
            except StudyError as exc:
                st.error(str(exc))
            else:
                _done(f"{picked.name} is now a {role}; their open sessions have ended.")
    with password_col:
        password = st.text_input("New password", type="password", key=f"users_password_{picked.id}")
        again = st.text_input("Again", type="password", key=f"users_password_again_{picked.id}")
        if st.button("Reset password", key=f"users_reset_password_{picked.id}"):
            if password != again:
                st.error("The passwords differ.")
            else:
                try:
                    set_password(ctx.store, picked.name, password, actor=ctx.user)
                except StudyError as exc:
                    st.error(str(exc))
                else:
                    _done(f"New password set for {picked.name}; their open sessions have ended.")
    with active_col:
        st.write("Active" if picked.active else "Deactivated")
        label = "Deactivate" if picked.active else "Reactivate"
        if st.button(
            label,
            key=f"users_toggle_active_{picked.id}",
            disabled=picked.active and is_self,
            help="You cannot deactivate your own account." if is_self else None,
        ):
            try:
                set_active(ctx.store, picked.name, not picked.active, actor=ctx.user)
            except StudyError as exc:
                st.error(str(exc))
            else:
                _done(f"{picked.name} {'deactivated' if picked.active else 'reactivated'}.")

st.subheader("Who may do what")
st.dataframe(pd.DataFrame(permissions_table()), hide_index=True, key="users_permissions")
st.caption(
    "Each row is an action; a tick means the role may do it. The library checks this "
    "table on every change, whatever page or command asks."
)
