"""What every command module shares: the global options and printing results."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from analysis.accounts import LOCAL_ADMIN, ensure_local_admin
from analysis.models import Project
from analysis.storage import Store
from analysis.study import open_study


class Context:
    """Global options, given before the command."""

    def __init__(self, db: str | None, user: str | None) -> None:
        self.db = db
        self.user = user or LOCAL_ADMIN

    @contextmanager
    def study(self) -> Iterator[tuple[Store, Project]]:
        """The open study; acting as `--user`, or as the command line's own lead account."""
        store, project = open_study(self.db)
        try:
            if self.user == LOCAL_ADMIN:
                ensure_local_admin(store)
            yield store, project
        finally:
            store.close()


def emit(data: Any, as_json: bool, text: str) -> None:
    """JSON with `--json`, else the human-readable text."""
    click.echo(json.dumps(data, indent=2, default=str) if as_json else text)
