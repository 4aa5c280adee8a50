"""Pseudonymous participants and their attributes, from a CSV or edited in the app."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from analysis.access import Action, require
from analysis.consent import ensure_not_withdrawn, is_calendar_day
from analysis.errors import InputFileError, InvalidRequestError
from analysis.files import read_input_bytes
from analysis.ingest.decode import decode_text
from analysis.models import Consent, Participant
from analysis.storage import Store

PSEUDONYM_COLUMNS = ("pseudonym", "participant", "participant_id", "id")
TRANSCRIPT_COLUMNS = ("transcript", "transcripts", "file", "filename", "source_name")
STANDARD_ATTRIBUTES = (
    "gender",
    "ethnicity",
    "disability",
    "sexual_orientation",
    "age_band",
    "fee_status",
    "first_in_family",
    "mature_student",
    "carer",
    "level_of_study",
)


@dataclass(frozen=True)
class ParticipantRecord:
    """One row of a participants file: who, which transcripts, which attributes."""

    pseudonym: str
    transcripts: tuple[str, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)
    consent: Consent | None = None


# Columns of a participants file that make up the consent record, not attributes.
CONSENT_COLUMNS = ("consent_date", "consent_quotes", "consent_share")
_YES, _NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}


def _yes_no(source_name: str, column: str, value: str, row: int) -> bool | None:
    if not value:
        return None
    if value.lower() in _YES | _NO:
        return value.lower() in _YES
    raise InputFileError(source_name, f"{column} must be yes or no, not '{value}'", row=row)


def _consent_of(source_name: str, header: list[str], cells: list[str], row: int) -> Consent | None:
    if not any(c in header for c in CONSENT_COLUMNS):
        return None
    value = {c: (cells[header.index(c)] if c in header else "") for c in CONSENT_COLUMNS}
    date = value["consent_date"] or None
    if date and not is_calendar_day(date):
        raise InputFileError(source_name, f"consent_date must be YYYY-MM-DD, not '{date}'", row=row)
    return Consent(
        date,
        _yes_no(source_name, "consent_quotes", value["consent_quotes"], row),
        _yes_no(source_name, "consent_share", value["consent_share"], row),
    )


def attribute_name(raw: str) -> str:
    """`Age band ` -> `age_band`: one spelling for a column name."""
    return re.sub(r"[^a-z0-9]+", "_", raw.strip().lower()).strip("_")


def read_participants_csv(source_name: str, data: bytes) -> list[ParticipantRecord]:
    """Parse a participants CSV: a pseudonym column, optional transcript file names
    (several separated by `;`), and any other columns as attributes.

    Raises:
        InputFileError: no pseudonym column, a blank or repeated pseudonym, bad CSV.

    Example:
        >>> read_participants_csv("p.csv", b"pseudonym,gender\\nP01,woman\\n")[0].attributes
        {'gender': 'woman'}
    """
    text = decode_text(source_name, data)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise InputFileError(source_name, f"is not valid CSV ({exc})") from exc
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise InputFileError(source_name, "is empty")
    header = [attribute_name(cell) for cell in rows[0]]
    pseudonym_col = next((header.index(c) for c in PSEUDONYM_COLUMNS if c in header), None)
    if pseudonym_col is None:
        raise InputFileError(source_name, "has no 'pseudonym' column")
    transcript_col = next((header.index(c) for c in TRANSCRIPT_COLUMNS if c in header), None)
    records: list[ParticipantRecord] = []
    seen: set[str] = set()
    for number, row in enumerate(rows[1:], start=2):
        if len(row) > len(header):
            raise InputFileError(source_name, "has more cells than header columns", row=number)
        cells = [cell.strip() for cell in row] + [""] * (len(header) - len(row))
        pseudonym = cells[pseudonym_col]
        if not pseudonym:
            raise InputFileError(source_name, "has an empty pseudonym", row=number)
        if pseudonym.lower() in seen:
            raise InputFileError(source_name, f"repeats pseudonym '{pseudonym}'", row=number)
        seen.add(pseudonym.lower())
        files = cells[transcript_col] if transcript_col is not None else ""
        attributes = {
            header[i]: value
            for i, value in enumerate(cells)
            if i not in (pseudonym_col, transcript_col)
            and value
            and header[i]
            and header[i] not in CONSENT_COLUMNS
        }
        records.append(
            ParticipantRecord(
                pseudonym,
                tuple(f.strip() for f in files.split(";") if f.strip()),
                attributes,
                _consent_of(source_name, header, cells, number),
            )
        )
    return records


def read_participants_file(path: str | Path) -> list[ParticipantRecord]:
    return read_participants_csv(*read_input_bytes(path))


def save_participants(
    store: Store, project_id: int, records: list[ParticipantRecord], *, actor: str
) -> dict[str, int]:
    """Create or update participants and their attributes; returns pseudonym -> id.

    Call inside a transaction to combine with an import; it opens its own otherwise.
    """
    require(store, actor, Action.MANAGE_PARTICIPANTS)
    ensure_not_withdrawn(store, project_id, [r.pseudonym for r in records])
    ids: dict[str, int] = {}
    by_file = {t.source_name.lower(): t.id for t in store.list_transcripts(project_id)}
    with store.transaction():
        for record in records:
            participant_id = store.get_or_create_participant(project_id, record.pseudonym)
            ids[record.pseudonym] = participant_id
            for source_name in record.transcripts:
                if source_name.lower() in by_file:
                    store.set_transcript_participant(by_file[source_name.lower()], participant_id)
            for name, value in record.attributes.items():
                store.set_participant_attribute(participant_id, name, value)
            if record.consent is not None:
                store.set_consent(
                    participant_id,
                    {
                        "consent_date": record.consent.date,
                        "consent_quotes": _as_int(record.consent.quotes),
                        "consent_share": _as_int(record.consent.share),
                    },
                )
            store.audit(
                actor=actor,
                action="save participant",
                table="participants",
                row_id=participant_id,
                payload={"pseudonym": record.pseudonym, "attributes": record.attributes},
            )
    return ids


def _as_int(flag: bool | None) -> int | None:
    return None if flag is None else int(flag)


def set_participant_attribute(
    store: Store, participant_id: int, name: str, value: str, *, actor: str
) -> None:
    """Set (or with an empty value, remove) one attribute of a participant."""
    require(store, actor, Action.MANAGE_PARTICIPANTS)
    key = attribute_name(name)
    if not key:
        raise InvalidRequestError("an attribute needs a name")
    with store.transaction():
        if value.strip():
            store.set_participant_attribute(participant_id, key, value.strip())
        else:
            store.delete_participant_attribute(participant_id, key)
        store.audit(
            actor=actor,
            action="set attribute" if value.strip() else "remove attribute",
            table="participants",
            row_id=participant_id,
            payload={"name": key, "value": value.strip()},
        )


def list_participants(store: Store, project_id: int) -> list[Participant]:
    return store.list_participants(project_id)
