"""Import: upload transcripts, check how they were read, map speakers, attach participants."""

import streamlit as st

from analysis.access import Action
from analysis.errors import StudyError
from analysis.ingest import (
    MAX_FILE_BYTES,
    SUPPORTED_EXTENSIONS,
    guess_speaker_roles,
    parse_transcript,
)
from analysis.models import SPEAKER_ROLES
from analysis.participants import read_participants_csv
from analysis.transcripts import UploadedFile, import_transcripts, pseudonym_for
from app_pages._cache import page_context

ctx = page_context(Action.IMPORT)
st.title("Import transcripts")
st.write(
    f"Formats: {', '.join(SUPPORTED_EXTENSIONS)}; up to {MAX_FILE_BYTES // 2**20} MB a file. "
    "Speaker labels such as `Interviewer:`, `INT:`, `P3:`, `**Name:**`, WebVTT voices and "
    "timestamps are recognised. Check the speakers below before importing."
)
uploads = st.file_uploader(
    "Transcript files",
    type=[e.lstrip(".") for e in SUPPORTED_EXTENSIONS],
    accept_multiple_files=True,
    key="import_files",
)
participants_file = st.file_uploader(
    "Participants CSV (optional): pseudonym, transcript, then attribute columns",
    type=["csv"],
    key="import_participants",
)

records = []
if participants_file is not None:
    try:
        records = read_participants_csv(participants_file.name, participants_file.getvalue())
        st.success(f"{len(records)} participants read from {participants_file.name}")
    except StudyError as exc:
        st.error(str(exc))

files = [UploadedFile(u.name, u.getvalue()) for u in uploads or []]
roles: dict[str, dict[str, str]] = {}
pseudonyms: dict[str, str] = {}
for index, upload in enumerate(files):
    with st.expander(upload.name, expanded=len(files) <= 3):
        try:
            parsed = parse_transcript(upload.name, upload.data)
        except StudyError as exc:
            st.error(str(exc))
            continue
        guessed = guess_speaker_roles(parsed)
        st.caption(f"{len(parsed.turns)} turns, {len(parsed.text.split())} words")
        roles[upload.name] = {}
        for number, speaker in enumerate(parsed.speakers):
            roles[upload.name][speaker] = st.selectbox(
                f"Role of '{speaker}'",
                SPEAKER_ROLES,
                index=SPEAKER_ROLES.index(guessed[speaker]),
                key=f"import_role_{index}_{number}",
            )
        pseudonyms[upload.name] = st.text_input(
            "Participant pseudonym",
            value=pseudonym_for(upload.name, records, {}),
            key=f"import_pseudonym_{index}",
        )
        st.text_area(
            "Preview", parsed.text[:1500], height=200, disabled=True, key=f"import_preview_{index}"
        )

if st.button("Import", type="primary", disabled=not files, key="import_go"):
    try:
        results = import_transcripts(
            ctx.store,
            ctx.project.id,
            files,
            actor=ctx.user,
            participants=records,
            pseudonyms=pseudonyms,
            roles=roles,
        )
    except StudyError as exc:
        st.error(str(exc))
    else:
        for result in results:
            st.success(
                f"Imported {result.source_name} as transcript {result.transcript_id}: "
                f"{result.turns} turns, {result.segments} segments, participant {result.participant}"
                + (
                    f"; {result.pii_findings} possible identifiers to settle on the Review page"
                    if result.pii_findings
                    else "; no identifiers found"
                )
            )
