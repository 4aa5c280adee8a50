"""`python -m analysis`: the command line over the same library functions as the app.

Commands parse arguments, call the library and print; they hold no logic of their
own. `--json` gives machine-readable output. Errors print one clear line per problem
to stderr and exit with status 1.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from analysis import codebook as codebook_lib
from analysis.agreement_cli import agreement_command
from analysis.backup_cli import backup_command, restore_command
from analysis.cli_common import Context, emit
from analysis.collab_cli import COMMANDS as COLLABORATION_COMMANDS
from analysis.demo import load_demo_study
from analysis.errors import StudyError
from analysis.export_cli import export_command, import_qdc_command, import_qdpx_command
from analysis.ingest import SUPPORTED_EXTENSIONS
from analysis.intersect_cli import COMMANDS as MATRIX_COMMANDS
from analysis.outputs_cli import COMMANDS as OUTPUT_COMMANDS
from analysis.participants import read_participants_file
from analysis.review_cli import review_group
from analysis.study import study_status
from analysis.topics_cli import topics_command
from analysis.transcripts import UploadedFile, import_transcripts, transcript_view
from analysis.users_cli import users_group


def _expand(paths: tuple[str, ...]) -> list[Path]:
    """Files as given, and the supported transcript files inside given folders."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.suffix.lower() in SUPPORTED_EXTENSIONS)
            )
        else:
            found.append(path)
    return found


class StudyGroup(click.Group):
    """Turns library errors into a one-line message and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StudyError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=StudyGroup)
@click.option(
    "--db",
    "db",
    envvar="STUDY_DB",
    help="Study database file (default: $STUDY_DB or data/study.db).",
)
@click.option(
    "--user",
    "user",
    envvar="STUDY_USER",
    help="Act as this account, with its role (default: the command line's own lead "
    "account 'cli', which cannot sign in to the app).",
)
@click.pass_context
def cli(ctx: click.Context, db: str | None, user: str | None) -> None:
    """Peer research platform: import, code and report on interview transcripts."""
    ctx.obj = Context(db, user)


@cli.command("import")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--participants",
    type=click.Path(dir_okay=False),
    help="Participants CSV (pseudonym, transcript, attributes).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def import_command(
    obj: Context, paths: tuple[str, ...], participants: str | None, as_json: bool
) -> None:
    """Import transcript files (.txt .md .docx .pdf .vtt .srt) or folders of them.

    All or nothing: if any file is refused, nothing is imported.
    """
    files = _expand(paths)
    if not files:
        raise StudyError("no transcript files found in " + ", ".join(paths))
    uploads = [UploadedFile.from_path(p) for p in files]
    records = read_participants_file(participants) if participants else []
    with obj.study() as (store, project):
        results = import_transcripts(
            store, project.id, uploads, actor=obj.user, participants=records
        )
    lines = [
        f"imported {r.source_name} as transcript {r.transcript_id} "
        f"(participant {r.participant}; {r.turns} turns, {r.segments} segments)"
        for r in results
    ]
    emit([asdict(r) for r in results], as_json, "\n".join(lines))


@cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_obj
def status_command(obj: Context, as_json: bool) -> None:
    """Counts of transcripts, participants, segments, codes and codings."""
    with obj.study() as (store, project):
        counts = study_status(store, project)
    emit(counts, as_json, "\n".join(f"{key}: {value}" for key, value in counts.items()))


@cli.command("transcripts")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def transcripts_command(obj: Context, as_json: bool) -> None:
    """List the transcripts of the study."""
    with obj.study() as (store, project):
        rows = [
            {
                "id": t.id,
                "source_name": t.source_name,
                "participant": t.participant,
                "format": t.source_format,
                "characters": len(t.text),
                "sha256": t.sha256,
            }
            for t in store.list_transcripts(project.id)
        ]
    text = "\n".join(f"{r['id']:>4}  {r['source_name']}  ({r['participant']})" for r in rows)
    emit(rows, as_json, text or "no transcripts")


@cli.command("segments")
@click.argument("transcript_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def segments_command(obj: Context, transcript_id: int, as_json: bool) -> None:
    """The segments of one transcript, with offsets into its stored text."""
    with obj.study() as (store, _):
        _, _, segments = transcript_view(store, transcript_id, actor=obj.user)
        rows = [asdict(s) for s in segments]
    text = "\n".join(
        f"{r['id']:>6} {r['start_char']:>6}-{r['end_char']:<6} {r['speaker']}: {r['text']}"
        for r in rows
    )
    emit(rows, as_json, text)


@cli.group("codebook")
def codebook_group() -> None:
    """Import or export the shared codebook (YAML or CSV)."""


@codebook_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--note", default="imported from file", help="Why this version was made.")
@click.pass_obj
def codebook_import(obj: Context, file: str, note: str) -> None:
    """Import a codebook file as the study's next codebook version."""
    draft = codebook_lib.read_codebook_file(file)
    with obj.study() as (store, project):
        version = codebook_lib.save_codebook_version(
            store, project.id, draft, actor=obj.user, note=note
        )
    click.echo(
        f"codebook version {version.version}: {len(draft.codes)} codes from {Path(file).name}"
    )


