"""The hand-coded sets for measuring suggestions (benchmarks/coded_sets.py): the PDPilot
export parser on the real shared data, the demo set and the CSV writers. No model loads."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from analysis.study import open_study
from analysis.suggest import CodedPassage
from benchmarks.coded_sets import (
    PDPILOT_DIR,
    SEGMENTS_FILE,
    PdpilotExport,
    merge_passages,
    pdpilot_codebook,
    read_pdpilot_export,
    study_coded_set,
    write_codebook_csv,
    write_coded_csv,
)

ROW_START = re.compile(r"^P\d+ ")


@pytest.fixture(scope="module")
def export(shared_data: Path) -> PdpilotExport:
    return read_pdpilot_export(shared_data)


@pytest.fixture(scope="module")
def pdpilot(export: PdpilotExport) -> tuple[list[CodedPassage], list[tuple[str, str]]]:
    passages = merge_passages((r.document, r.text, r.code) for r in export.rows)
    return passages, pdpilot_codebook(export)


def test_code_system_counts(export: PdpilotExport) -> None:
    codes = export.code_entries()
    groups = [e for e in export.entries if e.is_group]
    # SOURCES.md says "~60 codes"; the export has 77 codes (frequency > 0) in 14 groups.
    assert 60 <= len(codes) <= 80
    assert (len(codes), len(groups)) == (77, 14)
    assert export.total_frequency == 293
    assert sum(e.frequency for e in codes) == 293
    # Every parent is a group listed before its child.
    position = {e.name: i for i, e in enumerate(export.entries)}
    by_name = {e.name: e for e in export.entries}
    for entry in export.entries:
        if entry.parent is not None:
            assert by_name[entry.parent].is_group
            assert position[entry.parent] < position[entry.name]


def test_names_are_split_from_memos(export: PdpilotExport) -> None:
    used = {row.code for row in export.rows}
    for entry in export.entries:
        assert entry.name and entry.name == entry.name.strip()
        assert not entry.description or entry.description[0].isupper()
        if entry.is_group:
            assert entry.description  # every group carries a memo in this export
    # Every code but the administrative anonymisation code has segments in the export.
    assert [e.name for e in export.code_entries() if e.name not in used] == ["Anonymize"]


def test_segment_rows_match_code_frequencies(export: PdpilotExport) -> None:
    # 293 (the code system's total) = 261 exported segments + 32 `Anonymize` codings whose
    # segments the export leaves out. One more row in the file is the first line of a
    # segment repeated at a page break; it is dropped, and then every code's row count
    # equals its frequency.
    assert len(export.rows) == 261
    assert export.frequency_mismatches() == {"Anonymize": (32, 0)}
    assert len(export.page_break_duplicates) == 1
    duplicate = export.page_break_duplicates[0]
    assert any(
        r.document == duplicate.document
        and r.code == duplicate.code
        and r.text.startswith(duplicate.text)
        for r in export.rows
    )
    # Two rows have no space between the code name and the text; they are still split.
    assert sum(r.glued for r in export.rows) == 2


def test_passages(pdpilot: tuple[list[CodedPassage], list[tuple[str, str]]]) -> None:
    passages, codebook = pdpilot
    codes = [code for code, _ in codebook]
    assert len(codes) == len(set(codes)) == 76  # the 77 codes less `Anonymize`
    assert {p.document for p in passages} == {f"P{n}" for n in range(1, 8)}
    known = set(codes)
    for passage in passages:
        assert passage.text and "\n" not in passage.text
        assert passage.codes and set(passage.codes) <= known
        assert len(set(passage.codes)) == len(passage.codes)
    assert len({(p.document, p.text) for p in passages}) == len(passages) == 213
    # The 261 (document, text, code) rows are all distinct, so merging rows with the same
    # document and text into one passage keeps every pair: 261 = 293 - 32 (see above).
    assert sum(len(p.codes) for p in passages) == 261
    assert sum(len(p.codes) > 1 for p in passages) == 41


def test_codebook_descriptions(export: PdpilotExport) -> None:
    by_name = {e.name: e for e in export.entries}
    for code, description in pdpilot_codebook(export):
        entry = by_name[code]
        own = entry.description or (by_name[entry.parent].description if entry.parent else "")
        assert description == (f"{code}. {own}" if own else code)
        assert description.startswith(f"{code}. ")  # every code has a memo or a group's


def test_wrapped_segment_is_joined_with_spaces(shared_data: Path, export: PdpilotExport) -> None:
    lines = (shared_data / PDPILOT_DIR / SEGMENTS_FILE).read_text(encoding="utf-8").splitlines()
    starts = {row.line: row for row in export.rows}
    # The first row whose text wraps over at least two more lines.
    number = next(
        n
        for n in sorted(starts)
        if n + 1 < len(lines) and not any(ROW_START.match(lines[i]) for i in (n, n + 1))
    )
    row = starts[number]
    first, second, third = (lines[i].strip() for i in (number - 1, number, number + 1))
    assert f"{first[-15:]} {second} {third[:15]}" in row.text


def test_demo_coded_set(demo_db: Path) -> None:
    # The demo study as loaded by `load_demo_coded_set`, from the session's copy.
    store, project = open_study(demo_db)
    try:
        passages, codebook = study_coded_set(store, project.id)
    finally:
        store.close()
    keys = [key for key, _ in codebook]
    assert len(keys) == len(set(keys)) >= 40
    documents = {p.document for p in passages}
    assert documents and all(re.fullmatch(r"P\d\d\.\w+", d) for d in documents)
    for passage in passages:
        assert passage.text and passage.codes and set(passage.codes) <= set(keys)
    assert len({(p.document, p.text) for p in passages}) == len(passages)
    assert any(len(p.codes) > 1 for p in passages)  # double coding with different codes
    for _, description in codebook:
        assert "Example: " in description


def test_csv_writers_round_trip(tmp_path: Path) -> None:
    passages = [
        CodedPassage("A", 'She said, "later"; then left.', ("waits", "tone")),
        CodedPassage("B", "Line one\nline two, with a comma", ("tone",)),
        CodedPassage("B", "Plain text", ("other-code",)),
    ]
    codebook = [("waits", "Waits. Time spent waiting, e.g. 6 weeks"), ("tone", 'Tone. "Quoted"')]
    coded_path, codebook_path = tmp_path / "coded.csv", tmp_path / "codebook.csv"
    write_coded_csv(coded_path, passages)
    write_codebook_csv(codebook_path, codebook)

    with coded_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["document", "text", "codes"]
        back = [
            CodedPassage(r["document"], r["text"], tuple(r["codes"].split(";"))) for r in reader
        ]
    assert back == passages
    with codebook_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["code", "description"]
        assert [(r["code"], r["description"]) for r in reader] == codebook

    with pytest.raises(ValueError, match="must not contain"):
        write_coded_csv(tmp_path / "bad.csv", [CodedPassage("A", "text", ("a;b",))])


def test_csv_files_read_back_by_the_cli_readers(tmp_path: Path) -> None:
    coded_files = pytest.importorskip("analysis.coded_files")
    passages = [
        CodedPassage("P1", "First, a passage.", ("a", "b")),
        CodedPassage("P2", 'A "quoted" one', ("b",)),
    ]
    codebook = [("a", "A. The first code"), ("b", "B. The second, code")]
    write_coded_csv(tmp_path / "coded.csv", passages)
    write_codebook_csv(tmp_path / "codebook.csv", codebook)
    assert coded_files.read_coded_passages(tmp_path / "coded.csv") == passages
    assert coded_files.read_codebook_descriptions(tmp_path / "codebook.csv") == codebook
