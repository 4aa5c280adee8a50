"""The intersectional view: codes or themes by combinations of participant attributes.

A cell counts participants (not segments) in whom a code or theme occurs, within the group
of participants sharing one combination of attribute values. A group smaller than k (the
project's `min_cell_size`, default 5) is suppressed in every result this module hands out:
its size and every count under it are None. Only a project lead may see the quotes behind
such a cell (`cell_quotes`), or lower k below the project's setting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from analysis.access import Action, allowed, require, user_named
from analysis.codebook import code_tree, current_codebook, with_descendants
from analysis.errors import InvalidRequestError, NotFoundError, PermissionDeniedError
from analysis.models import Code, Coding, User
from analysis.participants import attribute_name
from analysis.rounds import visible_codings
from analysis.storage import Store

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

ROW_KINDS = ("codes", "themes")
LEVELS = ("segment", "participant")
MAX_ATTRIBUTES = 3
AGREED = "agreed"
NOT_RECORDED = "not recorded"

Values = tuple[str | None, ...]


@dataclass(frozen=True)
class MatrixColumn:
    """One combination of attribute values; `group_size` is None when suppressed."""

    values: dict[str, str | None]
    group_size: int | None
    suppressed: bool

    @property
    def label(self) -> str:
        """`disability=yes · fee_status=international` (a missing value: not recorded)."""
        return " · ".join(
            f"{name}={NOT_RECORDED if value is None else value}"
            for name, value in self.values.items()
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "values": dict(self.values),
            "group_size": self.group_size,
            "suppressed": self.suppressed,
        }


@dataclass(frozen=True)
class MatrixCell:
    """Participants of the column's group in whom the row occurs; None when suppressed."""

    participants: int | None
    suppressed: bool

    def as_json(self) -> dict[str, Any]:
        return {"participants": self.participants, "suppressed": self.suppressed}


@dataclass(frozen=True)
class MatrixRow:
    """A code (with its `key`) or a theme (with its `theme_id`), cells in column order."""

    name: str
    cells: tuple[MatrixCell, ...]
    key: str | None = None
    theme_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {"name": self.name}
        if self.key is not None:
            row["key"] = self.key
        if self.theme_id is not None:
            row["id"] = self.theme_id
        row["cells"] = [cell.as_json() for cell in self.cells]
        return row


@dataclass(frozen=True)
class Matrix:
    """Rows (codes or themes) by attribute combinations, small groups suppressed."""

    rows_kind: str
    attributes: tuple[str, ...]
    k: int
    columns: tuple[MatrixColumn, ...]
    rows: tuple[MatrixRow, ...]

    def as_json(self) -> dict[str, Any]:
        """The CLI's `--json` contract: `{k, columns, rows}`."""
        return {
            "k": self.k,
            "columns": [column.as_json() for column in self.columns],
            "rows": [row.as_json() for row in self.rows],
        }


@dataclass(frozen=True)
class CellQuote:
    """A coded quote behind one cell, with where it comes from."""

    coding: Coding
    source_name: str
    participant: str


@dataclass(frozen=True)
class Cooccurrence:
    """Codes x codes: segments (or participants) with both; the diagonal is a code's own."""

    level: str
    keys: tuple[str, ...]
    names: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def count(self, first: str, second: str) -> int:
        """Segments or participants where both codes occur (by code key)."""
        return self.counts[self.keys.index(first)][self.keys.index(second)]

    def as_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "codes": [{"key": k, "name": n} for k, n in zip(self.keys, self.names, strict=True)],
            "counts": [list(row) for row in self.counts],
        }


@dataclass(frozen=True)
class _RowSpec:
    name: str
    keys: frozenset[str]
    key: str | None = None
    theme_id: int | None = None


# -- choosing what to count ------------------------------------------------------------------


