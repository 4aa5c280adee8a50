"""The evidence summary as a Word document (python-docx).

Quotes are their own paragraphs in Word's "Quote" style, followed by where they come
from; charts are PNG pictures whose alt text (`descr`) holds their figures, each
followed by a table with the same figures. A draft has "DRAFT" in the header of every
section and a note under the title.
"""

from __future__ import annotations

import io
import struct
from typing import Any

from analysis.charts import Figure, summary_figures
from analysis.summary import DRAFT_MARK, EvidenceSummary, Methods, SummaryFinding
from analysis.summary_markdown import (
    evidence_line,
    intersections_intro,
    methods_lines,
    rounds_table,
    sentence_case,
    study_lines,
)

MAX_PICTURE_INCHES = 6.0
_RED = (0xB9, 0x1C, 0x1C)


def summary_docx(summary: EvidenceSummary) -> bytes:
    """The summary as DOCX bytes.

    Example:
        >>> Path("summary.docx").write_bytes(summary_docx(build_summary(store, 1,
        ...                                                             actor="evaluator")))
    """
    from docx import Document

    document = Document()
    document.core_properties.title = summary.title
    document.core_properties.author = summary.study.exported_by
    document.add_heading(summary.title, level=0)
    if summary.draft:
        note = document.add_paragraph()
        _red(note.add_run(f"{DRAFT_MARK}. "), bold=True)
        note.add_run(
            "This draft holds themes, findings and recommendations of every status; each "
            "is labelled with its status."
        )
    _study(document, summary)
    _methods(document, summary.methods)
    figures = summary_figures(summary)
    _themes(document, summary, figures)
    _intersections(document, summary, figures)
    _recommendations(document, summary)
    if summary.draft:
        for section in document.sections:
            section.header.is_linked_to_previous = False
            paragraph = section.header.paragraphs[0]
            paragraph.text = ""
            _red(paragraph.add_run(DRAFT_MARK), bold=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _red(run: Any, *, bold: bool = False) -> None:
    from docx.shared import RGBColor

    run.bold = bold
    run.font.color.rgb = RGBColor(*_RED)


def _label(summary: EvidenceSummary, status: str) -> str:
    return f" [{status}]" if summary.draft else ""


def _bullet(document: Any, text: str) -> None:
    document.add_paragraph(text, style="List Bullet")


def _table(document: Any, header: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    document.add_paragraph()


def _picture(document: Any, figure: Figure, number: int) -> None:
    from docx.shared import Inches

    width_px, _ = struct.unpack(">II", figure.png[16:24])  # the PNG's IHDR chunk
    inches = min(MAX_PICTURE_INCHES, width_px / 144)  # drawn at 2x of 72 ppi
    shape = (
        document.add_paragraph().add_run().add_picture(io.BytesIO(figure.png), width=Inches(inches))
    )
    # Word's alt text: what a screen reader reads instead of the picture.
    shape._inline.docPr.set("descr", figure.alt)
    shape._inline.docPr.set("title", figure.caption)
    caption = document.add_paragraph(f"Figure {number}. {figure.caption}")
    caption.style = "Caption"
    _table(document, figure.header, figure.rows)


def _study(document: Any, summary: EvidenceSummary) -> None:
    document.add_heading("Study details", level=1)
    for line in study_lines(summary):
        _bullet(document, line)
    for paragraph in summary.study.description.strip().split("\n\n"):
        if paragraph.strip():
            document.add_paragraph(paragraph.strip())


def _methods(document: Any, methods: Methods) -> None:
    document.add_heading("Methods", level=1)
    for line in methods_lines(methods):
        _bullet(document, line)
    document.add_heading("Reliability rounds", level=2)
    if methods.rounds:
        _table(document, *rounds_table(methods))
    else:
        document.add_paragraph("No reliability round has been closed.")


def _themes(document: Any, summary: EvidenceSummary, figures: dict[str, Figure]) -> None:
    document.add_heading("Themes and findings", level=1)
    if "themes" in figures:
        _picture(document, figures["themes"], 1)
    if not summary.themes:
        document.add_paragraph("No agreed themes yet.")
    for index, theme in enumerate(summary.themes, start=1):
        document.add_heading(f"Theme {index}: {theme.name}{_label(summary, theme.status)}", level=2)
        for paragraph in theme.narrative.strip().split("\n\n"):
            if paragraph.strip():
                document.add_paragraph(paragraph.strip())
        document.add_paragraph(f"Codes: {', '.join(theme.codes)}.")
        document.add_paragraph(
            f"Coded in {theme.participants} participants, {theme.transcripts} transcripts, "
            f"{theme.segments} segments."
        )
        if not theme.findings:
            document.add_paragraph("No findings under this theme yet.")
        for finding in theme.findings:
            _finding(document, summary, finding)


def _finding(document: Any, summary: EvidenceSummary, finding: SummaryFinding) -> None:
    document.add_heading(f"Finding {finding.ref}{_label(summary, finding.status)}", level=3)
    document.add_paragraph().add_run(finding.statement).bold = True
    document.add_paragraph(evidence_line(finding))
    if finding.lived_experience:
        document.add_paragraph(f"Lived experience: {', '.join(finding.lived_experience)}.")
    if finding.intersectional_note:
        document.add_paragraph(f"Intersectional note: {finding.intersectional_note}")
    for quote in finding.quotes:
        document.add_paragraph(quote.text, style="Quote")
        document.add_paragraph().add_run(quote.attribution).italic = True


def _intersections(document: Any, summary: EvidenceSummary, figures: dict[str, Figure]) -> None:
    document.add_heading("Intersections", level=1)
    matrix = summary.matrix
    if matrix is None:
        document.add_paragraph(summary.matrix_note)
        return
    document.add_paragraph(intersections_intro(matrix))
    if "intersections" in figures:
        _picture(document, figures["intersections"], 2 if "themes" in figures else 1)


def _recommendations(document: Any, summary: EvidenceSummary) -> None:
    document.add_heading("Recommendations", level=1)
    if not summary.recommendations:
        document.add_paragraph("No agreed recommendations yet.")
        return
    domain = None
    for group in summary.recommendations:
        if group.domain != domain:
            domain = group.domain
            document.add_heading(sentence_case(domain), level=2)
        document.add_heading(f"Partner: {group.partner}", level=3)
        for rec in group.recommendations:
            paragraph = document.add_paragraph(style="List Bullet")
            paragraph.add_run(rec.ref).bold = True
            paragraph.add_run(f" (priority {rec.priority}){_label(summary, rec.status)}: ")
            paragraph.add_run(rec.text)
            for link in rec.rests_on:
                where = link.ref or "a finding whose theme is not in this summary"
                document.add_paragraph(
                    f"Rests on {where}{_label(summary, link.status)}: {link.statement}",
                    style="List Bullet 2",
                )
            if rec.not_shown:
                document.add_paragraph(
                    f"Rests also on {rec.not_shown} finding(s) not agreed yet.",
                    style="List Bullet 2",
                )
