"""Peer research platform: the router. Pages live in `app_pages/`; each role sees the
pages it may use (the library refuses the rest whatever the page does)."""

import streamlit as st

from analysis.access import Action, allowed
from analysis.storage import resolve_db_path
from analysis.study import open_study
from app_pages._cache import current_account
from app_pages._style import readable_colours

st.set_page_config(page_title="Peer research platform", layout="wide")
readable_colours()

# (script, url path, title, icon, the action a role needs to see the page)
PAGES = [
    ("home.py", "", "Study", "home", None),
    ("import_page.py", "import", "Import", "upload_file", Action.IMPORT),
    ("review.py", "review", "Review", "privacy_tip", Action.RESOLVE_PII),
    ("transcript.py", "transcript", "Transcript", "article", Action.SEE_TRANSCRIPTS),
    ("codebook_page.py", "codebook", "Codebook", "account_tree", Action.SEE_CODINGS),
    ("retrieve.py", "retrieve", "Retrieve", "format_quote", Action.SEE_CODINGS),
    ("topics.py", "topics", "Topics", "bubble_chart", Action.RUN_TOPICS),
    ("reliability.py", "reliability", "Reliability", "compare_arrows", Action.SEE_CODINGS),
    (
        "disagreements.py",
        "disagreements",
        "Disagreements",
        "rule",
        Action.RESOLVE_DISAGREEMENTS,
    ),
    ("themes.py", "themes", "Themes", "category", Action.EXPORT_SUMMARY),
    ("intersections.py", "intersections", "Intersections", "grid_on", Action.EXPORT_SUMMARY),
    (
        "recommendations.py",
        "recommendations",
        "Recommendations",
        "checklist",
        Action.EXPORT_SUMMARY,
    ),
    ("export_page.py", "export", "Export", "download", Action.EXPORT_SUMMARY),
    ("participants.py", "participants", "Participants", "groups", Action.MANAGE_PARTICIPANTS),
    ("users.py", "users", "Accounts", "manage_accounts", Action.MANAGE_USERS),
    ("audit_page.py", "audit", "Audit log", "history", Action.READ_AUDIT),
]

store, _ = open_study(resolve_db_path())
try:
    account = current_account(store)
finally:
    store.close()
role = account.role if account else None
pages = [
    st.Page(
        f"app_pages/{script}",
        title=title,
        icon=f":material/{icon}:",
        default=not url_path,
        **({"url_path": url_path} if url_path else {}),
    )
    for script, url_path, title, icon, action in PAGES
    if action is None or (role is not None and allowed(role, action))
]
st.navigation(pages).run()
