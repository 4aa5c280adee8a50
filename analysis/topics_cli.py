"""`python -m analysis topics`: topic modelling from the command line.

A click command for the main group in `analysis/cli.py`, registered there with
`cli.add_command(topics_command)`. Like every command it parses, calls the library and
prints; progress goes to stderr, so `--json` output on stdout stays clean.
"""

from __future__ import annotations

from typing import Any

import click

from analysis.cli_common import Context
from analysis.topics import TopicRunResult, fit_topics, latest_topic_run, update_topics


def _topic_rows(run: TopicRunResult) -> list[dict[str, Any]]:
    return [
        {
            "topic": t.topic_num,
            "size": t.size,
            "keywords": list(t.keywords),
            "code": t.code_key,
            "score": t.score,
            "quotes": [q.text for q in t.quotes],
        }
        for t in run.topics
    ]


def _summary(run: TopicRunResult) -> str:
    lines = [
        f"topic run {run.run_id} ({run.pipeline}, seed {run.seed}): {len(run.topics)} topics "
        f"over {run.segment_count} segments, {run.outliers} unassigned"
        + (f"; placed {run.placed} new segments" if run.placed else "")
    ]
    for t in run.topics:
        match = (
            f"{t.code_key} ({t.score:.2f})" if t.code_key and t.score is not None else "emergent"
        )
        lines.append(f"{t.topic_num:>4} {t.size:>6}  {match:<34} {', '.join(t.keywords[:6])}")
    return "\n".join(lines)


@click.command("topics")
@click.option("--json", "as_json", is_flag=True, help="Print the topics as a JSON list.")
@click.option("--seed", default=42, show_default=True, help="Seed of the topic model.")
@click.option(
    "--update",
    is_flag=True,
    help="Place segments added since the latest run into its topics instead of refitting.",
)
@click.pass_obj
def topics_command(obj: Context, as_json: bool, seed: int, update: bool) -> None:
    """Find topics in the participant segments of cleared transcripts and match them to
    the codebook; topics that match no code are emergent (candidate codes)."""
    import json

    from analysis.embed import load_embedder

    shown: set[str] = set()

    def progress(stage: str, _done: float) -> None:
        # One line per stage, not one per batch of embeddings.
        step = stage.split(" (")[0]
        if step not in shown:
            shown.add(step)
            click.echo(step, err=True)

    with obj.study() as (store, project):
        embedder = load_embedder()
        latest = latest_topic_run(store, project.id) if update else None
        if update and latest is None:
            click.echo("no topic run yet: fitting a new one", err=True)
        if latest is not None:
            run = update_topics(
                store,
                project.id,
                latest.run_id,
                embedder=embedder,
                actor=obj.user,
                progress=progress,
            )
        else:
            run = fit_topics(
                store, project.id, embedder=embedder, actor=obj.user, seed=seed, progress=progress
            )
    if as_json:
        click.echo(json.dumps(_topic_rows(run), indent=2))
    else:
        click.echo(_summary(run))
