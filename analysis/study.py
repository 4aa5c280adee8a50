"""Opening a study and summarising what it holds."""

from __future__ import annotations

import os

from analysis.models import Project
from analysis.storage import DEFAULT_PROJECT_SLUG, Store, resolve_db_path

DEFAULT_PROJECT_NAME = "Student mental-health support study"


def open_study(db_path: str | os.PathLike[str] | None = None) -> tuple[Store, Project]:
    """Open the database (from `--db`, `STUDY_DB` or the default) and its project.

    A database holds one study; its project is created on first use.
    """
    store = Store.open(resolve_db_path(db_path))
    projects = store.list_projects()
    project = (
        projects[0]
        if projects
        else store.get_or_create_project(DEFAULT_PROJECT_SLUG, DEFAULT_PROJECT_NAME)
    )
    return store, project


def study_status(store: Store, project: Project) -> dict[str, object]:
    """Counts of transcripts, participants, segments, codes, codings and memos."""
    counts: dict[str, object] = dict(store.count_rows(project.id))
    counts["project"] = project.name
    counts["database"] = str(store.path)
    return counts
