"""Topic modelling that helps coders: topics over participant segments, matched to codes.

A cold pass (`fit_topics`) embeds the participant segments of cleared transcripts
(cached), fits the topic pipeline with a fixed seed, matches each topic to the codebook
and stores the run, its topics and every segment's topic in one transaction, with the
fitted model saved beside the database. A warm pass (`update_topics`) places segments
added since, with the saved model, without refitting. Topics that match no code are
emergent: candidate codes a coder can propose into the codebook.

Matching: a topic's centre is the mean of its members' unit embeddings; a code's
prototype is the embedding of `"{name}. {definition} {include} {example}"`. The topic
matches its most similar code when the cosine similarity is at least `MATCH_THRESHOLD`
(0.40: on the demo study, topics scoring 0.41-0.54 were about their code; below 0.38 the
nearest code was mostly a loose association).

Outliers: HDBSCAN leaves about a quarter of a pilot's segments in no topic. Each joins
its nearest topic only if it is as close to that topic's centre as the topic's typical
member (25th percentile of member similarity); the rest stay unassigned (topic -1), so
topics are not diluted and keywords come from the clustered members alone. The warm pass
applies the same rule, since HDBSCAN's `approximate_predict` calls many new points noise.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from analysis.access import Action, require
from analysis.codebook import current_codebook
from analysis.embed import Embedder, embed_texts, participant_segments, text_hash
from analysis.errors import InvalidRequestError, NotFoundError
from analysis.models import Segment
from analysis.storage import Store, now_utc
from analysis.topic_pipeline import (
    DEFAULT_PIPELINE,
    get_pipeline,
    join_outliers,
    library_versions,
    topic_centroids,
)
from analysis.topic_views import (
    OUTLIER,
    Quote,
    TopicRunResult,
    TopicSummary,
    get_topic_run,
    latest_topic_run,
    list_topic_runs,
    propose_topic_as_code,
    representative_quotes,
    save_layout,
    topic_map,
    topic_overview,
    topic_participant_matrix,
)

__all__ = [
    "MATCH_THRESHOLD",
    "MIN_SEGMENTS",
    "OUTLIER",
    "Quote",
    "TopicProgress",
    "TopicRunResult",
    "TopicSummary",
    "corpus_hash",
    "fit_topics",
    "latest_topic_run",
    "list_topic_runs",
    "propose_topic_as_code",
    "topic_map",
    "topic_overview",
    "topic_participant_matrix",
    "update_topics",
]

TopicProgress = Callable[[str, float], None]
MATCH_THRESHOLD = 0.40
MIN_SEGMENTS = 30
CENTROIDS_FILE = "centroids.npz"
EMBED_BATCH = 256


def _report(progress: TopicProgress | None, stage: str, fraction: float) -> None:
    if progress is not None:
        progress(stage, min(max(fraction, 0.0), 1.0))


def corpus_hash(segments: Sequence[Segment]) -> str:
    """A fingerprint of the corpus: the segments' texts, in order."""
    digest = hashlib.sha256()
    for segment in segments:
        digest.update(text_hash(segment.text).encode("ascii"))
    return digest.hexdigest()


def _model_root(store: Store) -> Path:
    """`<db dir>/topic_models/<db name>/`; a temporary folder for an in-memory study."""
    if str(store.path) in (":memory:", ""):
        return Path(tempfile.mkdtemp(prefix="topic-models-"))
    return store.path.parent / "topic_models" / store.path.stem


def _embed(
    store: Store, segments: Sequence[Segment], embedder: Embedder, progress: TopicProgress | None
) -> np.ndarray:
    def on_batch(done: int, total: int) -> None:
        if total:
            _report(
                progress, f"Embedding segments ({done}/{total} new)", 0.05 + 0.45 * done / total
            )

    # Length-sorted batches waste less padding, and batches of 256 mean fewer cache
    # commits than the default 64 (5% faster); the rows are put back in order.
    order = sorted(range(len(segments)), key=lambda i: len(segments[i].text))
    vectors = embed_texts(
        [segments[i].text for i in order],
        embedder=embedder,
        store=store,
        progress=on_batch,
        batch_size=EMBED_BATCH,
    )
    rows = np.empty_like(vectors)
    rows[order] = vectors
    return rows


