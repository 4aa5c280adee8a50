"""Person names with spaCy's rule machinery over name lists from a pip package.

No trained English pipeline installs here, so names are found by:
- context patterns (spaCy `Matcher`): a title (`Dr Patel`), a relation (`my friend Will`),
  naming words (`called Hope`, `her name was Zoë`), speech verbs (`Grace said`) and
  verbs of contact (`texted Priya`);
- the name lists built from `names-dataset` (`scripts/build_name_lists.py`): a capitalised
  first name that is not an ordinary English word (word frequency from `wordfreq`), and a
  rare lower-case one (`i texted priya`);
- extension to following surnames (`Oluwaseun Adeyemi`, `van Dijk`).
Names that are also ordinary words ("Will", "Grace", "Hope") count only in context.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from analysis.pii.lexicon import (
    COMMON_WORD_ZIPF,
    CONTACT_VERBS,
    ENGLISH_POPULAR_RANK,
    FUNCTION_WORDS,
    LOCATIVE,
    MESSAGE_VERBS,
    NAMING,
    NOT_NAMES,
    PERSON_NOUNS,
    RARE_WORD_ZIPF,
    RELATIONS,
    SPEECH_VERBS,
    TITLES,
    WORLD_TOP_RANK,
    Word,
    by_text,
    first_name_rank,
    fold,
    is_after_title,
    is_alpha,
    is_called_lower,
    is_cap,
    is_first_name,
    is_known_cap,
    is_known_lower,
    is_name_like,
    is_place_here,
    is_relation_lower,
    is_surname,
    is_texted_lower,
    name_lists,
    never_a_name,
    place_names,
    zipf,
)
from analysis.pii.patterns import Candidate

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.matcher import Matcher
    from spacy.tokens import Doc, Token

_PARTICLES = {
    "van",
    "von",
    "de",
    "da",
    "di",
    "del",
    "della",
    "du",
    "le",
    "la",
    "bin",
    "bint",
    "ibn",
    "al",
    "el",
    "ben",
    "ter",
    "ten",
    "mac",
}
_MARKUP_AS_SPACE = str.maketrans({"<": " ", ">": "\n", "*": " "})
_SENTENCE_END = {".", "?", "!", ":", ";", "\n", '"', "“", "”", "…", "-", "–", "—"}


@lru_cache(maxsize=1)
def name_pipeline() -> tuple[Language, Matcher]:
    """A blank English tokenizer and the context patterns, built once."""
    from analysis.segment import import_spacy_without_torch

    import_spacy_without_torch()
    import spacy
    from spacy.matcher import Matcher
    from spacy.tokens import Token

    tests: tuple[tuple[str, Callable[[Word], bool]], ...] = (
        ("pii_name_like", is_name_like),
        ("pii_known_cap", is_known_cap),
        ("pii_known_lower", is_known_lower),
        ("pii_texted_lower", is_texted_lower),
        ("pii_after_title", is_after_title),
        ("pii_relation_lower", is_relation_lower),
        ("pii_called_lower", is_called_lower),
    )
    for name, test in tests:
        if not Token.has_extension(name):
            Token.set_extension(name, getter=by_text(test))
    nlp = spacy.blank("en")
    matcher = Matcher(nlp.vocab)
    names_here: dict[str, Any] = {"_": {"pii_name_like": True}, "OP": "+"}
    after_title: dict[str, Any] = {"_": {"pii_after_title": True}, "OP": "{1,3}"}
    matcher.add(
        "TITLE", [[{"LOWER": {"IN": sorted(TITLES)}}, {"ORTH": ".", "OP": "?"}, after_title]]
    )
    matcher.add(
        "RELATION",
        [
            [
                {"LOWER": {"IN": sorted(RELATIONS)}},
                {"LOWER": {"IN": ["called", "named", ",", "is", "was"]}, "OP": "?"},
                names_here,
            ],
            [{"LOWER": {"IN": sorted(RELATIONS)}}, {"_": {"pii_relation_lower": True}}],
        ],
    )
    called_lower = {"_": {"pii_called_lower": True}}
    matcher.add(
        "NAMING_LOWER",
        [
            [
                {"LOWER": {"IN": sorted(PERSON_NOUNS)}},
                {"LOWER": {"IN": sorted(NAMING)}},
                called_lower,
            ]
        ],
    )
    matcher.add(
        "NAMING",
        [
            [{"LOWER": {"IN": sorted(PERSON_NOUNS)}}, {"LOWER": {"IN": ["was", "is", "'s"]}, "OP": "?"},
             {"LOWER": {"IN": sorted(NAMING)}}, names_here],
            [{"LOWER": {"IN": sorted(NAMING)}}, {"_": {"pii_known_cap": True}, "OP": "+"}],
        ],
    )  # fmt: skip
    matcher.add(
        "NAME_IS",
        [
            [
                {"LOWER": {"IN": ["name", "names"]}},
                {"LOWER": {"IN": ["is", "was", "'s", "’s", "are"]}},
                names_here,
            ],
            [{"LOWER": {"IN": ["i'm", "im", "i’m"]}}, {"_": {"pii_known_cap": True}, "OP": "+"}],
            [
                {"LOWER": "i"},
                {"LOWER": {"IN": ["'m", "’m", "am"]}},
                {"_": {"pii_known_cap": True}, "OP": "+"},
            ],
            [{"LOWER": "this"}, {"LOWER": "is"}, {"_": {"pii_known_cap": True}, "OP": "+"}],
            [
                {"LOWER": {"IN": ["it", "this"]}},
                {"LOWER": {"IN": ["'s", "’s", "is"]}},
                names_here,
                {"LOWER": {"IN": ["from", "here", "speaking"]}},
            ],
        ],
    )
    matcher.add(
        "SPEECH",
        [
            [{"_": {"pii_known_cap": True}, "OP": "+"}, {"LOWER": {"IN": sorted(SPEECH_VERBS)}}],
            [{"_": {"pii_known_lower": True}}, {"LOWER": {"IN": sorted(SPEECH_VERBS)}}],
        ],
    )
    matcher.add(
        "CONTACT",
        [
            [{"LOWER": {"IN": sorted(CONTACT_VERBS)}}, {"_": {"pii_known_cap": True}, "OP": "+"}],
            [{"LOWER": {"IN": sorted(CONTACT_VERBS)}}, {"_": {"pii_known_lower": True}}],
            [{"LOWER": {"IN": sorted(MESSAGE_VERBS)}}, {"_": {"pii_texted_lower": True}}],
        ],
    )
    matcher.add(
        "GREETING",
        [[{"LOWER": {"IN": sorted(GREETINGS)}}, {"ORTH": ",", "OP": "?"}, names_here]],
    )
    # `Hope from my flat`, `kieran at the su`: a name placed by where the person is from.
    places = {"LOWER": {"IN": ["my", "the", "our", "work", "uni", "counselling", "wellbeing"]}}
    matcher.add(
        "AFFILIATION",
        [
            [{"_": {"pii_known_cap": True}}, {"LOWER": {"IN": ["from", "at"]}}, places],
            [{"_": {"pii_known_lower": True}}, {"LOWER": {"IN": ["from", "at"]}}, places],
        ],
    )
    return nlp, matcher


GREETINGS = ["hi", "hey", "hello", "hiya", "thanks", "cheers", "bye", "dear", "morning"]
_RULE_SCORES = {
    "GREETING": 0.85,
    "AFFILIATION": 0.8,
    "TITLE": 0.95,
    "RELATION": 0.9,
    "NAMING": 0.88,
    "NAMING_LOWER": 0.85,
    "NAME_IS": 0.9,
    "SPEECH": 0.85,
    "CONTACT": 0.82,
}


_OBJECT_WORDS = {
    "a", "an", "the", "me", "him", "her", "us", "them", "it", "my", "his", "our", "their",
    "this", "that", "some", "up", "out", "back", "round", "off", "on", "down", "to",
}  # fmt: skip


def _reads_as_verb(doc: Doc, start: int, end: int) -> bool:
    """A lower-case word after "my daughter" followed by an object reads as a verb."""
    lower_name = start < end and doc[start].text.islower()
    return lower_name and end < len(doc) and doc[end].lower_ in _OBJECT_WORDS


def _is_name_by_itself(doc: Doc, token: Token) -> bool:
    """A capitalised first name that needs no context: not an English word, or a name
    popular in English-speaking countries (`Jordan`, `Maya`) that is not one of the
    most common words, and not at the start of a sentence if it is a common word."""
    common = zipf(token.lower_)
    if common < COMMON_WORD_ZIPF:
        return True
    if first_name_rank(token) <= WORLD_TOP_RANK and common < 4.3:
        # Among the most given names somewhere (Mohammed, Chen, Sanjay): frequent as a name.
        return common < 3.8 or not _sentence_initial(doc, token.i)
    rank = first_name_rank(token, english=True)
    # The more popular the name, the more its word frequency comes from use as a name.
    ceiling = 5.4 if rank <= 100 else 4.6 if rank <= ENGLISH_POPULAR_RANK else COMMON_WORD_ZIPF
    if common >= ceiling:
        return False
    return common < 4.5 or not _sentence_initial(doc, token.i)


def _add_conjoined(
    doc: Doc,
    spans: dict[tuple[int, int], tuple[float, str]],
    add: Callable[[int, int, float, str], None],
) -> None:
    """`Jun and Ravi`: a first name joined by "and" to a name found already."""
    for start, end in list(spans):
        for index, step in ((end + 1, 1), (start - 2, -1)):
            joined = 0 <= index < len(doc) and doc[index - step].lower_ in ("and", "&", "or")
            if joined and (doc[index]._.pii_known_cap or doc[index]._.pii_known_lower):
                add(index, index + 1, 0.8, "CONJOINED")


def _lower_name_by_itself(token: Token) -> bool:
    """A lower-case word that is a popular given name and barely an English word."""
    common, rank = zipf(token.lower_), first_name_rank(token)
    return (
        (common < RARE_WORD_ZIPF and rank <= 200)
        or (common < 3.2 and rank <= WORLD_TOP_RANK)
        or (common < 1.0 and rank <= 2000)
    )


def _in_brackets(doc: Doc) -> set[int]:
    """Token indices inside `[...]`: placeholders such as [NAME] or [PERSON_2]."""
    inside, depth = set(), 0
    for token in doc:
        if "[" in token.text:
            depth += 1
        if depth:
            inside.add(token.i)
        if "]" in token.text:
            depth = max(0, depth - 1)
    return inside


def _sentence_initial(doc: Doc, index: int) -> bool:
    previous = index - 1
    while previous >= 0 and doc[previous].is_space and "\n" not in doc[previous].text:
        previous -= 1
    if previous < 0:
        return True
    text = doc[previous].text
    return "\n" in text or text in _SENTENCE_END or text.endswith(">")


def _name_tokens(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Drop the context words around a match, keeping its name tokens."""

    def is_name(token: Token) -> bool:
        return bool(
            token._.pii_name_like or token._.pii_known_cap or token._.pii_known_lower
            or token._.pii_texted_lower or token._.pii_after_title or token._.pii_relation_lower
            or token._.pii_called_lower
        )  # fmt: skip

    while start < end and not is_name(doc[start]):
        start += 1
    while end > start and not is_name(doc[end - 1]):
        end -= 1
    return start, end


