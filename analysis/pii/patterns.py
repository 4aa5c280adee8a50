"""Pattern recognisers for UK identifiers: email, phone, postcode, NHS and student
numbers, dates, street addresses, social-media handles and personal web addresses.

Each recogniser returns `Candidate`s; context words near a match raise its score.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    label: str
    score: float
    source: str


def _before(text: str, start: int, width: int = 48) -> str:
    return text[max(0, start - width) : start].lower()


def _has_context(text: str, start: int, words: re.Pattern[str], width: int = 48) -> bool:
    return bool(words.search(_before(text, start, width)))


# -- email, web, handles ------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
)
_TLDS = r"com|co\.uk|org\.uk|org|net|io|me|blog|ee|uk|info|co|ly|page|site|dev|xyz|online|art|link|app|tv|me\.uk"
_URL = re.compile(
    rf"(?:https?://|www\.)[^\s<>\"'\])]+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:{_TLDS})\b(?:/[^\s<>\"'\])]*)?",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?")
_SOCIAL = re.compile(
    r"\b(?:insta|instagram|twitter|tiktok|snapchat|snap|handle|username|user name|discord|threads)"
    r"(?:\s+(?:is|was|name is|handle is))?\s*[:,-]?\s+(?P<handle>[A-Za-z0-9_][A-Za-z0-9_.]{2,29})",
    re.IGNORECASE,
)
# Organisations' front pages are not personal; a path on them may be (a staff page).
ORGANISATION_DOMAINS = (
    "nhs.uk", "gov.uk", "ac.uk", "studentminds.org.uk", "samaritans.org", "mind.org.uk",
    "youngminds.org.uk", "shout.org.uk", "papyrus-uk.org", "nus.org.uk", "ucas.com",
    "officeforstudents.org.uk", "google.com", "youtube.com", "instagram.com", "tiktok.com",
    "facebook.com", "twitter.com", "x.com", "linkedin.com", "zoom.us", "microsoft.com",
)  # fmt: skip


_SOCIAL_SITES = {"linkedin", "instagram", "tiktok", "facebook", "twitter", "x", "youtube"}


def _trim_url(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in ".,;:!?)'\"":
        end -= 1
    return end


def find_web(text: str) -> Iterator[Candidate]:
    """Emails, personal web addresses and social-media handles."""
    for match in _EMAIL.finditer(text):
        yield Candidate(match.start(), match.end(), "EMAIL", 0.99, "pattern.email")
    for match in _URL.finditer(text):
        end = _trim_url(text, match.start(), match.end())
        url = text[match.start() : end].lower()
        if "@" in text[max(0, match.start() - 1) : end]:
            continue  # the domain of an email address
        host, _, path = re.sub(r"^https?://", "", url).removeprefix("www.").partition("/")
        organisation = any(host == d or host.endswith("." + d) for d in ORGANISATION_DOMAINS)
        profile = bool(path.strip("/")) and host.split(".")[0] in _SOCIAL_SITES
        if organisation and not profile:
            continue
        if re.fullmatch(r"[a-z]\.[a-z]{2}", host):
            continue  # `e.g`, `i.e`-like fragments
        yield Candidate(match.start(), end, "URL", 0.9, "pattern.url")
    for match in _HANDLE.finditer(text):
        yield Candidate(match.start(), match.end(), "HANDLE", 0.92, "pattern.handle")
    for match in _SOCIAL.finditer(text):
        handle = match.group("handle").rstrip(".")
        if re.search(r"[\d_.]", handle):
            start = match.start("handle")
            yield Candidate(start, start + len(handle), "HANDLE", 0.85, "pattern.handle")


# -- phone numbers --------------------------------------------------------------------------

_PHONE_RUN = re.compile(r"(?<![\w+£$€.])(?:\+|00)?\(?\d[\d \t().\-]{7,22}\d")
_PHONE_WORDS = re.compile(
    r"\b(?:phone|number|mobile|call|ring|text|whatsapp|tel|contact|landline|reach)\b"
)


def find_phones(text: str) -> Iterator[Candidate]:
    """UK phone numbers: 07xxx xxxxxx, +44 7xxx xxx xxx, +44 (0)..., 0151 xxx xxxx."""
    for match in _PHONE_RUN.finditer(text):
        found = _phone_prefix(match.group())
        if found is None:
            continue
        length, score = found
        start = match.start()
        if _has_context(text, start, _PHONE_WORDS):
            score = min(0.99, score + 0.04)
        yield Candidate(start, start + length, "PHONE", score, "pattern.phone")


def _phone_prefix(run: str) -> tuple[int, float] | None:
    """Length of the longest prefix of `run` that is a valid UK number, and a score."""
    digits = ""
    best: tuple[int, float] | None = None
    international = run.startswith(("+", "00"))
    for index, char in enumerate(run):
        if not char.isdigit():
            continue
        digits += char
        national = digits
        if international:
            stripped = digits[2:] if run.startswith("00") else digits
            if len(stripped) < 2:
                continue
            if not stripped.startswith("44"):
                return None
            national = "0" + stripped[2:].removeprefix("0") if len(stripped) > 2 else ""
        if not national.startswith("0") or len(national) > 11:
            continue
        if national.startswith("07") and len(national) == 11:
            best = (index + 1, 0.95)
        elif national[:2] in ("01", "02", "03", "08") and len(national) in (10, 11):
            best = (index + 1, 0.9)
    if best and ")" in run[: best[0]] and "(" not in run[: best[0]]:
        return None
    return best


# -- postcodes ---------------------------------------------------------------------------

_POSTCODE = re.compile(
    r"(?<![\w-])([A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?)[ \t]?(\d[ABD-HJLNP-UW-Z]{2})(?![\w-])",
    re.IGNORECASE,
)


def find_postcodes(text: str) -> Iterator[Candidate]:
    """UK postcodes, upper or lower case, with or without the space."""
    for match in _POSTCODE.finditer(text):
        value = match.group()
        score = 0.93 if value.isupper() else 0.85
        if value.isdigit():
            continue
        yield Candidate(match.start(), match.end(), "POSTCODE", score, "pattern.postcode")


# -- NHS numbers and student numbers ----------------------------------------------------------

_TEN_DIGITS = re.compile(r"(?<![\d£$€.,])(\d{3})[ \-]?(\d{3})[ \-]?(\d{4})(?![\d])")
_NHS_WORDS = re.compile(r"\bnhs\b|\bhealth (?:service )?number\b|\bchi\b")


def is_valid_nhs_number(digits: str) -> bool:
    """The NHS modulus-11 check: weights 10..2 on the first nine digits."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def find_nhs_numbers(text: str) -> Iterator[Candidate]:
    for match in _TEN_DIGITS.finditer(text):
        digits = "".join(match.groups())
        context = _has_context(text, match.start(), _NHS_WORDS)
        if digits.startswith("0"):
            continue  # a phone number
        if is_valid_nhs_number(digits):
            yield Candidate(
                match.start(), match.end(), "NHS_NUMBER", 0.97 if context else 0.9, "pattern.nhs"
            )
        elif context:
            yield Candidate(match.start(), match.end(), "NHS_NUMBER", 0.6, "pattern.nhs")


