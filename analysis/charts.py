"""Charts shared by the app and the evidence summary, so both draw the same picture.

Builders return altair charts (the app hands them to Streamlit); `chart_png` turns one
into PNG bytes offline with vl-convert, for the DOCX and HTML exports; `summary_figures`
gives the evidence summary its charts, each with its text alternative (a table of the
same figures, and alt text that reads them out). altair is
imported inside the functions: importing it costs a noticeable fraction of a second.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from analysis.intersect import Matrix

if TYPE_CHECKING:
    import altair as alt

    from analysis.summary import EvidenceSummary

SUPPRESSED = "suppressed"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_SCALE = 2.0  # twice the CSS pixels, so the picture stays sharp in print


def heatmap_cells(matrix: Matrix) -> list[dict[str, Any]]:
    """One record per cell: row, group label, participants (None when suppressed)."""
    return [
        {
            "row": row.name,
            "group": column.label,
            "participants": cell.participants,
            "label": SUPPRESSED if cell.suppressed else str(cell.participants),
            "suppressed": cell.suppressed,
        }
        for row in matrix.rows
        for column, cell in zip(matrix.columns, row.cells, strict=True)
    ]


def intersection_heatmap(matrix: Matrix) -> alt.LayerChart | None:
    """Participants per row and attribute group; suppressed cells grey and labelled.

    Returns None when the matrix has no cells (no codes or themes yet).

    Example:
        >>> chart = intersection_heatmap(intersection_matrix(store, 1, rows="themes",
        ...                                                  by=["disability"], actor="eve"))
    """
    import altair as alt
    import pandas as pd  # type: ignore[import-untyped]

    long = pd.DataFrame(heatmap_cells(matrix))
    if long.empty:
        return None
    base = alt.Chart(long).encode(
        x=alt.X("group:N", title=None, axis=alt.Axis(labelAngle=-30, labelLimit=240)),
        y=alt.Y("row:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
    )
    counts = (
        base.transform_filter("!datum.suppressed")
        .mark_rect()
        .encode(
            color=alt.Color("participants:Q", scale=alt.Scale(scheme="blues"), title="Participants")
        )
    )
    hidden = base.transform_filter("datum.suppressed").mark_rect(color="#d4d4d4")
    labels = base.mark_text(fontSize=11).encode(
        text="label:N",
        color=alt.condition("datum.suppressed", alt.value("#404040"), alt.value("#111111")),
    )
    # A band wide enough for "suppressed"; the app stretches the chart to its column.
    return (counts + hidden + labels).properties(
        width=alt.Step(96), height=max(160, 22 * len(matrix.rows))
    )


def theme_sizes_chart(sizes: Sequence[tuple[str, int, int]]) -> alt.Chart | None:
    """Grouped bars: participants and segments per theme, from (name, participants,
    segments) triples in display order; None when there is no theme."""
    import altair as alt
    import pandas as pd

    if not sizes:
        return None
    long = pd.DataFrame(
        [
            {"theme": name, "measure": measure, "count": count}
            for name, participants, segments in sizes
            for measure, count in (("participants", participants), ("segments", segments))
        ]
    )
    order = [name for name, _, _ in sizes]
    base = alt.Chart(long).encode(
        y=alt.Y("theme:N", title=None, sort=order, axis=alt.Axis(labelLimit=260)),
        yOffset=alt.YOffset("measure:N", sort=["participants", "segments"]),
        x=alt.X("count:Q", title="Count", axis=alt.Axis(tickMinStep=1)),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "measure:N",
            title=None,
            sort=["participants", "segments"],
            scale=alt.Scale(range=["#2b6cb0", "#90cdf4"]),
            legend=alt.Legend(orient="bottom"),
        )
    )
    labels = base.mark_text(align="left", dx=3, fontSize=11).encode(text="count:Q")
    return (bars + labels).properties(width=440, height=alt.Step(16))


def chart_png(chart: alt.TopLevelMixin, *, scale: float = PNG_SCALE) -> bytes:
    """The chart as PNG bytes, drawn offline by vl-convert (no browser, no network).

    Example:
        >>> chart_png(theme_sizes_chart([("Waiting", 3, 4)]))[:8] == PNG_SIGNATURE
        True
    """
    # The charts are built by this module, so altair's schema check (a third of the
    # time) is skipped; the same spec is drawn once (the preview and the downloads ask).
    return _spec_png(json.dumps(chart.to_dict(validate=False), sort_keys=True), scale)


@functools.lru_cache(maxsize=16)
def _spec_png(spec_json: str, scale: float) -> bytes:
    import vl_convert

    spec = json.loads(spec_json)
    return bytes(
        vl_convert.vegalite_to_png(
            spec,
            vl_version=_vegalite_version(spec, vl_convert.get_vegalite_versions()),
            scale=scale,
            allowed_base_urls=[],  # the data are inline; never fetch anything
        )
    )


def _vegalite_version(spec: dict[str, Any], known: Sequence[str]) -> str | None:
    """The Vega-Lite version altair wrote the spec for (`.../v6.4.1.json` -> `6.4`), if
    vl-convert has it; otherwise None, its newest."""
    schema = str(spec.get("$schema", ""))
    tail = schema.rsplit("/v", 1)[-1].removesuffix(".json")
    major_minor = ".".join(tail.split(".")[:2])
    return major_minor if major_minor in known else None


# -- the summary's figures: each chart with its text alternative ----------------------------


def matrix_table(matrix: Matrix) -> tuple[list[str], list[list[str]]]:
    """The intersectional table as text: a group-size row, then a row per theme; a
    suppressed group reads "suppressed" in every row, never a count."""
    header = ["Theme", *(column.label for column in matrix.columns)]
    sizes = [SUPPRESSED if c.suppressed else str(c.group_size) for c in matrix.columns]
    rows = [["Participants in the group", *sizes]]
    for row in matrix.rows:
        rows.append(
            [row.name, *(SUPPRESSED if c.suppressed else str(c.participants) for c in row.cells)]
        )
    return header, rows


def theme_sizes_table(summary: EvidenceSummary) -> tuple[list[str], list[list[str]]]:
    header = ["Theme", "Participants", "Transcripts", "Coded segments"]
    return header, [
        [t.name, str(t.participants), str(t.transcripts), str(t.segments)] for t in summary.themes
    ]


@dataclass(frozen=True)
class Figure:
    """A chart and its text alternative (the same figures as a table, and alt text)."""

    name: str  # file-name part: theme-sizes, intersections
    caption: str
    alt: str
    png: bytes
    header: list[str]
    rows: list[list[str]]


def summary_figures(summary: EvidenceSummary) -> dict[str, Figure]:
    """The charts of a summary as PNG with their tables: `themes` and `intersections`
    (either left out when there is nothing to draw)."""
    figures: dict[str, Figure] = {}
    sizes = theme_sizes_chart([(t.name, t.participants, t.segments) for t in summary.themes])
    if sizes is not None:
        header, rows = theme_sizes_table(summary)
        alt = "Bar chart of participants and coded segments per theme: " + "; ".join(
            f"{t.name}: {t.participants} participants, {t.segments} segments"
            for t in summary.themes
        )
        figures["themes"] = Figure(
            "theme-sizes",
            "Participants and coded segments per theme (the same figures are in the table).",
            alt,
            chart_png(sizes),
            header,
            rows,
        )
    heatmap = intersection_heatmap(summary.matrix) if summary.matrix is not None else None
    if heatmap is not None and summary.matrix is not None:
        header, rows = matrix_table(summary.matrix)
        cells = "; ".join(
            f"{row[0]}, {label}: {value}"
            for row in rows[1:]
            for label, value in zip(header[1:], row[1:], strict=True)
        )
        figures["intersections"] = Figure(
            "intersections",
            f"Participants in whom each theme occurs, by {', '.join(summary.matrix.attributes)}; "
            f"grey cells are suppressed (group smaller than {summary.matrix.k}).",
            f"Heatmap of participants per theme and group: {cells}",
            chart_png(heatmap),
            header,
            rows,
        )
    return figures