def _chosen_attributes(store: Store, project_id: int, by: Sequence[str] | str) -> tuple[str, ...]:
    raw = by.split(",") if isinstance(by, str) else list(by)
    names = tuple(attribute_name(name) for name in raw)
    if not 1 <= len(names) <= MAX_ATTRIBUTES:
        raise InvalidRequestError(
            f"choose one to {MAX_ATTRIBUTES} participant attributes, not {len(names)}"
        )
    if len(set(names)) != len(names):
        raise InvalidRequestError(f"an attribute is chosen twice: {', '.join(names)}")
    known = sorted({n for p in store.list_participants(project_id) for n in p.attributes})
    for original, name in zip(raw, names, strict=True):
        if name not in known:
            raise InvalidRequestError(
                f"no participant attribute '{original.strip() or name}'; "
                f"known attributes: {', '.join(known) or 'none'}"
            )
    return names


def _threshold(store: Store, project_id: int, user: User, k: int | None) -> int:
    setting = store.project_min_cell_size(project_id)
    if k is None:
        return setting
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InvalidRequestError(f"k must be a whole number of at least 1, not {k!r}")
    # Otherwise anyone could ask for k=1 and read every small cell.
    if k < setting and not allowed(user.role, Action.SEE_SMALL_CELLS):
        raise PermissionDeniedError(
            f"{user.name} ({user.role}) may not {Action.SEE_SMALL_CELLS.value}: "
            f"k={k} is below the project's {setting}"
        )
    return k


def _code_rows(codes: Sequence[Code]) -> list[_RowSpec]:
    return [_RowSpec(c.name, frozenset({c.key}), key=c.key) for c, _ in code_tree(codes)]


def _theme_rows(store: Store, project_id: int, user: User, codes: Sequence[Code]) -> list[_RowSpec]:
    sees_drafts = allowed(user.role, Action.SEE_DRAFTS)
    return [
        _RowSpec(t["name"], frozenset(with_descendants(codes, t["code_keys"])), theme_id=t["id"])
        for t in store.list_themes_with_codes(project_id)
        if sees_drafts or t["status"] == AGREED
    ]


def _row_specs(store: Store, project_id: int, rows: str, user: User) -> list[_RowSpec]:
    if rows not in ROW_KINDS:
        raise InvalidRequestError(f"rows must be one of {', '.join(ROW_KINDS)}, not '{rows}'")
    _, codes = current_codebook(store, project_id)
    if rows == "codes":
        return _code_rows(codes)
    return _theme_rows(store, project_id, user, codes)


def _groups(store: Store, project_id: int, attributes: Sequence[str]) -> dict[Values, list[int]]:
    """Participant ids by their values of `attributes` (None where not recorded)."""
    groups: dict[Values, list[int]] = {}
    for person in store.list_participants(project_id):
        values = tuple(person.attributes.get(name) for name in attributes)
        groups.setdefault(values, []).append(person.id)
    return groups


def _sort_key(values: Values) -> tuple[tuple[bool, str], ...]:
    return tuple((value is None, value or "") for value in values)


def _codes_by_participant(store: Store, project_id: int) -> dict[int, set[str]]:
    """The code keys of every participant's current codings (all coders)."""
    found: dict[int, set[str]] = {}
    for coding in store.list_coded_spans(project_id):
        owner = coding["participant_id"]
        if owner is not None:
            found.setdefault(owner, set()).add(coding["code_key"])
    return found


# -- the matrix ------------------------------------------------------------------------------