def _match_codes(
    store: Store, project_id: int, centroids: np.ndarray, embedder: Embedder
) -> list[tuple[str | None, float | None]]:
    """(code key, score) per topic centre; (None, None) when no code reaches the threshold."""
    _, codes = current_codebook(store, project_id)
    if not codes or len(centroids) == 0:
        return [(None, None)] * len(centroids)
    texts = [f"{c.name}. {c.definition} {c.include_rule} {c.example}" for c in codes]
    prototypes = embed_texts(texts, embedder=embedder, store=store)
    similarity = centroids @ prototypes.T
    matches: list[tuple[str | None, float | None]] = []
    for row in similarity:
        best = int(np.argmax(row))
        score = round(float(row[best]), 4)
        matches.append((codes[best].key, score) if score >= MATCH_THRESHOLD else (None, None))
    return matches


def _label(keywords: Sequence[str]) -> str:
    return " · ".join(keywords[:3]) if keywords else "(no keywords)"


def fit_topics(
    store: Store,
    project_id: int,
    *,
    embedder: Embedder,
    actor: str,
    seed: int = 42,
    progress: TopicProgress | None = None,
    pipeline: str = DEFAULT_PIPELINE,
) -> TopicRunResult:
    """Fit topics over the participant segments of cleared transcripts and store the run.

    The same segments, seed and codebook give the same topics and assignments.

    Args:
        store: the open study.
        project_id: the project.
        embedder: the sentence embedder (`load_embedder()`; a fake in tests).
        actor: the user running it (audit log, `created_by`).
        seed: the seed of UMAP (the only random step).
        progress: called with (stage, fraction done) as the run goes.
        pipeline: the versioned name of the topic pipeline.

    Returns:
        The stored run with its topics.

    Raises:
        InvalidRequestError: too few participant segments in cleared transcripts.

    Example:
        >>> run = fit_topics(store, 1, embedder=load_embedder(), actor="lead")
        >>> [(t.label, t.code_key or "emergent") for t in run.topics][:2]
        [('wellbeing · wellbeing service · service', 'registration-gp'),
         ('bad · explaining · wrote', 'emergent')]
    """
    require(store, actor, Action.RUN_TOPICS)
    started = time.perf_counter()
    chosen = get_pipeline(pipeline)
    segments = participant_segments(store, project_id)
    if len(segments) < MIN_SEGMENTS:
        raise InvalidRequestError(
            f"topics need at least {MIN_SEGMENTS} participant segments from transcripts "
            f"that passed the PII review; the study has {len(segments)} (settle findings on "
            "the Review page or with `python -m analysis review`)"
        )
    _report(progress, f"Embedding {len(segments)} segments", 0.02)
    embeddings = _embed(store, segments, embedder, progress)
    params = chosen.params_for(len(segments))
    _report(progress, "Finding topics (UMAP and HDBSCAN)", 0.55)
    fitted = chosen.fit(
        [s.text for s in segments], embeddings, params=params, seed=seed, embedder=embedder
    )
    _report(progress, "Matching topics to the codebook", 0.85)
    topic_nums, centroids, thresholds = topic_centroids(embeddings, fitted.assignments)
    assignments, strengths = join_outliers(
        embeddings,
        fitted.assignments,
        fitted.strengths,
        topics=topic_nums,
        centroids=centroids,
        thresholds=thresholds,
    )
    matches = _match_codes(store, project_id, centroids, embedder)
    topic_rows = [
        {
            "topic_num": num,
            "label": _label(fitted.keywords.get(num, [])),
            "keywords_json": json.dumps(fitted.keywords.get(num, [])),
            "size": int((assignments == num).sum()),
            "matched_code_key": matches[i][0],
            "match_score": matches[i][1],
            "representative_json": json.dumps(
                [
                    asdict(q)
                    for q in representative_quotes(
                        segments,
                        embeddings,
                        np.flatnonzero(fitted.assignments == num),
                        centroids[i],
                    )
                ]
            ),
        }
        for i, num in enumerate(topic_nums)
    ]
    topic_rows.append(
        {
            "topic_num": OUTLIER,
            "label": "Unassigned (outliers)",
            "keywords_json": "[]",
            "size": int((assignments == OUTLIER).sum()),
            "matched_code_key": None,
            "match_score": None,
            "representative_json": "[]",
        }
    )
    _report(progress, "Saving the run", 0.92)
    record = {
        "project_id": project_id,
        "params_json": json.dumps(
            {
                "pipeline": chosen.name,
                **params,
                "match_threshold": MATCH_THRESHOLD,
                "outliers": "join nearest topic at >= its 25th-percentile member similarity",
                "libraries": library_versions(),
            },
            sort_keys=True,
        ),
        "seed": seed,
        "embedding_model": embedder.name,
        "corpus_hash": corpus_hash(segments),
        "segment_count": len(segments),
        "model_path": None,
        "created_by": actor,
        "created_at": now_utc(),
    }
    root = _model_root(store)
    staging = root / f".staging-{uuid.uuid4().hex}"
    chosen.save(fitted.model, staging)
    np.savez(
        staging / CENTROIDS_FILE, topics=topic_nums, centroids=centroids, thresholds=thresholds
    )
    if fitted.layout is not None:
        save_layout(staging, [s.id for s in segments], fitted.layout, seed=seed)
    folder: Path | None = None
    try:
        with store.transaction():
            run_id = store.insert_topic_run(record)
            ids = store.insert_topics(run_id, topic_rows)
            store.insert_segment_topics(
                [
                    {"segment_id": s.id, "topic_id": ids[int(a)], "probability": float(p)}
                    for s, a, p in zip(segments, assignments, strengths, strict=True)
                ]
            )
            folder = root / f"run_{run_id}"
            if folder.exists():  # left by a run whose database row was rolled back
                shutil.rmtree(folder)
            staging.rename(folder)
            store.set_topic_run_model_path(run_id, str(folder))
            store.audit(
                actor=actor,
                action="fit topics",
                table="topic_runs",
                row_id=run_id,
                payload={
                    "pipeline": chosen.name,
                    "segments": len(segments),
                    "topics": len(topic_nums),
                    "seed": seed,
                    "seconds": round(time.perf_counter() - started, 1),
                },
            )
    except BaseException:
        for leftover in (staging, folder):
            if leftover is not None and leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
        raise
    _report(progress, f"Done: {len(topic_nums)} topics", 1.0)
    return topic_overview(store, run_id)


