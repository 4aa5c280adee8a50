"""Inter-coder agreement: percent agreement, Cohen's kappa and Krippendorff's alpha.

Every figure is for nominal data: two values agree only when they are the same string
after surrounding whitespace is stripped, and an empty string or `None` is no value.
Sums are kept as exact fractions and turned into a plain `float` at the end, so a result
does not depend on the order of units or coders. A figure that is undefined for the data
(no units to compare, or only one value ever used) is `None`, never a string or NaN.

Agreement tables come as `unit -> coder -> value` mappings, or from a CSV file with the
columns `unit,coder,value` (one row per coder per unit) read by `read_agreement_csv`.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from analysis.errors import InputFileError
from analysis.files import read_input_bytes

Ratings = Mapping[str, Mapping[str, str | None]]
"""unit -> coder -> value; `None` or an empty string means the coder gave no value."""

_COLUMNS = ("unit", "coder", "value")


@dataclass(frozen=True)
class Agreement:
    """All three figures for one table, with the counts a reader needs to judge them.

    `units` and `coders` count everything in the table, including units that fewer than
    two coders coded and coders who gave no value at all, so a reader can see how much of
    the table the figures rest on (`pairable_units`).
    """

    units: int
    coders: int
    pairable_units: int
    percent_agreement: float | None
    krippendorff_alpha: float | None
    cohen_kappa: float | None

    def as_json(self) -> dict[str, object]:
        """The machine-readable contract of `python -m analysis agreement --json`."""
        return {
            "units": self.units,
            "coders": self.coders,
            "percent_agreement": self.percent_agreement,
            "krippendorff_alpha": self.krippendorff_alpha,
            "cohen_kappa": self.cohen_kappa,
        }


def _clean(value: str | None) -> str | None:
    """The value as compared: stripped, with blanks counted as no value."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def _value_counts(ratings: Ratings) -> list[Counter[str]]:
    """How many coders gave each value, for every unit that at least two coders coded.

    Units with fewer than two values hold no pair of judgements to compare, so every
    coefficient here ignores them.
    """
    pairable = []
    for by_coder in ratings.values():
        counts = Counter(v for v in map(_clean, by_coder.values()) if v is not None)
        if counts.total() >= 2:
            pairable.append(counts)
    return pairable


def percent_agreement(ratings: Ratings) -> float | None:
    """Mean share of agreeing coder pairs per unit, over units with two or more values.

    The simplest figure and the one coders understand, but it ignores agreement by
    chance; report it beside alpha or kappa, not instead of them.

    Args:
        ratings: unit -> coder -> value.

    Returns:
        A number in [0, 1], or `None` when no unit has values from two coders.

    Example:
        >>> percent_agreement({"u1": {"a": "x", "b": "x"}, "u2": {"a": "x", "b": "y"}})
        0.5
    """
    units = _value_counts(ratings)
    if not units:
        return None
    total = Fraction(0)
    for counts in units:
        m = counts.total()
        agreeing = sum(n * (n - 1) for n in counts.values())
        total += Fraction(agreeing, m * (m - 1))
    return float(total / len(units))


def cohen_kappa(ratings: Ratings, coder_a: str, coder_b: str) -> float | None:
    """Cohen's kappa of two coders over the units both gave a value for.

    Corrects observed agreement `po` for the agreement `pe` expected from each coder's
    own distribution of values: `(po - pe) / (1 - pe)`.

    Args:
        ratings: unit -> coder -> value.
        coder_a: one coder.
        coder_b: the other coder.

    Returns:
        Kappa, or `None` when the two coders share no coded unit (including when either
        coder is not in the table) or when `pe` is 1 (both used one and the same value
        throughout, so chance explains all agreement and kappa is 0/0).

    Example:
        >>> table = {"u1": {"a": "x", "b": "x"}, "u2": {"a": "y", "b": "y"}}
        >>> cohen_kappa(table, "a", "b")
        1.0
    """
    pairs = []
    for by_coder in ratings.values():
        first, second = _clean(by_coder.get(coder_a)), _clean(by_coder.get(coder_b))
        if first is not None and second is not None:
            pairs.append((first, second))
    if not pairs:
        return None
    n = len(pairs)
    observed = Fraction(sum(first == second for first, second in pairs), n)
    counts_a = Counter(first for first, _ in pairs)
    counts_b = Counter(second for _, second in pairs)
    expected = Fraction(sum(counts_a[v] * counts_b[v] for v in counts_a), n * n)
    if expected == 1:
        return None
    return float((observed - expected) / (1 - expected))


