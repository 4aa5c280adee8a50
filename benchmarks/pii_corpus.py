"""A synthetic corpus of interview transcripts with planted identifiers and exact gold spans.

Every transcript is an invented conversation between a student peer researcher and a
student participant about mental-health support (GP, counselling, NHS Talking Therapies,
A&E, the crisis team, the Student Liaison Service, U-COPE, the students' union advice
centre, housing, money, exams). Identifiers are planted in natural speech while the text
is built by concatenation, so every `Gold(start, end, label)` is an exact character span
of `Doc.text` (checked with an assertion when each document is built).

Everything here is fiction written for this project: the people are invented, phone
numbers come from Ofcom's drama ranges (07700 900000-900999, 020 7946 0000-0999,
0151/0161/0113/0117/0121 496 0000-0999, 029 2018 0000-0999), NHS numbers are generated in
the 999 range that the NHS keeps for testing (with a valid modulus-11 check digit), and
e-mail domains are `example.*`. Hard negatives (service names, module codes, years,
times, money, room and bus numbers, redaction placeholders, word uses of Will, Grace, Hope,
May and Mark, organisation web sites) appear throughout and carry no gold, and some
documents are clean: nothing in them should be found.

Usage:
    python benchmarks/pii_corpus.py OUT_FOLDER [--n 60] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LABELS = (
    "PERSON", "EMAIL", "PHONE", "POSTCODE", "STUDENT_ID", "NHS_NUMBER", "DATE", "ADDRESS",
    "HANDLE", "URL",
)  # fmt: skip

DEFAULT_N = 60
DEFAULT_SEED = 7
CLEAN_EVERY = 6  # documents 3, 9, 15, ... (1-based) are clean: nothing to find
# Formats by position (index % 10); the clean documents land on txt, md, both vtt styles and srt.
_FORMAT_CYCLE = ("txt", "txt", "md", "txt", "vtt_zoom", "txt", "srt", "txt", "vtt_teams", "txt")
_SUFFIX = {"txt": ".txt", "md": ".md", "vtt_zoom": ".vtt", "vtt_teams": ".vtt", "srt": ".srt"}


@dataclass(frozen=True)
class Gold:
    """A planted identifier: `doc.text[start:end]`, with its label."""

    start: int
    end: int
    label: str


@dataclass
class Doc:
    """One transcript file: its name, its exact content and its planted identifiers."""

    name: str
    text: str
    gold: list[Gold] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Word pools (all invented; names are common given names and surnames, not real people)
# ---------------------------------------------------------------------------------------


def _nfc(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(unicodedata.normalize("NFC", w) for w in words)


FIRST_NAMES = _nfc(
    (
        "Priya", "Zoë", "José", "Siobhán", "Björn", "Aoife", "Mohammed", "Oluwaseun", "Chloe",
        "Kwame", "Mei", "Dmitri", "Fatima", "Callum", "Niamh", "Tomasz", "Ananya", "Rhys",
        "Saoirse", "Yusuf", "Hannah", "Ellie", "Jordan", "Kieran", "Amara", "Lukas", "Inès",
        "Chiara", "Hamza", "Meera", "Freya", "Ioana", "Kofi", "Leila", "Ravi", "Sinéad",
        "Tariq", "Agnieszka", "Ffion", "Dafydd", "Ngozi", "Jun", "Sanjay", "Łucja", "Eilidh",
        "Bogdan", "Naledi", "Thandiwe", "Rūta", "Kacper", "Maëlle", "Oisín", "Adaeze", "Farah",
    )
)  # fmt: skip
SURNAMES = _nfc(
    (
        "Okafor", "Kowalski", "Jones", "Lin", "Adeyemi", "Byrne", "Nguyen", "Patel", "Hughes",
        "O'Connell", "Murphy", "Evans", "Mensah", "Rahman", "Fitzgerald", "Novak", "Okonkwo",
        "Hassan", "Gallagher", "Kaur", "Chowdhury", "Zieliński", "Ferreira", "Haddad",
        "MacLeod", "Llewellyn", "Begum", "Nowak", "Tanaka", "Papadopoulos", "Whitfield",
        "Ashworth", "Doherty", "Mbeki-Hall", "Sørensen", "Quigley", "Abernethy", "Oyelaran",
    )
)  # fmt: skip
# Whole names that a simple first+last split would not produce.
SPECIAL_FULL_NAMES = _nfc(
    (
        "Oluwaseun Adeyemi", "Nguyễn Thị Lan", "Aleksandra Wiśniewska", "Siobhán Ní Bhriain",
        "Zoë Achterberg", "José Ferreira", "Björn Lindqvist", "Mohammed Al-Rashid",
        "Aoife Gallagher", "Chloé Dubois", "Mary-Kate O'Sullivan", "Kwabena Asante-Mensah",
        "Li Wei Chen", "Anna-Maria Kowalczyk", "Seán Mac Giolla", "Ifeoma Nwosu",
    )
)  # fmt: skip
# Names that are also ordinary English words: planted only where the context says person.
WORD_NAMES = ("Will", "Hope", "Grace", "Mark", "May", "Rose", "Faith", "Joy", "Bill", "Summer")
FEMALE_WORD_NAMES = ("Hope", "Grace", "May", "Rose", "Faith", "Joy", "Summer")
MALE_WORD_NAMES = ("Will", "Mark", "Bill")
FEMALE_FIRST_NAMES = _nfc(
    (
        "Priya", "Zoë", "Siobhán", "Aoife", "Chloe", "Mei", "Fatima", "Niamh", "Ananya", "Saoirse",
        "Hannah", "Ellie", "Amara", "Inès", "Chiara", "Meera", "Freya", "Ioana", "Leila", "Sinéad",
        "Agnieszka", "Ffion", "Ngozi", "Łucja", "Eilidh", "Naledi", "Thandiwe", "Rūta", "Maëlle",
        "Adaeze", "Farah",
    )
)  # fmt: skip
TITLES = ("Dr", "Dr", "Dr.", "Ms", "Mr", "Mr.", "Mrs", "Miss", "Professor", "Prof.", "Mx")
STREET_WORDS = (
    "Elm", "Mulberry", "Hawthorn", "Wren", "Alder", "Rowan", "Larch", "Kestrel", "Thistle",
    "Bramble", "Cedar", "Marlow", "Ashby", "Fenwick", "Lark", "Smithdown", "Sefwick", "Holloway",
    "Brindley", "Quarry", "Chantry", "Orchard", "Linnet", "Copperfield",
)  # fmt: skip
STREET_KINDS = (
    "Street", "Road", "Lane", "Grove", "Avenue", "Close", "Terrace", "Crescent", "Drive",
    "Way", "Place", "Mews",
)  # fmt: skip
POSTCODE_OUTWARD = (
    "L7", "L15", "L8", "L17", "M13", "M14", "M1", "M20", "SW1A", "SW9", "E1", "N7", "BS8",
    "BS6", "LS6", "LS2", "CF24", "G12", "EH8", "NE2", "S10", "B29", "NG7", "OX4", "CB2",
    "BN2", "SE15", "EC1V", "W12", "CH41",
)  # fmt: skip
POSTCODE_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HANDLE_WORDS = ("draws", "writes", "runs", "bakes", "reads", "makes", "films", "knits", "lifts")
URL_WORDS = ("writes", "draws", "makes", "thinks", "photography", "poems", "studio", "notes")

# Hard negatives: these are never gold.
SERVICES = (
    "the GP", "A&E", "U-COPE", "CAMHS", "NHS 111", "the Student Liaison Service",
    "Samaritans", "Mersey Care", "Student Minds", "NHS Talking Therapies", "the crisis team",
    "the SU advice centre", "Nightline", "Shout", "the wellbeing team", "IAPT",
)  # fmt: skip
MODULES = ("PSY1001", "CS3012", "LAW104", "ECON2040", "BIOL1205", "HIST203", "MATH101", "ENGL2312")
YEARS = ("2019", "2020", "2021/22", "2022-23", "2023", "2018")
TIMES = ("10:30", "9am", "half two", "14:15", "4pm", "8 o'clock", "11.45")
MONEY = ("£250", "£1,200", "£40 a week", "£9,250", "£80", "£600", "£12.50")
PERCENTAGES = ("40%", "62 per cent", "70%", "a hundred percent", "38%")
ROOMS = ("room 2.14", "Room G12", "room 104", "the Rendall Building room 3.07", "seminar room 5")
BUSES = ("86 bus", "75", "14 bus", "10A", "number 27", "N86")
PLACEHOLDERS = ("[NAME]", "[PERSON_2]", "[university]", "[NAME REMOVED]", "[tutor]", "[city]")
CITIES = ("Liverpool", "Manchester", "London", "Wales", "Leeds", "Birmingham", "Cardiff", "Glasgow")
ORG_SITES = (
    "nhs.uk", "www.studentminds.org.uk", "www.samaritans.org", "www.nhs.uk/mental-health",
    "gov.uk", "the uni website", "www.mind.org.uk",
)  # fmt: skip
WEEKS = ("10 weeks", "three weeks", "two months", "six weeks", "a fortnight", "12 weeks")
SESSIONS = ("6 sessions", "six sessions", "four sessions", "8 sessions", "twelve sessions")
PARTICIPANT_CODES = ("P07", "P12", "Participant 12", "P3", "participant 4", "P21", "Participant 9")
LEVELS = ("level 4", "year 2", "second year", "level 6", "first year", "year 3", "level 5")


# ---------------------------------------------------------------------------------------
# Identifier generators
# ---------------------------------------------------------------------------------------


def _ascii(word: str) -> str:
    """Lower-case ASCII letters of `word`, for e-mail addresses and handles."""
    special = {"ł": "l", "ø": "o", "đ": "d", "ß": "ss"}
    word = "".join(special.get(ch, ch) for ch in word.lower())
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if "a" <= ch <= "z")


def _ordinal(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th') }"


def nhs_number(rng: random.Random) -> str:
    """Ten digits in the NHS test range (999...) with a valid modulus-11 check digit."""
    while True:
        digits = [9, 9, 9] + [rng.randrange(10) for _ in range(6)]
        total = sum(d * (10 - i) for i, d in enumerate(digits))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def nhs_check_ok(number: str) -> bool:
    """True when the ten digits of `number` pass the NHS modulus-11 check."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) != 10:
        return False
    check = 11 - sum(d * (10 - i) for i, d in enumerate(digits[:9])) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == digits[9]


