"""Lines of text out of Word, PDF and Markdown files, ready for label parsing."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter

from analysis.errors import InputFileError
from analysis.ingest.decode import normalise_text
from analysis.ingest.labels import is_page_furniture

_MD_BOLD_LABEL = re.compile(r"^(\s*(?:\\?\[[^\]]*\\?\]\s*)?)(\*\*|__)([^*_\n]{1,60}?)\s*:\s*\2\s*")
_MD_BOLD_LABEL_OUTSIDE = re.compile(r"^(\s*)(\*\*|__)([^*_\n]{1,60}?)\2\s*:\s*")
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: any ASCII punctuation
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_TABLE_HEADER_CELLS = {
    "speaker",
    "name",
    "who",
    "role",
    "text",
    "speech",
    "utterance",
    "transcript",
    "said",
    "time",
    "timestamp",
    "start",
}


def markdown_lines(text: str) -> list[str]:
    """`**Name:** text` -> `Name: text`; escapes undone; headings and rules dropped."""
    lines = []
    for line in text.split("\n"):
        if _MD_HEADING.match(line) or re.fullmatch(r"\s*(?:-{3,}|\*{3,}|_{3,})\s*", line):
            lines.append("")
            continue
        line = _MD_BOLD_LABEL.sub(r"\1\3: ", line)
        line = _MD_BOLD_LABEL_OUTSIDE.sub(r"\1\3: ", line)
        lines.append(_MD_ESCAPE.sub(r"\1", line).replace("**", ""))
    return lines


def docx_lines(source_name: str, data: bytes) -> list[str]:
    """Paragraphs and table rows of a Word file, in document order.

    A table row `Speaker | Text` (or `Time | Speaker | Text`) becomes `Speaker: Text`.

    Raises:
        InputFileError: the file is not a readable .docx.
    """
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        blocks = list(document.iter_inner_content())
    except Exception as exc:  # python-docx raises zip, XML and key errors alike
        raise InputFileError(source_name, f"is not a readable Word document ({exc})") from exc
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Table):
            for row in block.rows:
                cells = list(dict.fromkeys(c.text.strip() for c in row.cells if c.text.strip()))
                if cells and all(c.lower().rstrip(":") in _TABLE_HEADER_CELLS for c in cells):
                    continue  # a header row such as `Speaker | Text` is not a turn
                lines.extend([_row_as_line(cells), ""])
        else:
            lines.extend([*normalise_text(block.text).split("\n"), ""])
    return lines


def _row_as_line(cells: list[str]) -> str:
    if len(cells) == 3 and re.fullmatch(r"[\[(]?[\d:.,]+[\])]?", cells[0]):
        return f"[{cells[0].strip('[]()')}] {cells[1]}: {cells[2]}"
    if len(cells) == 2 and len(cells[0]) <= 40 and "\n" not in cells[0]:
        return f"{cells[0].rstrip(':')}: {cells[1]}"
    return " ".join(cells)


def pdf_lines(source_name: str, data: bytes) -> list[str]:
    """Text-layer lines of a PDF with page numbers and running headers removed.

    Raises:
        InputFileError: unreadable PDF, or one with no text layer (a scan).
    """
    from pypdf import PdfReader

    # pypdf logs every repair it makes to a damaged file; the error below is enough.
    logging.getLogger("pypdf").setLevel(logging.ERROR)

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [normalise_text(page.extract_text() or "").split("\n") for page in reader.pages]
    except Exception as exc:  # pypdf raises many kinds of error on damaged files
        raise InputFileError(source_name, f"is not a readable PDF ({exc})") from exc
    if not any(line.strip() for page in pages for line in page):
        raise InputFileError(source_name, "has no text layer (a scanned PDF?); run OCR first")
    running = _running_headers(pages)
    lines: list[str] = []
    for page in pages:
        lines.extend(
            line
            for line in page
            if line.strip() and not is_page_furniture(line) and line.strip() not in running
        )
    return lines


def _running_headers(pages: list[list[str]]) -> set[str]:
    """Lines repeated at the top or bottom of most pages (titles, confidentiality notes)."""
    if len(pages) < 3:
        return set()
    tops: Counter[str] = Counter()
    bottoms: Counter[str] = Counter()
    for page in pages:
        content = [line.strip() for line in page if line.strip()]
        if content:
            tops[content[0]] += 1
            bottoms[content[-1]] += 1
    needed = max(3, len(pages) * 0.6)
    # A speaker label alone on a line (`Dan:`) often opens a page; it is not a header.
    return {
        line
        for line, count in (tops + bottoms).items()
        if count >= needed and not line.endswith(":")
    }
