"""Participants files and attribute edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.errors import InputFileError, InvalidRequestError
from analysis.models import Project
from analysis.participants import (
    read_participants_csv,
    read_participants_file,
    save_participants,
    set_participant_attribute,
)
from analysis.storage import Store
from analysis.transcripts import UploadedFile, import_transcripts

DEMO_CSV = Path(__file__).resolve().parent.parent / "interviews" / "participants.csv"


def test_demo_participants_file_has_standard_attributes() -> None:
    records = read_participants_file(DEMO_CSV)
    assert len(records) == 10
    assert {"gender", "disability", "fee_status", "first_in_family", "carer"} <= set(
        records[0].attributes
    )
    assert all(len(r.transcripts) == 1 for r in records)


def test_headers_are_normalised_and_blank_cells_skipped() -> None:
    data = b"Participant ID,Transcript,Age Band,Carer\nP1,a.txt;b.txt,21-24,\n"
    [record] = read_participants_csv("people.csv", data)
    assert record.pseudonym == "P1"
    assert record.transcripts == ("a.txt", "b.txt")
    assert record.attributes == {"age_band": "21-24"}


@pytest.mark.parametrize(
    "data,problem",
    [
        (b"name,gender\nP1,woman\n", "no 'pseudonym' column"),
        (b"pseudonym,gender\nP1,woman\np1,man\n", "repeats pseudonym"),
        (b"pseudonym,gender\n,woman\n", "empty pseudonym"),
        (b"pseudonym\nP1,extra\n", "more cells"),
        (b"", "empty"),
    ],
)
def test_bad_participants_files_name_file_and_row(data: bytes, problem: str) -> None:
    with pytest.raises(InputFileError, match=problem) as caught:
        read_participants_csv("people.csv", data)
    assert "people.csv" in str(caught.value)


def test_saving_links_transcripts_and_attribute_edits_are_audited(
    store: Store, project: Project
) -> None:
    import_transcripts(
        store,
        project.id,
        [UploadedFile("int-07.txt", b"I: Hello?\n\nR: Hi there, I am fine.\n")],
        actor="sam",
    )
    ids = save_participants(
        store,
        project.id,
        [read_participants_csv("p.csv", b"pseudonym,transcript,carer\nP07,int-07.txt,yes\n")[0]],
        actor="lead",
    )
    assert store.list_transcripts(project.id)[0].participant == "P07"
    set_participant_attribute(store, ids["P07"], "Level of study", "undergraduate", actor="lead")
    set_participant_attribute(store, ids["P07"], "carer", "", actor="lead")
    [person] = [p for p in store.list_participants(project.id) if p.pseudonym == "P07"]
    assert person.attributes == {"level_of_study": "undergraduate"}
    actions = [e.action for e in store.audit_entries(table="participants")]
    assert actions[:2] == ["remove attribute", "set attribute"]
    with pytest.raises(InvalidRequestError):
        set_participant_attribute(store, ids["P07"], "  ", "x", actor="lead")
