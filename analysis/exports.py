"""Every export the study offers, as bytes: one place the Export page and the `export`
command both ask, so a file downloaded in the app is the file the command writes.

Each kind checks its own permission in the function that makes it: the evidence summary
is for everyone (agreed items only), spreadsheets and the whole project for leads, the
codebook for anyone who codes.
"""

from __future__ import annotations

import re
from typing import Any

from analysis.access import Action, require
from analysis.codebook import code_to_spec, codebook_text, current_codebook
from analysis.errors import InvalidRequestError, NotFoundError
from analysis.storage import Store

# kind -> (what it is, in the users' words; its formats, the first being the default)
EXPORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "summary": ("Evidence summary", ("docx", "md", "html")),
    "segments": ("Coded segments", ("csv", "xlsx")),
    "matrix": ("Codes x participants", ("csv", "xlsx")),
    "codebook": ("Codebook", ("yaml", "csv")),
    "qdc": ("Codebook for other QDA tools (REFI-QDA)", ("qdc",)),
    "qdpx": ("Whole project for other QDA tools (REFI-QDA)", ("qdpx",)),
}
SUMMARY_FORMATS = {"docx": "Word (DOCX)", "md": "Markdown", "html": "HTML"}


def export_format(kind: str, file_format: str | None) -> str:
    """The format to use: the one asked for, checked, or the kind's default.

    Raises:
        InvalidRequestError: an unknown kind, or a format this kind does not export as.
    """
    if kind not in EXPORTS:
        raise InvalidRequestError(f"unknown export '{kind}' (use {', '.join(EXPORTS)})")
    formats = EXPORTS[kind][1]
    chosen = (file_format or formats[0]).lower().lstrip(".")
    if chosen not in formats:
        raise InvalidRequestError(f"{kind} exports as {' or '.join(formats)}, not '{chosen}'")
    return chosen


def export_file_name(project_slug: str, kind: str, file_format: str, *, draft: bool = False) -> str:
    """A download's file name: the study, what it is, and DRAFT where it is one."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", project_slug).strip("-") or "study"
    return f"{slug}-{kind}{'-DRAFT' if draft else ''}.{file_format}"


def export_bytes(
    store: Store,
    project_id: int,
    kind: str,
    file_format: str | None,
    *,
    actor: str,
    **options: Any,
) -> bytes:
    """The export `kind` in `file_format`, made as `actor` may see it.

    Options: `draft` and `by` for the summary (see `analysis.summary.build_summary`).

    Raises:
        InvalidRequestError: an unknown kind or format.
        PermissionDeniedError: the actor's role may not make this export.
        NotFoundError: a codebook export of a study without a codebook.
    """
    chosen = export_format(kind, file_format)
    if kind == "summary":
        from analysis.summary import build_summary, summary_docx, summary_html, summary_markdown

        summary = build_summary(
            store, project_id, actor=actor, draft=bool(options.get("draft")), by=options.get("by")
        )
        if chosen == "docx":
            return summary_docx(summary)
        rendered = summary_html(summary) if chosen == "html" else summary_markdown(summary)
        return rendered.encode("utf-8")
    if kind in ("segments", "matrix"):
        from analysis.spreadsheets import code_participant_rows, coded_segment_rows, table_bytes

        if kind == "segments":
            rows = coded_segment_rows(store, project_id, actor=actor)
            return table_bytes(rows, chosen, sheet="coded segments")
        rows = code_participant_rows(store, project_id, actor=actor)
        return table_bytes(rows, chosen, sheet="codes x participants")
    if kind in ("codebook", "qdc"):
        return _codebook_bytes(store, project_id, chosen, actor=actor)
    from analysis.refi_project import build_qdpx

    content, _ = build_qdpx(store, project_id, actor=actor)
    return content


def _codebook_bytes(store: Store, project_id: int, file_format: str, *, actor: str) -> bytes:
    require(store, actor, Action.SEE_CODINGS)
    if file_format != "qdc":
        return codebook_text(store, project_id, file_format).encode("utf-8")
    from analysis.refi_codebook import codebook_to_qdc

    _, codes = current_codebook(store, project_id)
    if not codes:
        raise NotFoundError("the study has no codebook yet")
    project = store.get_project(project_id)
    return codebook_to_qdc([code_to_spec(c) for c in codes], project_slug=project.slug)
