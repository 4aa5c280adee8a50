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

import gzip
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from analysis.pii.patterns import Candidate

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.matcher import Matcher
    from spacy.tokens import Doc, Token

DATA = Path(__file__).resolve().parent / "data"
COMMON_WORD_ZIPF = 3.3  # at or above: an ordinary English word ("will", "grace", "mark")
RARE_WORD_ZIPF = 2.5  # below: not an English word, so a popular lower-case name is safe to flag
LOWER_NAME_ZIPF = 3.5  # a lower-case name in context ("texted priya") is rarer than this
POPULAR_RANK = 500  # lower-case names must rank this high somewhere (drops list noise)
WORLD_TOP_RANK = 50  # among a country's 50 most given names
ENGLISH_POPULAR_RANK = 1000  # a name that is also a word needs this rank in GB/IE/US/CA/AU/NZ

TITLES = {
    "dr", "doctor", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "sir", "dame",
    "dr.", "mr.", "mrs.", "ms.", "mx.", "prof.",
    "nurse", "sister", "father", "rev", "reverend", "lord", "lady", "auntie", "aunty", "uncle",
}  # fmt: skip
RELATIONS = {
    "friend", "friends", "flatmate", "housemate", "mate", "roommate", "boyfriend", "girlfriend",
    "partner", "husband", "wife", "fiancé", "fiance", "fiancée", "mum", "mom", "mother", "dad",
    "father", "sister", "brother", "cousin", "aunt", "auntie", "uncle", "nan", "nana", "gran",
    "grandma", "grandad", "grandpa", "son", "daughter", "counsellor", "counselor", "therapist",
    "tutor", "supervisor", "lecturer", "doctor", "gp", "nurse", "psychiatrist", "psychologist",
    "mentor", "worker", "colleague", "neighbour", "neighbor", "manager", "boss", "coach",
    "advisor", "adviser", "officer", "teacher", "classmate", "coursemate", "bestie", "bf",
    "gf", "ex", "guy", "girl", "lad", "woman", "man", "bloke", "lady", "person",
    "carer", "practitioner", "clinician", "consultant", "receptionist", "warden", "chaplain",
    "coordinator", "co-ordinator", "caseworker", "buddy", "pal", "housemates", "flatmates",
}  # fmt: skip
NAMING = {"called", "named", "nicknamed", "call", "calls"}
SPEECH_VERBS = {
    "said", "says", "told", "asked", "texted", "messaged", "rang", "replied", "suggested",
    "explained", "mentioned", "reckoned", "emailed", "recommended", "listened", "phoned",
    "shouted", "whispered", "admitted", "promised", "insisted", "agreed", "laughed", "cried",
}  # fmt: skip
MESSAGE_VERBS = {
    "texted",
    "messaged",
    "rang",
    "phoned",
    "emailed",
    "dm'd",
    "dmed",
    "called",
    "facetimed",
}
PERSON_NOUNS = {
    "girl", "boy", "guy", "woman", "man", "lad", "bloke", "lady", "person", "someone",
    "somebody", "friend", "mate", "student", "counsellor", "therapist", "doctor", "nurse",
    "tutor", "worker", "she", "he", "her", "him", "kid", "child", "baby", "son", "daughter",
}  # fmt: skip
LOCATIVE = {
    "in", "from", "near", "around", "across", "into", "at", "visit", "visited", "visiting",
    "outside", "towards", "via", "moved", "flew", "travelled", "traveled", "drove", "went",
}  # fmt: skip
CONTACT_VERBS = {
    "with", "texted", "told", "asked", "met", "messaged", "rang", "phoned", "saw", "emailed",
    "and", "to", "from", "by", "about", "called", "thanks", "thank", "seeing", "meeting",
}  # fmt: skip
NOT_NAMES = {
    "interviewer", "interviewee", "participant", "respondent", "researcher", "student",
    "speaker", "host", "guest", "moderator", "facilitator", "january", "february", "march",
    "april", "may", "june", "july", "august", "september", "october", "november", "december",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "god",
    "christmas", "easter", "ramadan", "eid", "diwali", "covid", "zoom", "teams", "english",
    "british", "welsh", "scottish", "irish", "okay", "ok", "yeah", "yes", "no", "um", "uh",
    "erm", "hmm", "mm", "oh", "hi", "hello", "bye", "cheers", "thanks", "sorry", "please",
    "hm", "ah", "ha", "haha", "yo", "eh", "huh", "wow", "yep", "nope", "aw", "ooh", "mhm",
}  # fmt: skip
# Names that are also function words or months: names only where the context says so.
LOWER_WORD_NAMES = {
    "hope", "grace", "faith", "joy", "rose", "dawn", "amber", "ruby", "holly", "jade", "lily",
    "penny", "summer", "iris", "hazel", "ivy", "daisy", "poppy", "violet", "robin", "heather",
    "olive", "pearl", "honey", "melody", "mercy", "patience", "blessing", "precious", "sky",
}  # fmt: skip
WORD_NAMES = {"will", "may", "june", "april", "august", "mark", "bill", *LOWER_WORD_NAMES}
FUNCTION_WORDS = {
    "i", "me", "my", "mine", "you", "your", "yours", "he", "him", "his", "she", "her", "hers",
    "it", "its", "we", "us", "our", "they", "them", "their", "the", "a", "an", "this", "that",
    "these", "those", "there", "here", "what", "which", "who", "whom", "whose", "when", "where",
    "why", "how", "and", "but", "or", "nor", "so", "yet", "if", "then", "than", "because", "as",
    "at", "by", "for", "from", "in", "into", "of", "on", "onto", "to", "with", "without", "up",
    "down", "out", "over", "under", "about", "after", "before", "again", "also", "just", "not",
    "no", "yes", "all", "any", "some", "each", "every", "both", "few", "more", "most", "other",
    "such", "only", "own", "same", "too", "very", "can", "could", "will", "would", "shall",
    "should", "may", "might", "must", "do", "does", "did", "done", "be", "been", "being", "am",
    "is", "are", "was", "were", "have", "has", "had", "like", "well", "really", "actually",
    "maybe", "sometimes", "one", "two", "three", "first", "last", "next", "new", "old", "good",
    "bad", "great", "nothing", "everything", "something", "anything", "someone", "everyone",
    "anyone", "nobody", "somebody", "everybody", "anybody", "mum", "dad", "mom", "nan", "gran",
    "phd", "ma", "ba", "msc", "bsc", "uni", "university", "college", "school", "hospital",
}  # fmt: skip
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
_SENTENCE_END = {".", "?", "!", ":", ";", "\n", '"', "“", "”", "…", "-", "–", "—"}