def intersection_matrix(
    store: Store,
    project_id: int,
    *,
    rows: str,
    by: Sequence[str],
    actor: str,
    k: int | None = None,
) -> Matrix:
    """Codes or themes by combinations of one to three participant attributes.

    Each cell counts the participants of a column's group with at least one coding of the
    row's code (for a theme: of any of its codes or their sub-codes). A column whose group
    has fewer than k participants is suppressed, for every role.

    Args:
        store: the open study.
        project_id: the project.
        rows: "codes" (the current codebook in tree order; direct codings only) or
            "themes" (by name; an evaluator sees agreed themes only).
        by: one to three attribute names (normalised like the participants file's columns).
        actor: the acting account (any active account may ask).
        k: the suppression threshold; default the project's `min_cell_size`. Only a role
            that may see small cells may set it below the project's setting.

    Raises:
        InvalidRequestError: unknown attribute, none or more than three, bad k or rows.
        PermissionDeniedError: unknown or inactive account; k lowered without the right.

    Example:
        >>> intersection_matrix(store, 1, rows="codes", by=["disability"], actor="eve").as_json()
    """
    user = user_named(store, actor)
    attributes = _chosen_attributes(store, project_id, by)
    threshold = _threshold(store, project_id, user, k)
    specs = _row_specs(store, project_id, rows, user)
    groups = _groups(store, project_id, attributes)
    order = sorted(groups, key=_sort_key)
    columns = tuple(
        MatrixColumn(
            dict(zip(attributes, values, strict=True)),
            len(groups[values]) if len(groups[values]) >= threshold else None,
            len(groups[values]) < threshold,
        )
        for values in order
    )
    coded = _codes_by_participant(store, project_id)
    matrix_rows = []
    for spec in specs:
        cells = []
        for values, column in zip(order, columns, strict=True):
            if column.suppressed:
                cells.append(MatrixCell(None, True))
                continue
            count = sum(1 for pid in groups[values] if coded.get(pid, set()) & spec.keys)
            cells.append(MatrixCell(count, False))
        matrix_rows.append(MatrixRow(spec.name, tuple(cells), spec.key, spec.theme_id))
    return Matrix(rows, attributes, threshold, columns, tuple(matrix_rows))


def matrix_frame(matrix: Matrix) -> pd.DataFrame:
    """The matrix as a table for the page: a `group size` row, then one row per code or
    theme; columns labelled `disability=yes · fee_status=international`. A suppressed
    column reads `suppressed (<k)` in every row."""
    import pandas as pd

    hidden = f"suppressed (<{matrix.k})"
    sizes: list[Any] = [hidden if c.suppressed else c.group_size for c in matrix.columns]
    body: list[list[Any]] = [
        [hidden if cell.suppressed else cell.participants for cell in row.cells]
        for row in matrix.rows
    ]
    frame = pd.DataFrame(
        [sizes, *body],
        index=["group size", *(row.name for row in matrix.rows)],
        columns=[column.label for column in matrix.columns],
    )
    frame.index.name = matrix.rows_kind[:-1]
    return frame


def cell_quotes(
    store: Store,
    project_id: int,
    *,
    rows: str,
    row_key: str | int,
    values: Mapping[str, str | None],
    actor: str,
) -> list[CellQuote]:
    """The coded quotes behind one cell: codings of the row's code (a theme: its codes and
    their sub-codes) on transcripts of the participants with exactly these `values`.

    The group is measured against the project's k; below it only a role that may see
    small cells gets the quotes. In an open reliability round a researcher sees only
    their own codings there.

    Args:
        rows: "codes" or "themes", as in `intersection_matrix`.
        row_key: the code key, or the theme id.
        values: attribute name -> value (None for not recorded), one to three attributes.

    Raises:
        PermissionDeniedError: the actor may not see codings (evaluators), or the group is
            below k and the actor may not see small cells.
        NotFoundError: no such code or theme.
        InvalidRequestError: bad rows or attributes.

    Example:
        >>> cell_quotes(store, 1, rows="codes", row_key="waiting-times",
        ...             values={"disability": "yes"}, actor="lead")
    """
    user = require(store, actor, Action.SEE_CODINGS)
    attributes = _chosen_attributes(store, project_id, list(values))
    wanted = tuple(values[name] for name in values)
    specs = _row_specs(store, project_id, rows, user)
    spec = _find_row(specs, rows, row_key)
    group = _groups(store, project_id, attributes).get(wanted, [])
    threshold = store.project_min_cell_size(project_id)
    if len(group) < threshold:
        require(store, actor, Action.SEE_SMALL_CELLS)
    if not group:
        return []
    owners = {t["id"]: t for t in store.list_transcript_owners(project_id)}
    codings = store.list_codings(
        project_id=project_id, code_keys=sorted(spec.keys), participant_ids=group
    )
    return [
        CellQuote(c, owners[c.transcript_id]["source_name"], owners[c.transcript_id]["pseudonym"])
        for c in visible_codings(store, actor, codings)
    ]


