"""Combine the recognisers into one list of findings, minus what the allow-list says.

Overlaps are settled in one place: spans of the same label merge; otherwise the
structured identifier (email, web address, phone...) wins over a name found inside it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.pii.names import find_person_names, find_speaker_names
from analysis.pii.patterns import RECOGNISERS, Candidate, find_student_ids

if TYPE_CHECKING:
    from spacy.language import Language

LABELS = (
    "PERSON", "EMAIL", "PHONE", "POSTCODE", "STUDENT_ID", "NHS_NUMBER", "DATE", "ADDRESS",
    "HANDLE", "URL",
)  # fmt: skip
CONFIDENT = 0.8
_PRIORITY = {
    "EMAIL": 0, "URL": 1, "HANDLE": 2, "PHONE": 3, "NHS_NUMBER": 4, "POSTCODE": 5,
    "STUDENT_ID": 6, "DATE": 7, "ADDRESS": 8, "PERSON": 8,
}  # fmt: skip
_STARTER_ALLOW_LIST = Path(__file__).resolve().parent / "data" / "starter_allow_list.txt"
_PLACEHOLDER = re.compile(
    r"\[[A-Za-z_ ]+(?:_\d+)?\]|\b(?:P|Participant|Interviewer|Speaker)\s?\d{1,3}\b"
)


@dataclass(frozen=True)
class Finding:
    """A possible identifier: `text[start:end]`, its label and how sure we are (0-1)."""

    start: int
    end: int
    label: str
    text: str
    score: float
    source: str


def starter_allow_list() -> list[str]:
    """Terms that are never personal in this domain (services, placeholders)."""
    lines = _STARTER_ALLOW_LIST.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=32)
def _allow_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    if not terms:
        return None
    # Whitespace in a term matches any run of whitespace (captions wrap lines).
    alternatives = "|".join(
        r"\s+".join(re.escape(word) for word in term.split())
        for term in sorted(terms, key=len, reverse=True)
    )
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _allowed_spans(text: str, terms: tuple[str, ...]) -> list[tuple[int, int]]:
    pattern = _allow_pattern(terms)
    spans = [m.span() for m in pattern.finditer(text)] if pattern else []
    return spans + [m.span() for m in _PLACEHOLDER.finditer(text)]


def _settle(candidates: list[Candidate]) -> list[Candidate]:
    """Merge same-label overlaps; between labels keep the structured one, then the surer."""
    ordered = sorted(candidates, key=lambda c: (c.start, -c.end))
    merged: list[Candidate] = []
    for cand in ordered:
        if merged and merged[-1].label == cand.label and cand.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Candidate(
                last.start, max(last.end, cand.end), last.label, max(last.score, cand.score),
                last.source if last.score >= cand.score else cand.source,
            )  # fmt: skip
        else:
            merged.append(cand)
    chosen: list[Candidate] = []
    for cand in sorted(merged, key=lambda c: (_PRIORITY[c.label], -c.score, c.start - c.end)):
        if all(cand.end <= kept.start or cand.start >= kept.end for kept in chosen):
            chosen.append(cand)
    return sorted(chosen, key=lambda c: c.start)


NER_MODEL_ENV = "STUDY_NER_MODEL"
_ENGLISH_PIPELINES = ("en_core_web_trf", "en_core_web_lg", "en_core_web_md", "en_core_web_sm")


@lru_cache(maxsize=4)
def _trained_pipeline(name: str) -> Language | None:
    """A trained spaCy pipeline by package name or path, if one is there to load.

    `auto` takes the largest installed `en_core_web_*`; `none` turns this off. Nothing
    depends on it: without a trained pipeline the rule-based recognisers do the work.
    """
    if name.lower() in ("", "none", "off"):
        return None
    from analysis.segment import import_spacy_without_torch

    import_spacy_without_torch()
    import spacy

    if name.lower() == "auto":
        installed = [p for p in _ENGLISH_PIPELINES if spacy.util.is_package(p)]
        if not installed:
            return None
        name = installed[0]
    try:
        return spacy.load(name, exclude=["lemmatizer", "textcat"])
    except (OSError, ValueError):
        return None


def _model_people(text: str, model: str) -> list[Candidate]:
    nlp = _trained_pipeline(model)
    if nlp is None or ("ner" not in nlp.pipe_names and "entity_ruler" not in nlp.pipe_names):
        return []
    return [
        Candidate(ent.start_char, ent.end_char, "PERSON", 0.8, "model.person")
        for ent in nlp(text).ents
        if ent.label_ in ("PERSON", "PER")
    ]


def find_personal_data(
    text: str,
    *,
    allow_list: Iterable[str] = (),
    student_id_patterns: Sequence[str] = (),
    ner_model: str | None = None,
) -> list[Finding]:
    """Possible identifiers in `text`, sorted by start and not overlapping.

    Args:
        text: the text to scan (offsets in the findings index it).
        allow_list: terms that are never personal (service names, the university...);
            matched as whole words, case-insensitively.
        student_id_patterns: extra regular expressions for an institution's student numbers.
        ner_model: a trained spaCy pipeline whose PERSON entities are added (package name
            or path; `auto` = an installed `en_core_web_*`; `none` = off). Default: the
            `STUDY_NER_MODEL` environment variable, else `auto`.

    Example:
        >>> [f.label for f in find_personal_data("Text me on 07700 900123, it's Priya.")]
        ['PHONE', 'PERSON']
    """
    candidates: list[Candidate] = [c for find in RECOGNISERS for c in find(text)]
    candidates.extend(find_student_ids(text, student_id_patterns))
    candidates.extend(find_person_names(text))
    candidates.extend(find_speaker_names(text))
    candidates.extend(_model_people(text, ner_model or os.environ.get(NER_MODEL_ENV, "auto")))
    allowed = _allowed_spans(text, tuple(sorted({t.strip() for t in allow_list if t.strip()})))
    kept = [
        c for c in candidates
        if not any(a_start <= c.start and c.end <= a_end for a_start, a_end in allowed)
    ]  # fmt: skip
    return [
        Finding(c.start, c.end, c.label, text[c.start : c.end], round(c.score, 3), c.source)
        for c in _settle(kept)
    ]