_ID_WORDS = re.compile(
    r"\b(?:student|matric|matriculation|registration|enrolment|enrollment|library card|"
    r"candidate|ucas|id|reference number|ref)\b",
    re.IGNORECASE,
)
_ID_NUMBER = re.compile(r"(?<![\w/£$€.,:-])(?:[A-Za-z]{1,3}-?)?\d{6,10}(?![\w:/]|[.,]\d)")
_LETTER_ID = re.compile(r"^[A-Za-z]{1,2}\d{7,9}$")
_BARE_ID = re.compile(r"^\d{7,9}$")


def find_student_ids(text: str, extra_patterns: Sequence[str] = ()) -> Iterator[Candidate]:
    """Student numbers: any 6-10 digit number (or letter-prefixed one) shortly after
    "student number"/"ID"/"matric"..., or without context a letter-prefixed number or a
    bare 7-9 digit one (with lower confidence)."""
    for match in _ID_NUMBER.finditer(text):
        value = match.group()
        if _has_context(text, match.start(), _ID_WORDS, width=60):
            yield Candidate(match.start(), match.end(), "STUDENT_ID", 0.95, "pattern.student_id")
        elif _LETTER_ID.match(value):
            yield Candidate(match.start(), match.end(), "STUDENT_ID", 0.85, "pattern.student_id")
        elif _BARE_ID.match(value):
            yield Candidate(match.start(), match.end(), "STUDENT_ID", 0.6, "pattern.student_id")
    for pattern in extra_patterns:
        for match in re.finditer(pattern, text):
            yield Candidate(
                match.start(), match.end(), "STUDENT_ID", 0.9, "pattern.student_id.custom"
            )


# -- dates ------------------------------------------------------------------------------

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE_NUMERIC = re.compile(
    r"(?<![\d/.\-£])(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/.\-]\d|\d)"
)
_DATE_WORDS = re.compile(
    rf"\b(?:{_ORDINAL}\s+(?:of\s+)?{_MONTHS}\.?,?\s+(?:\d{{4}}|'\d{{2}})|{_MONTHS}\.?\s+{_ORDINAL},?\s+\d{{4}})\b",
    re.IGNORECASE,
)
_DATE_ISO = re.compile(
    r"(?<![\d-])(?:19|20)\d{2}-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])(?![\d-])"
)
_DAY_MONTH = re.compile(
    rf"\b(?:{_ORDINAL}\s+(?:of\s+)?{_MONTHS}|{_MONTHS}\s+{_ORDINAL})\b", re.IGNORECASE
)
_BIRTH_WORDS = re.compile(r"\b(?:born|birthday|date of birth|d\.?o\.?b\.?|birth date|bday)\b")