def _extend(doc: Doc, start: int, end: int, blocked: set[int]) -> int:
    """Add following surname tokens: `Oluwaseun` + `Adeyemi`, `Lotte` + `van der Berg`."""
    added = 0
    while end < len(doc) and added < 3:
        token = doc[end]
        if end in blocked or token.lower_ in NOT_NAMES:
            break
        if token.text in ("-", "'", "’") and not doc[end - 1].whitespace_ and end + 1 < len(doc):
            if is_alpha(doc[end + 1].text) and doc[end + 1].text[:1].isupper():
                end += 2
                added += 1
                continue
            break
        lower_ok = (
            not is_cap(token.text) and is_surname(token) and zipf(token.lower_) < RARE_WORD_ZIPF
        )
        common = zipf(token.lower_)
        cap_ok = (
            is_cap(token.text)
            and is_alpha(token.text)
            and not never_a_name(token)
            and (((is_surname(token) or is_first_name(token)) and common < 4.0) or common < 3.0)
        )
        followed_by_cap = end + 1 < len(doc) and is_cap(doc[end + 1].text)
        particle = token.lower_ in _PARTICLES and followed_by_cap
        initial = bool(re.fullmatch(r"[A-Z]\.?", token.text)) and followed_by_cap
        if cap_ok or particle or initial or (lower_ok and not is_cap(doc[start].text)):
            end += 1
            added += 1
            continue
        break
    return end


