"""The evidence summary: agreed items only, consent and suppression whoever exports,
drafts for leads only and marked on every page, the same findings in every format."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from docx import Document

from analysis.charts import PNG_SIGNATURE, chart_png, theme_sizes_chart
from analysis.errors import InvalidRequestError, PermissionDeniedError
from analysis.findings import Finding, add_evidence, create_finding, list_findings
from analysis.intersect import intersection_matrix
from analysis.models import Project
from analysis.outputs import set_status
from analysis.recommendations import create_recommendation
from analysis.rounds import list_rounds
from analysis.storage import Store
from analysis.summary import build_summary, summary_html, write_summary
from analysis.summary_markdown import escape, figure_text

DRAFT_FINDING = "Draft only: some students pay for private therapy while they wait."
DRAFT_RECOMMENDATION = "Draft only: fund a hardship grant for private therapy."
# An agreed finding whose statement would be markup if it were not escaped.
MARKUP_FINDING = "Friends <b>matter</b> | more than *services* & [links] say_so."


@dataclass(frozen=True)
class Demo:
    store: Store
    project_id: int
    liam_quote: str  # evidence of an agreed finding; Liam did not agree to be quoted


@pytest.fixture
def demo(demo_db: Path) -> Iterator[Demo]:
    """The demo study, plus a quote from Liam on its agreed finding, a draft finding, an
    agreed finding with markup characters and a draft recommendation."""
    store = Store.open(demo_db)
    project_id = store.list_projects()[0].id
    owners = {t["id"]: t["pseudonym"] for t in store.list_transcript_owners(project_id)}
    codings = store.list_codings(project_id=project_id, code_keys=["waiting-times"])
    liam = next(c for c in codings if owners[c.transcript_id] == "Liam")
    amber = next(c for c in codings if owners[c.transcript_id] == "Amber")
    (agreed,) = list_findings(store, project_id, actor="evaluator")
    add_evidence(store, agreed.id, liam.id, actor="lead")
    draft = create_finding(store, agreed.theme_id, DRAFT_FINDING, actor="lead", evidence=[amber.id])
    markup = create_finding(
        store, agreed.theme_id, MARKUP_FINDING, actor="lead", evidence=[amber.id]
    )
    set_status(store, "findings", markup.id, "agreed", actor="lead")
    create_recommendation(
        store, project_id, DRAFT_RECOMMENDATION, [draft.id],
        speqs_domain="measuring outcomes", partner="NHS", priority="low", actor="lead",
    )  # fmt: skip
    yield Demo(store, project_id, liam.text)
    store.close()


def _agreed_findings(demo: Demo) -> list[Finding]:
    return [
        f for f in list_findings(demo.store, demo.project_id, actor="lead") if f.status == "agreed"
    ]


def _docx_text(path: Path) -> tuple[list[str], list[list[list[str]]], list[str]]:
    """Paragraph texts, tables (rows of cell texts) and section headers of a DOCX."""
    document = Document(str(path))
    paragraphs = [p.text for p in document.paragraphs]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    headers = [" ".join(p.text for p in s.header.paragraphs) for s in document.sections]
    return paragraphs, tables, headers


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("actor", ["evaluator", "lead"])
def test_docx_holds_agreed_findings_and_consented_quotes_only(
    demo: Demo, tmp_path: Path, actor: str
) -> None:
    path = write_summary(
        demo.store, demo.project_id, tmp_path / "summary.docx", fmt="docx", actor=actor
    )
    paragraphs, tables, headers = _docx_text(path)
    text = "\n".join(paragraphs)
    agreed = _agreed_findings(demo)
    assert {f.statement for f in agreed} == {
        "While they wait for a first appointment, students lean on flatmates and friends.",
        MARKUP_FINDING,
    }
    quotable = {"Amber", "Callum", "Robin"}
    for finding in agreed:
        assert finding.statement in paragraphs  # its own paragraph, verbatim
        for evidence in finding.evidence:
            if evidence.participant in quotable:
                assert evidence.quote in paragraphs
                attribution = (
                    f"— {evidence.participant}, {evidence.source_name}, "
                    f"characters {evidence.start_char + 1}–{evidence.end_char}"
                )
                assert attribution in paragraphs
    # Liam did not agree to be quoted: counted, never quoted, whoever exports.
    assert demo.liam_quote not in text and "Liam" not in text
    assert "4 participants, 4 transcripts, 5 coded segments; 4 quotes shown, 1 withheld" in text
    for draft_text in (DRAFT_FINDING, DRAFT_RECOMMENDATION, "Money and mental health"):
        assert draft_text not in text
        assert all(draft_text not in cell for t in tables for row in t for cell in row)
    assert not any("DRAFT" in header for header in headers) and "[agreed]" not in text
    # Recommendations by SPEQS domain and partner, traced to the findings by reference.
    assert "Student voice and co-production" in paragraphs and "Partner: university" in paragraphs
    rests_on = next(p for p in paragraphs if p.startswith("Rests on "))
    assert re.match(r"Rests on F\d: While they wait", rests_on)


def test_methods_report_the_study_and_the_rounds_figures(demo: Demo, tmp_path: Path) -> None:
    summary = build_summary(demo.store, demo.project_id, actor="evaluator")
    methods = summary.methods
    assert (methods.transcripts, methods.transcripts_cleared, methods.participants) == (10, 6, 10)
    assert methods.coders == ("alex.coder", "sam.coder") and methods.topic_run is None
    assert methods.codebook_version == 1 and methods.codes > 0
    (closed,) = [r for r in list_rounds(demo.store, demo.project_id) if r.status == "closed"]
    assert closed.results is not None
    overall = closed.results["overall"]
    path = write_summary(
        demo.store, demo.project_id, tmp_path / "s.docx", fmt="docx", actor="evaluator"
    )
    _, tables, _ = _docx_text(path)
    rounds = next(t for t in tables if t[0][0] == "Round")
    assert rounds[1][0] == "Pilot double-coding"
    assert rounds[1][5:8] == [
        figure_text(overall["percent_agreement"], percent=True),
        figure_text(overall["cohen_kappa"]),
        figure_text(overall["krippendorff_alpha"]),
    ]
    assert rounds[1][5].endswith("%") and rounds[1][2] == "alex.coder, sam.coder"


def test_suppressed_cells_read_suppressed_never_a_count(demo: Demo, tmp_path: Path) -> None:
    path = write_summary(
        demo.store, demo.project_id, tmp_path / "s.docx", fmt="docx", actor="evaluator",
        by=["age_band"],
    )  # fmt: skip
    matrix = intersection_matrix(
        demo.store, demo.project_id, rows="themes", by=["age_band"], actor="evaluator"
    )
    _, tables, _ = _docx_text(path)
    table = next(t for t in tables if t[0][0] == "Theme" and "age_band=21-24" in t[0])
    assert table[0][1:] == [c.label for c in matrix.columns]
    assert any(c.suppressed for c in matrix.columns) and not all(
        c.suppressed for c in matrix.columns
    )
    sizes = table[1][1:]
    for column, size in zip(matrix.columns, sizes, strict=True):
        assert size == ("suppressed" if column.suppressed else str(column.group_size))
    (row,) = matrix.rows  # the evaluator's matrix: the agreed theme only
    assert table[2][0] == row.name and len(table) == 3
    for cell, text in zip(row.cells, table[2][1:], strict=True):
        assert text == ("suppressed" if cell.suppressed else str(cell.participants))


def test_a_lead_s_draft_is_marked_on_every_page_and_labels_every_item(
    demo: Demo, tmp_path: Path
) -> None:
    path = write_summary(
        demo.store, demo.project_id, tmp_path / "d.docx", fmt="docx", actor="lead", draft=True
    )
    paragraphs, _, headers = _docx_text(path)
    assert headers and all("DRAFT" in header for header in headers)
    assert paragraphs[1].startswith("DRAFT")  # the note under the title
    assert "Theme 1: Money and mental health [draft]" in paragraphs
    assert DRAFT_FINDING in paragraphs
    assert any(p.startswith("Finding F") and p.endswith("[draft]") for p in paragraphs)
    assert any(DRAFT_RECOMMENDATION in p and "[draft]" in p for p in paragraphs)
    assert demo.liam_quote not in "\n".join(paragraphs)  # consent holds in drafts too
    markdown = write_summary(
        demo.store, demo.project_id, tmp_path / "d.md", fmt="md", actor="lead", draft=True
    ).read_text(encoding="utf-8")
    assert markdown.startswith("> **DRAFT")
    headings = [line for line in markdown.splitlines() if line.startswith(("### Theme", "####"))]
    items = [h for h in headings if not h.startswith("#### Partner")]
    assert items and all(h.endswith(("*\\[draft\\]*", "*\\[agreed\\]*")) for h in items)
    page = write_summary(
        demo.store, demo.project_id, tmp_path / "d.html", fmt="html", actor="lead", draft=True
    ).read_text(encoding="utf-8")
    assert '<div class="draft-banner"' in page and "@page" in page


@pytest.mark.parametrize("actor", ["evaluator", "sam.coder"])
def test_only_a_lead_may_export_a_draft(demo: Demo, tmp_path: Path, actor: str) -> None:
    target = tmp_path / "out" / "draft.docx"
    target.parent.mkdir()
    with pytest.raises(PermissionDeniedError, match="draft"):
        write_summary(demo.store, demo.project_id, target, fmt="docx", actor=actor, draft=True)
    assert list(target.parent.iterdir()) == []
    with pytest.raises(InvalidRequestError, match="unknown summary format"):
        write_summary(demo.store, demo.project_id, target, fmt="pdf", actor="lead")
    assert list(target.parent.iterdir()) == []


def test_markdown_and_html_hold_the_same_findings(demo: Demo, tmp_path: Path) -> None:
    md_path = write_summary(
        demo.store, demo.project_id, tmp_path / "s.md", fmt="md", actor="evaluator"
    )
    markdown = md_path.read_text(encoding="utf-8")
    for name in ("s-theme-sizes.png", "s-intersections.png"):
        assert f"]({name})" in markdown
        assert (tmp_path / name).read_bytes()[:8] == PNG_SIGNATURE
    page = write_summary(
        demo.store, demo.project_id, tmp_path / "s.html", fmt="html", actor="evaluator"
    ).read_text(encoding="utf-8")
    page_text = _flat(html.unescape(page))
    for finding in _agreed_findings(demo):
        assert f"**{escape(finding.statement)}**" in markdown
        assert _flat(finding.statement) in page_text
        for evidence in finding.evidence:
            shown = evidence.participant != "Liam"
            assert (escape(evidence.quote) in markdown) is shown
            assert (_flat(evidence.quote) in page_text) is shown
    assert DRAFT_FINDING not in markdown and DRAFT_FINDING not in page_text
    # The markup characters are text, never tags.
    assert "<b>matter</b>" not in page and "&lt;b&gt;matter&lt;/b&gt;" in page
    assert "<script" not in page and "<table>" in page and "DRAFT" not in page
    images = re.findall(r'<img src="data:image/png;base64,[^"]+" alt="([^"]+)"', page)
    assert len(images) == 2
    assert "Waiting and turning to friends: 4 participants, 15 segments" in html.unescape(images[0])
    assert "suppressed" in images[1]
    # The app's preview embeds a fragment: styles scoped to the summary, no document.
    summary = build_summary(demo.store, demo.project_id, actor="evaluator")
    fragment = summary_html(summary, fragment=True)
    assert fragment.startswith("<style>") and "<html" not in fragment and "<body" not in fragment
    assert re.search(r"^\s*(body|table|img)\b", fragment, re.M) is None


def test_charts_are_png_with_alt_text_in_the_docx(demo: Demo, tmp_path: Path) -> None:
    assert chart_png(theme_sizes_chart([("Waiting", 3, 4)]))[:8] == PNG_SIGNATURE
    path = write_summary(
        demo.store, demo.project_id, tmp_path / "s.docx", fmt="docx", actor="evaluator"
    )
    shapes = Document(str(path)).inline_shapes
    described = [shape._inline.docPr.get("descr") for shape in shapes]
    assert len(described) == 2
    assert described[0].startswith("Bar chart") and "4 participants" in described[0]
    assert described[1].startswith("Heatmap") and "suppressed" in described[1]


def test_an_empty_study_gives_a_summary_that_says_so(
    store: Store, project: Project, tmp_path: Path
) -> None:
    for fmt in ("docx", "md", "html"):
        write_summary(store, project.id, tmp_path / f"e.{fmt}", fmt=fmt, actor="eve")
    paragraphs, tables, _ = _docx_text(tmp_path / "e.docx")
    assert "Evidence summary: Test study" in paragraphs and tables == []
    for line in ("No agreed themes yet.", "No agreed recommendations yet.",
                 "No reliability round has been closed."):  # fmt: skip
        assert line in paragraphs
    assert not Document(str(tmp_path / "e.docx")).inline_shapes
    assert "Topic model: none was run." in (tmp_path / "e.md").read_text(encoding="utf-8")
    assert "<img" not in (tmp_path / "e.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.docx", "e.html", "e.md"]
