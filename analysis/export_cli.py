"""`python -m analysis export KIND --format FORMAT OUT`: the evidence summary, and files
for spreadsheets and other QDA tools; `import-qdc` and `import-qdpx` bring them in."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from analysis.cli_common import Context, emit
from analysis.codebook import current_codebook, save_codebook_version
from analysis.exports import EXPORTS, export_bytes, export_format
from analysis.refi_codebook import read_qdc_file
from analysis.refi_import import import_qdpx_file
from analysis.refi_project import export_qdpx
from analysis.spreadsheets import (
    code_participant_rows,
    coded_segment_rows,
    write_bytes,
    write_table,
)
from analysis.summary import write_summary


@click.command("export")
@click.argument("kind", type=click.Choice(list(EXPORTS)))
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--format", "file_format", help="File format (default: from OUT's extension).")
@click.option("--draft", is_flag=True, help="Summary: include items not yet agreed (leads).")
@click.option("--by", multiple=True, help="Summary: attributes of the intersectional table.")
@click.pass_obj
def export_command(
    obj: Context, kind: str, out: str, file_format: str | None, draft: bool, by: tuple[str, ...]
) -> None:
    """Export the evidence summary (DOCX, Markdown or HTML), coded segments, the code x
    participant matrix, the codebook (YAML, CSV or REFI-QDA .qdc), or the whole project
    (REFI-QDA .qdpx, a project lead's export).

    The summary holds agreed items only (a lead's --draft is marked DRAFT on every
    page). Nothing quotes a participant who did not agree to be quoted. A .qdpx holds
    whole transcripts (those cleared by PII review).
    """
    target = Path(out)
    chosen = export_format(kind, file_format or target.suffix.lstrip(".") or None)
    if target.suffix.lower() != f".{chosen}":
        target = target.with_suffix(f".{chosen}")
    with obj.study() as (store, project):
        if kind == "summary":
            write_summary(
                store, project.id, target, fmt=chosen, actor=obj.user, draft=draft, by=by or None
            )
            click.echo(f"wrote {target}" + (" (DRAFT)" if draft else ""))
            return
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
        if kind == "segments":
            rows = coded_segment_rows(store, project.id, actor=obj.user)
            count = write_table(rows, target, sheet="coded segments")
        elif kind == "matrix":
            rows = code_participant_rows(store, project.id, actor=obj.user)
            count = write_table(rows, target, sheet="codes x participants")
        else:
            write_bytes(target, export_bytes(store, project.id, kind, chosen, actor=obj.user))
            _, codes = current_codebook(store, project.id)
            click.echo(f"wrote {len(codes)} codes to {target}")
            return
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
