"""Peer research platform: the router. Pages live in `app_pages/`."""

import streamlit as st

st.set_page_config(page_title="Peer research platform", layout="wide")

pages = [
    st.Page("app_pages/home.py", title="Study", icon=":material/home:", default=True),
    st.Page(
        "app_pages/import_page.py", url_path="import", title="Import", icon=":material/upload_file:"
    ),
    st.Page(
        "app_pages/review.py",
        url_path="review",
        title="Review",
        icon=":material/privacy_tip:",
    ),
    st.Page(
        "app_pages/transcript.py",
        url_path="transcript",
        title="Transcript",
        icon=":material/article:",
    ),
    st.Page(
        "app_pages/codebook_page.py",
        url_path="codebook",
        title="Codebook",
        icon=":material/account_tree:",
    ),
    st.Page(
        "app_pages/retrieve.py",
        url_path="retrieve",
        title="Retrieve",
        icon=":material/format_quote:",
    ),
    st.Page(
        "app_pages/topics.py",
        url_path="topics",
        title="Topics",
        icon=":material/bubble_chart:",
    ),
    st.Page(
        "app_pages/participants.py",
        url_path="participants",
        title="Participants",
        icon=":material/groups:",
    ),
]
st.navigation(pages).run()
