"""Spreadsheet exports: coded segments (CSV or XLSX) and the code x participant matrix.

Quotes leave the platform only for participants who agreed to be quoted: for anyone
else the row stays (the coding still counts) but its text is withheld. Files are
written to a temporary name and moved into place, so a failed export never leaves a
half-written file behind.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analysis.access import Action, require
from analysis.codebook import code_tree, current_codebook
from analysis.consent import quotable_participants
from analysis.errors import InvalidRequestError
from analysis.storage import Store

WITHHELD = "[withheld: no consent to quotation]"
SEGMENT_COLUMNS = (
    "transcript",
    "participant",
    "speaker",
    "start",
    "end",
    "text",
    "code",
    "code_name",
    "coder",
    "source",
    "coded_at",
)


def coded_segment_rows(store: Store, project_id: int, *, actor: str) -> list[dict[str, Any]]:
    """One row per coding (the project's current codings), in transcript order, with a
    column for each participant attribute after the participant."""
    require(store, actor, Action.EXPORT_PROJECT)
    transcripts = {t.id: t for t in store.list_transcripts(project_id)}
    people = {p.id: p for p in store.list_participants(project_id)}
    quotable = quotable_participants(store, project_id)
    names = sorted({name for p in people.values() for name in p.attributes})
    speakers: dict[int, dict[int, str]] = {}
    rows = []
    for coding in store.list_codings(project_id=project_id):
        transcript = transcripts[coding.transcript_id]
        if transcript.id not in speakers:
            speakers[transcript.id] = {s.id: s.speaker for s in store.list_segments(transcript.id)}
        person = people.get(transcript.participant_id or -1)
        rows.append(
            {
                "transcript": transcript.source_name,
                "participant": transcript.participant or "",
                **{
                    (f"attribute_{name}" if name in SEGMENT_COLUMNS else name): (
                        person.attributes.get(name, "") if person else ""
                    )
                    for name in names
                },
                "speaker": speakers[transcript.id].get(coding.segment_id or -1, ""),
                "start": coding.start_char,
                "end": coding.end_char,
                "text": coding.text if transcript.participant_id in quotable else WITHHELD,
                "code": coding.code_key,
                "code_name": coding.code_name,
                "coder": coding.coder,
                "source": coding.source,
                "coded_at": coding.created_at,
            }
        )
    return rows


def code_participant_rows(store: Store, project_id: int, *, actor: str) -> list[dict[str, Any]]:
    """Codes (tree order) x participants: how many codings of each code each has."""
    require(store, actor, Action.EXPORT_PROJECT)
    _, codes = current_codebook(store, project_id)
    transcripts = {t.id: t for t in store.list_transcripts(project_id)}
    people = sorted(p.pseudonym for p in store.list_participants(project_id))
    counts: dict[tuple[str, str], int] = {}
    for coding in store.list_codings(project_id=project_id):
        who = transcripts[coding.transcript_id].participant
        if who:
            counts[coding.code_key, who] = counts.get((coding.code_key, who), 0) + 1
    return [
        {
            "code": code.key,
            "code_name": code.name,
            **{p: counts.get((code.key, p), 0) for p in people},
        }
        for code, _ in code_tree(codes)
    ]


def _atomic_write(target: Path, write: Any) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=target.suffix + ".part")
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_bytes(path: str | Path, content: bytes) -> None:
    """Write a whole file at once, moved into place only when complete."""
    _atomic_write(Path(path), lambda temporary: temporary.write_bytes(content))


TABLE_FORMATS = ("csv", "xlsx")


def table_bytes(rows: Sequence[dict[str, Any]], file_format: str, *, sheet: str) -> bytes:
    """Rows as a `csv` file (UTF-8 with a BOM, so Excel reads accents) or an `xlsx` one."""
    columns = list(rows[0]) if rows else list(SEGMENT_COLUMNS)
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8-sig")
    if file_format == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        table = book.active
        assert table is not None
        table.title = sheet[:31]
        table.append(columns)
        for row in rows:
            table.append([row[c] for c in columns])
        table.freeze_panes = "A2"
        output = io.BytesIO()
        book.save(output)
        return output.getvalue()
    raise InvalidRequestError(f"tables export as {' or '.join(TABLE_FORMATS)}, not '{file_format}'")


def write_table(rows: Sequence[dict[str, Any]], path: str | Path, *, sheet: str) -> int:
    """Write rows to a `.csv` or `.xlsx` file (by its extension); returns the row count."""
    target = Path(path)
    suffix = target.suffix.lower().lstrip(".")
    if suffix not in TABLE_FORMATS:
        raise InvalidRequestError(f"{target.name}: use a .csv or .xlsx file name")
    write_bytes(target, table_bytes(rows, suffix, sheet=sheet))
    return len(rows)
