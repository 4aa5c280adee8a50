"""Fuzzing every importer with random, truncated and corrupted files: each file is either
read or refused with the project's own error naming it (never another exception), and an
import that refuses a file leaves every table exactly as it was.

The importers: transcripts (.txt .md .docx .pdf .vtt .srt), the participants CSV,
codebooks (YAML, CSV, REFI-QDA .qdc) and REFI-QDA projects (.qdpx, bare .qde). Each
starts from a small valid file of its format, made here, and hypothesis feeds it random
bytes, the file cut off at any point, or the file with a few bytes changed.
"""

from __future__ import annotations

import functools
import io
import itertools
import zipfile
from collections.abc import Callable
from typing import Any

import docx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from analysis.codebook import (
    CodebookDraft,
    CodeSpec,
    codebook_to_csv,
    codebook_to_yaml,
    parse_codebook,
    save_codebook_version,
)
from analysis.coding import apply_code
from analysis.errors import InputFileError, StudyError
from analysis.ingest import parse_transcript
from analysis.models import Project
from analysis.participants import read_participants_csv, save_participants
from analysis.refi_codebook import codebook_to_qdc, qdc_to_codebook
from analysis.refi_import import import_qdpx
from analysis.refi_project import build_qdpx
from analysis.refi_read import read_refi_project
from analysis.review import mark_not_personal
from analysis.storage import Store
from analysis.transcripts import UploadedFile, import_transcripts
from tests.test_faults import table_rows
from tests.test_ingest import make_pdf

INTERVIEW = [
    ("Interviewer", "When did you first look for support at university?"),
    ("Participant", "In my second term. I waited six weeks for the counselling service."),
    ("Interviewer", "What did you do while you waited?"),
    ("Participant", "My flatmates kept me going, and the night line answered once."),
]


