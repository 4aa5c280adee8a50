"""Residual identifiers: each label in its common written forms, names in context,
hard negatives that must not be flagged, the allow-list, and the scan-pii contract."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.cli import cli
from analysis.pii import find_personal_data, starter_allow_list
from analysis.pii.patterns import is_valid_nhs_number


def found(text: str, label: str | None = None) -> list[str]:
    findings = find_personal_data(text, allow_list=starter_allow_list())
    return [f.text for f in findings if label is None or f.label == label]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Text me on 07700 900123 later.", "07700 900123"),
        ("my number is 07700900123", "07700900123"),
        ("call +44 7700 900 123 anytime", "+44 7700 900 123"),
        ("it was +44 (0)7700 900123 I think", "+44 (0)7700 900123"),
        ("the office is 0151 496 0123.", "0151 496 0123"),
        ("ring 020 7946 0958 or", "020 7946 0958"),
        ("ring 0161-496-0000 please", "0161-496-0000"),
    ],
)
def test_uk_phone_numbers(text: str, expected: str) -> None:
    assert found(text, "PHONE") == [expected]


@pytest.mark.parametrize(
    "postcode", ["L7 3XY", "l7 3xy", "M139PL", "SW1A 1AA", "bs8 1tw", "EH8 9YL"]
)
def test_postcodes_in_any_case_with_or_without_space(postcode: str) -> None:
    assert found(f"I lived near {postcode} back then.", "POSTCODE") == [postcode]


def test_nhs_numbers_need_a_valid_check_digit() -> None:
    assert is_valid_nhs_number("9434765919")
    assert not is_valid_nhs_number("9434765918")
    assert found("my NHS number is 943 476 5919 ok", "NHS_NUMBER") == ["943 476 5919"]
    assert found("it's 9434765919 on the letter", "NHS_NUMBER") == ["9434765919"]
    assert found("the code 943 476 5918 is wrong", "NHS_NUMBER") == []


@pytest.mark.parametrize(
    "text,expected",
    [
        ("my student number is 201456789, yeah", "201456789"),
        ("student ID S1234567 on the card", "S1234567"),
        ("my ID is 20145678", "20145678"),
        ("matric number 2145678.", "2145678"),
        ("it was B00123456 I think", "B00123456"),
    ],
)
def test_student_numbers(text: str, expected: str) -> None:
    assert found(text, "STUDENT_ID") == [expected]


def test_custom_student_number_pattern() -> None:
    text = "my login was abc123xyz for everything"
    assert [f.text for f in find_personal_data(text, student_id_patterns=[r"\babc\d{3}xyz\b"])] == [
        "abc123xyz"
    ]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("I was born on 12/03/2001 in Leeds", "12/03/2001"),
        ("my birthday is 3rd March 2002", "3rd March 2002"),
        ("DOB 01.02.2003 it says", "01.02.2003"),
        ("born 14 February 2001, so", "14 February 2001"),
        ("my birthday's on the 5th of June", "5th of June"),
    ],
)
def test_dates_of_birth(text: str, expected: str) -> None:
    assert found(text, "DATE") == [expected]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("I lived at 12 Elm Grove for a year", "12 Elm Grove"),
        ("we moved to Flat 3, 27 Smithdown Road after", "Flat 3, 27 Smithdown Road"),
        ("the house on Mulberry Street was damp", "Mulberry Street"),
        ("45a Lark Lane. It was", "45a Lark Lane"),
    ],
)
def test_street_addresses(text: str, expected: str) -> None:
    assert found(text, "ADDRESS") == [expected]


def test_web_identifiers() -> None:
    text = (
        "email j.smith@student.example.ac.uk, my blog jordanwrites.blog, "
        "https://www.linkedin.com/in/jordan-w-123 and @priya_k, my insta is jordan.w22."
    )
    labels = [(f.label, f.text) for f in find_personal_data(text)]
    assert ("EMAIL", "j.smith@student.example.ac.uk") in labels
    assert ("URL", "jordanwrites.blog") in labels
    assert ("URL", "https://www.linkedin.com/in/jordan-w-123") in labels
    assert ("HANDLE", "@priya_k") in labels
    assert ("HANDLE", "jordan.w22") in labels


@pytest.mark.parametrize(
    "text,expected",
    [
        ("My friend Will said I should go.", ["Will"]),
        ("A girl called Hope helped me.", ["Hope"]),
        ("Grace said it was fine.", ["Grace"]),
        ("Dr Okafor referred me and Ms Kowalski called.", ["Dr Okafor", "Ms Kowalski"]),
        ("Mr. Jones was there.", ["Mr. Jones"]),
        ("i texted priya after.", ["priya"]),
        ("Zoë and José came round.", ["Zoë", "José"]),
        (
            "Oluwaseun Adeyemi and Aleksandra Wiśniewska",
            ["Oluwaseun Adeyemi", "Aleksandra Wiśniewska"],
        ),
        ("we met Nguyễn Thị Lan at the group", ["Nguyễn Thị Lan"]),
        ("Jordan told me to go to the GP.", ["Jordan"]),
    ],
)
def test_person_names(text: str, expected: list[str]) -> None:
    assert found(text, "PERSON") == expected


@pytest.mark.parametrize(
    "text",
    [
        "I will go in May, I hope, after the grace period.",
        "I had a Dr appointment at 10:30 on Monday.",
        "I went to A&E and the GP, then U-COPE and the Student Liaison Service.",
        "PSY1001 was in 2019 and cost £250 for 6 sessions over 10 weeks.",
        "[NAME] said P07 and Participant 12 were fine, [PERSON_2] too.",
        "She said he was nice. They told us what we had to do.",
        "I waited 5 minutes up the hill for the 86 bus in 2021/22.",
        "see www.studentminds.org.uk or nhs.uk for help",
        "Interviewer: How was it? Participant: Fine, honestly.",
    ],
)
def test_hard_negatives_are_not_flagged(text: str) -> None:
    assert found(text) == []


def test_allow_list_drops_project_terms() -> None:
    text = "I saw Amara at Carnegie House."
    assert found(text, "PERSON") == ["Amara"]
    kept = find_personal_data(text, allow_list=["Amara"])
    assert kept == []


def test_findings_are_sorted_exact_and_do_not_overlap() -> None:
    text = "Email sam.k@example.com or text Priya Shah on 07700 900123, she lives at 12 Elm Grove, L7 3XY."
    findings = find_personal_data(text)
    assert [f.label for f in findings] == ["EMAIL", "PERSON", "PHONE", "ADDRESS", "POSTCODE"]
    for before, after in itertools.pairwise(findings):
        assert before.end <= after.start
    assert all(text[f.start : f.end] == f.text for f in findings)


def test_scan_pii_cli_indexes_the_raw_decoded_file(tmp_path: Path) -> None:
    raw = "\ufeffWEBVTT\r\n\r\n1\r\n00:00:01.000 --> 00:00:04.000\r\n<v Jordan Ellis>Call me on 07700 900123.</v>\r\n"
    path = tmp_path / "call.vtt"
    path.write_bytes(raw.encode("utf-8"))
    result = CliRunner().invoke(cli, ["scan-pii", str(path), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    text = raw.removeprefix("\ufeff")
    assert {(r["label"], r["text"]) for r in rows} == {
        ("PERSON", "Jordan Ellis"),
        ("PHONE", "07700 900123"),
    }
    assert all(text[r["start"] : r["end"]] == r["text"] for r in rows)
    assert set(rows[0]) == {"start", "end", "label", "text"}


def test_scan_pii_cli_refuses_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    result = CliRunner().invoke(cli, ["scan-pii", str(path), "--json"])
    assert result.exit_code != 0
    assert "empty.txt" in result.output


def test_a_trained_pipelines_person_entities_are_added(tmp_path: Path) -> None:
    """Stand-in for an installed English pipeline: a saved pipeline whose entity ruler
    tags a name that no list or rule knows."""
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": [{"LOWER": "zxqy"}, {"LOWER": "vrolt"}]}])
    nlp.to_disk(tmp_path / "pipeline")
    text = "Then zxqy vrolt rang the crisis line for me."
    assert find_personal_data(text, ner_model="none") == []
    [finding] = find_personal_data(text, ner_model=str(tmp_path / "pipeline"))
    assert (finding.label, finding.text, finding.source) == ("PERSON", "zxqy vrolt", "model.person")
