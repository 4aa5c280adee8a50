"""Reading a user's file from disk, with the error a user can act on."""

from __future__ import annotations

from pathlib import Path

from analysis.errors import InputFileError


def read_input_bytes(path: str | Path) -> tuple[str, bytes]:
    """The file's name and bytes.

    Raises:
        InputFileError: the file is missing or unreadable (names it and why).
    """
    target = Path(path)
    try:
        return target.name, target.read_bytes()
    except OSError as exc:
        raise InputFileError(str(target), f"cannot be read ({exc.strerror})") from exc
