"""The command line: import, status, codebook, demo; bad input changes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from analysis.cli import cli
from analysis.codebook import read_codebook_file

REPO_ROOT = Path(__file__).resolve().parent.parent
INTERVIEWS = REPO_ROOT / "interviews"


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    return result.exit_code, result.output


def status(db: Path) -> dict[str, object]:
    code, output = run(db, "status", "--json")
    assert code == 0, output
    return json.loads(output)


def test_import_files_and_status_counts(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    code, output = run(
        db,
        "import",
        str(INTERVIEWS / "P01.txt"),
        str(INTERVIEWS / "P05.vtt"),
        "--participants",
        str(INTERVIEWS / "participants.csv"),
        "--json",
    )
    assert code == 0, output
    results = json.loads(output)
    assert [r["source_name"] for r in results] == ["P01.txt", "P05.vtt"]
    counts = status(db)
    assert counts["transcripts"] == 2
    assert counts["participants"] == 10  # every row of the participants file
    assert counts["segments"] == sum(r["segments"] for r in results)
    assert counts["codings"] == 0


def test_segments_json_offsets_match_the_stored_text(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    run(db, "import", str(INTERVIEWS / "P03.md"))
    code, output = run(db, "segments", "1", "--json")
    assert code == 0
    from analysis.storage import Store

    store = Store.open(db)
    text = store.get_transcript(1).text
    store.close()
    segments = json.loads(output)
    assert segments and all(text[s["start_char"] : s["end_char"]] == s["text"] for s in segments)


@pytest.mark.parametrize(
    "name,data,problem",
    [
        ("empty.txt", b"", "is empty"),
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "binary"),
        ("notes.rtf", b"{\\rtf1 hello}", "unsupported file type"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "not a readable Word document"),
    ],
)
def test_bad_file_is_refused_and_nothing_is_written(
    tmp_path: Path, name: str, data: bytes, problem: str
) -> None:
    db = tmp_path / "s.db"
    run(db, "import", str(INTERVIEWS / "P01.txt"))
    before = status(db)
    bad = tmp_path / name
    bad.write_bytes(data)
    code, output = run(db, "import", str(INTERVIEWS / "P02.txt"), str(bad))
    assert code == 1
    assert name in output and problem in output
    assert status(db) == before


def test_reimporting_the_same_file_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert run(db, "import", str(INTERVIEWS / "P01.txt"))[0] == 0
    before = status(db)
    code, output = run(db, "import", str(INTERVIEWS / "P01.txt"))
    assert code == 1 and "same content" in output
    assert status(db) == before


def test_codebook_import_and_export(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    code, output = run(db, "codebook", "import", str(REPO_ROOT / "codebooks" / "starter.yaml"))
    assert code == 0, output
    expected = len(read_codebook_file(REPO_ROOT / "codebooks" / "starter.yaml").codes)
    assert f"{expected} codes" in output
    assert status(db)["codes"] == expected
    out = tmp_path / "out.csv"
    assert run(db, "codebook", "export", str(out))[0] == 0
    assert out.read_text(encoding="utf-8").startswith("key,name,parent")
    bad = tmp_path / "bad.yaml"
    bad.write_text("codes: [", encoding="utf-8")
    code, output = run(db, "codebook", "import", str(bad))
    assert code == 1 and "bad.yaml" in output
    assert status(db)["codebook_version"] == 1


def test_demo_loads_once(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    code, output = run(db, "demo")
    assert code == 0, output
    counts = status(db)
    assert counts["transcripts"] == 10 and counts["codings"] > 0 and counts["memos"] > 0
    code, output = run(db, "demo")
    assert code == 1 and "empty study" in output


def test_every_command_has_help_text() -> None:
    def walk(group: click.Group, prefix: list[str]) -> None:
        for name, command in group.commands.items():
            assert command.help, f"{' '.join([*prefix, name])} has no help text"
            result = CliRunner().invoke(cli, [*prefix, name, "--help"])
            assert result.exit_code == 0
            if isinstance(command, click.Group):
                walk(command, [*prefix, name])

    walk(cli, [])


def test_global_db_option_comes_before_the_command(tmp_path: Path) -> None:
    db = tmp_path / "via-module.db"
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "--db", str(db), "status", "--json"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["database"] == str(db)
