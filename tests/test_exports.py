"""Every export as the page and the command make it: who may take which, the summary
for evaluators (agreed items, consented quotes), drafts for leads only, and the files
the `export` command writes."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from analysis.cli import cli
from analysis.errors import InvalidRequestError, PermissionDeniedError
from analysis.exports import EXPORTS, export_bytes, export_file_name, export_format
from analysis.findings import list_findings
from analysis.storage import Store
from analysis.themes import list_themes
from app_pages._cache import SESSION_KEY
from tests.test_pages import PAGE_DIR, _shown_text, session_token

DRAFT_THEME = "Money and mental health"  # the demo's draft theme


@pytest.fixture
def demo(demo_db: Path) -> Store:
    opened = Store.open(demo_db)
    yield opened
    opened.close()


def _project_id(store: Store) -> int:
    return store.list_projects()[0].id


def _docx_text(content: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)


def test_every_kind_and_format_exports_for_a_lead(demo: Store) -> None:
    project_id = _project_id(demo)
    for kind, (_, formats) in EXPORTS.items():
        for file_format in formats:
            content = export_bytes(demo, project_id, kind, file_format, actor="lead")
            assert content, (kind, file_format)
    xlsx = export_bytes(demo, project_id, "segments", "xlsx", actor="lead")
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet is not None and sheet.max_row == len(demo.list_codings(project_id=project_id)) + 1
    qdpx = zipfile.ZipFile(io.BytesIO(export_bytes(demo, project_id, "qdpx", None, actor="lead")))
    assert "project.qde" in qdpx.namelist()
    assert any(name.startswith("sources/") for name in qdpx.namelist())


def test_an_evaluator_may_take_the_summary_and_nothing_else(demo: Store) -> None:
    project_id = _project_id(demo)
    text = _docx_text(export_bytes(demo, project_id, "summary", "docx", actor="evaluator"))
    agreed = [f for f in list_findings(demo, project_id, actor="lead") if f.status == "agreed"]
    assert agreed and all(f.statement in text for f in agreed)
    assert DRAFT_THEME not in text and "DRAFT" not in text
    for kind in EXPORTS:
        if kind != "summary":
            with pytest.raises(PermissionDeniedError):
                export_bytes(demo, project_id, kind, None, actor="evaluator")
    with pytest.raises(PermissionDeniedError):
        export_bytes(demo, project_id, "summary", "docx", actor="evaluator", draft=True)


def test_a_leads_draft_summary_holds_drafts_and_says_so(demo: Store) -> None:
    project_id = _project_id(demo)
    content = export_bytes(demo, project_id, "summary", "docx", actor="lead", draft=True)
    document = Document(io.BytesIO(content))
    assert DRAFT_THEME in _docx_text(content)
    assert all("DRAFT" in s.header.paragraphs[0].text for s in document.sections)
    markdown = export_bytes(demo, project_id, "summary", "md", actor="lead", draft=True)
    assert markdown.decode().count("DRAFT") >= 1 and DRAFT_THEME in markdown.decode()


def test_formats_and_file_names_are_checked() -> None:
    assert export_format("summary", None) == "docx"
    assert export_format("segments", ".XLSX") == "xlsx"
    with pytest.raises(InvalidRequestError, match="summary exports as docx or md or html"):
        export_format("summary", "pdf")
    with pytest.raises(InvalidRequestError, match="unknown export"):
        export_format("transcripts", None)
    assert export_file_name("study", "summary", "docx", draft=True) == "study-summary-DRAFT.docx"
    assert export_file_name("a b/c", "qdpx", "qdpx") == "a-b-c-qdpx.qdpx"


def test_the_export_command_writes_the_summary_and_refuses_an_evaluators_draft(
    demo_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "summary.docx"
    result = CliRunner().invoke(
        cli, ["--db", str(demo_db), "--user", "evaluator", "export", "summary", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Waiting and turning to friends" in _docx_text(out.read_bytes())

    draft = tmp_path / "draft.html"
    result = CliRunner().invoke(
        cli, ["--db", str(demo_db), "--user", "evaluator", "export", "summary", str(draft),
              "--draft"],
    )  # fmt: skip
    assert result.exit_code == 1 and "may not see draft" in result.output
    assert not draft.exists()

    markdown = tmp_path / "summary.md"
    result = CliRunner().invoke(cli, ["--db", str(demo_db), "export", "summary", str(markdown)])
    assert result.exit_code == 0, result.output
    assert "Waiting and turning to friends" in markdown.read_text()
    assert (tmp_path / "summary-theme-sizes.png").read_bytes()[:4] == b"\x89PNG"


def _export_page(db: Path, user: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("STUDY_DB", str(db))
    at = AppTest.from_file(str(PAGE_DIR / "export_page.py"), default_timeout=60)
    at.session_state[SESSION_KEY] = session_token(db, user)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_export_page_gives_an_evaluator_the_summary_only(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _export_page(demo_db, "evaluator", monkeypatch)
    shown = _shown_text(at)
    assert "Data for other tools" not in shown
    assert not at.toggle  # no draft switch
    preview = "\n".join(str(h.proto.body) for h in at.get("html"))
    store = Store.open(demo_db)
    agreed = [t.name for t in list_themes(store, _project_id(store), actor="evaluator")]
    store.close()
    assert agreed and all(name in preview for name in agreed)
    assert DRAFT_THEME not in preview


def test_export_page_gives_a_lead_drafts_and_data_for_other_tools(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _export_page(demo_db, "lead", monkeypatch)
    assert "Data for other tools" in _shown_text(at)
    at.toggle(key="export_draft").set_value(True).run()
    preview = "\n".join(str(h.proto.body) for h in at.get("html"))
    assert DRAFT_THEME in preview and "DRAFT" in preview
