"""REFI-QDA codebook exchange: valid against the official schema, read from other tools,
and a round trip that loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from analysis.cli import cli
from analysis.codebook import CodeSpec, code_to_spec, current_codebook
from analysis.errors import InputFileError
from analysis.refi_codebook import codebook_to_qdc, qdc_to_codebook
from analysis.storage import Store

SPECS = (
    CodeSpec(
        "access", "Access & waiting", "Getting in.", "First contact", "Not crisis", "“Took ages”"
    ),
    CodeSpec("waits", "Waiting times", "How long.", parent="access"),
    CodeSpec("pets", "Pets", "Animals as support", status="proposed"),
)


@pytest.fixture
def codebook_schema(shared_data: Path) -> etree.XMLSchema:
    path = shared_data / "refi-qda" / "Codebook-v1.0-transcribed-from-REFI-QDA-1.5-spec.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def test_export_is_valid_against_the_codebook_schema(codebook_schema: etree.XMLSchema) -> None:
    document = etree.fromstring(codebook_to_qdc(SPECS, project_slug="study"))
    codebook_schema.assertValid(document)
    names = [c.get("name") for c in document.iter("{urn:QDA-XML:codebook:1.0}Code")]
    assert names == ["Access & waiting", "Waiting times", "Pets"]
    assert codebook_to_qdc(SPECS, project_slug="study") == codebook_to_qdc(
        SPECS, project_slug="study"
    ), "the same codebook exports with the same GUIDs"


def test_round_trip_loses_nothing() -> None:
    draft = qdc_to_codebook("ours.qdc", codebook_to_qdc(SPECS, project_slug="study"))
    assert draft.codes == SPECS


def test_reads_the_specification_example(shared_data: Path) -> None:
    path = shared_data / "refi-qda" / "REFI-QDA-1.5-AnnexA1-example-codebook.qdc"
    draft = qdc_to_codebook(path.name, path.read_bytes())
    assert [(c.key, c.parent) for c in draft.codes] == [
        ("topics", None),
        ("economy", None),
        ("health-care", None),
        ("values", None),
        ("conservatives", None),
        ("liberals", None),
    ]
    assert draft.codes[1].definition == "Anything about jobs or taxes or business"


def test_nvivo_for_mac_namespace_is_read(shared_data: Path) -> None:
    path = shared_data / "refi-qda" / "REFI-QDA-1.5-AnnexA1-example-codebook.qdc"
    data = path.read_bytes().replace(b"urn:QDA-XML:codebook:1.0", b"urn:QDA-XML:codebook:1:0")
    assert len(qdc_to_codebook("nvivo.qdc", data).codes) == 6


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"<CodeBook", "not well-formed XML"),
        (b"<Project xmlns='urn:QDA-XML:project:1.0'/>", "not a REFI-QDA codebook"),
        (b"<CodeBook xmlns='urn:QDA-XML:codebook:1.0'/>", "no <Codes>"),
        (
            b"<CodeBook xmlns='urn:QDA-XML:codebook:1.0'><Codes><Code guid='x' name=' '"
            b" isCodable='true'/></Codes></CodeBook>",
            "code without a name",
        ),
    ],
)
def test_bad_files_name_the_file_and_problem(data: bytes, problem: str) -> None:
    with pytest.raises(InputFileError, match=problem) as caught:
        qdc_to_codebook("broken.qdc", data)
    assert "broken.qdc" in str(caught.value)


def test_same_names_get_distinct_keys() -> None:
    data = (
        b"<CodeBook xmlns='urn:QDA-XML:codebook:1.0'><Codes>"
        b"<Code guid='a' name='Money' isCodable='true'><Code guid='b' name='Money'"
        b" isCodable='true'/></Code></Codes></CodeBook>"
    )
    draft = qdc_to_codebook("twice.qdc", data)
    assert [(c.key, c.parent) for c in draft.codes] == [("money", None), ("money-2", "money")]


def test_cli_export_and_import_round_trip(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "exchange" / "starter.qdc"
    runner = CliRunner()
    exported = runner.invoke(cli, ["--db", str(demo_db), "export", "qdc", str(out)])
    assert exported.exit_code == 0, exported.output
    fresh = tmp_path / "fresh.db"
    imported = runner.invoke(cli, ["--db", str(fresh), "import-qdc", str(out)])
    assert imported.exit_code == 0, imported.output
    before, after = Store.open(demo_db), Store.open(fresh)
    old = [code_to_spec(c) for c in current_codebook(before, before.list_projects()[0].id)[1]]
    new = [code_to_spec(c) for c in current_codebook(after, after.list_projects()[0].id)[1]]
    assert new == old and len(new) == 48
    before.close()
    after.close()
