"""A multi-university study of any size for the scale benchmark, grown from the demo study.

Each synthetic interview recombines question-and-answer exchanges of the ten demo
interviews (their raw text, so the identifier scan meets the names and places planted
there), with every participant sentence varied (`topics_corpus._vary`: a spoken opener,
a closing tag, a few word swaps) so that the embedding cache gets no unfair head start.
Participants P001, P002, ... get attribute values drawn from the demo's participants file
and one of six fictional universities. Deterministic for a seed.
"""

from __future__ import annotations

import csv
import io
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.demo import INTERVIEWS_DIR, transcript_files
from analysis.files import read_input_bytes
from analysis.ingest import guess_speaker_roles, parse_transcript
from analysis.models import INTERVIEWER, PARTICIPANT
from benchmarks.topics_corpus import _vary

WORDS_PER_TRANSCRIPT = 7500
INSTITUTIONS = (
    "Northgate University", "Riverside University", "Kingsmoor University",
    "St Aldric's College", "Harbourside Metropolitan University", "Fenwick University",
)  # fmt: skip
LABEL_STYLES = (
    ("Interviewer", "Participant"), ("INT", "P"), ("Researcher", "Student"),
    ("Interviewer", "Respondent"),
)  # fmt: skip
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
# Demo columns that belong to one demo participant, not to the attribute pool.
_NOT_ATTRIBUTES = {"pseudonym", "transcript", "consent_date", "consent_quotes", "consent_share"}


@dataclass(frozen=True)
class Exchange:
    """An interviewer's question and the participant's answer, as in a demo interview."""

    question: str
    answer: str


@dataclass(frozen=True)
class Corpus:
    """The files written: transcripts and the participants file, with their word count."""

    folder: Path
    transcripts: list[Path]
    participants_csv: Path
    words: int


def demo_exchanges(folder: Path = INTERVIEWS_DIR) -> list[Exchange]:
    """Every interviewer turn of the demo interviews with the participant turns after it."""
    exchanges: list[Exchange] = []
    for path in transcript_files(folder):
        parsed = parse_transcript(*read_input_bytes(path))
        roles = guess_speaker_roles(parsed)
        question: str | None = None
        answers: list[str] = []
        for turn in parsed.turns:
            said = " ".join(parsed.text[turn.start : turn.end].split())
            if roles.get(turn.speaker) == INTERVIEWER:
                if question is not None and answers:
                    exchanges.append(Exchange(question, " ".join(answers)))
                question, answers = said, []
            elif roles.get(turn.speaker) == PARTICIPANT and question is not None:
                answers.append(said)
        if question is not None and answers:
            exchanges.append(Exchange(question, " ".join(answers)))
    return exchanges


def demo_attribute_values(folder: Path = INTERVIEWS_DIR) -> dict[str, list[str]]:
    """Attribute name -> the values the demo participants have (repeats kept, so common
    values stay common)."""
    with (folder / "participants.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = [name for name in rows[0] if name not in _NOT_ATTRIBUTES]
    return {name: [row[name] for row in rows] for name in names}


def _varied_answer(answer: str, rng: random.Random) -> str:
    return " ".join(_vary(sentence, rng) for sentence in _SENTENCE_END.split(answer) if sentence)


def interview_text(
    exchanges: list[Exchange], rng: random.Random, *, words: int, labels: tuple[str, str]
) -> str:
    """One interview of about `words` words: exchanges in a shuffled order, answers varied."""
    interviewer, participant = labels
    order = list(range(len(exchanges)))
    rng.shuffle(order)
    parts: list[str] = []
    count = 0
    position = 0
    while count < words:
        if position == len(order):
            rng.shuffle(order)
            position = 0
        exchange = exchanges[order[position]]
        position += 1
        answer = _varied_answer(exchange.answer, rng)
        parts.append(f"{interviewer}: {exchange.question}")
        parts.append(f"{participant}: {answer}")
        count += len(exchange.question.split()) + len(answer.split())
    return "\n\n".join(parts) + "\n"


def participants_csv(pseudonyms: list[str], files: list[str], rng: random.Random) -> str:
    """A participants file: pseudonym, transcript, the demo's attributes, institution and
    consent (everyone consents to quotes, so summaries can quote them)."""
    pool = demo_attribute_values()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["pseudonym", "transcript", *pool, "institution", "consent_date",
                     "consent_quotes", "consent_share"])  # fmt: skip
    for number, (pseudonym, name) in enumerate(zip(pseudonyms, files, strict=True)):
        values = [rng.choice(options) for options in pool.values()]
        date = f"2026-{3 + number % 6:02d}-{1 + number % 28:02d}"
        writer.writerow([pseudonym, name, *values, rng.choice(INSTITUTIONS), date, "yes", "yes"])
    return out.getvalue()


def write_corpus(
    folder: Path, n: int, *, seed: int = 7, words: int = WORDS_PER_TRANSCRIPT
) -> Corpus:
    """Write `n` interviews (`P001.txt`, ...) and `participants.csv` into `folder`."""
    rng = random.Random(seed)
    exchanges = demo_exchanges()
    folder.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(n)))
    pseudonyms = [f"P{number:0{width}d}" for number in range(1, n + 1)]
    paths: list[Path] = []
    total = 0
    for pseudonym in pseudonyms:
        text = interview_text(exchanges, rng, words=words, labels=rng.choice(LABEL_STYLES))
        path = folder / f"{pseudonym}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
        total += len(text.split())
    csv_path = folder / "participants.csv"
    csv_path.write_text(
        participants_csv(pseudonyms, [p.name for p in paths], rng), encoding="utf-8"
    )
    return Corpus(folder, paths, csv_path, total)
