"""Spreadsheet exports of the demo study: coded segments and the code x participant matrix."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from analysis.cli import cli
from analysis.errors import InvalidRequestError, PermissionDeniedError
from analysis.spreadsheets import (
    WITHHELD,
    code_participant_rows,
    coded_segment_rows,
    write_table,
)
from analysis.storage import Store


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_coded_segments_trace_to_the_text_and_respect_consent(
    demo_db: Path, tmp_path: Path
) -> None:
    store = Store.open(demo_db)
    project = store.list_projects()[0]
    rows = coded_segment_rows(store, project.id, actor="lead")
    assert len(rows) == len(store.list_codings(project_id=project.id))
    transcripts = {t.source_name: t for t in store.list_transcripts(project.id)}
    people = {p.pseudonym: p for p in store.list_participants(project.id)}
    for row in rows:
        consented = people[row["participant"]].consent.quotes is True
        text = transcripts[row["transcript"]].text[row["start"] : row["end"]]
        assert row["text"] == (text if consented else WITHHELD)
        assert row["disability"] == people[row["participant"]].attributes["disability"]
    # The demo's Liam did not agree to be quoted: his 11 codings keep their codes only.
    assert sum(r["text"] == WITHHELD for r in rows) == 11
    assert {r["participant"] for r in rows if r["text"] == WITHHELD} == {"Liam"}

    tmp_path = tmp_path / "out"
    assert write_table(rows, tmp_path / "segments.csv", sheet="coded segments") == len(rows)
    assert write_table(rows, tmp_path / "segments.xlsx", sheet="coded segments") == len(rows)
    from_csv = _read_csv(tmp_path / "segments.csv")
    sheet = load_workbook(tmp_path / "segments.xlsx").active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == list(rows[0]) == list(from_csv[0])
    assert [str(v) for v in values[1]] == [str(v) for v in rows[0].values()]
    assert [r["text"] for r in from_csv] == [r["text"] for r in rows]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["segments.csv", "segments.xlsx"]
    store.close()


def test_code_participant_matrix_counts_codings(demo_db: Path) -> None:
    store = Store.open(demo_db)
    project = store.list_projects()[0]
    rows = code_participant_rows(store, project.id, actor="lead")
    by_code = {r["code"]: r for r in rows}
    expected = sum(
        1
        for c in store.list_codings(project_id=project.id, code_keys=["waiting-times"])
        if store.get_transcript(c.transcript_id).participant == "Amber"
    )
    assert by_code["waiting-times"]["Amber"] == expected > 0
    assert sum(v for r in rows for k, v in r.items() if k not in ("code", "code_name")) == len(
        store.list_codings(project_id=project.id)
    )
    store.close()


def test_only_leads_export_and_bad_names_write_nothing(demo_db: Path, tmp_path: Path) -> None:
    store = Store.open(demo_db)
    project = store.list_projects()[0]
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    for actor in ("sam.coder", "evaluator"):
        with pytest.raises(PermissionDeniedError):
            coded_segment_rows(store, project.id, actor=actor)
    with pytest.raises(InvalidRequestError, match=r"segments\.txt"):
        write_table([{"a": 1}], tmp_path / "segments.txt", sheet="x")
    assert list(tmp_path.iterdir()) == []
    store.close()


def test_export_command(demo_db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "coded.xlsx"
    result = runner.invoke(cli, ["--db", str(demo_db), "export", "segments", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and "wrote 74 rows" in result.output
    refused = runner.invoke(
        cli,
        [
            "--db",
            str(demo_db),
            "--user",
            "sam.coder",
            "export",
            "segments",
            str(tmp_path / "x.csv"),
        ],
    )
    assert refused.exit_code == 1 and "may not export project data" in refused.output
    assert not (tmp_path / "x.csv").exists()
    wrong = runner.invoke(
        cli, ["--db", str(demo_db), "export", "codebook", str(tmp_path / "c.xlsx")]
    )
    assert wrong.exit_code == 1 and "yaml or csv" in wrong.output
