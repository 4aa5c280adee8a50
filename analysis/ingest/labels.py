"""Speaker turns from plain lines: the label conventions real transcripts use.

Handles `Interviewer:` / `Participant:`, `INT:` / `P3:` / `R:` / `I:`, `Participant 3:`,
names followed by a colon, labels alone on a line (PDF exports, Otter's `Name  0:03`),
and bracketed or bare timestamps before or after the label. A name-like label counts as
a speaker only if it recurs or is a known role word, so `Date: 3 May` in a header or
`The thing is: ...` in speech does not start a turn.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

TIMESTAMP = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
BRACKETED_TS = re.compile(rf"[\[(]\s*({TIMESTAMP})\s*[\])]")
_LEADING_TS = re.compile(
    rf"^\s*(?:[\[(]\s*(?P<b>{TIMESTAMP})\s*[\])]|(?P<bare>{TIMESTAMP}))\s*(?:[-–—|]\s*)?(?=\S|$)"
)
_LABEL = re.compile(
    r"^(?P<label>[^\W_][\w.'’,()\[\]&/\-]*(?:[ ][\w.'’,()\[\]&/\-]+){0,5}?)"
    rf"\s*(?:[\[(]\s*(?P<ts>{TIMESTAMP})\s*[\])]\s*)?[:：](?:\s+|$)(?P<rest>.*)$"
)
_LABEL_WITH_TIME = re.compile(
    rf"^(?P<label>[^\W\d_][\w.'’,\-]*(?:[ ][\w.'’,\-]+){{0,4}}?)\s+(?P<ts>{TIMESTAMP})\s*$"
)
_PAGE_NUMBER = re.compile(r"^\s*(?:page\s*)?\d{1,4}\s*(?:(?:/|of)\s*\d{1,4})?\s*$", re.IGNORECASE)

ROLE_LABELS = re.compile(
    r"^(?:interviewer|interviewee|participant|respondent|researcher|peer researcher|"
    r"moderator|facilitator|student|speaker|int|iv|ivr|i|r|q|a|p|s|resp|host|guest)"
    r"\s*[-#]?\s*\d{0,3}$",
    re.IGNORECASE,
)
_ROLE_WORD_ALONE = re.compile(
    r"^\s*(?:interviewer|interviewee|participant|respondent|researcher|moderator|"
    r"facilitator|student|speaker)(?:\s*[-#]?\s*\d{1,3})?\s*$",
    re.IGNORECASE,
)
_NOT_SPEAKERS = {
    "date",
    "time",
    "location",
    "duration",
    "transcript",
    "title",
    "interview",
    "subject",
    "topic",
    "note",
    "notes",
    "source",
    "file",
    "recording",
    "length",
    "venue",
    "place",
    "project",
    "study",
    "version",
    "attendees",
    "present",
    "keywords",
    "summary",
    "http",
    "https",
    "e.g",
    "i.e",
    "ps",
    "nb",
    "tel",
    "email",
    "re",
    "fwd",
    "www",
}


@dataclass
class RawTurn:
    """A speaker turn before it is laid out as stored text."""

    speaker: str | None
    paragraphs: list[str] = field(default_factory=list)
    timestamp: str | None = None


@dataclass(frozen=True)
class _LineLabel:
    label: str
    rest: str
    timestamp: str | None


def clean_label(label: str) -> str:
    """`Dr  Sam  Patel ,` -> `Dr Sam Patel`: spacing and stray punctuation removed."""
    return re.sub(r"\s+", " ", label).strip(" ,.-–—*_")


def strip_leading_timestamp(line: str) -> tuple[str, str | None]:
    """Remove a timestamp at the start of a line; bare `mm:ss` only before a label."""
    match = _LEADING_TS.match(line)
    if not match:
        return line, None
    rest = line[match.end() :]
    stamp = match.group("b") or match.group("bare")
    if match.group("bare") and stamp.count(":") < 2 and not _LABEL.match(rest) and rest:
        return line, None
    return rest, stamp


def _label_of(line: str) -> _LineLabel | None:
    """A candidate speaker label at the start of `line`, before the acceptance check."""
    body, stamp = strip_leading_timestamp(line.strip())
    match = _LABEL.match(body)
    if match:
        label = match.group("label")
        stamp = stamp or match.group("ts")
        inner = BRACKETED_TS.search(label)
        if inner:
            stamp = stamp or inner.group(1)
            label = BRACKETED_TS.sub("", label)
        rest, later_stamp = strip_leading_timestamp(match.group("rest"))
        label = clean_label(label)
        if label and not re.search(r"[()\[\]]", label):
            return _LineLabel(label, rest.strip(), stamp or later_stamp)
        return None
    match = _LABEL_WITH_TIME.match(body)
    if match:
        return _LineLabel(clean_label(match.group("label")), "", stamp or match.group("ts"))
    if _ROLE_WORD_ALONE.match(body):
        # Word exports often put the role alone (often bold) on the line above the words.
        return _LineLabel(clean_label(body), "", stamp)
    return None


def is_role_label(label: str) -> bool:
    """True for role words (`Interviewer`, `P3`, `R`) that need no repetition to count."""
    words = label.lower().split()
    return bool(ROLE_LABELS.match(label)) or "interviewer" in words or "participant" in words


def _is_plausible_name(label: str) -> bool:
    words = label.split()
    if len(label) > 40 or not words or label.lower() in _NOT_SPEAKERS:
        return False
    if words[0].lower() in _NOT_SPEAKERS:
        return False
    # Names are capitalised words; role tags such as `INT` or `P3` are caught earlier.
    return words[0][0].isupper()


def accepted_labels(lines: list[str]) -> set[str]:
    """Lower-cased labels that count as speakers in this document."""
    candidates = [found.label for line in lines if (found := _label_of(line))]
    counts = Counter(label.lower() for label in candidates)
    accepted = set()
    for label in set(candidates):
        key = label.lower()
        if is_role_label(label) or (counts[key] >= 2 and _is_plausible_name(label)):
            accepted.add(key)
    return accepted


def is_page_furniture(line: str) -> bool:
    """Page numbers such as `3`, `2/5`, `Page 4 of 9`."""
    return bool(_PAGE_NUMBER.match(line))


def join_wrapped(lines: list[str]) -> str:
    """Rejoin hard-wrapped lines into one paragraph (`well-` + `known` -> `well-known`)."""
    text = ""
    for line in (part.strip() for part in lines):
        if not line:
            continue
        if text.endswith("-") and len(text) > 1 and text[-2].isalpha() and line[:1].islower():
            text += line
        else:
            text = f"{text} {line}" if text else line
    return re.sub(r"[ ]{2,}", " ", text)


def split_turns(lines: list[str]) -> list[RawTurn]:
    """Group lines into speaker turns; blank lines separate paragraphs within a turn.

    Lines before the first label form a turn with no speaker; the caller decides what
    to do with them. A file with no labels at all comes back as one speakerless turn.
    """
    accepted = accepted_labels(lines)
    turns: list[RawTurn] = [RawTurn(None)]
    paragraph: list[str] = []
    pending_stamp: str | None = None

    def flush() -> None:
        joined = join_wrapped(paragraph)
        if joined:
            turns[-1].paragraphs.append(joined)
        paragraph.clear()

    for line in lines:
        if not line.strip():
            flush()
            continue
        found = _label_of(line)
        if found and found.label.lower() in accepted:
            flush()
            turns.append(RawTurn(found.label, [], found.timestamp or pending_stamp))
            pending_stamp = None
            if found.rest:
                paragraph.append(found.rest)
            continue
        body, stamp = strip_leading_timestamp(line)
        if stamp and not body.strip():
            pending_stamp = stamp
            continue
        paragraph.append(body)
    flush()
    return [turn for turn in turns if turn.paragraphs or turn.speaker]