def find_dates(text: str) -> Iterator[Candidate]:
    """Full dates anywhere (a date of birth most of all); day and month after "born"."""
    for match in _DATE_NUMERIC.finditer(text):
        day, month = int(match.group(1)), int(match.group(3))
        if not (1 <= day <= 31 and 1 <= month <= 12) and not (1 <= month <= 31 and 1 <= day <= 12):
            continue
        birth = _has_context(text, match.start(), _BIRTH_WORDS)
        yield Candidate(match.start(), match.end(), "DATE", 0.92 if birth else 0.7, "pattern.date")
    for match in _DATE_WORDS.finditer(text):
        birth = _has_context(text, match.start(), _BIRTH_WORDS)
        yield Candidate(match.start(), match.end(), "DATE", 0.92 if birth else 0.7, "pattern.date")
    for match in _DATE_ISO.finditer(text):
        birth = _has_context(text, match.start(), _BIRTH_WORDS)
        yield Candidate(match.start(), match.end(), "DATE", 0.92 if birth else 0.75, "pattern.date")
    for match in _DAY_MONTH.finditer(text):
        if _has_context(text, match.start(), _BIRTH_WORDS, width=40) and re.search(
            r"\d", match.group()
        ):
            yield Candidate(match.start(), match.end(), "DATE", 0.85, "pattern.date.birthday")


# -- street addresses -----------------------------------------------------------------------

_STREET = (
    r"(?:street|st|road|rd|avenue|ave|lane|ln|close|drive|grove|way|crescent|cres|place|"
    r"terrace|court|gardens|gdns|square|sq|hill|row|mews|walk|parade|boulevard|rise|vale|"
    r"view|green|gate|wharf|quay|park road)"
)
_NAME_WORD = r"[A-Z][\w'’\-]+"
_ADDRESS_NUMBERED = re.compile(
    rf"\b(?:(?:flat|apartment|apt|room|unit)\s+\d+[A-Za-z]?,?\s+)?\d{{1,4}}[A-Za-z]?,?\s+"
    rf"(?:[A-Za-z][\w'’\-]+\s+){{1,3}}{_STREET}\b\.?",
    re.IGNORECASE,
)
_ADDRESS_NAMED = re.compile(rf"\b(?:{_NAME_WORD}\s+){{1,2}}{_STREET.title()}\b")
_STREET_PLACE = re.compile(r"\b(?:on|in|off|near|along|at|down|up)\s+$", re.IGNORECASE)
_ABBREVIATED = re.compile(r"\b(?:st|rd|ave|ln|cres|gdns|sq)\.$", re.IGNORECASE)
_ADDRESS_LOWER = re.compile(
    r"\b(?:on|in|at|off|along|down|up|near|lived on|live on)\s+(?P<street>(?:[a-z][a-z'-]+\s+){1,2}"
    r"(?:street|road|lane|avenue|close|drive|grove|crescent|terrace|gardens|mews|row|way))\b"
)
_FLAT = re.compile(r"\b(?:flat|apartment|apt)\s+\d+[A-Za-z]?\b", re.IGNORECASE)
_NOT_STREET_NAMES = {
    "the", "a", "an", "this", "that", "my", "our", "one", "which", "every", "each", "no", "to",
    "up", "in", "on", "of", "and", "for", "at", "his", "her", "their", "down", "over", "by",
    "from", "into", "with", "or", "but", "so", "then", "was", "is", "it", "i", "you", "we",
}  # fmt: skip


def find_addresses(text: str) -> Iterator[Candidate]:
    """House number and street (`27 Smithdown Road`, `Flat 3, 12 Elm Grove`), or a
    capitalised street name alone (`on Elm Grove`)."""
    for match in _ADDRESS_NUMBERED.finditer(text):
        end = match.end() - (match.group().endswith(".") and not _ABBREVIATED.search(match.group()))
        words = [w.strip(",.").lower() for w in match.group().split()]
        house = max(i for i, word in enumerate(words) if word[:1].isdigit())
        street_words = words[house + 1 : -1]
        if not street_words or any(w in _NOT_STREET_NAMES for w in street_words):
            continue
        yield Candidate(match.start(), end, "ADDRESS", 0.93, "pattern.address")
    for match in _ADDRESS_NAMED.finditer(text):
        first = match.group().split()[0]
        if first.lower() in _NOT_STREET_NAMES:
            continue
        # "on Rowan Road": a street after "on/in/off/near" is surer than a name that precedes a street word
        located = bool(_STREET_PLACE.search(text[max(0, match.start() - 12) : match.start()]))
        yield Candidate(
            match.start(),
            match.end(),
            "ADDRESS",
            0.88 if located else 0.75,
            "pattern.address.street",
        )
    for match in _ADDRESS_LOWER.finditer(text):
        words = match.group("street").split()[:-1]
        if not any(w in _NOT_STREET_NAMES for w in words):
            yield Candidate(
                match.start("street"), match.end("street"), "ADDRESS", 0.7, "pattern.address.street"
            )
    for match in _FLAT.finditer(text):
        yield Candidate(match.start(), match.end(), "ADDRESS", 0.6, "pattern.address.flat")


RECOGNISERS: tuple[Callable[[str], Iterator[Candidate]], ...] = (
    find_web,
    find_phones,
    find_postcodes,
    find_nhs_numbers,
    find_dates,
    find_addresses,
)
