"""The evidence summary as Markdown, and as one self-contained HTML page made from it.

Text from the study (statements, quotes, names) is escaped, so a quote holding `*`, `|`
or `<b>` reads as written and never turns into markup. Charts come as PNG: as files
beside the `.md` when `write_summary` writes one (`image_links`), otherwise as `data:`
URIs, which the HTML page always uses so that it is a single file.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping

from analysis.charts import Figure, summary_figures
from analysis.intersect import Matrix
from analysis.summary import DRAFT_MARK, EvidenceSummary, Methods, SummaryFinding

# -- the wording, shared with the DOCX renderer, so both formats say the same ------------------


def study_lines(summary: EvidenceSummary) -> list[str]:
    """The study-details bullets, as plain text."""
    study = summary.study
    contents = (
        "a DRAFT with items of every status, each labelled with it."
        if summary.draft
        else "agreed themes, findings and recommendations only."
    )
    return [
        f"Study: {study.name}",
        f"Exported {study.exported_at[:10]} by {study.exported_by} ({study.exporter_role}).",
        f"Contents: {contents}",
        "Quotes come only from participants who agreed to be quoted; other quotes are "
        "counted as withheld.",
    ]


def methods_lines(methods: Methods) -> list[str]:
    """The methods bullets, as plain text."""
    withdrawn = (
        f"; {methods.withdrawn} withdrew and their data were deleted" if methods.withdrawn else ""
    )
    version = (
        f"version {methods.codebook_version} ({methods.codebook_name}), {methods.codes} codes"
        if methods.codebook_version is not None
        else "none yet"
    )
    run = methods.topic_run
    topics = (
        f"run {run.id} of {run.created_at[:10]}: {run.topics} topics over {run.segments} "
        f"participant segments ({run.pipeline}); topics were suggestions for coders, the "
        "codings behind the findings were made or accepted by people"
        if run
        else "none was run"
    )
    coders = f": {', '.join(methods.coders)}." if methods.coders else "."
    return [
        f"Transcripts: {methods.transcripts}, of which {methods.transcripts_cleared} are "
        "cleared by the anonymisation review (only cleared transcripts can be coded, so "
        "every quote below comes from a cleared transcript).",
        f"Participants: {methods.participants}{withdrawn}.",
        f"Coders (accounts that made codings): {len(methods.coders)}{coders}",
        f"Codebook: {version}.",
        f"Topic model: {topics}.",
        f"Small-cell suppression: intersectional groups of fewer than {methods.min_cell_size} "
        "participants are suppressed.",
    ]


def rounds_table(methods: Methods) -> tuple[list[str], list[list[str]]]:
    """Every closed reliability round with its overall figures."""
    header = ["Round", "Closed", "Coders", "Transcripts", "Segments", "Percent agreement",
              "Cohen's kappa", "Krippendorff's alpha", "Disagreements"]  # fmt: skip
    return header, [
        [
            r.name,
            (r.closed_at or "")[:10],
            ", ".join(r.coders),
            "" if r.transcripts is None else str(r.transcripts),
            "" if r.segments is None else str(r.segments),
            figure_text(r.percent_agreement, percent=True),
            figure_text(r.cohen_kappa),
            figure_text(r.krippendorff_alpha),
            "" if r.disagreements is None else str(r.disagreements),
        ]
        for r in methods.rounds
    ]


def evidence_line(finding: SummaryFinding) -> str:
    """`Evidence: 3 participants, 3 transcripts, 4 coded segments; 3 quotes shown, 1
    withheld because ...`"""
    shown = len(finding.quotes)
    line = (
        f"Evidence: {finding.participants} participants, {finding.transcripts} transcripts, "
        f"{finding.segments} coded segments; {shown} {'quote' if shown == 1 else 'quotes'} shown"
    )
    if finding.withheld:
        line += f", {finding.withheld} withheld because the participant did not agree to be quoted"
    return line + "."


def intersections_intro(matrix: Matrix) -> str:
    return (
        f"Participants (not segments) in whom each theme occurs, by "
        f"{', '.join(matrix.attributes)}. A group of fewer than {matrix.k} participants is "
        "suppressed: its size and counts read “suppressed”."
    )


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def figure_text(value: float | None, *, percent: bool = False) -> str:
    """A round figure as printed: `87.5%` or `0.731`; `not defined` for None."""
    if value is None:
        return "not defined"
    return f"{value * 100:.1f}%" if percent else f"{value:.3f}"


# -- Markdown -----------------------------------------------------------------------------------

_ESCAPE = re.compile(r"([\\`*_\[\]<>|&~])")
# Only where a line starts could text turn into a heading, list, quote or rule.
_LINE_START = re.compile(r"^(\d{1,9}(?=[.)](?:\s|$))|(?=[#+\-=>]))")


def escape(text: str) -> str:
    """Text as Markdown that renders exactly as written, on one line."""
    return _LINE_START.sub(r"\1\\", _ESCAPE.sub(r"\\\1", " ".join(text.split())))


def _lines(text: str) -> list[str]:
    """Multi-line text escaped line by line (blank lines kept as paragraph breaks)."""
    return [escape(line) if line.strip() else "" for line in text.strip().splitlines()]


def _label(summary: EvidenceSummary, status: str) -> str:
    return f" *{escape(f'[{status}]')}*" if summary.draft else ""


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(escape(h) for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(escape(c) or " " for c in row) + " |" for row in rows),
        "",
    ]


def _figure(figure: Figure, number: int, link: str | None) -> list[str]:
    source = link or "data:image/png;base64," + base64.b64encode(figure.png).decode("ascii")
    alt = escape(figure.alt)
    return [
        f"![{alt}]({source})",
        "",
        f"*Figure {number}. {escape(figure.caption)}*",
        "",
        *_table(figure.header, figure.rows),
    ]


def _methods(methods: Methods) -> list[str]:
    lines = ["## Methods", "", *(f"- {escape(line)}" for line in methods_lines(methods))]
    lines += ["", "### Reliability rounds", ""]
    if not methods.rounds:
        return [*lines, "No reliability round has been closed.", ""]
    return [*lines, *_table(*rounds_table(methods))]


def _finding(summary: EvidenceSummary, finding: SummaryFinding) -> list[str]:
    lines = [
        f"#### Finding {finding.ref}{_label(summary, finding.status)}",
        "",
        f"**{escape(finding.statement)}**",
        "",
        escape(evidence_line(finding)),
        "",
    ]
    if finding.lived_experience:
        lines += [f"Lived experience: {escape(', '.join(finding.lived_experience))}.", ""]
    if finding.intersectional_note:
        lines += [f"Intersectional note: {escape(finding.intersectional_note)}", ""]
    for quote in finding.quotes:
        lines += [f"> {line}".rstrip() for line in _lines(quote.text)]
        lines += [">", f"> {escape(quote.attribution)}", ""]
    return lines


def summary_markdown(
    summary: EvidenceSummary,
    *,
    figures: Mapping[str, Figure] | None = None,
    image_links: Mapping[str, str] | None = None,
) -> str:
    """The summary as Markdown (CommonMark with GitHub-style tables).

    Args:
        summary: from `build_summary`.
        figures: its charts, when already drawn (`summary_figures`).
        image_links: chart key (`themes`, `intersections`) -> where its PNG is, relative
            to the Markdown file; charts without a link are embedded as `data:` URIs.

    Example:
        >>> text = summary_markdown(build_summary(store, 1, actor="evaluator"))
    """
    figures = summary_figures(summary) if figures is None else figures
    links = image_links or {}
    lines: list[str] = []
    if summary.draft:
        lines += [
            f"> **{DRAFT_MARK}.** This draft holds themes, findings and recommendations of "
            "every status; each is labelled with its status.",
            "",
        ]
    lines += [f"# {escape(summary.title)}", "", "## Study details", ""]
    lines += [*(f"- {escape(line)}" for line in study_lines(summary)), ""]
    if summary.study.description:
        lines += [*_lines(summary.study.description), ""]
    lines += _methods(summary.methods)
    lines += ["## Themes and findings", ""]
    number = 0
    if "themes" in figures:
        number += 1
        lines += _figure(figures["themes"], number, links.get("themes"))
    if not summary.themes:
        lines += ["No agreed themes yet.", ""]
    for index, theme in enumerate(summary.themes, start=1):
        lines += [f"### Theme {index}: {escape(theme.name)}{_label(summary, theme.status)}", ""]
        if theme.narrative:
            lines += [*_lines(theme.narrative), ""]
        lines += [
            f"Codes: {escape(', '.join(theme.codes))}.",
            "",
            f"Coded in {theme.participants} participants, {theme.transcripts} transcripts, "
            f"{theme.segments} segments.",
            "",
        ]
        if not theme.findings:
            lines += ["No findings under this theme yet.", ""]
        for finding in theme.findings:
            lines += _finding(summary, finding)
    lines += ["## Intersections", ""]
    matrix = summary.matrix
    if matrix is None:
        lines += [escape(summary.matrix_note), ""]
    else:
        lines += [escape(intersections_intro(matrix)), ""]
        if "intersections" in figures:
            number += 1
            lines += _figure(figures["intersections"], number, links.get("intersections"))
    lines += _recommendations(summary)
    return "\n".join(lines).rstrip() + "\n"


def _recommendations(summary: EvidenceSummary) -> list[str]:
    lines = ["## Recommendations", ""]
    if not summary.recommendations:
        return [*lines, "No agreed recommendations yet.", ""]
    domain = None
    for group in summary.recommendations:
        if group.domain != domain:
            domain = group.domain
            lines += [f"### {escape(sentence_case(domain))}", ""]
        lines += [f"#### Partner: {escape(group.partner)}", ""]
        for rec in group.recommendations:
            lines.append(
                f"- **{rec.ref}** (priority {rec.priority}){_label(summary, rec.status)}: "
                f"{escape(rec.text)}"
            )
            for link in rec.rests_on:
                where = link.ref or "a finding whose theme is not in this summary"
                lines.append(
                    f"  - Rests on {where}{_label(summary, link.status)}: {escape(link.statement)}"
                )
            if rec.not_shown:
                lines.append(f"  - Rests also on {rec.not_shown} finding(s) not agreed yet.")
        lines.append("")
    return lines


# Scoped to the summary's own element, so the page can also sit inside the app.
_CSS = """
.evidence-summary { font-family: system-ui, sans-serif; max-width: 60rem; margin: 0 auto;
                    line-height: 1.5; color: #111; }
.evidence-summary table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
.evidence-summary th, .evidence-summary td { border: 1px solid #999; padding: 0.25rem 0.5rem;
                                             text-align: left; }
.evidence-summary blockquote { border-left: 4px solid #2b6cb0; margin: 0.5rem 0;
                               padding: 0 1rem; color: #333; }
.evidence-summary img { max-width: 100%; }
.evidence-summary .draft-banner { position: sticky; top: 0; background: #b91c1c; color: #fff;
                                  font-weight: bold; text-align: center; padding: 0.4rem; }
@media print {
  .evidence-summary .draft-banner { position: fixed; left: 0; right: 0; }
  .evidence-summary.draft { padding-top: 2.5rem; }
}
"""
# Printing a standalone draft: the banner is fixed, so it repeats on every page, and
# the page box says DRAFT too where the browser supports margin boxes.
_PAGE_CSS = """
body { margin: 2rem 1rem; }
@page { @top-center { content: "DRAFT"; color: #b91c1c; } }
"""


def summary_html(
    summary: EvidenceSummary,
    *,
    figures: Mapping[str, Figure] | None = None,
    fragment: bool = False,
) -> str:
    """The summary as HTML rendered from its Markdown, charts inside as `data:` URIs.

    A draft carries a banner at the top that stays in view and, printed, repeats on every
    page. Styles apply only inside the summary's `<main class="evidence-summary">`.

    Args:
        summary: from `build_summary`.
        figures: its charts, when already drawn.
        fragment: just the styled `<main>` element, to embed in another page (the app's
            preview); otherwise a whole HTML document.

    Example:
        >>> page = summary_html(build_summary(store, 1, actor="evaluator"))
    """
    from markdown_it import MarkdownIt

    # Raw HTML stays off: every character of the study's text is escaped.
    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    body = renderer.render(summary_markdown(summary, figures=figures))
    banner = (
        f'<div class="draft-banner" role="note">{html.escape(DRAFT_MARK)}</div>\n'
        if summary.draft
        else ""
    )
    kind = "evidence-summary draft" if summary.draft else "evidence-summary"
    main = f'<style>{_CSS}</style>\n<main class="{kind}">\n{banner}{body}</main>\n'
    if fragment:
        return main
    page_css = f"<style>{_PAGE_CSS}</style>\n" if summary.draft else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(summary.title)}</title>\n{page_css}</head>\n"
        f"<body>\n{main}</body>\n</html>\n"
    )
