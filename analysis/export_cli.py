"""`python -m analysis export KIND --format FORMAT OUT`: files for other tools."""

from __future__ import annotations

from pathlib import Path

import click

from analysis.access import Action, require
from analysis.cli_common import Context
from analysis.codebook import export_codebook
from analysis.errors import InvalidRequestError
from analysis.spreadsheets import code_participant_rows, coded_segment_rows, write_table

FORMATS = {"segments": ("csv", "xlsx"), "matrix": ("csv", "xlsx"), "codebook": ("yaml", "csv")}


@click.command("export")
@click.argument("kind", type=click.Choice(sorted(FORMATS)))
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--format", "file_format", help="File format (default: from OUT's extension).")
@click.pass_obj
def export_command(obj: Context, kind: str, out: str, file_format: str | None) -> None:
    """Export coded segments, the code x participant matrix or the codebook.

    Coded segments of participants who did not agree to be quoted keep their codes but
    not their words.
    """
    target = Path(out)
    chosen = (file_format or target.suffix.lstrip(".")).lower()
    if chosen not in FORMATS[kind]:
        raise InvalidRequestError(
            f"{target.name}: {kind} exports as {' or '.join(FORMATS[kind])}, not '{chosen}'"
        )
    if target.suffix.lower() != f".{chosen}":
        target = target.with_suffix(f".{chosen}")
    with obj.study() as (store, project):
        if kind == "codebook":
            require(store, obj.user, Action.SEE_CODINGS)
            count = export_codebook(store, project.id, target)
        elif kind == "segments":
            rows = coded_segment_rows(store, project.id, actor=obj.user)
            count = write_table(rows, target, sheet="coded segments")
        else:
            rows = code_participant_rows(store, project.id, actor=obj.user)
            count = write_table(rows, target, sheet="codes x participants")
    click.echo(f"wrote {count} rows to {target}")
