"""`python -m analysis export KIND --format FORMAT OUT`: files for other tools."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from analysis.access import Action, require
from analysis.cli_common import Context, emit
from analysis.codebook import (
    code_to_spec,
    current_codebook,
    export_codebook,
    save_codebook_version,
)
from analysis.errors import InvalidRequestError
from analysis.refi_codebook import codebook_to_qdc, read_qdc_file
from analysis.refi_import import import_qdpx_file
from analysis.refi_project import export_qdpx
from analysis.spreadsheets import (
    code_participant_rows,
    coded_segment_rows,
    write_bytes,
    write_table,
)

FORMATS = {
    "segments": ("csv", "xlsx"),
    "matrix": ("csv", "xlsx"),
    "codebook": ("yaml", "csv"),
    "qdc": ("qdc",),
    "qdpx": ("qdpx",),
}


@click.command("export")
@click.argument("kind", type=click.Choice(sorted(FORMATS)))
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--format", "file_format", help="File format (default: from OUT's extension).")
@click.pass_obj
def export_command(obj: Context, kind: str, out: str, file_format: str | None) -> None:
    """Export coded segments, the code x participant matrix, the codebook (YAML, CSV
    or REFI-QDA .qdc), or the whole project (REFI-QDA .qdpx, a project lead's export).

    Coded segments of participants who did not agree to be quoted keep their codes but
    not their words. A .qdpx holds whole transcripts (those cleared by PII review).
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
        if kind == "qdpx":
            summary = export_qdpx(store, project.id, target, actor=obj.user)
            click.echo(
                f"wrote {target}: {summary.transcripts} transcripts, {summary.codes} codes, "
                f"{summary.codings} codings, {summary.cases} cases, {summary.users} users, "
                f"{summary.notes} memos"
            )
            for reason in summary.left_out:
                click.echo(f"left out: {reason}")
            return
        if kind == "codebook":
            require(store, obj.user, Action.SEE_CODINGS)
            count = export_codebook(store, project.id, target)
        elif kind == "qdc":
            require(store, obj.user, Action.SEE_CODINGS)
            _, codes = current_codebook(store, project.id)
            if not codes:
                raise InvalidRequestError("the study has no codebook yet")
            specs = [code_to_spec(c) for c in codes]
            document = codebook_to_qdc(specs, project_slug=project.slug)
            write_bytes(target, document)
            count = len(specs)
        elif kind == "segments":
            rows = coded_segment_rows(store, project.id, actor=obj.user)
            count = write_table(rows, target, sheet="coded segments")
        else:
            rows = code_participant_rows(store, project.id, actor=obj.user)
            count = write_table(rows, target, sheet="codes x participants")
    click.echo(f"wrote {count} rows to {target}")


@click.command("import-qdc")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--note", default="", help="Why this version (default: the file name).")
@click.pass_obj
def import_qdc_command(obj: Context, file: str, note: str) -> None:
    """Import a REFI-QDA codebook (.qdc) from any QDA tool as the next codebook version."""
    draft = read_qdc_file(file)
    with obj.study() as (store, project):
        version = save_codebook_version(
            store, project.id, draft, actor=obj.user, note=note or f"imported {Path(file).name}"
        )
    click.echo(f"codebook version {version.version}: {len(draft.codes)} codes from {file}")


@click.command("import-qdpx")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
@click.pass_obj
def import_qdpx_command(obj: Context, file: str, as_json: bool) -> None:
    """Import a REFI-QDA project (.qdpx, .qde or .qdc) from NVivo, ATLAS.ti, MAXQDA,
    QualCoder or this platform into the study: users, codes, transcripts, codings,
    cases and memos.

    All or nothing: a broken file changes nothing. Sources missing from the archive and
    picture, PDF, audio or video sources are skipped and listed.
    """
    with obj.study() as (store, project):
        report = import_qdpx_file(store, project.id, file, actor=obj.user)
    lines = [
        f"imported {report.source_name}: {report.transcripts} transcripts, "
        f"{report.codings} codings, {report.codes} codes ({report.new_codes} new), "
        f"{report.cases} cases, {report.users} users, {report.memos} memos"
    ]
    if report.codebook_version is not None:
        lines.append(f"codebook version {report.codebook_version}")
    if report.new_accounts:
        lines.append(
            "new accounts (no password until a lead sets one): " + ", ".join(report.new_accounts)
        )
    lines += [f"missing from the archive: {m}" for m in report.missing_sources]
    lines += [f"not supported: {u}" for u in report.unsupported_sources]
    lines += [f"not imported: {s}" for s in report.skipped]
    if report.needs_review:
        lines.append(
            "needs PII review before coding or export: "
            + ", ".join(report.needs_review)
            + " (redacting in a coded transcript means removing its codings first)"
        )
    emit(asdict(report), as_json, "\n".join(lines))
