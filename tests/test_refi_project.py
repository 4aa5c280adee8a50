"""REFI-QDA project exchange (.qdpx): valid against the official schema, a round trip
that loses nothing, files from other tools (ATLAS.ti, NVivo-, QualCoder-style), offsets
that survive CRLF and layout, and bad files that change nothing."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from analysis.cli import cli
from analysis.codebook import CodebookDraft, CodeSpec, current_codebook, save_codebook_version
from analysis.coding import apply_code
from analysis.consent import withdraw_participant
from analysis.errors import (
    DuplicateTranscriptError,
    InputFileError,
    InvalidRequestError,
    PermissionDeniedError,
)
from analysis.memos import add_memo
from analysis.models import Consent, Project
from analysis.participants import ParticipantRecord
from analysis.refi_import import import_qdpx
from analysis.refi_offsets import map_offsets
from analysis.refi_project import build_qdpx
from analysis.review import mark_not_personal
from analysis.storage import Store
from analysis.transcripts import UploadedFile, import_transcripts

NS = "{urn:QDA-XML:project:1.0}"
INTERVIEW = (
    "Interviewer: What happened when you first asked for support?\n"
    "Participant: I filled in the online form twice and nobody rang me back for three "
    "weeks.\n\n"
    "Interviewer: How did that feel?\n"
    "Participant: Like I was shouting into a cupboard. My flatmates ended up being the "
    "support.\n"
)
FIELD_NOTES = (
    "Field notes after the drop-in session.\n\n"
    "Students queued outside the wellbeing office before it opened. Several said the "
    "waiting list felt endless.\n\n"
    "One student said the peer group was the first place anyone listened.\n"
)
CODES = (
    CodeSpec("access", "Access & waiting", "Getting in.", "First contact", "Not crisis", "Ages"),
    CodeSpec("waits", "Waiting times", "How long it took.", parent="access"),
    CodeSpec("peers", "Friends as support", "Flatmates and friends."),
    CodeSpec("pets", "Pets", "Animals as support", status="proposed"),
)
CRLF_TEXT = (
    "Interviewer: How did the first week go?\r\n\r\n"
    "Respondent: Honestly it was a blur. I kept getting lost on campus.\r\n"
    "The library helped though.\r\n\r\n"
    "Interviewer: Did you ask anyone?\r\n\r\n"
    "Respondent: Not really, I waited until week three.\r\n"
)
USER = "11111111-1111-1111-1111-111111111111"
CODE_LOST, CODE_WAIT = (
    "22222222-2222-2222-2222-222222222222",
    "33333333-3333-3333-3333-333333333333",
)


@pytest.fixture
def project_schema(shared_data: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(shared_data / "refi-qda" / "Project-mrt2019.xsd")))


@pytest.fixture
def study(store: Store, project: Project) -> Project:
    """Two transcripts (an interview and unlabelled field notes), participants with
    attributes and consent, a codebook with a hierarchy, codings by two coders, memos."""
    records = [
        ParticipantRecord(
            "Ash",
            ("ash.txt",),
            {"gender": "woman", "age_band": "18-20"},
            Consent("2026-03-11", True, False),
        ),
        ParticipantRecord("Notes", ("notes.txt",), {"kind": "observation"}),
        ParticipantRecord("Nobody", (), {"gender": "man"}),
    ]
    files = [
        UploadedFile("ash.txt", INTERVIEW.encode()),
        UploadedFile("notes.txt", FIELD_NOTES.encode()),
    ]
    imported = import_transcripts(store, project.id, files, actor="lead", participants=records)
    assert all(
        store.get_transcript(i.transcript_id).anonymisation_status == "cleared" for i in imported
    )
    save_codebook_version(
        store, project.id, CodebookDraft("Starter", "", CODES), actor="lead", note="start"
    )
    ash, notes = (store.get_transcript(i.transcript_id) for i in imported)
    form = INTERVIEW.index("I filled in")
    coding = apply_code(
        store,
        code_key="waits",
        coder="sam",
        transcript_id=ash.id,
        start_char=form,
        end_char=INTERVIEW.index(" three"),
        memo="Slow reply.",
    )
    apply_code(
        store,
        code_key="access",
        coder="alex",
        transcript_id=ash.id,
        start_char=form,
        end_char=INTERVIEW.index(" three"),
    )
    segment = next(s for s in store.list_segments(ash.id) if "flatmates" in s.text)
    apply_code(store, code_key="peers", coder="alex", segment_id=segment.id)
    queue = notes.text.index("Students queued")
    apply_code(
        store,
        code_key="waits",
        coder="sam",
        transcript_id=notes.id,
        start_char=queue,
        end_char=notes.text.index(" Several"),
    )
    add_memo(store, project.id, "transcripts", ash.id, "Recorded on a laptop.", author="sam")
    add_memo(store, project.id, "segments", segment.id, "Friends as the service.", author="alex")
    add_memo(store, project.id, "projects", project.id, "Pilot interviews.", author="lead")
    person = next(p for p in store.list_participants(project.id) if p.pseudonym == "Ash")
    add_memo(store, project.id, "participants", person.id, "Second year.", author="sam")
    code_id = next(c.id for c in current_codebook(store, project.id)[1] if c.key == "peers")
    add_memo(store, project.id, "codes", code_id, "Maybe split.", author="lead")
    assert coding.text.startswith("I filled in")
    return project


def qde_of(archive: bytes) -> bytes:
    return zipfile.ZipFile(io.BytesIO(archive)).read("project.qde")


def empty_study() -> Iterator[tuple[Store, Project]]:
    target = Store.in_memory()
    target.upsert_user("lead", "project lead")
    yield target, target.get_or_create_project("test", "Elsewhere")
    target.close()


@pytest.fixture
def other() -> Iterator[tuple[Store, Project]]:
    yield from empty_study()


def snapshot(store: Store, project: Project) -> dict[str, object]:
    """What a study holds, for before/after comparisons."""
    return {
        **store.count_rows(project.id),
        "accounts": len(store.list_accounts()),
        "audit": len(store.audit_entries(limit=100_000)),
        "name": store.list_projects()[0].name,
    }


def qdpx(
    qde: str, files: dict[str, str | bytes] | None = None, *, name: str = "project.qde"
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, qde)
        for path, content in (files or {}).items():
            archive.writestr(path, content)
    return buffer.getvalue()


def selection(guid: int, start: int, end: int, code: str, name: str = "") -> str:
    return (
        f'<PlainTextSelection guid="55555555-5555-5555-5555-5555555555{guid:02d}" '
        f'startPosition="{start}" endPosition="{end}" name="{name}" creatingUser="{USER}">'
        f'<Coding guid="66666666-6666-6666-6666-6666666666{guid:02d}" creatingUser="{USER}" '
        f'creationDateTime="2024-05-01T10:00:00Z"><CodeRef targetGUID="{code}"/></Coding>'
        "</PlainTextSelection>"
    )


def handmade_qde(selections: str, *, source: str = "", extra: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="Handmade">'
        f'<Users><User guid="{USER}" name="Dana Coder"/></Users>'
        f'<CodeBook><Codes><Code guid="{CODE_LOST}" name="Getting lost" isCodable="true"/>'
        f'<Code guid="{CODE_WAIT}" name="Waiting" isCodable="true"/></Codes></CodeBook>'
        f"{extra}<Sources>"
        + (
            source
            or '<TextSource guid="44444444-4444-4444-4444-444444444444" name="River.docx" '
            'richTextPath="internal://river.docx" plainTextPath="internal://river.txt">'
            f"{selections}</TextSource>"
        )
        + "</Sources></Project>"
    )


def crlf_selections(text: str) -> str:
    quotes = [
        "I kept getting lost on campus",
        "The library helped though",
        "I waited until week three",
    ]
    return "".join(
        selection(i, text.index(q), text.index(q) + len(q), CODE_WAIT if i == 2 else CODE_LOST)
        for i, q in enumerate(quotes)
    )


# -- export ----------------------------------------------------------------------------


def test_export_is_valid_against_the_project_schema(
    store: Store, study: Project, project_schema: etree.XMLSchema
) -> None:
    archive, summary = build_qdpx(store, study.id, actor="lead")
    document = etree.fromstring(qde_of(archive))
    project_schema.assertValid(document)
    assert (summary.transcripts, summary.codes, summary.cases, summary.codings) == (2, 4, 3, 4)
    assert summary.left_out == ()
    waits = document.find(f".//{NS}Code[@name='Access & waiting']/{NS}Code")
    assert waits is not None and waits.get("name") == "Waiting times"
    ash = document.find(f".//{NS}Case[@name='Ash']")
    assert ash is not None
    values = {
        v.find(f"{NS}VariableRef").get("targetGUID"): v[1].text
        for v in ash.findall(f"{NS}VariableValue")
    }
    variables = {v.get("guid"): v.get("name") for v in document.iter(f"{NS}Variable")}
    assert {variables[g]: value for g, value in values.items()} == {
        "age_band": "18-20",
        "gender": "woman",
        "consent_date": "2026-03-11",
        "consent_quotes": "true",
        "consent_share": "false",
    }
    source = document.find(f".//{NS}TextSource[@name='ash.txt']")
    assert source is not None
    text = (
        zipfile.ZipFile(io.BytesIO(archive))
        .read("sources/" + source.get("plainTextPath").removeprefix("internal://"))
        .decode("utf-8")
    )
    stored = next(t for t in store.list_transcripts(study.id) if t.source_name == "ash.txt")
    assert text == stored.text
    quotes = {
        text[int(s.get("startPosition")) : int(s.get("endPosition"))]
        for s in source.iter(f"{NS}PlainTextSelection")
    }
    assert any(q.startswith("I filled in the online form") for q in quotes)
    assert ash.find(f"{NS}SourceRef").get("targetGUID") == source.get("guid")
    assert build_qdpx(store, study.id, actor="lead")[0] == archive, "same study, same bytes"


def test_only_a_lead_exports_and_uncleared_transcripts_stay_home(
    store: Store, study: Project
) -> None:
    with pytest.raises(PermissionDeniedError):
        build_qdpx(store, study.id, actor="sam")
    text = "Interviewer: Who helped?\nParticipant: My tutor Mrs Okonkwo-Baptiste at Leeds.\n"
    import_transcripts(store, study.id, [UploadedFile("named.txt", text.encode())], actor="lead")
    _, summary = build_qdpx(store, study.id, actor="lead")
    assert summary.transcripts == 2
    assert summary.left_out == ("named.txt: waiting for PII review",)


# -- round trip --------------------------------------------------------------------------


def test_round_trip_loses_nothing(
    store: Store, study: Project, other: tuple[Store, Project]
) -> None:
    first, _ = build_qdpx(store, study.id, actor="lead")
    target, elsewhere = other
    report = import_qdpx(target, elsewhere.id, "study.qdpx", first, actor="lead")
    assert (report.transcripts, report.codings, report.cases, report.codes) == (2, 4, 3, 4)
    assert report.new_accounts == ("alex", "sam") and report.memos == 6
    second, _ = build_qdpx(target, elsewhere.id, actor="lead")
    assert qde_of(second).decode() == qde_of(first).decode()
    assert second == first

    def codings(s: Store, p: Project) -> list[tuple[object, ...]]:
        return sorted(
            (c.code_key, c.coder, c.text, c.created_at) for c in s.list_codings(project_id=p.id)
        )

    assert codings(target, elsewhere) == codings(store, study)
    assert target.list_participants(elsewhere.id)[0].consent == Consent("2026-03-11", True, False)
    assert [p.attributes for p in target.list_participants(elsewhere.id)] == [
        p.attributes for p in store.list_participants(study.id)
    ]
    memos = sorted((m.target_table, m.author, m.body) for m in target.list_memos(elsewhere.id))
    assert memos == sorted((m.target_table, m.author, m.body) for m in store.list_memos(study.id))
    notes = next(t for t in target.list_transcripts(elsewhere.id) if t.source_name == "notes.txt")
    assert notes.participant == "Notes" and notes.imported_by == "lead"
    assert {s.role for s in target.list_speakers(notes.id)} == {"participant"}


def test_importing_the_same_project_twice_is_refused(store: Store, study: Project) -> None:
    archive, _ = build_qdpx(store, study.id, actor="lead")
    before = snapshot(store, study)
    with pytest.raises(DuplicateTranscriptError, match="same content"):
        import_qdpx(store, study.id, "again.qdpx", archive, actor="lead")
    assert snapshot(store, study) == before


def test_withdrawn_participants_cannot_come_back(
    store: Store, study: Project, other: tuple[Store, Project]
) -> None:
    archive, _ = build_qdpx(store, study.id, actor="lead")
    target, elsewhere = other
    target.get_or_create_participant(elsewhere.id, "Ash")
    withdraw_participant(target, elsewhere.id, "Ash", actor="lead")
    before = snapshot(target, elsewhere)
    with pytest.raises(InvalidRequestError, match="Ash withdrew"):
        import_qdpx(target, elsewhere.id, "study.qdpx", archive, actor="lead")
    assert snapshot(target, elsewhere) == before


# -- files from other tools ----------------------------------------------------------------


def test_atlas_ti_project_imports_what_is_there(
    shared_data: Path, store: Store, project: Project
) -> None:
    path = shared_data / "refi-qda" / "atlasti_8.4_standard_project" / "TestProject.qdpx"
    assert "Project.qde" in zipfile.ZipFile(path).namelist()
    report = import_qdpx(store, project.id, path.name, path.read_bytes(), actor="lead")
    assert (report.users, report.codes, report.transcripts, report.codings) == (3, 14, 0, 0)
    assert report.new_accounts == ("ATLAS.ti", "Friedrich.Markgraf", "Sebastian.Petrausch")
    assert not store.get_user("Friedrich.Markgraf").has_password
    assert len(report.missing_sources) == 6
    assert any(m.startswith("Mabel.txt (internal://") for m in report.missing_sources)
    assert sorted(u.rsplit(" (", 1)[1] for u in report.unsupported_sources) == [
        "PDF)",
        "PDF)",
        "audio)",
        "picture)",
        "video)",
        "video)",
    ]
    codes = {c.key: c for c in current_codebook(store, project.id)[1]}
    assert (codes["coke-diet-coke"].name, codes["coke-diet-coke"].parent_key) == (
        "diet Coke",
        "coke",
    )
    assert codes["coke"].definition == "the breakfast of champions"
    memos = store.list_memos(project.id, target_table="projects")
    assert [m.author for m in memos] == ["Friedrich.Markgraf"] * 2
    assert memos[0].body.startswith("Research Plan") and memos[0].created_at.startswith(
        "2018-03-27"
    )
    assert store.list_projects()[0].name == "ATLAS.ti standard project", (
        "an empty study takes its name"
    )


def test_crlf_source_selections_land_on_the_same_words(store: Store, project: Project) -> None:
    data = qdpx(handmade_qde(crlf_selections(CRLF_TEXT)), {"sources/river.txt": CRLF_TEXT})
    report = import_qdpx(store, project.id, "hand.qdpx", data, actor="lead")
    assert (report.transcripts, report.codings, report.new_accounts) == (1, 3, ("Dana.Coder",))
    quotes = [
        (c.code_key, c.text, c.coder, c.source) for c in store.list_codings(project_id=project.id)
    ]
    assert quotes == [
        ("getting-lost", "I kept getting lost on campus", "Dana.Coder", "imported"),
        ("getting-lost", "The library helped though", "Dana.Coder", "imported"),
        ("waiting", "I waited until week three", "Dana.Coder", "imported"),
    ]
    transcript = store.list_transcripts(project.id)[0]
    assert "\r" not in transcript.text and transcript.participant == "River"
    assert {s.label: s.role for s in store.list_speakers(transcript.id)} == {
        "Interviewer": "interviewer",
        "Respondent": "participant",
    }
    assert store.list_codings(project_id=project.id)[0].created_at == "2024-05-01T10:00:00+00:00"


def test_positions_counted_after_crlf_to_lf_are_recognised(store: Store, project: Project) -> None:
    """Some tools count positions in the text with CRLF read as LF; the quoted words in
    the selections' names tell which reading the file uses."""
    lf = CRLF_TEXT.replace("\r\n", "\n")
    quote = "I waited until week three"
    start = lf.index(quote)
    data = qdpx(
        handmade_qde(selection(1, start, start + len(quote), CODE_WAIT, name=quote)),
        {"Sources/RIVER.TXT": CRLF_TEXT},
    )
    import_qdpx(store, project.id, "lf.qdpx", data, actor="lead")
    assert [c.text for c in store.list_codings(project_id=project.id)] == [quote]


