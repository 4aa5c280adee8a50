"""Peer research platform: the library behind the app and the CLI.

Everything a user can do is a function here first. Nothing in this package imports
Streamlit, and only `analysis.storage` speaks SQL.
"""

from analysis.codebook import (
    CodebookDraft,
    CodeSpec,
    current_codebook,
    parse_codebook,
    read_codebook_file,
    remove_code,
    save_code,
    save_codebook_version,
)
from analysis.coding import apply_code, codings_for_transcript, remove_coding
from analysis.errors import InputFileError, InvalidRequestError, NotFoundError, StudyError
from analysis.ingest import parse_transcript, read_transcript_file
from analysis.memos import add_memo, delete_memo, edit_memo
from analysis.participants import (
    read_participants_csv,
    save_participants,
    set_participant_attribute,
)
from analysis.retrieve import retrieve_quotes
from analysis.storage import Store
from analysis.study import open_study, study_status
from analysis.transcripts import (
    UploadedFile,
    attach_participant,
    import_transcripts,
    set_speaker_role,
)

__all__ = [
    "CodeSpec",
    "CodebookDraft",
    "InputFileError",
    "InvalidRequestError",
    "NotFoundError",
    "Store",
    "StudyError",
    "UploadedFile",
    "add_memo",
    "apply_code",
    "attach_participant",
    "codings_for_transcript",
    "current_codebook",
    "delete_memo",
    "edit_memo",
    "import_transcripts",
    "open_study",
    "parse_codebook",
    "parse_transcript",
    "read_codebook_file",
    "read_participants_csv",
    "read_transcript_file",
    "remove_code",
    "remove_coding",
    "retrieve_quotes",
    "save_code",
    "save_codebook_version",
    "save_participants",
    "set_participant_attribute",
    "set_speaker_role",
    "study_status",
]
