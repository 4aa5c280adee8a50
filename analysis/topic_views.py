"""Reading stored topic runs: overviews, a 2-D map, topics x participants, proposals.

The cold and warm passes that make the runs are in `analysis.topics`, which re-exports
everything here.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.codebook import CodeSpec, current_codebook, save_code, slugify
from analysis.embed import text_hash
from analysis.errors import InvalidRequestError, NotFoundError
from analysis.models import Segment
from analysis.storage import Store
from analysis.topic_pipeline import DEFAULT_PIPELINE

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

OUTLIER = -1
QUOTES = 5
MAP_FILE = "map.npz"


@dataclass(frozen=True)
class Quote:
    segment_id: int
    transcript_id: int
    text: str


@dataclass(frozen=True)
class TopicSummary:
    """One topic of a run: what a coder sees."""

    topic_num: int
    label: str
    keywords: tuple[str, ...]
    size: int
    code_key: str | None
    score: float | None
    quotes: tuple[Quote, ...]
    code_name: str | None = None
    proposed_as: str | None = None

    @property
    def is_emergent(self) -> bool:
        return self.code_key is None


@dataclass(frozen=True)
class TopicRunResult:
    """A stored topic run and its topics (outliers counted, not listed)."""

    run_id: int
    pipeline: str
    seed: int
    embedding_model: str
    created_at: str
    created_by: str
    segment_count: int
    corpus_hash: str
    model_path: str | None
    params: dict[str, Any]
    topics: tuple[TopicSummary, ...]
    outliers: int = 0
    placed: int = field(default=0, compare=False)

    @property
    def emergent(self) -> tuple[TopicSummary, ...]:
        return tuple(t for t in self.topics if t.is_emergent)


def get_topic_run(store: Store, project_id: int, run_id: int) -> dict[str, Any]:
    """The stored run record (with `params`) of this project.

    Raises:
        NotFoundError: no such run in this project.
    """
    run = store.get_topic_run(run_id)
    if run is None or run["project_id"] != project_id:
        raise NotFoundError(f"topic run {run_id} does not exist")
    return run


def list_topic_runs(store: Store, project_id: int) -> list[dict[str, Any]]:
    """The project's runs, newest first: id, date, who, seed, pipeline, segments."""
    return [
        {
            "id": r["id"],
            "created_at": r["created_at"],
            "created_by": r["created_by"],
            "seed": r["seed"],
            "pipeline": r["params"].get("pipeline", DEFAULT_PIPELINE),
            "embedding_model": r["embedding_model"],
            "segment_count": r["segment_count"],
            "corpus_hash": r["corpus_hash"],
        }
        for r in store.list_topic_runs(project_id)
    ]


def latest_topic_run(store: Store, project_id: int) -> TopicRunResult | None:
    """The project's newest topic run, or None before the first."""
    runs = store.list_topic_runs(project_id)
    return topic_overview(store, runs[0]["id"]) if runs else None


def topic_overview(store: Store, run_id: int) -> TopicRunResult:
    """A stored run: topics by size with keywords, matched code (or emergent) and quotes.

    Raises:
        NotFoundError: no such run.
    """
    run = store.get_topic_run(run_id)
    if run is None:
        raise NotFoundError(f"topic run {run_id} does not exist")
    _, codes = current_codebook(store, run["project_id"])
    names = {c.key: c.name for c in codes}
    proposals = store.list_topic_proposals(run_id)
    rows = store.list_topics(run_id)
    topics = [
        TopicSummary(
            topic_num=row["topic_num"],
            label=row["label"],
            keywords=tuple(row["keywords"]),
            size=row["size"],
            code_key=row["matched_code_key"],
            score=row["match_score"],
            quotes=tuple(Quote(**q) for q in row["representative"]),
            code_name=names.get(row["matched_code_key"] or ""),
            proposed_as=proposals.get(row["topic_num"], {}).get("code_key"),
        )
        for row in rows
        if row["topic_num"] != OUTLIER
    ]
    return TopicRunResult(
        run_id=run["id"],
        pipeline=run["params"].get("pipeline", DEFAULT_PIPELINE),
        seed=run["seed"],
        embedding_model=run["embedding_model"],
        created_at=run["created_at"],
        created_by=run["created_by"],
        segment_count=run["segment_count"],
        corpus_hash=run["corpus_hash"],
        model_path=run["model_path"],
        params=run["params"],
        topics=tuple(sorted(topics, key=lambda t: (-t.size, t.topic_num))),
        outliers=sum(r["size"] for r in rows if r["topic_num"] == OUTLIER),
    )


