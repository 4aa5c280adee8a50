"""`python -m analysis audit|consent|withdraw|rounds ...`: working together from the
command line: the audit log, consent and withdrawal, reliability rounds."""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import click

from analysis.audit import audit_csv, audit_rows, audit_trail
from analysis.cli_common import Context, emit
from analysis.consent import record_consent, withdraw_participant
from analysis.rounds import close_round, list_disagreements, list_rounds, open_round

_YES_NO = click.Choice(["yes", "no"])


@click.command("audit")
@click.option("--who", multiple=True, help="Only these actors (repeatable).")
@click.option("--action", "actions", multiple=True, help="Only these actions (repeatable).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this day (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="To this day, inclusive.")
@click.option("--contains", default="", help="A word in the details.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write CSV here.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def audit_command(
    obj: Context,
    who: tuple[str, ...],
    actions: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    contains: str,
    csv_path: str | None,
    as_json: bool,
) -> None:
    """The audit log (leads only): who did what, when, newest first."""
    with obj.study() as (store, _):
        entries = audit_trail(
            store,
            actor=obj.user,
            who=who,
            actions=actions,
            since=since.date() if since else None,
            until=until.date() if until else None,
            contains=contains,
        )
    if csv_path:
        Path(csv_path).write_text(audit_csv(entries), encoding="utf-8")
        click.echo(f"wrote {len(entries)} audit rows to {csv_path}", err=True)
        return
    rows = audit_rows(entries)
    lines = [f"{r['at']}  {r['actor']:<14} {r['action']:<28} {r['details']}" for r in rows]
    emit(rows, as_json, "\n".join(lines) or "no audit rows match")


@click.command("consent")
@click.argument("pseudonym")
@click.option("--date", "when", help="Date consent was given (YYYY-MM-DD).")
@click.option("--quotes", type=_YES_NO, help="May their words be quoted in reports?")
@click.option("--share", type=_YES_NO, help="May their data be shared with partners?")
@click.pass_obj
def consent_command(
    obj: Context, pseudonym: str, when: str | None, quotes: str | None, share: str | None
) -> None:
    """Record a participant's consent."""
    with obj.study() as (store, project):
        current = next(
            (p.consent for p in store.list_participants(project.id) if p.pseudonym == pseudonym),
            None,
        )
        participant = record_consent(
            store,
            project.id,
            pseudonym,
            # Options not given keep the answers already recorded.
            date=when if when is not None else (current.date if current else None),
            quotes=(quotes == "yes") if quotes else (current.quotes if current else None),
            share=(share == "yes") if share else (current.share if current else None),
            actor=obj.user,
        )
    click.echo(f"{participant.pseudonym}: {asdict(participant.consent)}")


@click.command("withdraw")
@click.argument("pseudonym")
@click.option("--yes", "confirmed", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def withdraw_command(obj: Context, pseudonym: str, confirmed: bool) -> None:
    """Withdraw a participant: delete their transcripts and everything derived from them."""
    if not confirmed and sys.stdin.isatty():
        click.confirm(f"Delete everything of {pseudonym}? This cannot be undone", abort=True)
    with obj.study() as (store, project):
        done = withdraw_participant(store, project.id, pseudonym, actor=obj.user)
    click.echo(
        f"withdrew {done.pseudonym}: {done.transcripts} transcripts, {done.segments} segments, "
        f"{done.codings} codings, {done.memos} memos deleted"
    )


@click.group("rounds")
def rounds_group() -> None:
    """Reliability rounds: blind double-coding and agreement."""


@rounds_group.command("open")
@click.argument("name")
@click.option("--transcript", "transcripts", type=int, multiple=True, required=True)
@click.option("--coder", "coders", multiple=True, required=True)
@click.pass_obj
def rounds_open_command(
    obj: Context, name: str, transcripts: tuple[int, ...], coders: tuple[str, ...]
) -> None:
    """Open a round on some transcripts for two or more coders (leads only)."""
    with obj.study() as (store, project):
        opened = open_round(store, project.id, name, transcripts, coders, actor=obj.user)
    click.echo(f"opened round {opened.id} '{opened.name}' for {', '.join(opened.coders)}")


@rounds_group.command("close")
@click.argument("round_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
def rounds_close_command(obj: Context, round_id: int, as_json: bool) -> None:
    """Close a round and print its agreement figures."""
    with obj.study() as (store, _):
        results = close_round(store, round_id, actor=obj.user)
    overall = results.overall
    text = (
        f"{results.segments} segments, {len(results.per_code)} codes; overall "
        f"alpha {overall.krippendorff_alpha}, kappa {overall.cohen_kappa}, "
        f"agreement {overall.percent_agreement}; {results.disagreements} disagreements"
    )
    emit(results.as_json(), as_json, text)


@rounds_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def rounds_list_command(obj: Context, as_json: bool) -> None:
    """Every round with its status and, once closed, its figures."""
    with obj.study() as (store, project):
        rounds = list_rounds(store, project.id)
    rows = [asdict(r) for r in rounds]
    lines = [f"{r.id:>4} {r.name:<24} {r.status:<7} {', '.join(r.coders)}" for r in rounds]
    emit(rows, as_json, "\n".join(lines) or "no rounds")


@rounds_group.command("disagreements")
@click.argument("round_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def rounds_disagreements_command(obj: Context, round_id: int, as_json: bool) -> None:
    """Segments of a closed round where the coders differ."""
    with obj.study() as (store, _):
        found = list_disagreements(store, round_id, actor=obj.user)
    rows = [
        {
            "segment_id": d.segment.id,
            "transcript": d.transcript_source,
            "text": d.segment.text,
            "codes_by_coder": d.codes_by_coder,
            "consensus": list(d.consensus.code_keys) if d.consensus else None,
        }
        for d in found
    ]
    lines = [f"{r['segment_id']:>6} {r['codes_by_coder']}  | {str(r['text'])[:60]}" for r in rows]
    emit(rows, as_json, "\n".join(lines) or "no disagreements")


COMMANDS = [audit_command, consent_command, withdraw_command, rounds_group]
