"""The topic pipeline `topics.default.v1`: BERTopic over precomputed sentence embeddings.

UMAP (seeded) reduces the embeddings to five dimensions, HDBSCAN finds dense groups,
and c-TF-IDF over the group members gives each topic its keywords. The parameters adapt
to the size of the corpus (`adapt_params`), so a five-interview pilot and a hundred
interviews both come out with a few dozen topics. A fitted model is saved (pickle,
without the embedding model) so new segments can be placed later with the model's own
`transform`, without refitting UMAP.

The pipeline is swappable: `fit_topics` looks it up by the versioned name stored with
each run (`PIPELINES`), so a changed pipeline gets a new name and old runs stay
reproducible. BERTopic, UMAP, HDBSCAN and scikit-learn are imported only when used.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from analysis.embed import Embedder
from analysis.errors import NotFoundError

DEFAULT_PIPELINE = "topics.default.v1"
MODEL_FILE = "model.pickle"
# Interview talk: fillers and contractions' leftovers say nothing about a topic.
_SPOKEN = (
    "yeah", "yes", "um", "uh", "erm", "er", "hmm", "mm", "like", "just", "really", "kind",
    "sort", "know", "think", "mean", "got", "get", "bit", "lot", "lots", "thing", "things",
    "stuff", "okay", "ok", "oh", "laughs", "laughing", "actually", "maybe", "quite",
    "pretty", "gonna", "wanna", "gotta", "don", "didn", "doesn", "isn", "wasn", "weren",
    "aren", "couldn", "wouldn", "shouldn", "haven", "hasn", "ve", "ll", "re", "going",
    "went", "say", "said", "says", "saying", "probably", "basically", "literally",
    "obviously", "guess", "right",
)  # fmt: skip
SPOKEN_STOP_WORDS = frozenset(_SPOKEN)
# Words of letters only (two or more): keeps `[PERSON_3]` placeholders and numbers out.
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"


@dataclass(frozen=True)
class TopicParams:
    """The knobs of `topics.default.v1`, as stored with each run."""

    n_neighbors: int
    n_components: int
    min_dist: float
    min_cluster_size: int
    min_samples: int
    min_df: int
    ngram_range: tuple[int, int]
    top_n_words: int

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["ngram_range"] = list(self.ngram_range)
        return values


def adapt_params(n_segments: int) -> TopicParams:
    """Parameters for a corpus of `n_segments` participant segments.

    - `min_cluster_size` ~ n // 100, at least 5 and at most 100: BERTopic's fixed 10
      splits 5,000 segments into ~200 topics and 20,000 into ~800; n // 100 keeps a few
      dozen at any size, which a coder can read through.
    - `min_samples` = min_cluster_size (HDBSCAN's default) up to 20: half of it gave the
      demo study 33 smaller, vaguer topics instead of 26; the cap keeps outliers and the
      core-distance search in check on large corpora.
    - `n_neighbors` 15 (UMAP's default) unless the corpus is tiny (then n // 10); UMAP's
      own epoch schedule is kept (200 epochs gave unstable topics on the pilot).
    - `min_df` counts topics (c-TF-IDF joins each topic's segments into one document):
      1 below 5,000 segments, where a topic's own words matter; 2 from 5,000, which drops
      one-off bigrams from a large vocabulary.

    Example:
        >>> adapt_params(712).min_cluster_size
        7
    """
    min_cluster_size = int(np.clip(n_segments // 100, 5, 100))
    return TopicParams(
        n_neighbors=int(np.clip(n_segments // 10, 2, 15)),
        n_components=5,
        min_dist=0.0,
        min_cluster_size=min_cluster_size,
        min_samples=min(min_cluster_size, 20),
        min_df=1 if n_segments < 5000 else 2,
        ngram_range=(1, 2),
        top_n_words=10,
    )


@dataclass(frozen=True)
class FittedTopics:
    """What a fit gives back: a topic number per document (-1: outlier), the clusterer's
    membership strength per document, each topic's keywords (best first) and, if the
    pipeline has one, the reduced space the clusters were found in (one row per document)."""

    model: Any
    assignments: np.ndarray
    strengths: np.ndarray
    keywords: dict[int, list[str]]
    layout: np.ndarray | None = None


class TopicPipeline(Protocol):
    """A swappable topic pipeline, known by a versioned name."""

    name: str

    def params_for(self, n_segments: int) -> dict[str, Any]: ...

    def fit(
        self,
        docs: Sequence[str],
        embeddings: np.ndarray,
        *,
        params: dict[str, Any],
        seed: int,
        embedder: Embedder,
    ) -> FittedTopics: ...

    def save(self, model: Any, folder: Path) -> None: ...

    def place(
        self, folder: Path, docs: Sequence[str], embeddings: np.ndarray, *, embedder: Embedder
    ) -> tuple[np.ndarray, np.ndarray]: ...


def _bertopic_backend(embedder: Embedder) -> Any:
    """Our embedder in BERTopic's backend shape (only used if BERTopic embeds anything
    itself; documents always come with precomputed embeddings)."""
    from bertopic.backend import BaseEmbedder

    class _Backend(BaseEmbedder):
        def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
            return embedder.encode(documents)

    return _Backend()


def library_versions() -> dict[str, str]:
    """Versions of the libraries a run depends on (stored with it, for reproducing it)."""
    names = ("bertopic", "umap-learn", "hdbscan", "scikit-learn", "numpy")
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


class DefaultPipeline:
    """`topics.default.v1`: seeded UMAP + HDBSCAN + c-TF-IDF keywords, via BERTopic."""

    name = DEFAULT_PIPELINE

    def params_for(self, n_segments: int) -> dict[str, Any]:
        return adapt_params(n_segments).as_dict()

    def fit(
        self,
        docs: Sequence[str],
        embeddings: np.ndarray,
        *,
        params: dict[str, Any],
        seed: int,
        embedder: Embedder,
    ) -> FittedTopics:
        from bertopic import BERTopic
        from bertopic.vectorizers import ClassTfidfTransformer
        from hdbscan import HDBSCAN
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
        from umap import UMAP

        model = BERTopic(
            embedding_model=_bertopic_backend(embedder),
            umap_model=UMAP(
                n_neighbors=params["n_neighbors"],
                n_components=params["n_components"],
                min_dist=params["min_dist"],
                metric="cosine",
                low_memory=False,
                random_state=seed,
            ),
            hdbscan_model=HDBSCAN(
                min_cluster_size=params["min_cluster_size"],
                min_samples=params["min_samples"],
                metric="euclidean",
                cluster_selection_method="eom",
                prediction_data=True,
                # Its joblib workers cost more than they save here (20k: 2.7 s vs 0.6 s).
                core_dist_n_jobs=1,
            ),
            vectorizer_model=CountVectorizer(
                stop_words=sorted(ENGLISH_STOP_WORDS | SPOKEN_STOP_WORDS),
                ngram_range=tuple(params["ngram_range"]),
                min_df=params["min_df"],
                token_pattern=TOKEN_PATTERN,
            ),
            ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
            top_n_words=params["top_n_words"],
            calculate_probabilities=False,
        )
        with warnings.catch_warnings():
            # UMAP says that a seed turns off its parallelism: that is the point.
            warnings.filterwarnings("ignore", message=".*random_state.*")
            assignments, strengths = model.fit_transform(list(docs), embeddings=embeddings)
        keywords = {
            int(topic): [word for word, _ in (model.get_topic(topic) or []) if word]
            for topic in sorted(set(assignments))
        }
        return FittedTopics(
            model,
            np.asarray(assignments, dtype=int),
            np.asarray(strengths, dtype=float),
            keywords,
            np.asarray(model.umap_model.embedding_, dtype=np.float32),
        )

    def save(self, model: Any, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        # BERTopic logs a warning on every pickle save; the run records library versions.
        log = logging.getLogger("BERTopic")
        level = log.level
        log.setLevel(logging.ERROR)
        try:
            model.save(str(folder / MODEL_FILE), serialization="pickle", save_embedding_model=False)
        finally:
            log.setLevel(level)

    def place(
        self, folder: Path, docs: Sequence[str], embeddings: np.ndarray, *, embedder: Embedder
    ) -> tuple[np.ndarray, np.ndarray]:
        from bertopic import BERTopic

        model = BERTopic.load(str(folder / MODEL_FILE), embedding_model=_bertopic_backend(embedder))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assignments, strengths = model.transform(list(docs), embeddings=embeddings)
        return np.asarray(assignments, dtype=int), np.asarray(strengths, dtype=float)


PIPELINES: dict[str, TopicPipeline] = {DEFAULT_PIPELINE: DefaultPipeline()}


def get_pipeline(name: str) -> TopicPipeline:
    """The pipeline registered under `name`.

    Raises:
        NotFoundError: no pipeline of that name (a run made by another version of the code).
    """
    if name not in PIPELINES:
        raise NotFoundError(f"no topic pipeline named '{name}' (known: {', '.join(PIPELINES)})")
    return PIPELINES[name]


# -- pure numpy helpers shared by the cold and the warm pass ------------------------------


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def topic_centroids(
    embeddings: np.ndarray, assignments: np.ndarray
) -> tuple[list[int], np.ndarray, np.ndarray]:
    """(topic numbers, unit centroid per topic, joining threshold per topic).

    A topic's threshold is the 25th percentile of its own members' cosine similarity to
    its centroid: an outlier at least that close sits among the topic's members.
    """
    topics = sorted(int(t) for t in set(assignments.tolist()) if t >= 0)
    if not topics:
        return [], np.zeros((0, embeddings.shape[1]), np.float32), np.zeros(0)
    centroids = unit_rows(np.vstack([embeddings[assignments == t].mean(axis=0) for t in topics]))
    thresholds = np.array(
        [
            float(np.quantile(embeddings[assignments == t] @ centroids[i], 0.25))
            for i, t in enumerate(topics)
        ]
    )
    return topics, centroids.astype(np.float32), thresholds


def join_outliers(
    embeddings: np.ndarray,
    assignments: np.ndarray,
    strengths: np.ndarray,
    *,
    topics: Sequence[int],
    centroids: np.ndarray,
    thresholds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Outliers (-1) join their nearest topic when they are as close to its centre as its
    typical member; the rest stay outliers. Joined segments get their cosine similarity
    as strength. Returns new (assignments, strengths)."""
    assignments = assignments.copy()
    strengths = strengths.copy()
    outliers = np.flatnonzero(assignments < 0)
    if len(outliers) == 0 or len(topics) == 0:
        return assignments, strengths
    similarity = embeddings[outliers] @ centroids.T
    nearest = similarity.argmax(axis=1)
    best = similarity[np.arange(len(outliers)), nearest]
    joins = best >= thresholds[nearest]
    assignments[outliers[joins]] = np.asarray(topics)[nearest[joins]]
    strengths[outliers[joins]] = best[joins]
    return assignments, strengths