_SPEAKER_LABEL = re.compile(
    r"(?m)^[ \t]*(?:\[?\d[\d:.,]*\]?[ \t]*(?:-[ \t]*)?)?(?:<v(?:\.[\w.-]+)?[ \t]+|\*\*)?"
    r"(?P<label>[^\W\d_][^\n:<>*]{0,48}?)[ \t]*(?::|>|\*\*:|:\*\*)"
)
_LABEL_WORD = re.compile(r"[^\W\d_][\w'’.-]*|\([^)]*\)")


def find_speaker_names(text: str) -> Iterator[Candidate]:
    """Names in speaker labels (`Jordan Z.:`, `<v Amara Mensah>`, `**Priya:**`): Zoom and
    Teams exports label turns with people's display names."""
    first, last = name_lists()
    for match in _SPEAKER_LABEL.finditer(text):
        start = match.start("label")
        words = [
            (m.start() + start, m.end() + start, m.group())
            for m in _LABEL_WORD.finditer(match.group("label"))
        ]
        kept = [
            (a, b, w) for a, b, w in words
            if not w.startswith("(") and fold(w.strip(".")) not in NOT_NAMES and fold(w.strip(".")) not in RELATIONS
        ]  # fmt: skip
        if not kept or len(words) > 5 or not all(w[0].isupper() for _, _, w in kept):
            continue
        if not any(fold(w) in first or fold(w) in last for _, _, w in kept if len(w) > 2):
            continue
        if any(fold(w) in FUNCTION_WORDS for _, _, w in kept):
            continue
        yield Candidate(kept[0][0], kept[-1][1], "PERSON", 0.9, "names.speaker_label")