def update_topics(
    store: Store,
    project_id: int,
    run_id: int,
    *,
    embedder: Embedder,
    actor: str,
    progress: TopicProgress | None = None,
) -> TopicRunResult:
    """Place segments that are new since the run (new or re-segmented cleared transcripts)
    into its topics with the saved model, without refitting; stores their assignments.

    Raises:
        NotFoundError: no such run in this project, or its saved model is gone.
        InvalidRequestError: the run was made with another embedding model.

    Example:
        >>> update_topics(store, 1, run.run_id, embedder=load_embedder(), actor="lead").placed
        123
    """
    require(store, actor, Action.RUN_TOPICS)
    run = get_topic_run(store, project_id, run_id)
    if run["embedding_model"] != embedder.name:
        raise InvalidRequestError(
            f"topic run {run_id} used {run['embedding_model']}, not {embedder.name}"
        )
    folder = Path(run["model_path"] or "")
    if not run["model_path"] or not (folder / CENTROIDS_FILE).exists():
        raise NotFoundError(
            f"the saved model of topic run {run_id} is missing ({folder}); run topics again"
        )
    assigned = {row["segment_id"] for row in store.list_segment_topics(run_id)}
    new = [s for s in participant_segments(store, project_id) if s.id not in assigned]
    if not new:
        _report(progress, "No new segments to place", 1.0)
        return topic_overview(store, run_id)
    _report(progress, f"Embedding {len(new)} new segments", 0.05)
    embeddings = _embed(store, new, embedder, progress)
    _report(progress, f"Placing {len(new)} segments in the saved topics", 0.6)
    pipeline = get_pipeline(run["params"].get("pipeline", DEFAULT_PIPELINE))
    predicted, strengths = pipeline.place(
        folder, [s.text for s in new], embeddings, embedder=embedder
    )
    saved = np.load(folder / CENTROIDS_FILE)
    assignments, strengths = join_outliers(
        embeddings,
        predicted,
        strengths,
        topics=[int(t) for t in saved["topics"]],
        centroids=saved["centroids"],
        thresholds=saved["thresholds"],
    )
    ids = {t["topic_num"]: t["id"] for t in store.list_topics(run_id)}
    with store.transaction():
        store.insert_segment_topics(
            [
                {
                    "segment_id": s.id,
                    "topic_id": ids.get(int(a), ids[OUTLIER]),
                    "probability": float(p),
                }
                for s, a, p in zip(new, assignments, strengths, strict=True)
            ]
        )
        store.refresh_topic_sizes(run_id)
        store.audit(
            actor=actor,
            action="place new segments",
            table="topic_runs",
            row_id=run_id,
            payload={"segments": len(new), "outliers": int((assignments == OUTLIER).sum())},
        )
    _report(progress, f"Placed {len(new)} new segments", 1.0)
    result = topic_overview(store, run_id)
    return replace(result, placed=len(new))