def test_inline_plain_text_and_cases_from_another_tool(store: Store, project: Project) -> None:
    """QualCoder/NVivo style: text inside the XML, a monologue without speaker labels,
    a case with variables (and consent), a capital `Project.qde`, a note on a coding."""
    notes = "Walked past the counselling queue again.\nIt was longer than last week."
    start = notes.index("longer")
    source = (
        '<TextSource guid="77777777-7777-7777-7777-777777777777" name="Walk notes">'
        f"<PlainTextContent>{notes}</PlainTextContent>"
        f'<PlainTextSelection guid="88888888-8888-8888-8888-888888888888" startPosition="{start}" '
        f'endPosition="{start + len("longer than last week")}">'
        f'<Coding guid="99999999-9999-9999-9999-999999999999"><CodeRef targetGUID="{CODE_WAIT}"/>'
        '<NoteRef targetGUID="aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"/></Coding>'
        "</PlainTextSelection></TextSource>"
    )
    variables = (
        '<Variables><Variable guid="bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb" name="Age band" typeOfVariable="Text"/>'
        '<Variable guid="cccccccc-cccc-cccc-cccc-cccccccccccc" name="consent_quotes" typeOfVariable="Boolean"/></Variables>'
        '<Cases><Case guid="dddddddd-dddd-dddd-dddd-dddddddddddd" name="Walker">'
        '<VariableValue><VariableRef targetGUID="bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"/><TextValue>25-34</TextValue></VariableValue>'
        '<VariableValue><VariableRef targetGUID="cccccccc-cccc-cccc-cccc-cccccccccccc"/><BooleanValue>true</BooleanValue></VariableValue>'
        '<SourceRef targetGUID="77777777-7777-7777-7777-777777777777"/></Case></Cases>'
    )
    qde = handmade_qde("", source=source, extra=variables).replace(
        "</Project>",
        '<Notes><Note guid="aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa" name="Queue length">'
        "<PlainTextContent>It keeps growing.</PlainTextContent></Note></Notes></Project>",
    )
    report = import_qdpx(
        store, project.id, "qualcoder.qdpx", qdpx(qde, name="Project.qde"), actor="lead"
    )
    assert (report.transcripts, report.codings, report.cases, report.memos) == (1, 1, 1, 1)
    transcript = store.list_transcripts(project.id)[0]
    assert transcript.participant == "Walker" and transcript.source_format == "qdpx"
    [coding] = store.list_codings(project_id=project.id)
    assert coding.text == "longer than last week" and coding.coder == "lead"
    walker = next(p for p in store.list_participants(project.id) if p.pseudonym == "Walker")
    assert walker.attributes == {"age_band": "25-34"} and walker.consent.quotes is True
    [memo] = store.list_memos(project.id)
    assert (memo.target_table, memo.target_id, memo.body) == (
        "codings",
        coding.id,
        "Queue length\n\nIt keeps growing.",
    )