class _People:
    """Name generators for one document, sharing its random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def first(self) -> str:
        return self.rng.choice(FIRST_NAMES)

    def full(self) -> str:
        if self.rng.random() < 0.4:
            return self.rng.choice(SPECIAL_FULL_NAMES)
        return f"{self.first()} {self.rng.choice(SURNAMES)}"

    def titled(self, titles: Sequence[str] = TITLES) -> str:
        title = self.rng.choice(titles)
        if self.rng.random() < 0.2 and title in ("Dr", "Dr.", "Professor", "Prof.", "Mx"):
            return f"{title} {self.full()}"
        return f"{title} {self.rng.choice(SURNAMES)}"

    def doctor(self) -> str:
        return self.titled(("Dr", "Dr", "Dr."))


def _email(rng: random.Random, people: _People, uni: bool) -> str:
    first, last = _ascii(people.first()), _ascii(rng.choice(SURNAMES))
    if uni:
        local = rng.choice(
            (f"{first[0]}.{last}", f"{first}.{last}", f"{first[0]}{last}{rng.randint(1, 99)}")
        )
        domain = rng.choice(("student.example.ac.uk", "example.ac.uk", "live.example.ac.uk"))
        address = f"{local}@{domain}"
        if rng.random() < 0.15:  # capitalised as people type it
            address = address[0].upper() + address[1:]
        return address
    local = rng.choice(
        (
            f"{first}.{last}",
            f"{first}{rng.randint(90, 99)}",
            f"{first}_{last[0]}",
            f"{last}{first[0]}",
        )
    )
    domain = rng.choice(("example.com", "example.co.uk", "example.org", "mail.example.net"))
    return f"{local}@{domain}"


def _mobile(rng: random.Random) -> str:
    tail = rng.randrange(1000)
    return rng.choice(
        (
            f"07700 900{tail:03d}",
            f"07700900{tail:03d}",
            f"+44 7700 900 {tail:03d}",
            f"+44 (0)7700 900{tail:03d}",
            f"07700 900 {tail:03d}",
            f"+447700900{tail:03d}",
        )
    )


def _landline(rng: random.Random) -> str:
    tail = rng.randrange(1000)
    return rng.choice(
        (
            f"0151 496 0{tail:03d}",
            f"020 7946 0{tail:03d}",
            f"0161-496-0{tail:03d}",
            f"0161 4960{tail:03d}",
            f"(0113) 496 0{tail:03d}",
            f"0121 496 0{tail:03d}",
            f"029 2018 0{tail:03d}",
            f"0117 496 0{tail:03d}",
        )
    )


def _postcode(rng: random.Random) -> str:
    outward = rng.choice(POSTCODE_OUTWARD)
    inward = f"{rng.randrange(10)}{rng.choice(POSTCODE_INWARD_LETTERS)}{rng.choice(POSTCODE_INWARD_LETTERS)}"
    form = rng.random()
    if form < 0.55:
        return f"{outward} {inward}"
    if form < 0.75:
        return f"{outward} {inward}".lower()
    if form < 0.9:
        return f"{outward}{inward}"
    return f"{outward}{inward}".lower()


def _nhs(rng: random.Random) -> str:
    number = nhs_number(rng)
    form = rng.random()
    if form < 0.6:
        return f"{number[:3]} {number[3:6]} {number[6:]}"
    if form < 0.9:
        return number
    return f"{number[:3]}-{number[3:6]}-{number[6:]}"


def _student_id(rng: random.Random, kind: str) -> str:
    if kind == "nine":
        return f"{rng.choice(('20', '21'))}{rng.randrange(10_000_000):07d}"
    if kind == "s":
        return f"{rng.choice('SsR')}{rng.randrange(1_000_000, 9_999_999)}"
    if kind == "eight":
        return f"20{rng.randrange(1_000_000):06d}"
    if kind == "matric":
        return f"2{rng.randrange(1_000_000):06d}"
    # letter-prefixed
    return rng.choice(
        (f"B00{rng.randrange(1_000_000):06d}", f"u{rng.randrange(1_000_000, 9_999_999)}")
    )


def _full_date(rng: random.Random, years: range) -> str:
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.choice(years)
    return rng.choice(
        (
            f"{day:02d}/{month:02d}/{year}",
            f"{day}/{month}/{year}",
            f"{day:02d}.{month:02d}.{year}",
            f"{_ordinal(day)} {MONTHS[month - 1]} {year}",
            f"{day} {MONTHS[month - 1]} {year}",
            f"{_ordinal(day)} of {MONTHS[month - 1]} {year}",
            f"{MONTHS[month - 1]} {_ordinal(day)}, {year}",
            f"{year}-{month:02d}-{day:02d}",
            f"{day:02d}-{month:02d}-{year}",
            f"{day} {MONTHS_SHORT[month - 1]} {year}",
        )
    )


def _street(rng: random.Random) -> str:
    return f"{rng.choice(STREET_WORDS)} {rng.choice(STREET_KINDS)}"


def _address(rng: random.Random) -> str:
    number = f"{rng.randint(1, 140)}{rng.choice(('', '', '', 'a', 'b'))}"
    form = rng.random()
    if form < 0.6:
        return f"{number} {_street(rng)}"
    flat = rng.choice((str(rng.randint(1, 12)), f"{rng.randint(1, 4)}{rng.choice('ABC')}"))
    return f"Flat {flat}, {number} {_street(rng)}"


def _linkedin(rng: random.Random, people: _People) -> str:
    first, last = _ascii(people.first()), _ascii(rng.choice(SURNAMES))
    return rng.choice(
        (
            f"https://www.linkedin.com/in/{first}-{last[0]}-{rng.randint(100, 999)}",
            f"linkedin.com/in/{first}{last}",
            f"www.linkedin.com/in/{first}-{last}",
        )
    )


def _handle(rng: random.Random, people: _People) -> str:
    first, last = _ascii(people.first()), _ascii(rng.choice(SURNAMES))
    return "@" + rng.choice(
        (
            f"{first}_{last[0]}",
            f"{first}.{last[0]}",
            f"{first}.{rng.choice(HANDLE_WORDS)}",
            f"{first}_{last[:1]}{rng.randint(10, 99)}",
            f"the_real_{first}",
            f"{first}{last}",
        )
    )


def _url(rng: random.Random, people: _People) -> str:
    first, last = _ascii(people.first()), _ascii(rng.choice(SURNAMES))
    return rng.choice(
        (
            f"{first}{rng.choice(URL_WORDS)}.blog",
            f"https://www.linkedin.com/in/{first}-{last[0]}-{rng.randint(100, 999)}",
            f"linktr.ee/{first}",
            f"www.{first}{rng.choice(URL_WORDS)}.co.uk",
            f"https://github.com/{first}-{last[:3]}",
            f"{first}-{last}.carrd.co",
            f"https://{first}{last}.wordpress.com",
            f"linkedin.com/in/{first}{last}",
        )
    )


# ---------------------------------------------------------------------------------------
# Templates: literal text with {slot}s. A slot is either an identifier (gold) or a hard
# negative (no gold). `pfirst`/`ifirst` are the participant's and interviewer's names.
# ---------------------------------------------------------------------------------------

SLOT_LABELS = {
    "first": "PERSON", "first2": "PERSON", "first_lc": "PERSON", "full": "PERSON",
    "full_lc": "PERSON", "titled": "PERSON", "doctor": "PERSON", "wordname": "PERSON",
    "wordname_f": "PERSON", "wordname_m": "PERSON", "first_f": "PERSON", "first_f_lc": "PERSON",
    "pfirst": "PERSON", "ifirst": "PERSON",
    "email": "EMAIL", "uni_email": "EMAIL",
    "mobile": "PHONE", "landline": "PHONE",
    "postcode": "POSTCODE",
    "nhs": "NHS_NUMBER",
    "sid9": "STUDENT_ID", "sid_s": "STUDENT_ID", "sid8": "STUDENT_ID", "sid_matric": "STUDENT_ID",
    "sid_letter": "STUDENT_ID",
    "dob": "DATE", "date": "DATE",
    "address": "ADDRESS", "street": "ADDRESS",
    "handle": "HANDLE",
    "url": "URL", "linkedin": "URL",
}  # fmt: skip
NEGATIVE_SLOTS = {
    "service": SERVICES, "module": MODULES, "year": YEARS, "time": TIMES, "money": MONEY,
    "pct": PERCENTAGES, "room": ROOMS, "bus": BUSES, "placeholder": PLACEHOLDERS,
    "city": CITIES, "weekday": WEEKDAYS, "month": MONTHS, "orgsite": ORG_SITES,
    "weeks": WEEKS, "sessions": SESSIONS, "level": LEVELS, "pcode": PARTICIPANT_CODES,
}  # fmt: skip

TOPICS = (
    "gp", "counselling", "talking", "ae", "crisis", "liaison", "ucope", "su", "housing",
    "money", "exams", "friends",
)  # fmt: skip

QUESTIONS = {
    "gp": (
        "What was it like trying to get a GP appointment?",
        "Can you tell me about the first time you went to the GP about how you were feeling?",
        "How did the GP respond when you explained what was going on?",
    ),
    "counselling": (
        "Did you use the uni counselling service at all?",
        "How did you find the counselling, when you eventually got it?",
        "What was the wait like for counselling?",
    ),
    "talking": (
        "Had you heard of NHS Talking Therapies before, or did someone point you to it?",
        "What was the talking therapy like, the actual sessions?",
    ),
    "ae": (
        "You mentioned going to A&E. Only as much as you're comfortable with, what was that like?",
        "Can you tell me a bit about the night you ended up in A&E?",
    ),
    "crisis": (
        "What happened once the crisis team got involved?",
        "How was the contact with the crisis team?",
    ),
    "liaison": (
        "How did you find out about the Student Liaison Service?",
        "What did the Student Liaison Service actually do for you?",
    ),
    "ucope": (
        "Some people have mentioned U-COPE. Is that something you came across?",
        "How did you hear about U-COPE, and what was it like?",
    ),
    "su": (
        "Did the students' union help at all, the advice centre or anything like that?",
        "What was the SU advice centre like?",
    ),
    "housing": (
        "How was your housing during all of this?",
        "Where were you living at the time, and did that make a difference?",
    ),
    "money": (
        "Did money play a part in any of this?",
        "How were you managing financially?",
    ),
    "exams": (
        "How did it affect your course, or your exams?",
        "Did you get any support from your department, like extensions?",
    ),
    "friends": (
        "Who did you talk to, friends or family?",
        "Was there anyone who really helped, outside of services?",
        "How did the people around you react?",
    ),
}

FOLLOW_UPS = (
    "Mm-hm.", "Yeah.", "That makes sense.", "Take your time.", "Can you say a bit more about that?",
    "How did that feel?", "And what happened next?", "Right, okay.", "Sorry, can you say that again? The sound cut out for a second.",
    "That sounds really hard.", "Thank you for sharing that.", "Was that what you expected?",
    "And how long did that take, roughly?", "Okay. And did anyone explain why?",
    "That's interesting, {pcode} said something really similar about the waiting list.",
    "Mm. Another participant, {pcode}, described almost the same thing.",
)  # fmt: skip
# The interviewer repeats a name the participant has just used ({ref}).
FOLLOW_UPS_NAMED = (
    "And {ref} was someone from your course?",
    "Sorry, was that {ref}, did I hear that right?",
    "So {ref} was the one who noticed first?",
    "How did {ref} react, when you told them?",
)

PLAIN = {
    "gp": (
        "I rang the GP at 8am like they tell you to and I was something like fortieth in the queue.",
        "The first appointment they could give me was {weekday} the week after, at {time}.",
        "Honestly the doctor was fine, she just didn't have long, it was a ten minute slot.",
        "They put me on sertraline and said give it {weeks} before deciding anything.",
        "I didn't register with a GP here until {level}, I was still with the one at home.",
        "I think I'd built it up in my head, like they'd say I was wasting their time.",
        "The receptionist asked what it was about and I just said mental health really quietly.",
        "They said to ring {service} if things got worse over the weekend.",
        "It took till {month} to get a review, which felt like forever.",
        "The e-consult form was about six pages and I gave up halfway the first time.",
        "I was with CAMHS as a teenager, so I kind of knew the drill.",
        "I'd get the 86 bus to the surgery and it took forty minutes each way.",
        "I did the PHQ-9 and the GAD-7 on a clipboard in the waiting room, which felt very public.",
    ),
    "counselling": (
        "The uni counselling service gives you {sessions} and then that's it.",
        "There was a waiting list of about {weeks} when I first filled in the form.",
        "The counselling rooms are in {room}, right next to the library, so everyone sees you go in.",
        "I didn't really click with the first counsellor, and I didn't know you were allowed to ask for someone else.",
        "It was all online in {year}, which I think made it easier actually.",
        "The form asked me to rate things from one to ten and I never know what to put.",
        "I hope they get more counsellors, because {weeks} is a long time to wait when you're struggling.",
        "They offered me a slot at {time} on a {weekday}, which was right in the middle of a lab.",
        "The counsellor said we had {sessions} left and I panicked a bit about what happens after.",
    ),
    "talking": (
        "I self-referred to NHS Talking Therapies online, you don't need the GP for that.",
        "It was CBT over the phone, {sessions}, and they were fine but very scripted.",
        "They do a questionnaire every session and you watch your score go up and down.",
        "They said my score was too high for step 2 and too low for the next bit, so I fell through the gap.",
        "There was a waiting list until {month}, so I just sort of held on.",
        "The therapist rang at {time} and I was still in a seminar, so I missed it and had to wait again.",
        "It used to be called IAPT, I think, and everyone still calls it that.",
    ),
    "ae": (
        "I ended up in A&E at about {time}, my flatmate came with me in a taxi.",
        "We were there for nine hours, just on those plastic chairs.",
        "The mental health liaison team came down eventually, but it was like 4am.",
        "They gave me a leaflet with the number for Samaritans, 116 123, and sent me home.",
        "I didn't want to go, I thought A&E was for broken legs, not for this.",
        "Nobody at A&E knew anything about the uni side, which I suppose makes sense.",
        "It was a {weekday} night in {month}, so it was packed.",
    ),
    "crisis": (
        "The crisis team rang every day for about two weeks, which was a lot but also kind of good.",
        "You ring NHS 111 and press option 2 and they put you through to the crisis line.",
        "The crisis line is open 24/7 but the first time I rang I was on hold for twenty minutes.",
        "They came to the house twice, which was strange with my housemates there.",
        "After {weeks} they discharged me back to the GP and that felt really sudden.",
        "There's Shout as well, you text 85258, and that's what I use now when it's bad.",
        "I think they were from {service}, but I honestly don't remember much of that week.",
    ),
    "liaison": (
        "I got referred to the Student Liaison Service by my GP, I'd never even heard of it.",
        "The Student Liaison Service is like a bridge between the NHS and the uni, so they talk to both.",
        "It's run by the NHS but they're based on campus, which was really handy.",
        "They wrote a letter to my department about extensions, which I couldn't have done myself.",
        "They only see people who are under the mental health team already, so you can't just walk in.",
        "The liaison nurse came to a meeting with my school and that changed everything.",
    ),
    "ucope": (
        "U-COPE is for people who self-harm or are having thoughts about it, it's research but it's also support.",
        "I found U-COPE on a poster in the toilets in {room}, which is honestly where you find out about everything.",
        "The U-COPE people were the first ones who didn't make me feel like a problem.",
        "You do a few questionnaires and then you see someone, it's quite structured.",
        "I was worried U-COPE would tell the uni, but they said it's confidential unless you're at risk.",
        "I only found U-COPE in {year}, and I wish I'd known about it in {level}.",
    ),
    "su": (
        "The SU advice centre helped me with an extenuating circumstances form.",
        "It's on the second floor of the union, {room}, next to the print shop.",
        "They didn't know anything about mental health specifically but they knew the rules.",
        "The advice centre does a drop-in on {weekday} from {time}, and I went in my pyjamas basically.",
        "Student Minds had a stall at the SU in freshers week and I took a leaflet and then lost it.",
        "Nightline was good for the middle of the night, just someone to talk to.",
    ),
    "housing": (
        "The house was damp and the landlord never fixed anything, which didn't help at all.",
        "Rent was {money} a month, which is a lot when your loan doesn't cover it.",
        "I moved out of halls in {level} into a house with four people I barely knew.",
        "We got the {bus} into uni because it was the only one that went past the house.",
        "Halls were fine but the walls were so thin you could hear everything.",
        "There's a grace period on the rent if you tell the accommodation office, but nobody tells you that.",
        "I went home to {city} most weekends because I couldn't stand the house.",
        "The deposit was {money} and we never got it back.",
    ),
    "money": (
        "My student loan came in and it was gone in like {weeks}.",
        "I applied to the hardship fund and got {money}, which paid for a month of rent.",
        "I was working twenty hours a week at a bar on top of {level} and that's when it all fell apart.",
        "Prescriptions are {money} each, so I got the prepayment certificate eventually.",
        "I was scared to look at my banking app, I just didn't open it for {weeks}.",
        "About {pct} of my loan went straight on rent.",
        "The maintenance loan went up in {year} but rent went up more.",
    ),
    "exams": (
        "I failed {module} in first year and had to resit it in August.",
        "The exam was in {room} and I had a panic attack in the toilets beforehand.",
        "You need {pct} to pass, and I got 38, which is honestly worse than failing badly.",
        "I got an extension of {weeks} for my dissertation, through the ECF form.",
        "The mark scheme for {module} was so vague, nobody knew what they wanted.",
        "May is exam month and it's just the worst time for everyone.",
        "My personal tutor meeting got moved to {weekday} at {time} and I just didn't go.",
        "They count {level} as a third of your degree, so the pressure goes right up.",
        "Will I pass? I still don't know, the results come out in {month}.",
        "Mark schemes, deadlines, resits, it all blurs together in {month}.",
    ),
    "friends": (
        "My friends at home didn't really get it, they thought uni was just a big party.",
        "I hope people reading this know it's okay to ask for help earlier than I did.",
        "Will it actually change anything though? That's what I always wonder with research like this.",
        "I will say, the peer support group was better than I expected.",
        "Hope that makes sense, I'm not explaining it very well.",
        "Mark my words, if they cut the counselling any more, people will drop out.",
        "Student Minds run a peer support thing on {weekday} evenings, I went twice.",
        "I found a lot of stuff on {orgsite}, which was more helpful than I thought.",
        "I looked at {orgsite} at like 3am trying to work out if what I had was normal.",
        "My friend {placeholder} was at [university] as well and had the same experience.",
        "Me and [NAME] used to go for long walks round the park, that was my therapy really.",
        "My mum said I could come home, but home is {city} and my whole life is here now.",
        "I said yes to everything in {month} and by {month} I was exhausted.",
    ),
}

PII = {
    "gp": (
        "I'm registered at the practice near my flat on {street}, and they've been okay actually.",
        "{doctor} was the one who finally listened to me.",
        "The letter had my NHS number on it, {nhs}, and I remember thinking why is that in bold at the top.",
        "They asked for my date of birth, which is {dob}, and then my postcode, {postcode}, before anything else.",
        "I had to give them my NHS number, it's {nhs}, I know it off by heart now.",
        "I saw a locum, {titled}, who'd never met me before.",
        "The surgery texted me on {mobile} to say the referral had gone through.",
        "When I registered I put my term-time address, {address}, but all the letters still went home.",
        "My mum rang them and she was like, this is {full}, born {dob}, and I was so embarrassed.",
        "{doctor} said I could come back in {weeks} for a review.",
        "They wrote my date of birth down wrong, it's {dob}, so the prescription got stuck.",
        "My appointment was on {date} and I'd been waiting since {month}.",
        "My GP is {doctor}, who's actually been really good.",
        "My friend {wordname} sat in the waiting room with me, which helped more than anything.",
        "On the referral it just says DOB {dob} and then a list of everything that's wrong with me.",
    ),
    "counselling": (
        "My counsellor was called {first_f}, and she was honestly the first person who got it.",
        "I was seeing {titled} in the counselling service every {weekday}.",
        "{wordname_f} from my flat said the counselling was good, so I tried it.",
        "{first} from counselling emailed me from {uni_email} to check in, which was nice.",
        "I ended up emailing {titled} directly, because the generic inbox never answered.",
        "The counsellor, {full}, gave me a direct line, {landline}, in case I needed to rearrange.",
        "I gave them my student number, {sid9}, and they couldn't find me on the system.",
        "She asked if she could contact my GP, {doctor}, and I said yes.",
        "My first session was on {date}, which I only remember because it was the day before a deadline.",
    ),
    "talking": (
        "The therapist, {first}, rang me on {mobile} but it showed up as no caller ID so I ignored it three times.",
        "They sent the self-referral confirmation to {email}, which is my old school email.",
        "The form wanted my NHS number and date of birth, so I put {nhs} and {dob}.",
        "My first session was on {date}, I remember because it was the day before my deadline.",
        "I was with {titled} for the CBT, lovely but very by the book.",
        "They kept posting letters to {address} even though I'd moved out.",
    ),
    "ae": (
        "My flatmate {first_f} stayed with me the whole time, I don't know what I'd have done without her.",
        "The nurse, I think her name was {first_f}, kept checking on me every hour.",
        "The discharge letter said {full}, date of birth {dob}, and then a paragraph about me I didn't recognise.",
        "They asked for my address and I gave them {address}, {postcode}, but I was living in halls by then.",
        "A doctor called {doctor} did the assessment and said they'd refer me to the crisis team.",
        "It was {date}, I'll always remember that date.",
        "My dad drove up from {city} and got there at like six in the morning, he kept ringing me on {mobile}.",
        "Me and {wordname} walked to A&E together, it was freezing.",
        "The {bus} goes right past the hospital, and {wordname_m} got on it with me at two in the morning.",
    ),
    "crisis": (
        "The crisis worker, {full}, came round with a student nurse.",
        "My housemate {wordname} rang the crisis line for me because I couldn't.",
        "They had my number as {mobile} and it was an old one, so they couldn't get hold of me.",
        "{titled} from Mersey Care came out to see me at home.",
        "My care coordinator is {first_f}, and I can text her on {mobile} in office hours.",
        "They wrote down my address as {address} instead of the halls, so the letter went to the wrong place.",
        "The crisis team's notes had my NHS number as {nhs}, which is right, but my name spelled wrong.",
    ),
    "liaison": (
        "My liaison worker was {titled}, who sorted out the letter to my school.",
        "{first} from the liaison service emailed me, like, {uni_email}, and I didn't know if it was a real person.",
        "They needed my student ID, {sid_s}, so they could speak to the faculty.",
        "I just kept saying student ID {sid_s} down the phone until someone found me.",
        "They rang my mum by mistake, because her number, {landline}, was still down as my main contact.",
        "I had to sign a consent form with my ID, {sid8}, and my date of birth, {dob}.",
    ),
    "ucope": (
        "The person I saw at U-COPE, {first}, was a trainee psychologist I think.",
        "I got a text from U-COPE on {mobile} reminding me about my session on {date}.",
        "The U-COPE form asked for my NHS number, {nhs}, and I had to go and find an old letter.",
        "{titled} ran the U-COPE group and was really calm about everything.",
        "My friend {wordname_m} found U-COPE for me, he sent me the link.",
        "They asked for a postcode, so I gave them my home one, {postcode}, not the halls one.",
    ),
    "su": (
        "The advisor, {full}, helped me write the appeal.",
        "A girl called {wordname_f} at the advice centre was really kind about it.",
        "It was under ID {sid8} on their system, not my name, which felt a bit cold.",
        "I emailed the advice centre from my uni account, {uni_email}, and they replied the next day.",
        "I had to put my student number on everything, {sid9}, like fifty times.",
        "{first} at the SU said I should get a letter from {doctor} for the appeal.",
        "They said put your ID, mine's {sid8}, at the top of the form and they'd chase it.",
        "My student number is {sid_letter}, and they still spelled my name wrong on the form.",
        "The advice centre rang me back on {landline}, which is my nan's landline, because my phone was broken.",
    ),
    "housing": (
        "I was living at {address} then, in a tiny box room.",
        "The house was on {street}, right by the park, so at least I could go for walks.",
        "The landlord, {titled}, used to just turn up without texting.",
        "My postcode was {postcode} and the GP said I was out of their catchment, so I had to re-register.",
        "I live at {address}, {postcode} now, which is much quieter.",
        "Our letting agent was a guy called {first}, and his number was {landline}, and he never picked up.",
        "My housemate {wordname_f} is doing nursing so she knew where to send me.",
        "We moved to a house on {street} in {level} and it was so much better.",
    ),
    "money": (
        "The hardship fund emailed me at {email} and it went into spam for two weeks.",
        "I had to send my bank statements and a letter with my student ID, {sid_s}, on it.",
        "My friend {first} lent me {money} and I still feel bad about it.",
        "{wordname} said I should apply to the hardship fund, I didn't even know it existed.",
        "i texted {first_f_lc} at like 2am saying i can't afford food and she just turned up with pasta.",
        "The funding team wanted my matric number, {sid_matric}, and proof of address, so I sent a bill for {address}.",
    ),
    "exams": (
        "My personal tutor, {titled}, was actually the one who told me about the Student Liaison Service.",
        "{titled} marked my essay and wrote see me, and I spiralled for a week.",
        "I emailed {titled} from {uni_email} asking for an extension and didn't hear back.",
        "My student number is {sid9}, and for some reason it wasn't on the resit list.",
        "The exams office needed my matric number, which is {sid_matric}, and my date of birth, {dob}.",
        "My library card says {sid_letter}, I always forget which number is which.",
        "my student number is {sid9} if you need it for the consent form.",
        "There's a girl called {wordname_f} on my course who told me about the ECF deadline.",
        "There's a lad called {wordname_m} on my course who had an extension too, so I asked him.",
        "I had a meeting with {titled} on {date} about whether I should interrupt.",
        "For {module} the extension form needs your student ID, so I wrote {sid_s} and my tutor's name, {titled}.",
        "matric number {sid_matric}, i had to say it about four times on the phone.",
    ),
    "friends": (
        "My friend {first} was the first person I told, over text.",
        "My best friend, {full}, basically dragged me to the GP.",
        "I follow this girl {handle} on insta who talks about her OCD, and that helped me name it.",
        "If you want to see my art stuff, my insta is {handle}, but maybe don't put that in.",
        "I write about it on my blog, {url}, but under a different name.",
        "It's all on my website, {url}, the poems and everything.",
        "My LinkedIn is {linkedin} and I worried employers would see I'd had time out.",
        "You can message me on {handle} if you need anything else for the project.",
        "{first} and {first2} from my course set up a group chat just for checking in.",
        "i texted {first_f_lc} and she rang me straight away.",
        "My sister {first_f} lives in {city} and she came up for a week.",
        "I've got a post on {url} about the waiting lists, I can send it you.",
        "My email's {email} if you want to send me the transcript.",
        "Text me on {mobile} if you need to rearrange the follow-up.",
        "{titled} at my old school was the first person who ever mentioned counselling.",
        "My mate {full} went through U-COPE as well.",
        "My friend {wordname} came with me to the first appointment.",
        "{wordname_f} said I should just go to the doctor, and she was right.",
        "There's a girl called {wordname_f} in my flat who's been through the same thing.",
        "I turned twenty-one this year, my birthday's {dob}, so I was still a teenager when it started.",
        "me and {full_lc} used to just sit in the library not revising, just talking.",
        "My tiktok is {handle}, I post about uni stuff sometimes.",
        "I was born on {dob}, so I was one of the youngest in my year.",
    ),
}

INTROS_CLEAN = (
    "Okay, I think that's recording now. Thanks so much for doing this.",
    "Right, we're recording. Thanks for making the time, I know it's a busy week.",
    "Hi, thanks for joining. Can you hear me okay?",
)
INTROS_NAMED = (
    "Hi {pfirst}, thanks so much for doing this. I'm {ifirst}, one of the peer researchers on the project.",
    "Okay, that's recording. So, {pfirst}, thanks for making the time.",
    "Hi {pfirst}! Can you hear me okay? It's {ifirst} from the peer research team.",
)
CONSENT = (
    "Before we start, just a reminder that I'll take names out, so anyone you mention becomes [NAME] or [PERSON_2] in the transcript.",
    "You're P{pnum} in the study, and the uni will just be [university], so nothing identifies you.",
    "Everything gets anonymised, so you'll be Participant {pnum} and the recording is deleted after transcription.",
    "You've read the information sheet and signed the consent form, and you're happy for me to record?",
)
CONSENT_REPLIES = (
    "Yeah, that's fine. I read it.",
    "Yes, I'm happy. I might go quiet on some bits, but that's fine.",
    "Yeah, go for it.",
    "Yes. I had a question about the data but you answered it by email, so, yes.",
)
OPENERS = (
    "Could you start by telling me a bit about yourself, like what year you're in?",
    "So, broad question to start: how did you first come to look for support?",
)
OPENER_REPLIES = (
    "I'm in {level} now, doing a science degree, I'd rather not say which one.",
    "So I'm in {level}, and things started getting bad in {month} of first year.",
    "I started in {year}, so it was all a bit weird with the online stuff at first.",
    "I'm a mature student, I came back to education after working for a few years.",
)
CLOSINGS = (
    "Is there anything else you'd like to add, anything I haven't asked?",
    "If you could change one thing about the support, what would it be?",
)
CLOSING_REPLIES = (
    "No, I think that's it.",
    "Just that people should ask earlier. I waited way too long.",
    "More counsellors, honestly. And shorter waiting lists.",
    "Maybe that the services should talk to each other, so you don't have to tell your story ten times.",
)
THANKS = "Thank you so much, that's everything. I'll stop the recording now."
FILLERS = ("Um.", "Yeah.", "Mm.", "Honestly?", "Um, yeah.", "So, yeah.", "I mean.", "Hmm.")

_SLOT = re.compile(r"\{(\w+)\}")

Segment = tuple[str, str | None]  # (text, label or None)
Sentence = list[Segment]


@dataclass
class _Turn:
    role: str  # "I" (interviewer) or "P" (participant)
    sentences: list[Sentence]


@dataclass(frozen=True)
class _Template:
    topic: str
    text: str
    labels: frozenset[str]


def _templates(pool: dict[str, tuple[str, ...]]) -> list[_Template]:
    out = []
    for topic, texts in pool.items():
        for text in texts:
            labels = frozenset(SLOT_LABELS[s] for s in _SLOT.findall(text) if s in SLOT_LABELS)
            out.append(_Template(topic, text, labels))
    return out


_PII_TEMPLATES = _templates(PII)
_PLAIN_TEMPLATES = _templates(PLAIN)
for _t in _PLAIN_TEMPLATES:  # plain templates must plant nothing
    assert not _t.labels, _t.text
for _t in _PII_TEMPLATES:
    assert _t.labels, _t.text
for _name in {s for t in _PII_TEMPLATES + _PLAIN_TEMPLATES for s in _SLOT.findall(t.text)}:
    assert _name in SLOT_LABELS or _name in NEGATIVE_SLOTS, _name


# ---------------------------------------------------------------------------------------
# Building one document
# ---------------------------------------------------------------------------------------


class _DocWriter:
    """Plans and renders one transcript."""

    def __init__(self, index: int, rng: random.Random) -> None:
        self.index = index  # 0-based
        self.rng = rng
        self.people = _People(rng)
        self.fmt = _FORMAT_CYCLE[index % len(_FORMAT_CYCLE)]
        self.clean = index % CLEAN_EVERY == 2
        self.pnum = index + 1
        self.participant = (self.people.first(), rng.choice(SURNAMES))
        self.interviewer = (self.people.first(), rng.choice(SURNAMES))
        if rng.random() < 0.3:  # some display names are whole special names
            first, last = rng.choice(SPECIAL_FULL_NAMES).split(" ", 1)
            self.participant = (first, last)
        self.casual = rng.random() < 0.2  # some participant turns typed in lower case
        self.pii_rate = rng.uniform(0.25, 0.5)
        self.used: set[str] = set()

    # -- slots ----------------------------------------------------------------------------

    def _fill(self, slot: str) -> Segment:
        rng, people = self.rng, self.people
        if slot in NEGATIVE_SLOTS:
            return rng.choice(NEGATIVE_SLOTS[slot]), None
        label = SLOT_LABELS[slot]
        makers: dict[str, Callable[[], str]] = {
            "first": people.first,
            "first2": people.first,
            "first_lc": lambda: people.first().lower(),
            "full": people.full,
            "full_lc": lambda: people.full().lower(),
            "titled": people.titled,
            "doctor": people.doctor,
            "wordname": lambda: rng.choice(WORD_NAMES),
            "wordname_f": lambda: rng.choice(FEMALE_WORD_NAMES),
            "wordname_m": lambda: rng.choice(MALE_WORD_NAMES),
            "first_f": lambda: rng.choice(FEMALE_FIRST_NAMES),
            "first_f_lc": lambda: rng.choice(FEMALE_FIRST_NAMES).lower(),
            "pfirst": lambda: self.participant[0],
            "ifirst": lambda: self.interviewer[0],
            "email": lambda: _email(rng, people, uni=False),
            "uni_email": lambda: _email(rng, people, uni=True),
            "mobile": lambda: _mobile(rng),
            "landline": lambda: _landline(rng),
            "postcode": lambda: _postcode(rng),
            "nhs": lambda: _nhs(rng),
            "sid9": lambda: _student_id(rng, "nine"),
            "sid_s": lambda: _student_id(rng, "s"),
            "sid8": lambda: _student_id(rng, "eight"),
            "sid_matric": lambda: _student_id(rng, "matric"),
            "sid_letter": lambda: _student_id(rng, "letter"),
            "dob": lambda: _full_date(rng, range(1996, 2006)),
            "date": lambda: _full_date(rng, range(2021, 2025)),
            "address": lambda: _address(rng),
            "street": lambda: _street(rng),
            "handle": lambda: _handle(rng, people),
            "url": lambda: _url(rng, people),
            "linkedin": lambda: _linkedin(rng, people),
        }
        return makers[slot](), label

    def sentence(self, template: str, *, lower: bool = False) -> Sentence:
        """`template` with its slots filled, as (text, label) segments."""
        template = template.replace(
            "{pnum}", f"{self.pnum:02d}" if "P{" in template else str(self.pnum)
        )
        segments: Sentence = []
        pos = 0
        for match in _SLOT.finditer(template):
            if match.start() > pos:
                segments.append((template[pos : match.start()], None))
            segments.append(self._fill(match.group(1)))
            pos = match.end()
        if pos < len(template):
            segments.append((template[pos:], None))
        if lower:
            segments = [(text.lower(), label) for text, label in segments]
        return segments

    # -- planning -------------------------------------------------------------------------

    def _pick(self, templates: Sequence[_Template]) -> _Template:
        fresh = [t for t in templates if t.text not in self.used]
        choice = self.rng.choice(fresh or list(templates))
        self.used.add(choice.text)
        return choice

    def _answer(self, topic: str, forced: list[_Template]) -> _Turn:
        rng = self.rng
        count = rng.choice((1, 2, 2, 2, 3, 3))
        chosen: list[_Template] = [t for t in forced if t.topic == topic]
        for t in chosen:
            forced.remove(t)
            self.used.add(t.text)
        while len(chosen) < count:
            use_pii = not self.clean and rng.random() < self.pii_rate
            pool = _PII_TEMPLATES if use_pii else _PLAIN_TEMPLATES
            chosen.append(self._pick([t for t in pool if t.topic == topic]))
        rng.shuffle(chosen)
        lower = self.casual and rng.random() < 0.5
        sentences = [self.sentence(t.text, lower=lower) for t in chosen]
        if rng.random() < 0.3:
            sentences.insert(0, [(rng.choice(FILLERS), None)])
        if rng.random() < 0.25:  # a plain aside from another topic keeps hard negatives varied
            other = self._pick([t for t in _PLAIN_TEMPLATES if t.topic != topic])
            sentences.append(self.sentence(other.text, lower=lower))
        return _Turn("P", sentences)

    def _follow_up(self, answer: _Turn) -> Sentence:
        """A short prompt; sometimes it repeats a name the participant just said."""
        names = [text for s in answer.sentences for text, label in s if label == "PERSON"]
        if names and self.rng.random() < 0.35:
            before, after = self.rng.choice(FOLLOW_UPS_NAMED).split("{ref}")
            return [(before, None), (names[-1], "PERSON"), (after, None)]
        return self.sentence(self.rng.choice(FOLLOW_UPS))

    def plan(self) -> list[_Turn]:
        rng = self.rng
        target = rng.randint(380, 800)  # estimated words, overhead included
        forced: list[_Template] = []
        if not self.clean:
            for k in (self.index, self.index * 3 + 1, self.index * 7 + 4):
                label = LABELS[k % len(LABELS)]
                forced.append(rng.choice([t for t in _PII_TEMPLATES if label in t.labels]))
        intro = rng.choice(INTROS_CLEAN if self.clean or rng.random() < 0.25 else INTROS_NAMED)
        turns = [
            _Turn("I", [self.sentence(intro), self.sentence(rng.choice(CONSENT))]),
            _Turn("P", [self.sentence(rng.choice(CONSENT_REPLIES))]),
            _Turn("I", [self.sentence(rng.choice(OPENERS))]),
            _Turn("P", [self.sentence(rng.choice(OPENER_REPLIES))]),
        ]
        topics = list(TOPICS)
        rng.shuffle(topics)
        for t in forced:  # make sure forced identifiers get their topic early
            topics.remove(t.topic)
            topics.insert(0, t.topic)
        topics = list(dict.fromkeys(topics))
        closing = [
            _Turn("I", [self.sentence(rng.choice(CLOSINGS))]),
            _Turn("P", [self.sentence(rng.choice(CLOSING_REPLIES))]),
            _Turn("I", [self.sentence(THANKS)]),
        ]
        budget = target - self._estimate(closing)
        round_ = 0
        while forced or self._estimate(turns) < budget:
            topic = topics[round_ % len(topics)]
            round_ += 1
            block = [_Turn("I", [self.sentence(rng.choice(QUESTIONS[topic]))])]
            block.append(self._answer(topic, forced))
            if rng.random() < 0.5:
                block.append(_Turn("I", [self._follow_up(block[-1])]))
                block.append(self._answer(topic, forced))
            if forced or self._estimate(turns + block) <= budget + 40:
                turns.extend(block)
            else:
                break
        return turns + closing

    def _estimate(self, turns: Sequence[_Turn]) -> int:
        """Words the rendered turns will take, overhead of cues and labels included."""
        words = sum(len(text.split()) for turn in turns for s in turn.sentences for text, _ in s)
        if self.fmt in ("txt", "md"):
            return words + 2 * len(turns)
        return words + 6 * sum(len(turn.sentences) for turn in turns)

    # -- rendering ------------------------------------------------------------------------

    def render(self, turns: list[_Turn]) -> Doc:
        out = _Builder()
        render = {
            "txt": self._render_txt,
            "md": self._render_md,
            "srt": self._render_srt,
            "vtt_zoom": self._render_vtt,
            "vtt_teams": self._render_vtt,
        }[self.fmt]
        render(out, turns)
        name = f"t{self.index + 1:03d}{_SUFFIX[self.fmt]}"
        return out.doc(name)

    def _line(self, out: _Builder, turn: _Turn) -> None:
        for i, sentence in enumerate(turn.sentences):
            if i:
                out.add("  " if self.rng.random() < 0.05 else " ")
            for text, label in sentence:
                out.add(text, label)

    def _render_txt(self, out: _Builder, turns: list[_Turn]) -> None:
        rng = self.rng
        styles = (
            ("Interviewer", "Participant"),
            ("INT", f"P{self.pnum}"),
            ("Researcher", "Participant"),
            ("Interviewer", f"P{self.pnum:02d}"),
            ("I", "R"),
            ("Interviewer", "Student"),
        )
        labels = dict(zip("IP", rng.choice(styles), strict=True))
        if rng.random() < 0.5:
            out.add(
                rng.choice(
                    (
                        f"Interview P{self.pnum:02d} - anonymised draft, {rng.choice(YEARS)}\n\n",
                        f"Transcript, Participant {self.pnum}, recorded {rng.choice(WEEKDAYS)} {rng.choice(TIMES)}\n\n",
                        "[Transcript begins]\n\n",
                    )
                )
            )
        for turn in turns:
            out.add(f"{labels[turn.role]}: ")
            self._line(out, turn)
            out.add("\n\n")

    def _render_md(self, out: _Builder, turns: list[_Turn]) -> None:
        out.add(f"# Interview P{self.pnum:02d}\n\n")
        if self.rng.random() < 0.5:
            out.add(
                f"*Peer research study, {self.rng.choice(YEARS)}. Names replaced with [NAME].*\n\n"
            )
        spk = self.rng.choice(("Participant", f"P{self.pnum}", "Student"))
        for turn in turns:
            out.add(f"**{'Interviewer' if turn.role == 'I' else spk}:** ")
            self._line(out, turn)
            out.add("\n\n")

    def _cue_times(self, clock: list[float], words: int) -> tuple[float, float]:
        start = clock[0] + self.rng.uniform(0.2, 1.1)
        end = start + max(1.2, words / self.rng.uniform(2.2, 3.0))
        clock[0] = end
        return start, end

    @staticmethod
    def _stamp(seconds: float, sep: str) -> str:
        ms = round(seconds * 1000)
        h, rest = divmod(ms, 3_600_000)
        m, rest = divmod(rest, 60_000)
        s, ms = divmod(rest, 1000)
        return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"

    def _speakers(self) -> dict[str, list[Segment]]:
        """Speaker display names for cues; real-looking names are gold PERSON spans."""
        if self.clean:
            return {"I": [("Interviewer", None)], "P": [(f"Participant {self.pnum}", None)]}
        rng = self.rng
        ifirst, ilast = self.interviewer
        pfirst, plast = self.participant
        interviewer: list[Segment] = rng.choice(
            ([(f"{ifirst} {ilast}", "PERSON")], [(ifirst, "PERSON"), (" (Interviewer)", None)])
        )
        participant: list[Segment] = rng.choice(
            (
                [(f"{pfirst} {plast}", "PERSON")],
                [(pfirst, "PERSON")],
                [(f"{pfirst} {plast[0]}.", "PERSON")],
            )
        )
        return {"I": interviewer, "P": participant}

    def _cues(self, turns: list[_Turn]) -> list[tuple[str, list[Sentence]]]:
        cues = []
        for turn in turns:
            sentences = list(turn.sentences)
            while sentences:
                take = 1 if self.fmt == "srt" else self.rng.choice((1, 1, 2))
                cues.append((turn.role, sentences[:take]))
                sentences = sentences[take:]
        return cues

    def _render_vtt(self, out: _Builder, turns: list[_Turn]) -> None:
        rng = self.rng
        speakers = self._speakers()
        teams = self.fmt == "vtt_teams"
        prefix = f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-4{rng.getrandbits(12):03x}-a{rng.getrandbits(12):03x}-{rng.getrandbits(48):012x}"
        out.add("WEBVTT\n\n")
        clock = [0.0]
        for n, (role, sentences) in enumerate(self._cues(turns), start=1):
            words = sum(len(t.split()) for s in sentences for t, _ in s)
            start, end = self._cue_times(clock, words)
            out.add(f"{prefix}/{n + 10}-0\n" if teams else f"{n}\n")
            out.add(f"{self._stamp(start, '.')} --> {self._stamp(end, '.')}\n")
            out.add("<v " if teams else "")
            for text, label in speakers[role]:
                out.add(text, label)
            out.add(">" if teams else ": ")
            self._line(out, _Turn(role, sentences))
            out.add("</v>\n\n" if teams else "\n\n")

    def _render_srt(self, out: _Builder, turns: list[_Turn]) -> None:
        labels = {
            "I": "INTERVIEWER",
            "P": self.rng.choice(("STUDENT", "PARTICIPANT", f"P{self.pnum}")),
        }
        clock = [0.0]
        previous = None
        for n, (role, sentences) in enumerate(self._cues(turns), start=1):
            words = sum(len(t.split()) for s in sentences for t, _ in s)
            start, end = self._cue_times(clock, words)
            out.add(f"{n}\n{self._stamp(start, ',')} --> {self._stamp(end, ',')}\n")
            if role != previous:
                out.add(f"{labels[role]}: ")
            previous = role
            for text, label in _wrap(sentences[0], 42):
                out.add(text, label)
            out.add("\n\n")


def _wrap(sentence: Sentence, width: int) -> Sentence:
    """Break a long subtitle line once, at a space in plain text (never inside an identifier)."""
    total = sum(len(t) for t, _ in sentence)
    if total <= width:
        return sentence
    best: tuple[int, int, int] | None = None  # (distance from middle, segment, offset)
    pos = 0
    for i, (text, label) in enumerate(sentence):
        if label is None:
            for j, ch in enumerate(text):
                if ch == " ":
                    distance = abs(pos + j - total // 2)
                    if best is None or distance < best[0]:
                        best = (distance, i, j)
        pos += len(text)
    if best is None:
        return sentence
    _, i, j = best
    text = sentence[i][0]
    return [*sentence[:i], (text[:j] + "\n" + text[j + 1 :], None), *sentence[i + 1 :]]


class _Builder:
    """Concatenates text, recording the offsets of planted identifiers."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.planted: list[tuple[Gold, str]] = []

    def add(self, text: str, label: str | None = None) -> None:
        if label is not None:
            self.planted.append((Gold(self.pos, self.pos + len(text), label), text))
        self.parts.append(text)
        self.pos += len(text)

    def doc(self, name: str) -> Doc:
        text = "".join(self.parts)
        for gold, planted in self.planted:
            assert text[gold.start : gold.end] == planted, (name, gold, planted)
        return Doc(name=name, text=text, gold=[g for g, _ in self.planted])


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------