def find_person_names(text: str) -> Iterator[Candidate]:
    """Person-name candidates in `text` with a score from the strongest rule that fired."""
    nlp, matcher = name_pipeline()
    # Markup (`<v Name>`, `**Name:**`) becomes white space of the same length (`>` a line
    # break, since speech starts after it), so tokens split
    # at it and offsets still index `text`.
    doc = nlp.make_doc(text.translate(_MARKUP_AS_SPACE))
    blocked = _in_brackets(doc)
    spans: dict[tuple[int, int], tuple[float, str]] = {}

    def add(start: int, end: int, score: float, rule: str) -> None:
        if start >= end or any(i in blocked for i in range(start, end)):
            return
        end = _extend(doc, start, end, blocked)
        key = (start, end)
        if key not in spans or spans[key][0] < score:
            spans[key] = (score, rule)

    for match_id, start, end in matcher(doc):
        rule = nlp.vocab.strings[match_id]
        if rule == "TITLE":
            name_start = start + 1 + (doc[start + 1].text == ".")
            if name_start < end:
                add(start, end, _RULE_SCORES[rule], rule)
            continue
        if rule == "SPEECH":
            end -= 1
        elif rule == "AFFILIATION":
            end = start + 1
        else:
            start, end = _name_tokens(doc, start + 1, end)
        if rule == "RELATION" and _reads_as_verb(doc, start, end):
            continue  # "my daughter drew me a picture"
        located = doc[start - 1].lower_ in (*LOCATIVE, "to") if start > 0 else False
        if rule == "CONTACT" and located and start < end and fold(doc[start].text) in place_names():
            continue  # "from Sydney", "to Jordan": a place is likelier than a person
        add(start, end, _RULE_SCORES[rule], rule)

    for token in doc:
        if token.i in blocked or never_a_name(token):
            continue
        if is_place_here(doc, token.i):
            continue
        if is_cap(token.text) and is_first_name(token) and _is_name_by_itself(doc, token):
            add(
                token.i, token.i + 1, 0.8 if _sentence_initial(doc, token.i) else 0.85, "LIST_FIRST"
            )
        elif (
            is_cap(token.text)
            and is_surname(token)
            and zipf(token.lower_) < 2.8
            and not _sentence_initial(doc, token.i)
        ):
            add(token.i, token.i + 1, 0.7, "LIST_SURNAME")
        elif is_known_lower(token) and _lower_name_by_itself(token):
            add(token.i, token.i + 1, 0.7, "LIST_LOWER")

    _add_conjoined(doc, spans, add)
    for (start, end), (score, rule) in spans.items():
        span = doc[start:end]
        yield Candidate(span.start_char, span.end_char, "PERSON", score, f"names.{rule.lower()}")
