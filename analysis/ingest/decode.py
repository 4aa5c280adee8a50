"""Bytes to clean text: encodings real transcripts arrive in, and the binary check."""

from __future__ import annotations

import re
import unicodedata

from analysis.errors import InputFileError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def decode_text(source_name: str, data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252.

    Raises:
        InputFileError: the bytes are binary or in none of those encodings.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return normalise_text(data.decode("utf-16"))
        except UnicodeDecodeError as exc:
            raise InputFileError(source_name, f"broken UTF-16 text ({exc.reason})") from exc
    if b"\x00" in data[:8192]:
        raise InputFileError(source_name, "looks like a binary file, not text")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputFileError(source_name, "cannot be decoded as UTF-8 or Windows-1252 text")
    if len(_CONTROL.findall(text[:20000])) > max(8, len(text[:20000]) // 100):
        raise InputFileError(source_name, "looks like a binary file, not text")
    return normalise_text(text)


def decode_raw(source_name: str, data: bytes) -> str:
    """The file's text exactly as decoded (BOM removed, nothing else changed), so
    offsets index the file as a user's editor shows it.

    Raises:
        InputFileError: the bytes are binary or in no supported encoding.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            raise InputFileError(source_name, f"broken UTF-16 text ({exc.reason})") from exc
    if b"\x00" in data[:8192]:
        raise InputFileError(source_name, "looks like a binary file, not text")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputFileError(source_name, "cannot be decoded as UTF-8 or Windows-1252 text")


def normalise_text(text: str) -> str:
    """One canonical form: NFC, `\\n` line ends, plain spaces, no invisible characters."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    text = text.replace("\f", "\n").replace("\t", " ").replace("\u00a0", " ")
    text = text.translate(_INVISIBLE)
    return _CONTROL.sub("", text)
