"""`python -m analysis findings|recommendations|themes`: the study's outputs with their
evidence chains, as the acting account may see them (evaluators: agreed only)."""

from __future__ import annotations

import click

from analysis.cli_common import Context, emit
from analysis.findings import finding_json, list_findings
from analysis.recommendations import list_recommendations, recommendation_json
from analysis.themes import list_themes


@click.command("themes")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def themes_command(obj: Context, as_json: bool) -> None:
    """Themes with their codes and status."""
    with obj.study() as (store, project):
        themes = list_themes(store, project.id, actor=obj.user)
    rows = [
        {"id": t.id, "name": t.name, "description": t.description, "status": t.status,
         "codes": list(t.code_keys)}
        for t in themes
    ]  # fmt: skip
    lines = [f"{t.id:>4} {t.name} [{t.status}] codes: {', '.join(t.code_keys)}" for t in themes]
    emit(rows, as_json, "\n".join(lines) or "no themes")


@click.command("findings")
@click.option("--json", "as_json", is_flag=True, help="Print with evidence as JSON.")
@click.pass_obj
def findings_command(obj: Context, as_json: bool) -> None:
    """Findings with their counts and evidence quotes (transcript, participant, offsets)."""
    with obj.study() as (store, project):
        rows = [finding_json(f) for f in list_findings(store, project.id, actor=obj.user)]
    lines = [
        f"{r['id']:>4} [{r['status']}] {r['theme']}: {r['statement']} "
        f"({r['counts']['participants']} participants, {len(r['evidence'])} quotes)"
        for r in rows
    ]
    emit(rows, as_json, "\n".join(lines) or "no findings")


@click.command("recommendations")
@click.option("--json", "as_json", is_flag=True, help="Print with evidence chains as JSON.")
@click.pass_obj
def recommendations_command(obj: Context, as_json: bool) -> None:
    """Recommendations with the findings, quotes and participants they rest on."""
    with obj.study() as (store, project):
        rows = [
            recommendation_json(store, r.id, actor=obj.user)
            for r in list_recommendations(store, project.id, actor=obj.user)
        ]
    lines = [
        f"{r['id']:>4} [{r['status']}] ({r['speqs_domain']}; {r['partner']}; {r['priority']}) "
        f"{r['text']} <- findings {', '.join(str(f['id']) for f in r['findings'])}"
        for r in rows
    ]
    emit(rows, as_json, "\n".join(lines) or "no recommendations")


COMMANDS = [themes_command, findings_command, recommendations_command]