@codebook_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_obj
def codebook_export(obj: Context, file: str) -> None:
    """Write the current codebook to FILE (.yaml or .csv)."""
    with obj.study() as (store, project):
        count = codebook_lib.export_codebook(store, project.id, file)
    click.echo(f"wrote {count} codes to {file}")


@cli.command("scan-pii")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of findings.")
@click.option("--allow", "allow", multiple=True, help="A term that is not personal (repeatable).")
@click.option("--student-id-pattern", "id_patterns", multiple=True,
              help="A regular expression for your institution's student numbers (repeatable).")  # fmt: skip
def scan_pii_command(
    file: str, as_json: bool, allow: tuple[str, ...], id_patterns: tuple[str, ...]
) -> None:
    """Find residual identifiers in one transcript file, without importing it.

    Offsets index the file's text as decoded (UTF-8, BOM removed, nothing else
    changed); captions are scanned as their raw text.
    """
    from analysis.ingest import read_text_for_scan
    from analysis.pii import find_personal_data, starter_allow_list

    _, text = read_text_for_scan(file)
    findings = find_personal_data(
        text, allow_list=[*starter_allow_list(), *allow], student_id_patterns=id_patterns
    )
    rows = [{"start": f.start, "end": f.end, "label": f.label, "text": f.text} for f in findings]
    lines = [f"{f.start:>7}-{f.end:<7} {f.label:<11} {f.score:.2f}  {f.text}" for f in findings]
    emit(rows, as_json, "\n".join(lines) or "no identifiers found")


@cli.command("suggest")
@click.argument("transcript_id", type=int)
@click.option(
    "--json", "as_json", is_flag=True, help="Print segments with their top-3 codes as JSON."
)
@click.pass_obj
def suggest_command(obj: Context, transcript_id: int, as_json: bool) -> None:
    """Suggest the top 3 codes for each participant segment of a cleared transcript."""
    from analysis.embed import load_embedder
    from analysis.suggestions import suggest_for_transcript

    with obj.study() as (store, _):
        rows = suggest_for_transcript(
            store, transcript_id, embedder=load_embedder(), actor=obj.user
        )
    data = [
        {
            "segment_id": r.segment.id,
            "start": r.segment.start_char,
            "end": r.segment.end_char,
            "text": r.segment.text,
            "suggestions": [{"code": code, "score": score} for code, score in r.suggestions],
        }
        for r in rows
    ]
    lines = [
        f"{r.segment.id:>6}  {', '.join(f'{c} {s:.2f}' for c, s in r.suggestions)}  | {r.segment.text[:60]}"
        for r in rows
    ]
    emit(data, as_json, "\n".join(lines) or "no participant segments")


@cli.command("evaluate-suggestions")
@click.argument("coded", type=click.Path(dir_okay=False))
@click.option("--codebook", "codebook", required=True, type=click.Path(dir_okay=False),
              help="CSV with columns code,description.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def evaluate_suggestions_command(coded: str, codebook: str, as_json: bool) -> None:
    """Leave-one-document-out hit@1/hit@3 of suggestions on a hand-coded CSV
    (columns document,text,codes with codes separated by ';'), against always
    suggesting the most frequent codes."""
    from analysis.coded_files import read_codebook_descriptions, read_coded_passages
    from analysis.embed import load_embedder
    from analysis.suggest import evaluate_suggestions

    passages = read_coded_passages(coded)
    descriptions = read_codebook_descriptions(codebook)
    quality = evaluate_suggestions(passages, descriptions, embedder=load_embedder())
    text = "\n".join(f"{key}: {value}" for key, value in quality.as_dict().items())
    emit(quality.as_dict(), as_json, text)


@cli.command("demo")
@click.pass_obj
def demo_command(obj: Context) -> None:
    """Load the demo study (interviews, participants, starter codebook, codings)."""
    with obj.study() as (store, project):
        counts = load_demo_study(store, project)
    click.echo(
        f"demo study loaded: {counts['transcripts']} transcripts, {counts['codes']} codes, "
        f"{counts['codings']} codings"
    )


cli.add_command(topics_command)
cli.add_command(agreement_command)
cli.add_command(users_group)
for command in [
    *COLLABORATION_COMMANDS,
    *OUTPUT_COMMANDS,
    *MATRIX_COMMANDS,
    export_command,
    import_qdc_command,
]:
    cli.add_command(command)
cli.add_command(review_group)
cli.add_command(import_qdpx_command)
cli.add_command(backup_command)
cli.add_command(restore_command)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI (`python -m analysis`)."""
    cli.main(args=argv, prog_name="python -m analysis")