def _find_row(specs: Sequence[_RowSpec], rows: str, row_key: str | int) -> _RowSpec:
    for spec in specs:
        if rows == "codes" and spec.key == row_key:
            return spec
        if rows == "themes" and str(spec.theme_id) == str(row_key):
            return spec
    what = "the current codebook has no code" if rows == "codes" else "there is no theme"
    raise NotFoundError(f"{what} '{row_key}'")


# -- co-occurrence ---------------------------------------------------------------------------


def _segments_of(store: Store, codings: Sequence[Mapping[str, Any]]) -> dict[int, set[str]]:
    """Code keys by segment: a coding's own segment, or for a span across segments (no
    segment of its own) every segment it overlaps. `codings` as `list_coded_spans`."""
    spans: dict[int, list[dict[str, int]]] = {}
    loose = sorted({c["transcript_id"] for c in codings if c["segment_id"] is None})
    for span in store.list_segment_spans(loose):
        spans.setdefault(span["transcript_id"], []).append(span)
    found: dict[int, set[str]] = {}
    for coding in codings:
        if coding["segment_id"] is not None:
            ids = [coding["segment_id"]]
        else:
            ids = [
                s["id"]
                for s in spans.get(coding["transcript_id"], [])
                if s["start_char"] < coding["end_char"] and coding["start_char"] < s["end_char"]
            ]
        for segment_id in ids:
            found.setdefault(segment_id, set()).add(coding["code_key"])
    return found


def code_cooccurrence(store: Store, project_id: int, *, level: str, actor: str) -> Cooccurrence:
    """How often two codes of the current codebook are applied to the same segment, or
    occur in the same participant; the diagonal holds each code's own count.

    Counts are over the project's current codings by every coder (originals replaced by
    consensus left out). Segment counts are not participant-suppressed, so this needs the
    right to see codings.

    Raises:
        InvalidRequestError: level is not "segment" or "participant".
        PermissionDeniedError: the actor may not see codings (evaluators).

    Example:
        >>> code_cooccurrence(store, 1, level="segment", actor="lead").count("a", "b")
    """
    require(store, actor, Action.SEE_CODINGS)
    if level not in LEVELS:
        raise InvalidRequestError(f"level must be one of {', '.join(LEVELS)}, not '{level}'")
    _, codes = current_codebook(store, project_id)
    ordered = [code for code, _ in code_tree(codes)]
    keys = tuple(c.key for c in ordered)
    if level == "segment":
        units = _segments_of(store, store.list_coded_spans(project_id))
    else:
        units = _codes_by_participant(store, project_id)
    position = {key: i for i, key in enumerate(keys)}
    counts = [[0] * len(keys) for _ in keys]
    for present in units.values():
        here = [position[key] for key in present if key in position]
        for i in here:
            for j in here:
                counts[i][j] += 1
    return Cooccurrence(
        level, keys, tuple(c.name for c in ordered), tuple(tuple(row) for row in counts)
    )


def cooccurrence_frame(cooccurrence: Cooccurrence) -> pd.DataFrame:
    """The co-occurrence counts as a square table labelled with code names."""
    import pandas as pd

    names = list(cooccurrence.names)
    return pd.DataFrame([list(row) for row in cooccurrence.counts], index=names, columns=names)


__all__ = [
    "CellQuote",
    "Cooccurrence",
    "Matrix",
    "MatrixCell",
    "MatrixColumn",
    "MatrixRow",
    "cell_quotes",
    "code_cooccurrence",
    "cooccurrence_frame",
    "intersection_matrix",
    "matrix_frame",
]