def test_nvivo_for_mac_namespace_and_bare_qde(store: Store, project: Project) -> None:
    qde = handmade_qde("").replace("urn:QDA-XML:project:1.0", "urn:QDA-XML:project:1:0")
    report = import_qdpx(store, project.id, "mac.qde", qde.encode(), actor="lead")
    assert report.codes == 2 and report.missing_sources == ("River.docx (internal://river.txt)",)


# -- bad files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"PK\x03\x04 this is not really a zip", "not a REFI-QDA file"),
        (b"\x00\x01\x02 binary", "not a REFI-QDA file"),
        (qdpx("<Project xmlns='urn:QDA-XML:project:1.0' name='x'>"), "not well-formed XML"),
        (qdpx("hello", name="readme.txt"), "holds no project.qde"),
        (
            qdpx(
                handmade_qde(selection(1, 0, 5, "deadbeef-0000-0000-0000-000000000000")),
                {"sources/river.txt": CRLF_TEXT},
            ),
            "refers to code deadbeef-0000-0000-0000-000000000000",
        ),
        (
            qdpx(handmade_qde(selection(1, 10, 9999, CODE_WAIT)), {"sources/river.txt": CRLF_TEXT}),
            "outside its text",
        ),
        (
            qdpx(
                handmade_qde(selection(1, 10, 20, CODE_WAIT).replace('"20"', '"twenty"')),
                {"sources/river.txt": CRLF_TEXT},
            ),
            "not a whole number",
        ),
        (b"<CodeBook xmlns='urn:QDA-XML:codebook:1.0'/>", "holds no codes"),
        (b"<Other/>", "not a REFI-QDA project"),
    ],
)
def test_bad_files_name_the_file_and_change_nothing(
    store: Store, study: Project, data: bytes, problem: str
) -> None:
    before = snapshot(store, study)
    with pytest.raises(InputFileError, match=problem) as caught:
        import_qdpx(store, study.id, "broken.qdpx", data, actor="lead")
    assert "broken.qdpx" in str(caught.value)
    assert snapshot(store, study) == before