def krippendorff_alpha_nominal(ratings: Ratings) -> float | None:
    """Krippendorff's alpha for nominal data, any number of coders, missing values allowed.

    Built from the coincidence matrix (Krippendorff 2011, "Computing Krippendorff's
    Alpha-Reliability"): each unit with `m >= 2` values adds every ordered pair of values
    from different coders with weight `1 / (m - 1)`. With `n_c` the pairable values equal
    to `c` and `n` all pairable values, alpha = `(Ao - Ae) / (1 - Ae)`, where the observed
    agreement `Ao = sum(o_cc) / n` and the expected `Ae = sum(n_c (n_c - 1)) / (n (n - 1))`.

    Args:
        ratings: unit -> coder -> value.

    Returns:
        Alpha (1 is perfect, 0 is chance level, below 0 is systematic disagreement), or
        `None` when no unit has two values, or when the pairable values all share one
        value: then the expected disagreement is 0 and alpha is 0/0, undefined.

    Example:
        >>> krippendorff_alpha_nominal({"u1": {"a": "x", "b": "x"}, "u2": {"a": "y", "b": "y"}})
        1.0
    """
    units = _value_counts(ratings)
    if not units:
        return None
    agreeing = Fraction(0)  # sum of the diagonal of the coincidence matrix
    totals: Counter[str] = Counter()  # n_c, the marginals of the coincidence matrix
    for counts in units:
        m = counts.total()
        agreeing += Fraction(sum(k * (k - 1) for k in counts.values()), m - 1)
        totals.update(counts)
    n = totals.total()
    expected = Fraction(sum(k * (k - 1) for k in totals.values()), n * (n - 1))
    if expected == 1:
        return None
    observed = agreeing / n
    return float((observed - expected) / (1 - expected))


def measure_agreement(ratings: Ratings) -> Agreement:
    """Every agreement figure for one table, as reported by the app and the CLI.

    Cohen's kappa is only given when the table has exactly two coders; with more,
    pairwise kappas would hide which pair disagrees, and alpha covers all of them.

    Example:
        >>> measure_agreement({"u1": {"a": "x", "b": "x"}, "u2": {"a": "y", "b": "x"}}).units
        2
    """
    coders = sorted({coder for by_coder in ratings.values() for coder in by_coder})
    kappa = cohen_kappa(ratings, coders[0], coders[1]) if len(coders) == 2 else None
    return Agreement(
        units=len(ratings),
        coders=len(coders),
        pairable_units=len(_value_counts(ratings)),
        percent_agreement=percent_agreement(ratings),
        krippendorff_alpha=krippendorff_alpha_nominal(ratings),
        cohen_kappa=kappa,
    )


def _decode(name: str, data: bytes) -> str:
    """UTF-8 with or without a BOM; anything else is refused rather than guessed, since a
    wrong guess would silently turn two equal values into two different ones."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputFileError(name, "is not UTF-8 text", row=line) from exc


def _header_positions(name: str, header: list[str]) -> dict[str, int]:
    names = [column.strip().lower() for column in header]
    missing = [column for column in _COLUMNS if column not in names]
    if missing:
        raise InputFileError(
            name, f"needs the columns {', '.join(_COLUMNS)} (missing {', '.join(missing)})", row=1
        )
    repeated = [column for column in _COLUMNS if names.count(column) > 1]
    if repeated:
        raise InputFileError(name, f"has the column {repeated[0]} twice", row=1)
    return {column: names.index(column) for column in _COLUMNS}


def read_agreement_csv(path: str | Path) -> dict[str, dict[str, str | None]]:
    """Read a `unit,coder,value` CSV into unit -> coder -> value.

    Header names are matched case-insensitively and other columns are ignored. A blank
    value means the coder saw the unit and gave no value; rows with every column blank
    (left by spreadsheets) are skipped. Row numbers in errors are lines of the file, the
    header being row 1.

    Args:
        path: the CSV file.

    Returns:
        Units in file order, each with its coders in file order; values stripped, blanks
        as `None`.

    Raises:
        InputFileError: the file is missing or not UTF-8, lacks a column, a row has no
            unit or coder, a coder appears twice for one unit, or there are no rows.

    Example:
        >>> read_agreement_csv("tests/data/agreement/two_coders.csv")["u01"]
        {'sam': 'support', 'alex': 'support'}
    """
    name, data = read_input_bytes(path)
    reader = csv.reader(io.StringIO(_decode(name, data), newline=""))
    ratings: dict[str, dict[str, str | None]] = {}
    first_row: dict[tuple[str, str], int] = {}
    try:
        header = next(reader, None)
        if header is None:
            raise InputFileError(name, "is empty; it needs the columns unit, coder, value")
        positions = _header_positions(name, header)
        for record in reader:
            row = reader.line_num
            unit, coder, value = (
                record[positions[c]].strip() if positions[c] < len(record) else "" for c in _COLUMNS
            )
            if not (unit or coder or value):
                continue
            if not unit or not coder:
                raise InputFileError(name, "has a row without a unit or a coder", row=row)
            if (unit, coder) in first_row:
                raise InputFileError(
                    name,
                    f"gives coder {coder!r} twice for unit {unit!r} "
                    f"(first on row {first_row[unit, coder]})",
                    row=row,
                )
            first_row[unit, coder] = row
            ratings.setdefault(unit, {})[coder] = value or None
    except csv.Error as exc:
        raise InputFileError(name, f"is not valid CSV ({exc})", row=reader.line_num) from exc
    if not ratings:
        raise InputFileError(name, "has no rows of ratings")
    return ratings
