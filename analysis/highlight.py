"""Turn text with codings marked, as HTML, for the Transcript page.

Kept in the library (not the page) so the marking of overlapping spans is tested.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence

from analysis.models import Coding, Segment, StoredTurn


def render_turn_html(
    text: str,
    turn: StoredTurn,
    segments: Sequence[Segment],
    codings: Sequence[Coding],
    *,
    segment_numbers: dict[int, int],
) -> str:
    """HTML of one turn: coded stretches in `<mark>`, code names after each coding,
    segment numbers before each segment so a coder can pick them."""
    start, end = turn.start_char, turn.end_char
    inside = [c for c in codings if c.start_char < end and c.end_char > start]
    points = {start, end}
    for coding in inside:
        points.update((max(start, coding.start_char), min(end, coding.end_char)))
    starts = {s.start_char: segment_numbers[s.id] for s in segments if start <= s.start_char < end}
    points.update(starts)
    labels: dict[int, list[str]] = {}
    for coding in inside:
        labels.setdefault(min(end, coding.end_char), []).append(
            f"{coding.code_name} · {coding.coder}"
        )
    ordered = sorted(points)
    parts: list[str] = []
    for left, right in itertools.pairwise(ordered):
        if left in starts:
            parts.append(f'<sup class="seg">{starts[left]}</sup>')
        piece = html.escape(text[left:right]).replace("\n", "<br>")
        covered = any(c.start_char <= left and right <= c.end_char for c in inside)
        parts.append(f"<mark>{piece}</mark>" if covered else piece)
        for label in labels.get(right, []):
            parts.append(f' <span class="code-chip">{html.escape(label)}</span>')
    return "".join(parts)


def render_finding_html(text: str, start: int, end: int, *, window: int = 160) -> str:
    """HTML of the paragraph around a possible identifier, the identifier in `<mark>`,
    cut to `window` characters either side (a speaker label shows with its turn)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    left, right = max(line_start, start - window), min(line_end, end + window)
    before = ("…" if left > line_start else "") + html.escape(text[left:start])
    after = html.escape(text[end:right]) + ("…" if right < line_end else "")
    return f"{before}<mark>{html.escape(text[start:end])}</mark>{after}"
