"""Exceptions that carry the context a person needs to fix the problem."""

from __future__ import annotations


class StudyError(Exception):
    """Base class for every error the platform reports to a user."""


class InputFileError(StudyError):
    """A file given by a user cannot be used; names the file and the problem."""

    def __init__(self, source_name: str, problem: str, *, row: int | None = None) -> None:
        self.source_name = source_name
        self.problem = problem
        self.row = row
        where = f"{source_name}, row {row}" if row is not None else source_name
        super().__init__(f"{where}: {problem}")


class DuplicateTranscriptError(InputFileError):
    """The same transcript content is already in the study."""


class NotFoundError(StudyError):
    """A transcript, segment, code or other record does not exist."""


class InvalidRequestError(StudyError):
    """A request is well-formed but not allowed (bad offsets, unknown code, ...)."""


class PermissionDeniedError(StudyError):
    """The acting user's role does not allow this, or they are not signed in."""


class SessionExpiredError(PermissionDeniedError):
    """A sign-in session has expired or was ended; the user must sign in again."""


class ConflictError(StudyError):
    """Someone else saved the same record since it was read; nothing was overwritten."""


class DatabaseWriteError(StudyError):
    """The study database refused a write; the change was rolled back whole, and
    everything saved before it is still there."""


class DatabaseFullError(DatabaseWriteError):
    """The disk (or the database's size limit) is full."""


class DatabaseReadOnlyError(DatabaseWriteError):
    """The database file or its folder cannot be written by this account."""
