"""What one word says about being a name: name lists, word frequency, place names.

The lists come from `names-dataset` (built into `data/` by `scripts/build_name_lists.py`),
word frequencies from `wordfreq`, place names from `pycountry`. Each test takes anything
with `text` and `lower_` (a spaCy token) so it can be cached by word.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
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


def fold(word: str) -> str:
    """Lower case without accents, so `Zoë`, `zoe` and `ZOË` look the same."""
    decomposed = unicodedata.normalize("NFKD", word.lower().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


NO_RANK = 10**6


@lru_cache(maxsize=1)
def name_lists() -> tuple[dict[str, str], dict[str, str]]:
    """(first names, surnames): folded name -> its ranks as stored (`ranks()` reads them).

    The ranks stay text until asked for: building 226,000 tuples of ints would double the
    load time, and only a few hundred names are ever looked up in one transcript.
    """

    def load(file_name: str) -> dict[str, str]:
        # One line per name, already folded and merged by the build script.
        with gzip.open(DATA / file_name, "rt", encoding="utf-8") as handle:
            return dict(line.split("\t", 1) for line in handle.read().splitlines())

    return load("first_names.txt.gz"), load("surnames.txt.gz")


@lru_cache(maxsize=50_000)
def ranks(folded: str, *, surname: bool = False) -> tuple[int, int]:
    """(best rank anywhere, best rank in an English-speaking country) of a folded name."""
    stored = name_lists()[1 if surname else 0].get(folded)
    if stored is None:
        return NO_RANK, NO_RANK
    anywhere, _, english = stored.partition("\t")
    return int(anywhere), int(english or NO_RANK)


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


def by_text(test: Callable[[Word], bool]) -> Callable[[Token], bool]:
    """A token getter that runs `test` once per distinct word text (cached)."""
    cached = lru_cache(maxsize=100_000)(lambda text: test(_Text(text)))
    return lambda token: bool(cached(token.text))


def is_cap(text: str) -> bool:
    return text[:1].isupper() and any(c.islower() for c in text[1:])


def is_alpha(text: str) -> bool:
    return bool(re.fullmatch(r"[^\W\d_]+(?:['’][^\W\d_]+)?", text))


def is_first_name(token: Word) -> bool:
    return is_alpha(token.text) and fold(token.text) in name_lists()[0]


def is_surname(token: Word) -> bool:
    return is_alpha(token.text) and fold(token.text) in name_lists()[1]


def is_common_word(token: Word) -> bool:
    return zipf(token.lower_) >= COMMON_WORD_ZIPF


def never_a_name(token: Word) -> bool:
    lower = token.lower_
    return (
        not is_alpha(token.text)
        or lower in NOT_NAMES
        or lower in FUNCTION_WORDS
        or lower in RELATIONS
    )


def is_name_like(token: Word) -> bool:
    """Could be a name where the context says "person" (`my friend Will`, `Dr Patel`,
    `my housemate joy`, `dr haddad`): a capitalised word that is not a function word,
    a lower-case name that is no common word, or a name that is also a word."""
    if token.lower_ in WORD_NAMES and (is_cap(token.text) or token.lower_ in LOWER_WORD_NAMES):
        return True
    if never_a_name(token):
        return False
    if is_cap(token.text) or is_known_lower(token):
        return True
    if not token.text.islower() or len(token.text) < 3:
        return False
    common = zipf(token.lower_)
    return common < 3.0 or (surname_rank(token) <= POPULAR_RANK and common < LOWER_NAME_ZIPF)


def is_known_lower(token: Word) -> bool:
    """A lower-case first name that is not an English word (`priya`, `adaeze`)."""
    if not token.text.islower() or len(token.text) < 3 or never_a_name(token):
        return False
    common, rank = zipf(token.lower_), first_name_rank(token)
    return (rank <= POPULAR_RANK and common < LOWER_NAME_ZIPF) or (rank < NO_RANK and common < 1.5)


def is_known_cap(token: Word) -> bool:
    """A capitalised first name, even one that is also a word (`Grace`, `Bill`), if it
    is used as a name in English-speaking countries, is a top name somewhere, or is no
    English word."""
    if not is_cap(token.text):
        return False
    if token.lower_ in WORD_NAMES and token.lower_ not in NOT_NAMES:
        return True
    if never_a_name(token) or not is_first_name(token):
        return False
    common = zipf(token.lower_)
    popular = first_name_rank(token, english=True) <= ENGLISH_POPULAR_RANK
    top_somewhere = first_name_rank(token) <= WORLD_TOP_RANK and common < 4.3
    return common < COMMON_WORD_ZIPF or top_somewhere or (popular and common < 5.0)


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """One-word country and region names (pycountry), folded: `Sydney`-like places that
    are also first names are not flagged after "in", "from", "visited"..."""
    import pycountry

    names = [c.name for c in pycountry.countries] + [s.name for s in pycountry.subdivisions]
    words = {fold(w) for name in names for w in re.findall(r"[^\W\d_]+", name.split("[")[0])}
    return frozenset(w for w in words if len(w) > 3 and zipf(w) < 5.5)


def is_place_here(doc: Doc, index: int) -> bool:
    previous = doc[index - 1].lower_ if index > 0 else ""
    return fold(doc[index].text) in place_names() and previous in LOCATIVE


def surname_rank(token: Word) -> int:
    if not is_alpha(token.text):
        return NO_RANK
    return ranks(fold(token.text), surname=True)[0]


def is_after_title(token: Word) -> bool:
    """After `Dr`/`Ms`: a name-like word or a lower-case listed surname (`dr jones`)."""
    if is_name_like(token):
        return True
    return (
        token.text.islower() and len(token.text) >= 2 and not never_a_name(token)
        and (is_surname(token) or is_first_name(token)) and zipf(token.lower_) < 5.0
    )  # fmt: skip


def is_relation_lower(token: Word) -> bool:
    """After `my friend`: a lower-case first name even if it is a word (`hannah`, `bill`)."""
    return (
        token.text.islower() and len(token.text) >= 3 and not never_a_name(token)
        and is_first_name(token) and zipf(token.lower_) < 5.2
    )  # fmt: skip


def is_called_lower(token: Word) -> bool:
    """After `a guy called`: a lower-case first name even if a common word (`mark`)."""
    return (
        token.text.islower() and len(token.text) >= 3 and not never_a_name(token)
        and is_first_name(token) and zipf(token.lower_) < 5.5
    )  # fmt: skip


def is_texted_lower(token: Word) -> bool:
    """A lower-case first name after a verb of contact (`texted hannah`)."""
    return (
        token.text.islower() and len(token.text) >= 3 and not never_a_name(token)
        and is_first_name(token) and zipf(token.lower_) < 4.4
    )  # fmt: skip


def first_name_rank(token: Word, *, english: bool = False) -> int:
    if not is_alpha(token.text):
        return NO_RANK
    anywhere, in_english = ranks(fold(token.text))
    return in_english if english else anywhere
