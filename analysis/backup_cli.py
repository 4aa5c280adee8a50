"""`python -m analysis backup` and `restore`: the whole study as one file, and back."""

from __future__ import annotations

import click

from analysis.backup import backup_study, check_backup, restore_study
from analysis.cli_common import Context, emit


@click.command("backup")
@click.argument("out", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def backup_command(obj: Context, out: str, as_json: bool) -> None:
    """Copy the whole study database to OUT (a new file, or a folder for a dated file).

    Safe while the app is running: the copy is one consistent moment of the study,
    checked before it is kept. Saved topic models are not included (refit them).
    """
    with obj.study() as (store, _):
        report = backup_study(store, out, actor=obj.user)
    data = {
        "path": str(report.path),
        "bytes": report.size_bytes,
        "schema_version": report.schema_version,
        "seconds": round(report.seconds, 3),
        "audited": report.audited,
    }
    text = (
        f"backed up the study to {report.path} ({report.size_bytes / 2**20:.1f} MB, "
        f"schema version {report.schema_version}, {report.seconds:.2f} s)"
    )
    if not report.audited:
        text += "\nnote: the study database could not be written, so no audit row was added"
    emit(data, as_json, text)


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--yes", "confirmed", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def restore_command(obj: Context, file: str, confirmed: bool) -> None:
    """Replace the study with the backup FILE; the current database is kept beside it
    as <name>.before-restore-<timestamp>. Stop the app first where you can."""
    version = check_backup(file)
    if not confirmed:
        click.confirm(
            f"Replace the study with {file} (schema version {version})? The current "
            "database is kept beside it",
            abort=True,
        )
    with obj.study() as (store, _):
        report = restore_study(store, file, actor=obj.user)
    upgraded = (
        f"; brought up to schema version {report.schema_version}"
        if report.schema_version != report.upgraded_from
        else ""
    )
    kept = f"; the previous study is kept as {report.kept}" if report.kept else ""
    click.echo(f"restored {report.database} from {report.backup}{upgraded}{kept}")
