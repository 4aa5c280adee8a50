"""Peer research platform: the router. Pages live in `app_pages/`."""

import streamlit as st

st.set_page_config(page_title="Peer research platform", layout="wide")

pages = [
    st.Page("app_pages/home.py", title="Study", icon=":material/home:", default=True),
    st.Page("app_pages/import_page.py", title="Import", icon=":material/upload_file:"),
    st.Page("app_pages/transcript.py", title="Transcript", icon=":material/article:"),
    st.Page("app_pages/codebook_page.py", title="Codebook", icon=":material/account_tree:"),
    st.Page("app_pages/retrieve.py", title="Retrieve", icon=":material/format_quote:"),
    st.Page("app_pages/participants.py", title="Participants", icon=":material/groups:"),
]
st.navigation(pages).run()
