"""Code suggestions: for each participant segment, the codes whose examples it is most like.

Each code has a prototype built from its description (name, definition, when to use,
example) and from the segments already coded with it; segments whose suggestion a coder
rejected pull it away. A segment's score for a code mixes its similarity to the
prototype with its similarity to the nearest coded example, so a code used in two
different ways is still found. Suggestions are only ever offered: a person accepts or
rejects each one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from analysis.embed import Embedder, embed_texts

SUGGESTER_NAME = "suggest.prototypes.v1"
TOP_K = 3
POSITIVE_WEIGHT = 1.0  # weight of the mean of many coded examples against the description
POSITIVE_HALF = 3  # with this many examples they count half as much as with very many
NEGATIVE_WEIGHT = 0.3  # pull away from rejected suggestions
NEAREST_WEIGHT = 0.1  # share of the score from the nearest coded example


@dataclass(frozen=True)
class CodeExamples:
    """What is known about one code: its description texts and example segments."""

    key: str
    descriptions: tuple[str, ...]
    positives: tuple[str, ...] = ()
    negatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class CodedPassage:
    """A passage coded by people (for evaluating suggestions)."""

    document: str
    text: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class SuggestionQuality:
    """How often the top suggestions contain a human code, against always suggesting the
    most frequent codes."""

    passages: int
    codes: int
    hit_at_1: float
    hit_at_3: float
    frequency_baseline_hit_at_1: float
    frequency_baseline_hit_at_3: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


class Suggester:
    """Scores segments against codes; build with `Suggester.build`."""

    def __init__(
        self,
        keys: Sequence[str],
        prototypes: np.ndarray,
        examples: Sequence[np.ndarray],
    ) -> None:
        self.keys = tuple(keys)
        self.prototypes = prototypes
        self.examples = list(examples)

    @classmethod
    def build(
        cls,
        codes: Sequence[CodeExamples],
        *,
        embedder: Embedder,
        vectors: dict[str, np.ndarray] | None = None,
    ) -> Suggester:
        """Prototypes for `codes`; `vectors` maps texts already embedded to their rows."""
        known = dict(vectors or {})
        wanted = [t for c in codes for t in (*c.descriptions, *c.positives, *c.negatives)]
        missing = list(dict.fromkeys(t for t in wanted if t not in known))
        if missing:
            known.update(zip(missing, embed_texts(missing, embedder=embedder), strict=True))
        prototypes, examples = [], []
        for code in codes:
            prototype = _unit(_mean([known[t] for t in code.descriptions]))
            positives = np.array([known[t] for t in code.positives], dtype=np.float32)
            if len(positives):
                # Few examples say little about a code; many say more than its description.
                weight = POSITIVE_WEIGHT * len(positives) / (len(positives) + POSITIVE_HALF)
                prototype = prototype + weight * _unit(positives.mean(axis=0))
            if code.negatives:
                prototype = prototype - NEGATIVE_WEIGHT * _unit(
                    _mean([known[t] for t in code.negatives])
                )
            prototypes.append(_unit(prototype))
            examples.append(positives.reshape(-1, prototype.shape[0]))
        return cls([c.key for c in codes], np.array(prototypes, dtype=np.float32), examples)

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        """Score of every segment (row) for every code (column), about -1 to 1."""
        base = vectors @ self.prototypes.T
        nearest = np.array(
            [
                (vectors @ ex.T).max(axis=1) if len(ex) else base[:, column]
                for column, ex in enumerate(self.examples)
            ],
            dtype=np.float32,
        ).T.reshape(base.shape)
        return (1 - NEAREST_WEIGHT) * base + NEAREST_WEIGHT * nearest

    def top(self, vectors: np.ndarray, k: int = TOP_K) -> list[list[tuple[str, float]]]:
        """The `k` best codes for each segment, best first (ties by codebook order)."""
        scores = self.scores(vectors)
        ranked = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return [
            [(self.keys[j], round(float(scores[i, j]), 4)) for j in row]
            for i, row in enumerate(ranked)
        ]


def _mean(rows: Sequence[np.ndarray]) -> np.ndarray:
    return np.asarray(rows, dtype=np.float32).mean(axis=0)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def _hit(suggested: Sequence[str], codes: Sequence[str]) -> bool:
    return bool(set(suggested) & set(codes))


def evaluate_suggestions(
    passages: Sequence[CodedPassage],
    codebook: Sequence[tuple[str, str]],
    *,
    embedder: Embedder,
) -> SuggestionQuality:
    """Leave-one-document-out hit@1 and hit@3 of suggestions against human codes.

    For each document, prototypes come from the codebook descriptions and the passages
    of the other documents only; the baseline suggests the codes most frequent in the
    other documents.

    Example:
        >>> evaluate_suggestions(passages, [("waits", "Waiting times")], embedder=e).hit_at_1
    """
    descriptions = {code: description or code for code, description in codebook}
    keys = list(descriptions)
    texts = list(dict.fromkeys([*descriptions.values(), *(p.text for p in passages)]))
    vectors = dict(zip(texts, embed_texts(texts, embedder=embedder), strict=True))
    documents = list(dict.fromkeys(p.document for p in passages))
    hits = Counter[str]()
    for document in documents:
        training = [p for p in passages if p.document != document]
        testing = [p for p in passages if p.document == document]
        codes = [
            CodeExamples(
                key,
                (descriptions[key],),
                tuple(p.text for p in training if key in p.codes),
            )
            for key in keys
        ]
        suggester = Suggester.build(codes, embedder=embedder, vectors=vectors)
        suggestions = suggester.top(np.array([vectors[p.text] for p in testing]), k=3)
        frequency = Counter(code for p in training for code in p.codes if code in descriptions)
        baseline = sorted(keys, key=lambda key: (-frequency[key], keys.index(key)))
        for passage, suggested in zip(testing, suggestions, strict=True):
            top = [key for key, _ in suggested]
            hits["at_1"] += _hit(top[:1], passage.codes)
            hits["at_3"] += _hit(top[:3], passage.codes)
            hits["base_1"] += _hit(baseline[:1], passage.codes)
            hits["base_3"] += _hit(baseline[:3], passage.codes)
    total = max(1, len(passages))
    return SuggestionQuality(
        passages=len(passages),
        codes=len(keys),
        hit_at_1=round(hits["at_1"] / total, 4),
        hit_at_3=round(hits["at_3"] / total, 4),
        frequency_baseline_hit_at_1=round(hits["base_1"] / total, 4),
        frequency_baseline_hit_at_3=round(hits["base_3"] / total, 4),
    )