def _docx() -> bytes:
    document = docx.Document()
    for speaker, words in INTERVIEW:
        document.add_paragraph(f"{speaker}: {words}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _captions(*, webvtt: bool) -> bytes:
    blocks = []
    for number, (speaker, words) in enumerate(INTERVIEW, start=1):
        sep = "." if webvtt else ","
        timing = f"00:00:{number * 5:02d}{sep}000 --> 00:00:{number * 5 + 4:02d}{sep}000"
        cue = f"<v {speaker}>{words}" if webvtt else f"{speaker}: {words}"
        blocks.append(f"{timing}\n{cue}" if webvtt else f"{number}\n{timing}\n{cue}")
    return (("WEBVTT\n\n" if webvtt else "") + "\n\n".join(blocks) + "\n").encode()


TRANSCRIPTS: dict[str, bytes] = {
    "P1.txt": "\n\n".join(f"{s}: {w}" for s, w in INTERVIEW).encode(),
    "P2.md": "\n\n".join(f"**{s}:** {w}" for s, w in INTERVIEW).encode(),
    "P3.docx": _docx(),
    "P4.pdf": make_pdf(
        [[f"{s}: {w}" for s, w in INTERVIEW[:2]], [f"{s}: {w}" for s, w in INTERVIEW[2:]]]
    ),
    "P5.vtt": _captions(webvtt=True),
    "P6.srt": _captions(webvtt=False),
}
CODES = (
    CodeSpec("access", "Access to support", "Getting to a service", include="any service"),
    CodeSpec("waits", "Waiting times", parent="access", example="six weeks"),
    CodeSpec("peers", "Friends and flatmates", status="proposed"),
)
CODEBOOKS: dict[str, bytes] = {
    "codebook.yaml": codebook_to_yaml("Fuzz", CODES).encode(),
    "codebook.csv": codebook_to_csv(CODES).encode(),
    "codebook.qdc": codebook_to_qdc(CODES, project_slug="fuzz"),
}
PARTICIPANTS = (
    b"pseudonym,transcript,gender,age_band,consent_date,consent_quotes\n"
    b"P1,P1.txt,woman,18-21,2024-03-01,yes\n"
    b"P2,P2.md;P3.docx,man,22-25,,no\n"
)

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# Importing an accepted file runs the identifier scan, so the writing tests take fewer.
FUZZ_WRITES = settings(FUZZ, max_examples=60)


def damaged(sample: bytes) -> st.SearchStrategy[bytes]:
    """Random bytes, `sample` cut off anywhere, or `sample` with up to 8 bytes changed."""

    def flip(changes: list[tuple[int, int]]) -> bytes:
        data = bytearray(sample)
        for position, value in changes:
            data[position % len(data)] = value
        return bytes(data)

    return st.one_of(
        st.binary(max_size=2048),
        st.integers(0, len(sample)).map(lambda end: sample[:end]),
        st.lists(
            st.tuples(st.integers(0, len(sample)), st.integers(0, 255)), min_size=1, max_size=8
        ).map(flip),
    )


def read_or_refuse(read: Callable[[str, bytes], Any], name: str, data: bytes) -> Any:
    """What `read` makes of the file, or None when it refuses it with an error naming it."""
    try:
        result = read(name, data)
    except InputFileError as exc:
        assert exc.source_name == name
        assert str(exc).startswith(name)
        event("refused")
        return None
    event("read")
    return result


def test_the_samples_are_valid() -> None:
    for name, data in TRANSCRIPTS.items():
        assert len(parse_transcript(name, data).turns) == 4, name
    for name, data in CODEBOOKS.items():
        reader = qdc_to_codebook if name.endswith(".qdc") else parse_codebook
        assert [c.key for c in reader(name, data).codes] == ["access", "waits", "peers"], name
    assert [r.pseudonym for r in read_participants_csv("p.csv", PARTICIPANTS)] == ["P1", "P2"]


# -- reading: every format, nothing but InputFileError ----------------------------------------


@pytest.mark.parametrize("name", list(TRANSCRIPTS))
@FUZZ
@given(data=st.data())
def test_transcript_readers_refuse_damaged_files_cleanly(name: str, data: st.DataObject) -> None:
    read_or_refuse(parse_transcript, name, data.draw(damaged(TRANSCRIPTS[name])))


@pytest.mark.parametrize("name", list(CODEBOOKS))
@FUZZ
@given(data=st.data())
def test_codebook_readers_refuse_damaged_files_cleanly(name: str, data: st.DataObject) -> None:
    reader = qdc_to_codebook if name.endswith(".qdc") else parse_codebook
    draft = read_or_refuse(reader, name, data.draw(damaged(CODEBOOKS[name])))
    assert draft is None or isinstance(draft, CodebookDraft)


@FUZZ
@given(data=damaged(PARTICIPANTS))
def test_participants_reader_refuses_damaged_files_cleanly(data: bytes) -> None:
    read_or_refuse(read_participants_csv, "participants.csv", data)


# -- writing: a refused file changes nothing at all -------------------------------------------


def _all_or_nothing(store: Store, write: Callable[[], object]) -> bool:
    """Run `write`; if it is refused (a StudyError), no row of any table has changed."""
    before = table_rows(store)
    try:
        write()
    except StudyError:
        assert table_rows(store) == before
        event("refused")
        return False
    event("written")
    return True


_example = itertools.count()


@pytest.mark.parametrize("name", list(TRANSCRIPTS))
@FUZZ_WRITES
@given(data=st.data())
def test_importing_a_damaged_transcript_writes_all_or_nothing(
    store: Store, project: Project, name: str, data: st.DataObject
) -> None:
    number = next(_example)
    good = UploadedFile(
        f"good-{number}.txt", f"Interviewer: Hi?\n\nParticipant: Fine, {number} times.\n".encode()
    )
    fuzzed = UploadedFile(name, data.draw(damaged(TRANSCRIPTS[name])))
    transcripts = store.db["transcripts"].count
    # With a good file in the same batch: a refused file must take the good one with it.
    if _all_or_nothing(
        store, lambda: import_transcripts(store, project.id, [good, fuzzed], actor="lead")
    ):
        assert store.db["transcripts"].count == transcripts + 2


@FUZZ_WRITES
@given(data=damaged(PARTICIPANTS))
def test_importing_a_damaged_participants_file_writes_all_or_nothing(
    store: Store, project: Project, data: bytes
) -> None:
    def write() -> None:
        records = read_participants_csv("participants.csv", data)
        save_participants(store, project.id, records, actor="lead")

    _all_or_nothing(store, write)


@pytest.mark.parametrize("name", list(CODEBOOKS))
@FUZZ_WRITES
@given(data=st.data())
def test_importing_a_damaged_codebook_writes_all_or_nothing(
    store: Store, project: Project, name: str, data: st.DataObject
) -> None:
    reader = qdc_to_codebook if name.endswith(".qdc") else parse_codebook
    fuzzed = data.draw(damaged(CODEBOOKS[name]))
    versions = store.db["codebook_versions"].count

    def write() -> None:
        draft = reader(name, fuzzed)
        save_codebook_version(store, project.id, draft, actor="lead", note="fuzz")

    if _all_or_nothing(store, write):
        assert store.db["codebook_versions"].count == versions + 1


# -- REFI-QDA projects (.qdpx, and the bare .qde inside one) ----------------------------------


@functools.cache
def refi_samples() -> dict[str, bytes]:
    """A small study exported by this platform as `.qdpx`, and its `project.qde` alone."""

    source = Store.in_memory()
    try:
        source.upsert_user("lead", "project lead")
        project = source.get_or_create_project("refi", "REFI sample")
        draft = CodebookDraft("Fuzz", "", CODES)
        save_codebook_version(source, project.id, draft, actor="lead", note="sample")
        [result] = import_transcripts(
            source, project.id, [UploadedFile("P1.txt", TRANSCRIPTS["P1.txt"])], actor="lead"
        )
        for finding in source.list_findings(transcript_id=result.transcript_id):
            mark_not_personal(source, finding.id, actor="lead")
        segment = source.list_segments(result.transcript_id)[0]
        apply_code(source, code_key="waits", coder="lead", segment_id=segment.id)
        data, _ = build_qdpx(source, project.id, actor="lead")
    finally:
        source.close()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        qde = archive.read("project.qde")
    return {"study.qdpx": data, "study.qde": qde}


REFI_FILES = ["study.qdpx", "study.qde"]


@pytest.mark.parametrize("name", REFI_FILES)
@FUZZ
@given(data=st.data())
def test_refi_project_reader_refuses_damaged_files_cleanly(name: str, data: st.DataObject) -> None:
    read_or_refuse(read_refi_project, name, data.draw(damaged(refi_samples()[name])))


@pytest.mark.parametrize("name", REFI_FILES)
@FUZZ_WRITES
@given(data=st.data())
def test_importing_a_damaged_refi_project_writes_all_or_nothing(
    store: Store, project: Project, name: str, data: st.DataObject
) -> None:
    fuzzed = data.draw(damaged(refi_samples()[name]))
    _all_or_nothing(store, lambda: import_qdpx(store, project.id, name, fuzzed, actor="lead"))
