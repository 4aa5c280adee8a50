"""Hand-coded passages and codebooks as CSV, for checking suggestions on other data.

CODED.csv: `document,text,codes` (one coded passage per row, codes separated by `;`).
CODEBOOK.csv: `code,description`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from analysis.errors import InputFileError
from analysis.files import read_input_bytes
from analysis.ingest.decode import decode_text
from analysis.suggest import CodedPassage


def _rows(path: str | Path, required: tuple[str, ...]) -> tuple[str, list[dict[str, str]]]:
    name, data = read_input_bytes(path)
    text = decode_text(name, data)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [column for column in required if column not in header]
    if missing:
        raise InputFileError(
            name, f"needs the columns {', '.join(required)} (missing {', '.join(missing)})"
        )
    rows = [
        {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()} for row in reader
    ]
    return name, rows


def read_coded_passages(path: str | Path) -> list[CodedPassage]:
    """Passages coded by people; rows with no text or no code are refused.

    Raises:
        InputFileError: missing columns, or a row without text or codes.
    """
    name, rows = _rows(path, ("document", "text", "codes"))
    passages = []
    for number, row in enumerate(rows, start=2):
        codes = tuple(dict.fromkeys(c.strip() for c in row["codes"].split(";") if c.strip()))
        if not row["text"] or not codes:
            raise InputFileError(name, "has a row without text or codes", row=number)
        passages.append(CodedPassage(row["document"], row["text"], codes))
    if not passages:
        raise InputFileError(name, "has no coded passages")
    return passages


def read_codebook_descriptions(path: str | Path) -> list[tuple[str, str]]:
    """(code, description) pairs in file order.

    Raises:
        InputFileError: missing columns, an empty or repeated code.
    """
    name, rows = _rows(path, ("code", "description"))
    seen: set[str] = set()
    codebook = []
    for number, row in enumerate(rows, start=2):
        if not row["code"] or row["code"] in seen:
            raise InputFileError(name, "has an empty or repeated code", row=number)
        seen.add(row["code"])
        codebook.append((row["code"], row["description"]))
    if not codebook:
        raise InputFileError(name, "has no codes")
    return codebook