def fold(word: str) -> str:
    """Lower case without accents, so `Zoë`, `zoe` and `ZOË` look the same."""
    decomposed = unicodedata.normalize("NFKD", word.lower().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


NO_RANK = 10**6


@lru_cache(maxsize=1)
def name_lists() -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """(first names, surnames): folded name -> (best rank anywhere, best rank in an
    English-speaking country)."""

    def load(file_name: str) -> dict[str, tuple[int, int]]:
        names: dict[str, tuple[int, int]] = {}
        with gzip.open(DATA / file_name, "rt", encoding="utf-8") as handle:
            for line in handle:
                key, anywhere, english = [*line.rstrip("\n").split("\t"), "", ""][:3]
                old = names.get(key, (NO_RANK, NO_RANK))
                names[key] = (
                    min(old[0], int(anywhere or NO_RANK)),
                    min(old[1], int(english or NO_RANK)),
                )
        return names

    return load("first_names.txt.gz"), load("surnames.txt.gz")


@lru_cache(maxsize=200_000)
def zipf(word: str) -> float:
    """How common `word` is in English (0 = never seen, 7 = "the")."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


class Word(Protocol):
    """What the word tests need of a token: its text (spaCy's `Token` has both)."""

    @property
    def text(self) -> str: ...

    @property
    def lower_(self) -> str: ...


@dataclass(frozen=True)
class _Text:
    text: str

    @property
    def lower_(self) -> str:
        return self.text.lower()


def _by_text(test: Callable[[Word], bool]) -> Callable[[Token], bool]:
    """A token getter that runs `test` once per distinct word text (cached)."""
    cached = lru_cache(maxsize=100_000)(lambda text: test(_Text(text)))
    return lambda token: bool(cached(token.text))


def _is_cap(text: str) -> bool:
    return text[:1].isupper() and any(c.islower() for c in text[1:])


def _alpha(text: str) -> bool:
    return bool(re.fullmatch(r"[^\W\d_]+(?:['’][^\W\d_]+)?", text))


def _is_first(token: Word) -> bool:
    return _alpha(token.text) and fold(token.text) in name_lists()[0]


def _is_last(token: Word) -> bool:
    return _alpha(token.text) and fold(token.text) in name_lists()[1]


def _is_common(token: Word) -> bool:
    return zipf(token.lower_) >= COMMON_WORD_ZIPF


def _never_a_name(token: Word) -> bool:
    lower = token.lower_
    return (
        not _alpha(token.text)
        or lower in NOT_NAMES
        or lower in FUNCTION_WORDS
        or lower in RELATIONS
    )


def _name_like(token: Word) -> bool:
    """Could be a name where the context says "person" (`my friend Will`, `Dr Patel`,
    `my housemate joy`, `dr haddad`): a capitalised word that is not a function word,
    a lower-case name that is no common word, or a name that is also a word."""
    if token.lower_ in WORD_NAMES and (_is_cap(token.text) or token.lower_ in LOWER_WORD_NAMES):
        return True
    if _never_a_name(token):
        return False
    if _is_cap(token.text) or _known_lower(token):
        return True
    if not token.text.islower() or len(token.text) < 3:
        return False
    common = zipf(token.lower_)
    return common < 3.0 or (_last_rank(token) <= POPULAR_RANK and common < LOWER_NAME_ZIPF)


def _known_lower(token: Word) -> bool:
    """A lower-case first name that is not an English word (`priya`, `adaeze`)."""
    if not token.text.islower() or len(token.text) < 3 or _never_a_name(token):
        return False
    common, rank = zipf(token.lower_), _first_rank(token)
    return (rank <= POPULAR_RANK and common < LOWER_NAME_ZIPF) or (rank < NO_RANK and common < 1.5)


def _known_cap(token: Word) -> bool:
    """A capitalised first name, even one that is also a word (`Grace`, `Bill`), if it
    is used as a name in English-speaking countries, is a top name somewhere, or is no
    English word."""
    if not _is_cap(token.text):
        return False
    if token.lower_ in WORD_NAMES and token.lower_ not in NOT_NAMES:
        return True
    if _never_a_name(token) or not _is_first(token):
        return False
    common = zipf(token.lower_)
    popular = _first_rank(token, english=True) <= ENGLISH_POPULAR_RANK
    top_somewhere = _first_rank(token) <= WORLD_TOP_RANK and common < 4.3
    return common < COMMON_WORD_ZIPF or top_somewhere or (popular and common < 5.0)


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """One-word country and region names (pycountry), folded: `Sydney`-like places that
    are also first names are not flagged after "in", "from", "visited"..."""
    import pycountry

    names = [c.name for c in pycountry.countries] + [s.name for s in pycountry.subdivisions]
    words = {fold(w) for name in names for w in re.findall(r"[^\W\d_]+", name.split("[")[0])}
    return frozenset(w for w in words if len(w) > 3 and zipf(w) < 5.5)


def _is_place_here(doc: Doc, index: int) -> bool:
    previous = doc[index - 1].lower_ if index > 0 else ""
    return fold(doc[index].text) in place_names() and previous in LOCATIVE


def _last_rank(token: Word) -> int:
    if not _alpha(token.text):
        return NO_RANK
    return name_lists()[1].get(fold(token.text), (NO_RANK, NO_RANK))[0]


def _after_title(token: Word) -> bool:
    """After `Dr`/`Ms`: a name-like word or a lower-case listed surname (`dr jones`)."""
    if _name_like(token):
        return True
    return (
        token.text.islower() and len(token.text) >= 2 and not _never_a_name(token)
        and (_is_last(token) or _is_first(token)) and zipf(token.lower_) < 5.0
    )  # fmt: skip


def _relation_lower(token: Word) -> bool:
    """After `my friend`: a lower-case first name even if it is a word (`hannah`, `bill`)."""
    return (
        token.text.islower() and len(token.text) >= 3 and not _never_a_name(token)
        and _is_first(token) and zipf(token.lower_) < 4.6
    )  # fmt: skip


def _texted_lower(token: Word) -> bool:
    """A lower-case first name after a verb of contact (`texted hannah`)."""
    return (
        token.text.islower() and len(token.text) >= 3 and not _never_a_name(token)
        and _is_first(token) and zipf(token.lower_) < 4.4
    )  # fmt: skip


def _first_rank(token: Word, *, english: bool = False) -> int:
    if not _alpha(token.text):
        return NO_RANK
    ranks = name_lists()[0].get(fold(token.text), (NO_RANK, NO_RANK))
    return ranks[1] if english else ranks[0]


@lru_cache(maxsize=1)
def name_pipeline() -> tuple[Language, Matcher]:
    """A blank English tokenizer and the context patterns, built once."""
    from analysis.segment import _import_spacy_without_torch

    _import_spacy_without_torch()
    import spacy
    from spacy.matcher import Matcher
    from spacy.tokens import Token

    tests: tuple[tuple[str, Callable[[Word], bool]], ...] = (
        ("pii_name_like", _name_like),
        ("pii_known_cap", _known_cap),
        ("pii_known_lower", _known_lower),
        ("pii_texted_lower", _texted_lower),
        ("pii_after_title", _after_title),
        ("pii_relation_lower", _relation_lower),
    )
    for name, test in tests:
        if not Token.has_extension(name):
            Token.set_extension(name, getter=_by_text(test))
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
    return nlp, matcher


_RULE_SCORES = {
    "GREETING": 0.85,
    "TITLE": 0.95,
    "RELATION": 0.9,
    "NAMING": 0.88,
    "NAME_IS": 0.9,
    "SPEECH": 0.85,
    "CONTACT": 0.82,
}


def _is_name_by_itself(doc: Doc, token: Token) -> bool:
    """A capitalised first name that needs no context: not an English word, or a name
    popular in English-speaking countries (`Jordan`, `Maya`) that is not one of the
    most common words, and not at the start of a sentence if it is a common word."""
    common = zipf(token.lower_)
    if common < COMMON_WORD_ZIPF:
        return True
    if _first_rank(token) <= WORLD_TOP_RANK and common < 4.3:
        # Among the most given names somewhere (Mohammed, Chen, Sanjay): frequent as a name.
        return common < 3.8 or not _sentence_initial(doc, token.i)
    rank = _first_rank(token, english=True)
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
    common, rank = zipf(token.lower_), _first_rank(token)
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
            if _alpha(doc[end + 1].text) and doc[end + 1].text[:1].isupper():
                end += 2
                added += 1
                continue
            break
        lower_ok = (
            not _is_cap(token.text) and _is_last(token) and zipf(token.lower_) < RARE_WORD_ZIPF
        )
        common = zipf(token.lower_)
        cap_ok = (
            _is_cap(token.text)
            and _alpha(token.text)
            and not _never_a_name(token)
            and (((_is_last(token) or _is_first(token)) and common < 4.0) or common < 3.0)
        )
        followed_by_cap = end + 1 < len(doc) and _is_cap(doc[end + 1].text)
        particle = token.lower_ in _PARTICLES and followed_by_cap
        initial = bool(re.fullmatch(r"[A-Z]\.?", token.text)) and followed_by_cap
        if cap_ok or particle or initial or (lower_ok and not _is_cap(doc[start].text)):
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
    doc = nlp.make_doc(text)
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
        if rule == "CONTACT" and start < end and fold(doc[start].text) in place_names():
            continue  # "from Sydney", "to Jordan": a place is likelier than a person
        add(start, end, _RULE_SCORES[rule], rule)

    for token in doc:
        if token.i in blocked or _never_a_name(token):
            continue
        if _is_place_here(doc, token.i):
            continue
        if _is_cap(token.text) and _is_first(token) and _is_name_by_itself(doc, token):
            add(
                token.i, token.i + 1, 0.8 if _sentence_initial(doc, token.i) else 0.85, "LIST_FIRST"
            )
        elif (
            _is_cap(token.text)
            and _is_last(token)
            and zipf(token.lower_) < 2.8
            and not _sentence_initial(doc, token.i)
        ):
            add(token.i, token.i + 1, 0.7, "LIST_SURNAME")
        elif _known_lower(token) and _lower_name_by_itself(token):
            add(token.i, token.i + 1, 0.7, "LIST_LOWER")

    _add_conjoined(doc, spans, add)
    for (start, end), (score, rule) in spans.items():
        span = doc[start:end]
        yield Candidate(span.start_char, span.end_char, "PERSON", score, f"names.{rule.lower()}")
