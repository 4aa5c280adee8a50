"""`python -m analysis review`: the anonymisation review from the command line, for
batches: see what needs review, redact the confident findings, keep the rest after a
person has read them (`review show`)."""

from __future__ import annotations

from dataclasses import asdict

import click

from analysis.cli_common import Context, emit
from analysis.pii import CONFIDENT
from analysis.review import list_findings, mark_not_personal, redact_confident, review_status


@click.group("review")
def review_group() -> None:
    """The anonymisation review: nothing is coded, embedded or exported before it."""


@review_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def review_status_command(obj: Context, as_json: bool) -> None:
    """Review status and pending findings of every transcript."""
    with obj.study() as (store, project):
        rows = [asdict(review_status(store, t.id)) for t in store.list_transcripts(project.id)]
    lines = [
        f"{r['transcript_id']:>4}  {r['source_name']}: {r['status']} ({r['pending']} pending)"
        for r in rows
    ]
    emit(rows, as_json, "\n".join(lines) or "no transcripts")


@review_group.command("show")
@click.argument("transcript_id", type=int)
@click.pass_obj
def review_show_command(obj: Context, transcript_id: int) -> None:
    """The pending findings of one transcript, each in its context, for a person to read."""
    with obj.study() as (store, _):
        text = store.get_transcript(transcript_id).text
        for f in list_findings(store, transcript_id, actor=obj.user):
            if f.status == "pending":
                context = text[max(0, f.start_char - 40) : f.end_char + 40].replace("\n", " ")
                click.echo(f"{f.id:>6} {f.label:<11} {f.score:.2f}  …{context}…")


@review_group.command("resolve")
@click.argument("transcript_ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Every transcript that needs review.")
@click.option("--threshold", type=float, default=CONFIDENT, show_default=True,
              help="Redact pending findings scored at least this.")  # fmt: skip
@click.option("--keep-rest", is_flag=True,
              help="Mark the findings below the threshold not personal (read them first).")  # fmt: skip
@click.pass_obj
def review_resolve_command(
    obj: Context, transcript_ids: tuple[int, ...], every: bool, threshold: float, keep_rest: bool
) -> None:
    """Redact the confident findings (stable placeholders) and, with --keep-rest, keep
    the others; a transcript with nothing pending is cleared for coding and analysis."""
    if not transcript_ids and not every:
        raise click.UsageError("name transcripts or use --all")
    with obj.study() as (store, project):
        ids = list(transcript_ids) or [
            t.id for t in store.list_transcripts(project.id) if t.anonymisation_status != "cleared"
        ]
        for transcript_id in ids:
            redacted = redact_confident(store, transcript_id, actor=obj.user, threshold=threshold)
            kept = 0
            if keep_rest:
                for finding in list_findings(store, transcript_id, actor=obj.user):
                    if finding.status == "pending":
                        kept += len(mark_not_personal(store, finding.id, actor=obj.user))
            status = review_status(store, transcript_id)
            click.echo(
                f"{status.source_name}: {len(redacted)} redacted, {kept} kept, "
                f"{status.pending} pending -> {status.status}"
            )
