"""Read transcript files into stored text plus speaker turns with character offsets.

Supported: `.txt`, `.md`, `.docx`, `.pdf` (with a text layer), `.vtt`, `.srt`, up to
`MAX_FILE_BYTES`. Parsing never touches the database, so a bad file can be refused
before anything is written.
"""

from __future__ import annotations

from pathlib import Path

from analysis.errors import InputFileError
from analysis.ingest.captions import parse_captions
from analysis.ingest.decode import decode_text
from analysis.ingest.documents import docx_lines, markdown_lines, pdf_lines
from analysis.ingest.labels import split_turns
from analysis.ingest.layout import lay_out
from analysis.ingest.roles import guess_speaker_roles
from analysis.models import ParsedTranscript

MAX_FILE_BYTES = 20 * 1024 * 1024
SUPPORTED_EXTENSIONS = (".txt", ".md", ".docx", ".pdf", ".vtt", ".srt")

__all__ = [
    "MAX_FILE_BYTES",
    "SUPPORTED_EXTENSIONS",
    "guess_speaker_roles",
    "parse_transcript",
    "read_text_for_scan",
    "read_transcript_file",
]


def parse_transcript(source_name: str, data: bytes) -> ParsedTranscript:
    """Parse the bytes of one uploaded file, choosing the reader by file extension.

    Args:
        source_name: the file name as the user knows it (used in every error message).
        data: the file's bytes.

    Returns:
        The stored text and its speaker turns.

    Raises:
        InputFileError: empty, too large, binary, corrupt, unsupported or no speech.

    Example:
        >>> parse_transcript("P3.txt", b"INT: How was it?\\nP3: Slow.").speakers
        ('INT', 'P3')
    """
    extension = Path(source_name).suffix.lower()
    if extension not in SUPPORTED_EXTENSIONS:
        supported = ", ".join(SUPPORTED_EXTENSIONS)
        raise InputFileError(
            source_name, f"unsupported file type '{extension or 'none'}' (use {supported})"
        )
    if not data:
        raise InputFileError(source_name, "is empty")
    if len(data) > MAX_FILE_BYTES:
        raise InputFileError(
            source_name,
            f"is {len(data) / 2**20:.1f} MB, over the {MAX_FILE_BYTES // 2**20} MB limit",
        )
    source_format = extension.lstrip(".")
    if extension == ".docx":
        turns = split_turns(docx_lines(source_name, data))
    elif extension == ".pdf":
        turns = split_turns(pdf_lines(source_name, data))
    else:
        text = decode_text(source_name, data)
        if not text.strip():
            raise InputFileError(source_name, "contains no transcript text")
        if extension in (".vtt", ".srt"):
            turns = parse_captions(source_name, text, is_webvtt=extension == ".vtt")
        elif extension == ".md":
            turns = split_turns(markdown_lines(text))
        else:
            turns = split_turns(text.split("\n"))
    return lay_out(source_name, source_format, turns, data)


def read_transcript_file(path: str | Path) -> ParsedTranscript:
    """Read and parse a transcript file from disk.

    Raises:
        InputFileError: the file cannot be read or parsed.
    """
    target = Path(path)
    try:
        data = target.read_bytes()
    except OSError as exc:
        raise InputFileError(target.name, f"cannot be read ({exc.strerror})") from exc
    return parse_transcript(target.name, data)


def read_text_for_scan(path: str | Path) -> tuple[str, str]:
    """(file name, text) to scan for identifiers: text files as decoded and otherwise
    unchanged (captions too), Word and PDF files as their stored transcript text.

    Raises:
        InputFileError: unreadable, empty, too large or unsupported file.
    """
    from analysis.files import read_input_bytes
    from analysis.ingest.decode import decode_raw

    name, data = read_input_bytes(path)
    extension = Path(name).suffix.lower()
    if extension in (".docx", ".pdf"):
        return name, parse_transcript(name, data).text
    if extension not in SUPPORTED_EXTENSIONS:
        raise InputFileError(name, f"unsupported file type '{extension or 'none'}'")
    if not data:
        raise InputFileError(name, "is empty")
    if len(data) > MAX_FILE_BYTES:
        raise InputFileError(name, f"is over the {MAX_FILE_BYTES // 2**20} MB limit")
    return name, decode_raw(name, data)
