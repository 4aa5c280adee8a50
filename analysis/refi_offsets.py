"""Where a character of another tool's text ended up in our stored transcript text.

A REFI-QDA selection gives 0-based code-point offsets into the source's plain text. The
stored text is that text as the ingest lays it out: line ends become `\\n`, wrapped lines
are joined, labels are rewritten as `Speaker: `, titles may be dropped. To put each
selection on the same words, the two texts are aligned: first word by word (a patience
diff, which anchors on words that occur once in both and so stays fast and exact on
nearly identical texts), then character by character inside the small gaps between
matched words (`well-\\nknown` -> `well-known`, `&amp;` -> `&`).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from difflib import SequenceMatcher

_WORD = re.compile(r"\S+")
# Gaps larger than this (in characters, on each side) are left unmatched: aligning them
# character by character would be slow and could only pair up stray letters.
_MAX_GAP_CHARS = 20_000
_MAX_FALLBACK_CELLS = 4_000_000


class OffsetMap:
    """Source offsets to stored-text offsets; `None` for characters that were dropped."""

    def __init__(self, forward: Sequence[int], source: str) -> None:
        self._forward = forward
        self._source = source

    @classmethod
    def identity(cls, text: str) -> OffsetMap:
        """The map of a text stored unchanged."""
        return cls(range(len(text)), text)

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """The stored span holding the words of source span `[start, end)`: from its first
        to its last kept non-space character, or None if none of them was kept."""
        first = last = -1
        for index in range(max(start, 0), min(end, len(self._source))):
            if self._forward[index] >= 0 and not self._source[index].isspace():
                first = index
                break
        if first < 0:
            return None
        for index in range(min(end, len(self._source)) - 1, first - 1, -1):
            if self._forward[index] >= 0 and not self._source[index].isspace():
                last = index
                break
        return self._forward[first], self._forward[last] + 1


def map_offsets(source: str, stored: str) -> OffsetMap:
    """Align `source` with `stored` (the same words, laid out differently).

    Example:
        >>> map_offsets("A:  hi\\r\\nthere", "A: hi\\nthere\\n").span(4, 13)
        (3, 11)
    """
    if source == stored:
        return OffsetMap.identity(source)
    forward = [-1] * len(source)
    source_words = [(m.start(), m.end()) for m in _WORD.finditer(source)]
    stored_words = [(m.start(), m.end()) for m in _WORD.finditer(stored)]
    pairs = align_sequences(
        [source[a:b] for a, b in source_words], [stored[a:b] for a, b in stored_words]
    )
    previous_source, previous_stored = 0, 0
    for i, j in [*pairs, (len(source_words), len(stored_words))]:
        source_start = source_words[i][0] if i < len(source_words) else len(source)
        stored_start = stored_words[j][0] if j < len(stored_words) else len(stored)
        _map_gap(
            source, stored, previous_source, source_start, previous_stored, stored_start, forward
        )
        if i < len(source_words):
            (a, b), (c, _) = source_words[i], stored_words[j]
            forward[a:b] = range(c, c + b - a)
            previous_source, previous_stored = b, c + b - a
    return OffsetMap(forward, source)


def _map_gap(
    source: str, stored: str, a0: int, a1: int, b0: int, b1: int, forward: list[int]
) -> None:
    """Match characters between two matched words, where the layout changed them."""
    if a0 >= a1 or b0 >= b1 or a1 - a0 > _MAX_GAP_CHARS or b1 - b0 > _MAX_GAP_CHARS:
        return
    matcher = SequenceMatcher(None, source[a0:a1], stored[b0:b1], autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            forward[a0 + block.a + k] = b0 + block.b + k


def align_sequences(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """Index pairs of equal items of `a` and `b`, increasing in both (a patience diff).

    Example:
        >>> align_sequences(["x", "a", "b"], ["a", "y", "b"])
        [(1, 0), (2, 2)]
    """
    pairs: list[tuple[int, int]] = []
    _align(a, b, 0, len(a), 0, len(b), pairs)
    return pairs


def _align(
    a: Sequence[str],
    b: Sequence[str],
    alo: int,
    ahi: int,
    blo: int,
    bhi: int,
    pairs: list[tuple[int, int]],
) -> None:
    while alo < ahi and blo < bhi and a[alo] == b[blo]:
        pairs.append((alo, blo))
        alo, blo = alo + 1, blo + 1
    tail: list[tuple[int, int]] = []
    while ahi > alo and bhi > blo and a[ahi - 1] == b[bhi - 1]:
        ahi, bhi = ahi - 1, bhi - 1
        tail.append((ahi, bhi))
    if alo < ahi and blo < bhi:
        anchors = _unique_anchors(a, b, alo, ahi, blo, bhi)
        if anchors:
            for i, j in anchors:
                _align(a, b, alo, i, blo, j, pairs)
                pairs.append((i, j))
                alo, blo = i + 1, j + 1
            _align(a, b, alo, ahi, blo, bhi, pairs)
        elif (ahi - alo) * (bhi - blo) <= _MAX_FALLBACK_CELLS:
            matcher = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            for block in matcher.get_matching_blocks():
                pairs.extend((alo + block.a + k, blo + block.b + k) for k in range(block.size))
    pairs.extend(reversed(tail))


def _unique_anchors(
    a: Sequence[str], b: Sequence[str], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Items that occur once in each range, as the longest run in the same order."""
    count_a = Counter(a[alo:ahi])
    count_b = Counter(b[blo:bhi])
    where_b = {b[j]: j for j in range(blo, bhi) if count_b[b[j]] == 1}
    candidates = [
        (i, where_b[a[i]]) for i in range(alo, ahi) if count_a[a[i]] == 1 and a[i] in where_b
    ]
    # Longest increasing subsequence of the b positions (patience sorting).
    tops: list[int] = []
    top_index: list[int] = []
    back: list[int] = []
    for index, (_, j) in enumerate(candidates):
        pile = bisect_left(tops, j)
        if pile == len(tops):
            tops.append(j)
            top_index.append(index)
        else:
            tops[pile] = j
            top_index[pile] = index
        back.append(top_index[pile - 1] if pile else -1)
    run: list[tuple[int, int]] = []
    index = top_index[-1] if top_index else -1
    while index >= 0:
        run.append(candidates[index])
        index = back[index]
    return run[::-1]