def representative_quotes(
    segments: Sequence[Segment], embeddings: np.ndarray, members: np.ndarray, centre: np.ndarray
) -> list[Quote]:
    """Up to five members nearest the centre: at most two per transcript, and sentences of
    five words or more first, so the quotes show the topic across interviews."""
    similarity = embeddings[members] @ centre
    ranked = [int(members[i]) for i in sorted(range(len(members)), key=lambda i: -similarity[i])]
    picked: list[int] = []
    per_transcript: dict[int, int] = {}
    for wordy_only in (True, False):
        for index in ranked:
            segment = segments[index]
            if index in picked or len(picked) == QUOTES:
                continue
            if wordy_only and (
                len(segment.text.split()) < 5 or per_transcript.get(segment.transcript_id, 0) >= 2
            ):
                continue
            picked.append(index)
            per_transcript[segment.transcript_id] = per_transcript.get(segment.transcript_id, 0) + 1
    return [Quote(segments[i].id, segments[i].transcript_id, segments[i].text) for i in picked]


def save_layout(folder: Path, segment_ids: Sequence[int], layout: np.ndarray, *, seed: int) -> None:
    """Keep 2-D map coordinates of a run's segments: a seeded PCA of the reduced space the
    topics were found in, where topics stand apart (a PCA of the raw embeddings is a blob)."""
    from sklearn.decomposition import PCA

    points = PCA(n_components=2, random_state=seed).fit_transform(layout)
    np.savez(folder / MAP_FILE, segment_ids=np.asarray(segment_ids), xy=points.astype(np.float32))


def _saved_layout(model_path: str | None) -> tuple[dict[int, int], np.ndarray]:
    """Saved map coordinates: segment id -> row of the returned (n, 2) array."""
    path = Path(model_path or "") / MAP_FILE
    if not model_path or not path.exists():
        return {}, np.zeros((0, 2), dtype=np.float32)
    saved = np.load(path)
    ids = [int(i) for i in saved["segment_ids"].tolist()]
    return {segment_id: row for row, segment_id in enumerate(ids)}, saved["xy"]


MAP_POINTS = 5000


def map_sample(
    segment_ids: Sequence[int], topics: Sequence[int], limit: int, *, seed: int
) -> list[int]:
    """At most `limit` segment ids, each topic keeping its share (at least one point), the
    same ones every time for a run's seed: a map of 85,000 points is slow to draw and no
    easier to read than one of 5,000."""
    if len(segment_ids) <= limit:
        return list(segment_ids)
    by_topic: dict[int, list[int]] = {}
    for segment_id, topic in zip(segment_ids, topics, strict=True):
        by_topic.setdefault(topic, []).append(segment_id)
    chooser = random.Random(seed)
    chosen: list[int] = []
    for topic in sorted(by_topic):
        members = by_topic[topic]
        share = max(1, round(limit * len(members) / len(segment_ids)))
        chosen.extend(chooser.sample(members, min(share, len(members))))
    return sorted(chosen)


def topic_map(store: Store, run_id: int, *, limit: int | None = MAP_POINTS) -> pd.DataFrame:
    """2-D coordinates of the assigned segments (all, or a sample of about `limit` in each
    topic's proportion), with topic, label, participant and text, for a scatter plot.
    Segments of the fit keep their saved coordinates; segments placed later sit at the
    mean of their five nearest fitted neighbours (cosine similarity of embeddings).
    Without saved coordinates, a seeded PCA of the embeddings is used
    (`attrs["projection"]` says which; `attrs["assigned"]` counts every assigned segment).
    Segments whose embedding is gone are left out."""
    import pandas as pd

    run = store.get_topic_run(run_id)
    if run is None:
        raise NotFoundError(f"topic run {run_id} does not exist")
    labels = {t["topic_num"]: t["label"] for t in store.list_topics(run_id)}
    assigned, topic_nums = store.topic_assignments(run_id)
    sample = None
    if limit is not None and len(assigned) > limit:
        sample = map_sample(assigned, topic_nums, limit, seed=run["seed"] or 0)
    table = store.topic_segment_columns(run_id, sample)
    saved, xy = _saved_layout(run["model_path"])
    hashes = [text_hash(text) for text in table["text"]]
    # Which embeddings are still there is read from the index alone; the vectors (1.5 KB
    # each) are loaded only when a segment must be placed, or for the PCA fallback.
    present = store.embedded_hashes(run["embedding_model"], hashes)
    kept = [i for i, h in enumerate(hashes) if h in present]
    ids = [table["segment_id"][i] for i in kept]
    where = [saved.get(i, -1) for i in ids]
    if len(kept) >= 5 and min(where) >= 0:
        points: np.ndarray = xy[np.asarray(where)]
        projection = "topic space"
    else:
        cached = store.cached_embeddings(run["embedding_model"], [hashes[i] for i in kept])
        kept = [i for i in kept if hashes[i] in cached]
        if len(kept) < 3:
            return pd.DataFrame(columns=_MAP_COLUMNS)
        ids = [table["segment_id"][i] for i in kept]
        vectors = np.vstack([np.frombuffer(cached[hashes[i]], dtype=np.float32) for i in kept])
        points, projection = _placed(ids, vectors, saved, xy, seed=run["seed"])
    topics = [table["topic_num"][i] for i in kept]
    frame = pd.DataFrame(
        {
            "segment_id": ids,
            "x": [round(x, 4) for x in points[:, 0].tolist()],
            "y": [round(y, 4) for y in points[:, 1].tolist()],
            "topic": topics,
            "label": [labels.get(topic, "") for topic in topics],
            "participant": [table["participant"][i] for i in kept],
            "text": [table["text"][i] for i in kept],
        },
        columns=_MAP_COLUMNS,
    )
    frame.attrs["projection"] = projection
    frame.attrs["assigned"] = len(assigned)
    return frame