def test_a_researcher_may_not_bring_new_codes(store: Store, project: Project) -> None:
    data = qdpx(handmade_qde(crlf_selections(CRLF_TEXT)), {"sources/river.txt": CRLF_TEXT})
    store.upsert_user("Dana.Coder", "student researcher")
    before = snapshot(store, project)
    with pytest.raises(PermissionDeniedError, match="only a project lead"):
        import_qdpx(store, project.id, "hand.qdpx", data, actor="sam")
    assert snapshot(store, project) == before


def test_offset_map_skips_what_the_layout_dropped() -> None:
    source = "Title line\r\n\r\nA:  well-\r\nknown &amp; fine\r\nB: yes"
    stored = "A: well-known & fine\n\nB: yes\n"
    offsets = map_offsets(source, stored)
    start = source.index("well-")
    assert stored[slice(*offsets.span(start, source.index(" fine") + 5))] == "well-known & fine"
    assert offsets.span(0, 10) is None, "the dropped title maps nowhere"


# -- command line ----------------------------------------------------------------------------


def test_cli_export_import_export_round_trip(demo_db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    first = tmp_path / "out" / "demo.qdpx"
    done = runner.invoke(cli, ["--db", str(demo_db), "export", "qdpx", str(first)])
    assert done.exit_code == 0, done.output
    assert "6 transcripts" in done.output and "left out: P02.txt" in done.output
    fresh = tmp_path / "fresh.db"
    done = runner.invoke(cli, ["--db", str(fresh), "import-qdpx", str(first)])
    assert done.exit_code == 0, done.output
    assert "6 transcripts, 74 codings, 48 codes (48 new)" in done.output
    second = tmp_path / "again.qdpx"
    done = runner.invoke(cli, ["--db", str(fresh), "export", "qdpx", str(second)])
    assert done.exit_code == 0, done.output
    assert qde_of(second.read_bytes()) == qde_of(first.read_bytes())
    before = runner.invoke(cli, ["--db", str(fresh), "status", "--json"]).output
    done = runner.invoke(cli, ["--db", str(fresh), "import-qdpx", str(first)])
    assert done.exit_code == 1 and "same content" in done.output
    assert runner.invoke(cli, ["--db", str(fresh), "status", "--json"]).output == before


def test_cli_reports_missing_and_unsupported_sources(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "refi-qda" / "atlasti_8.4_standard_project" / "TestProject.qdpx"
    done = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "s.db"), "import-qdpx", str(path), "--json"]
    )
    assert done.exit_code == 0, done.output
    assert '"codes": 14' in done.output and '"missing_sources": [' in done.output


