"""Colours that meet WCAG AA contrast (4.5:1) where Streamlit's faded greys do not:
captions, block quotes, inline code and the labels of disabled widgets."""

from __future__ import annotations

import streamlit as st

READABLE_CSS = """
<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {
  color: #4b4b4b !important; opacity: 1 !important;
}
[data-testid="stMarkdownContainer"] blockquote,
[data-testid="stMarkdownContainer"] blockquote p { color: #3a3a3a !important; opacity: 1 !important; }
[data-testid="stMarkdownContainer"] code { color: #1f2937 !important; opacity: 1 !important; }
[data-testid="stWidgetLabel"] p { color: #31333f !important; opacity: 1 !important; }
</style>
"""


def readable_colours() -> None:
    """Inject the stylesheet once per rerun (the router calls it for every page)."""
    st.html(READABLE_CSS)