_MAP_COLUMNS = ["segment_id", "x", "y", "topic", "label", "participant", "text"]


def _placed(
    ids: Sequence[int], vectors: np.ndarray, saved: dict[int, int], xy: np.ndarray, *, seed: int
) -> tuple[np.ndarray, str]:
    """Map points when some segment has no saved coordinates: near its fitted neighbours,
    or a PCA of all when fewer than five have saved coordinates."""
    from sklearn.decomposition import PCA

    known = np.array([i in saved for i in ids])
    if known.sum() < 5:
        return PCA(n_components=2, random_state=seed).fit_transform(vectors), "pca"
    points = np.zeros((len(ids), 2), dtype=np.float32)
    points[known] = xy[[saved[i] for i in ids if i in saved]]
    if not known.all():
        similarity = vectors[~known] @ vectors[known].T
        nearest = np.argsort(-similarity, axis=1, kind="stable")[:, :5]
        points[~known] = points[known][nearest].mean(axis=1)
    return points, "topic space"


def topic_participant_matrix(store: Store, run_id: int) -> pd.DataFrame:
    """Segments per topic (rows, by topic number; outliers left out) and participant
    pseudonym (columns)."""
    import pandas as pd

    # Counted in SQL: the segments' texts are not needed here.
    counts = [row for row in store.topic_participant_counts(run_id) if row[0] != OUTLIER]
    if not counts:
        return pd.DataFrame()
    frame = pd.DataFrame(counts, columns=["topic", "participant", "segments"])
    matrix = (
        frame.pivot(index="topic", columns="participant", values="segments")
        .sort_index()
        .sort_index(axis=1)
        .fillna(0)
        .astype("int64")
    )
    matrix.index.name = "topic"
    matrix.columns.name = "participant"
    return matrix


def propose_topic_as_code(
    store: Store,
    project_id: int,
    run_id: int,
    topic_num: int,
    *,
    actor: str,
    name: str | None = None,
) -> CodeSpec:
    """Propose an emergent topic as a new code (status "proposed") in a new codebook
    version, with its keywords in the definition and its best quote as the example.

    Raises:
        NotFoundError: no such run or topic. InvalidRequestError: the topic matches a
            code already, or was proposed before.

    Example:
        >>> propose_topic_as_code(store, 1, 3, 7, actor="sam.coder", name="Pets").key
        'pets'
    """
    get_topic_run(store, project_id, run_id)
    topic = next(
        (t for t in topic_overview(store, run_id).topics if t.topic_num == topic_num), None
    )
    if topic is None:
        raise NotFoundError(f"topic run {run_id} has no topic {topic_num}")
    if not topic.is_emergent:
        raise InvalidRequestError(f"topic {topic_num} already matches code '{topic.code_key}'")
    if topic.proposed_as:
        raise InvalidRequestError(
            f"topic {topic_num} was already proposed as code '{topic.proposed_as}'"
        )
    title = (name or "").strip() or "Emergent: " + ", ".join(topic.keywords[:3] or ["topic"])
    _, codes = current_codebook(store, project_id)
    taken = {c.key for c in codes}
    key = base = slugify(title) or f"topic-{topic_num}"
    suffix = 2
    while key in taken:
        key, suffix = f"{base}-{suffix}", suffix + 1
    spec = CodeSpec(
        key=key,
        name=title,
        definition=(
            f"Candidate code from topic {topic_num} of topic run {run_id}: "
            f"participants talking about {', '.join(topic.keywords[:6])}."
        ),
        include="Segments like the topic's representative quotes; review before use.",
        example=topic.quotes[0].text if topic.quotes else "",
        status="proposed",
    )
    topic_id = next(t["id"] for t in store.list_topics(run_id) if t["topic_num"] == topic_num)
    with store.transaction():
        save_code(store, project_id, spec, actor=actor)
        store.audit(
            actor=actor,
            action="propose topic as code",
            table="topics",
            row_id=topic_id,
            payload={"code_key": key, "topic_run_id": run_id, "topic_num": topic_num},
        )
    return spec