def test_nvivo_case_nodes_are_participants_not_codes(store: Store, project: Project) -> None:
    """NVivo writes each case also as a code with the case's GUID and codes the case's
    text with it; that says whose transcript it is."""
    case = "eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee"
    text = "I asked the wellbeing team twice before anyone answered."
    source = (
        '<TextSource guid="77777777-7777-7777-7777-777777777777" name="Interview 4">'
        f"<PlainTextContent>{text}</PlainTextContent>"
        f"{selection(1, 0, len(text), case)}{selection(2, 0, 7, CODE_WAIT)}</TextSource>"
    )
    qde = handmade_qde("", source=source, extra=f'<Cases><Case guid="{case}" name="Anna"/></Cases>')
    qde = qde.replace("</Codes>", f'<Code guid="{case}" name="Anna" isCodable="true"/></Codes>')
    report = import_qdpx(store, project.id, "nvivo.qdpx", qdpx(qde), actor="lead")
    assert (report.codes, report.codings, report.cases) == (2, 1, 1)
    assert "anna" not in {c.key for c in current_codebook(store, project.id)[1]}
    assert store.list_transcripts(project.id)[0].participant == "Anna"
    assert [c.text for c in store.list_codings(project_id=project.id)] == ["I asked"]


def test_review_decisions_travel_with_our_own_transcripts(
    store: Store, project: Project, other: tuple[Store, Project]
) -> None:
    text = "Interviewer: Who helped?\nParticipant: My tutor Mrs Okonkwo-Baptiste at Leeds.\n"
    [item] = import_transcripts(
        store, project.id, [UploadedFile("named.txt", text.encode())], actor="lead"
    )
    for finding in store.list_findings(transcript_id=item.transcript_id):
        mark_not_personal(store, finding.id, actor="lead")
    assert store.get_transcript(item.transcript_id).anonymisation_status == "cleared"
    first, _ = build_qdpx(store, project.id, actor="lead")
    assert b"Not personal: " in qde_of(first)
    target, elsewhere = other
    report = import_qdpx(target, elsewhere.id, "named.qdpx", first, actor="lead")
    assert report.needs_review == ()
    [copy] = target.list_transcripts(elsewhere.id)
    assert copy.anonymisation_status == "cleared"
    assert {f.status for f in target.list_findings(transcript_id=copy.id)} == {"not-personal"}
    assert build_qdpx(target, elsewhere.id, actor="lead")[0] == first