def generate_corpus(n: int = DEFAULT_N, seed: int = DEFAULT_SEED) -> list[Doc]:
    """`n` transcripts with planted identifiers; the same `seed` gives the same corpus."""
    rng = random.Random(seed)
    docs = []
    for index in range(n):
        writer = _DocWriter(index, random.Random(rng.getrandbits(64)))
        docs.append(writer.render(writer.plan()))
    return docs


def gold_record(doc: Doc) -> dict[str, object]:
    """The `gold.jsonl` line for `doc` (the span text is included for reading, not scoring)."""
    return {
        "name": doc.name,
        "gold": [
            {"start": g.start, "end": g.end, "label": g.label, "text": doc.text[g.start : g.end]}
            for g in doc.gold
        ],
    }


def write_corpus(folder: str | Path, docs: Sequence[Doc]) -> Path:
    """Write each transcript (UTF-8, exact) and `gold.jsonl` into `folder`; returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        (folder / doc.name).write_text(doc.text, encoding="utf-8", newline="")
    lines = [json.dumps(gold_record(doc), ensure_ascii=False) for doc in docs]
    (folder / "gold.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")
    return folder


def read_gold(path: str | Path) -> dict[str, list[Gold]]:
    """Gold spans by file name, read back from a `gold.jsonl`."""
    out: dict[str, list[Gold]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            out[record["name"]] = [Gold(g["start"], g["end"], g["label"]) for g in record["gold"]]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the transcripts and gold.jsonl")
    parser.add_argument("--n", type=int, default=DEFAULT_N)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    docs = generate_corpus(args.n, args.seed)
    write_corpus(args.out, docs)
    spans = sum(len(d.gold) for d in docs)
    clean = sum(not d.gold for d in docs)
    print(f"wrote {len(docs)} transcripts ({clean} clean, {spans} gold spans) to {args.out}")


if __name__ == "__main__":
    main()
