"""Agreement figures: published worked examples, the `krippendorff` and scikit-learn
packages as oracles on random tables, CSV errors that name file and row, and the CLI."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.agreement import (
    Agreement,
    Ratings,
    cohen_kappa,
    krippendorff_alpha_nominal,
    measure_agreement,
    percent_agreement,
    read_agreement_csv,
)
from analysis.agreement_cli import agreement_command
from analysis.errors import InputFileError

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "agreement"
JSON_KEYS = ["units", "coders", "percent_agreement", "krippendorff_alpha", "cohen_kappa"]


def table_from_rows(rows: dict[str, list[object]]) -> dict[str, dict[str, str | None]]:
    """coder -> one value per unit (None for missing), as papers print reliability data."""
    units = len(next(iter(rows.values())))
    return {
        f"u{i + 1}": {
            coder: None if values[i] is None else str(values[i]) for coder, values in rows.items()
        }
        for i in range(units)
    }


def _clean(value: str | None) -> str | None:
    return (value or "").strip() or None


def oracle_alpha(ratings: Ratings) -> float | None:
    """`krippendorff.alpha` on the table; None where the package finds alpha undefined."""
    coders = sorted({c for by_coder in ratings.values() for c in by_coder})
    values = sorted(
        {v for by in ratings.values() for v in map(_clean, by.values()) if v is not None}
    )
    code = {v: i for i, v in enumerate(values)}
    matrix = [
        [
            np.nan if _clean(by.get(c)) is None else code[str(_clean(by.get(c)))]
            for by in ratings.values()
        ]
        for c in coders
    ]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 when only one value pairs
            result = float(
                krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
            )
    except ValueError:
        return None  # one value in the domain, or no unit with two values
    return None if math.isnan(result) else result


def oracle_kappa(ratings: Ratings, coder_a: str, coder_b: str) -> float | None:
    """scikit-learn's kappa over the units both coders coded; None where it is NaN."""
    metrics = pytest.importorskip("sklearn.metrics")
    pairs = [
        (_clean(by.get(coder_a)), _clean(by.get(coder_b)))
        for by in ratings.values()
        if _clean(by.get(coder_a)) is not None and _clean(by.get(coder_b)) is not None
    ]
    if not pairs:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns when only one label occurs
        result = float(metrics.cohen_kappa_score([a for a, _ in pairs], [b for _, b in pairs]))
    return None if math.isnan(result) else result


def brute_percent_agreement(ratings: Ratings) -> float | None:
    """The definition spelled out: every pair of coders with values on a unit."""
    shares = []
    for by_coder in ratings.values():
        values = [v for v in map(_clean, by_coder.values()) if v is not None]
        pairs = list(itertools.combinations(values, 2))
        if pairs:
            shares.append(sum(a == b for a, b in pairs) / len(pairs))
    return sum(shares) / len(shares) if shares else None


def assert_close(ours: float | None, oracle: float | None) -> None:
    if oracle is None:
        assert ours is None
    else:
        assert ours is not None and type(ours) is float
        assert abs(ours - oracle) < 1e-9, (ours, oracle)


# --- published worked examples ---------------------------------------------------------

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
# observers, twelve units, nominal values with missing data; published alpha 0.743.
KRIPPENDORFF_2011 = table_from_rows(
    {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    }
)


def test_krippendorff_2011_four_coders_with_missing_data() -> None:
    alpha = krippendorff_alpha_nominal(KRIPPENDORFF_2011)
    assert alpha is not None and round(alpha, 3) == 0.743
    assert alpha == pytest.approx(113 / 152, abs=1e-12)  # its exact value
    assert_close(alpha, oracle_alpha(KRIPPENDORFF_2011))
    result = measure_agreement(KRIPPENDORFF_2011)
    # Unit 12 has one value only: counted in the table, not pairable.
    assert (result.units, result.coders, result.pairable_units) == (12, 4, 11)
    assert result.cohen_kappa is None


def test_krippendorff_2011_two_coder_binary_example() -> None:
    table = table_from_rows(
        {"A": [0, 1, 0, 0, 0, 0, 0, 0, 1, 0], "B": [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]}
    )
    alpha = krippendorff_alpha_nominal(table)
    # Published 0.095: 1 - (n - 1) * o_01 / (n_0 * n_1) = 1 - 19 * 4 / (14 * 6) = 2/21.
    assert alpha is not None and round(alpha, 3) == 0.095
    assert alpha == pytest.approx(2 / 21, abs=1e-12)
    assert_close(alpha, oracle_alpha(table))
    assert percent_agreement(table) == pytest.approx(0.6)


def test_wikipedia_three_coder_example_from_the_krippendorff_package() -> None:
    table = table_from_rows(
        {
            "1": [None, None, None, None, None, 3, 4, 1, 2, 1, 1, 3, 3, None, 3],
            "2": [1, None, 2, 1, 3, 3, 4, 3, None, None, None, None, None, None, None],
            "3": [None, None, 2, 1, 3, 4, 4, None, 2, 1, 1, 3, 3, None, 4],
        }
    )
    alpha = krippendorff_alpha_nominal(table)
    assert alpha is not None and round(alpha, 6) == 0.691358
    assert_close(alpha, oracle_alpha(table))


def _two_by_two(yes_yes: int, yes_no: int, no_yes: int, no_no: int) -> Ratings:
    pairs = (
        [("yes", "yes")] * yes_yes
        + [("yes", "no")] * yes_no
        + [("no", "yes")] * no_yes
        + [("no", "no")] * no_no
    )
    return {f"u{i}": {"a": a, "b": b} for i, (a, b) in enumerate(pairs)}


@pytest.mark.parametrize(
    ("cells", "kappa", "observed"),
    [
        ((20, 5, 10, 15), 0.4, 0.7),  # Wikipedia, "Cohen's kappa", simple example
        ((45, 15, 25, 15), 0.06 / 0.46, 0.6),  # same agreement, different marginals: 0.1304
        ((25, 35, 5, 35), 0.14 / 0.54, 0.6),  # ... and 0.2593
    ],
)
def test_cohen_kappa_textbook_tables(
    cells: tuple[int, int, int, int], kappa: float, observed: float
) -> None:
    table = _two_by_two(*cells)
    assert cohen_kappa(table, "a", "b") == pytest.approx(kappa, abs=1e-12)
    assert cohen_kappa(table, "b", "a") == pytest.approx(kappa, abs=1e-12)
    assert_close(cohen_kappa(table, "a", "b"), oracle_kappa(table, "a", "b"))
    result = measure_agreement(table)
    assert result.cohen_kappa == pytest.approx(kappa, abs=1e-12)
    assert result.percent_agreement == pytest.approx(observed, abs=1e-12)
    assert_close(result.krippendorff_alpha, oracle_alpha(table))


# --- random tables against the oracles -------------------------------------------------


@st.composite
def tables(draw: st.DrawFn) -> dict[str, dict[str, str | None]]:
    coders = [f"coder{i}" for i in range(draw(st.integers(2, 5)))]
    values = [f"v{i}" for i in range(draw(st.integers(2, 5)))]
    missing_weight = draw(st.integers(0, 4))  # from no missing values to mostly missing
    cell = st.sampled_from([None] * missing_weight + values)
    table: dict[str, dict[str, str | None]] = {}
    for unit in range(draw(st.integers(1, 40))):
        by_coder: dict[str, str | None] = {}
        for coder in coders:
            value = draw(cell)
            # Missing comes as None, as "", or as a coder absent from the unit.
            if value is None:
                how = draw(st.sampled_from(["none", "blank", "absent"]))
                if how != "absent":
                    by_coder[coder] = None if how == "none" else "  "
            else:
                by_coder[coder] = draw(st.sampled_from([value, f" {value} "]))
        table[f"unit{unit}"] = by_coder
    return table


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(tables())
def test_random_tables_match_the_oracles(table: dict[str, dict[str, str | None]]) -> None:
    assert_close(krippendorff_alpha_nominal(table), oracle_alpha(table))
    assert_close(cohen_kappa(table, "coder0", "coder1"), oracle_kappa(table, "coder0", "coder1"))
    assert_close(percent_agreement(table), brute_percent_agreement(table))
    result = measure_agreement(table)
    assert result.krippendorff_alpha == krippendorff_alpha_nominal(table)
    coders = {c for by in table.values() for c in by}
    if len(coders) == 2:
        assert result.cohen_kappa == cohen_kappa(table, *sorted(coders))
    else:
        assert result.cohen_kappa is None


def test_seeded_large_table_matches_the_oracle() -> None:
    rng = np.random.default_rng(7)
    table = {
        f"u{u}": {
            f"c{c}": None if rng.random() < 0.3 else f"code{rng.integers(0, 6)}" for c in range(6)
        }
        for u in range(500)
    }
    assert_close(krippendorff_alpha_nominal(table), oracle_alpha(table))
    assert_close(cohen_kappa(table, "c2", "c4"), oracle_kappa(table, "c2", "c4"))


# --- degenerate tables -----------------------------------------------------------------


def test_one_value_everywhere_leaves_alpha_and_kappa_undefined() -> None:
    table = {"u1": {"a": "x", "b": "x"}, "u2": {"a": "x", "b": "x"}, "u3": {"a": "y"}}
    result = measure_agreement(table)
    # "y" is in no pairable unit, so the expected disagreement is 0: alpha is 0/0.
    assert result.krippendorff_alpha is None
    assert result.cohen_kappa is None  # pe == 1
    assert result.percent_agreement == 1.0
    assert (result.units, result.coders, result.pairable_units) == (3, 2, 2)


def test_no_pairable_units_gives_no_figures() -> None:
    table: Ratings = {"u1": {"a": "x", "b": None}, "u2": {"a": "", "b": "y"}, "u3": {}}
    assert measure_agreement(table) == Agreement(3, 2, 0, None, None, None)
    assert measure_agreement({}) == Agreement(0, 0, 0, None, None, None)


def test_kappa_of_an_unknown_coder_is_none() -> None:
    assert cohen_kappa({"u1": {"a": "x", "b": "x"}}, "a", "nobody") is None


def test_values_compare_after_stripping_and_results_are_plain_floats() -> None:
    table = {"u1": {"a": " x", "b": "x "}, "u2": {"a": "y", "b": "\ty"}}
    result = measure_agreement(table)
    assert result.percent_agreement == 1.0 and result.krippendorff_alpha == 1.0
    assert result.cohen_kappa == 1.0
    for figure in (result.percent_agreement, result.krippendorff_alpha, result.cohen_kappa):
        assert type(figure) is float
    assert list(result.as_json()) == JSON_KEYS


# --- reading CSV files -----------------------------------------------------------------


def test_reads_the_two_coder_file() -> None:
    ratings = read_agreement_csv(DATA / "two_coders.csv")
    assert len(ratings) == 12 and ratings["u01"] == {"sam": "support", "alex": "support"}
    assert ratings["u07"] == {"sam": "support", "alex": None}


def test_reads_bom_mixed_case_header_extra_columns_and_blank_values() -> None:
    ratings = read_agreement_csv(DATA / "three_coders.csv")
    # The BOM and "Unit " did not hide the unit column, and the note column is ignored.
    assert next(iter(ratings)) == "p1-s1" and len(ratings) == 10
    assert ratings["p2-s2"] == {"sam": "cost", "jo": "cost"}
    assert ratings["p1-s3"]["alex"] is None
    assert ratings["p3-s2"] == {"sam": None, "alex": None}


def test_spreadsheet_blank_rows_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "blank_rows.csv"
    path.write_text("unit,coder,value\r\nu1,a,x\r\n,,\r\n\r\nu1,b,x\r\n", encoding="utf-8")
    assert read_agreement_csv(path) == {"u1": {"a": "x", "b": "x"}}


@pytest.mark.parametrize(
    ("content", "row", "problem"),
    [
        (b"unit,coder\nu1,a\n", 1, "missing value"),
        (b"Unit,Value\nu1,x\n", 1, "missing coder"),
        (b"unit,coder,value\nu1,a,x\n,b,x\n", 3, "without a unit or a coder"),
        (b"unit,coder,value\nu1,a,x\nu1, ,x\n", 3, "without a unit or a coder"),
        (b"unit,coder,value\nu1,a,x\nu1,b,y\nu1,a,x\n", 4, "coder 'a' twice for unit 'u1'"),
        (b"unit,coder,value\nu1,a,x\nu2,a,caf\xe9\n", 3, "not UTF-8"),
        (b"unit,coder,value\n", None, "no rows"),
        (b"", None, "empty"),
    ],
)
def test_csv_errors_name_the_file_and_row(
    tmp_path: Path, content: bytes, row: int | None, problem: str
) -> None:
    path = tmp_path / "codings_export.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError) as caught:
        read_agreement_csv(path)
    message = str(caught.value)
    assert "codings_export.csv" in message and problem in message
    assert caught.value.row == row
    if row is not None:
        assert f"row {row}" in message


def test_missing_file_is_an_input_file_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as caught:
        read_agreement_csv(tmp_path / "not_there.csv")
    assert "not_there.csv" in str(caught.value) and caught.value.row is None


# --- the command -----------------------------------------------------------------------


def _oracle_figures(path: Path) -> dict[str, float | None]:
    ratings = read_agreement_csv(path)
    coders = sorted({c for by in ratings.values() for c in by})
    return {
        "percent_agreement": brute_percent_agreement(ratings),
        "krippendorff_alpha": oracle_alpha(ratings),
        "cohen_kappa": oracle_kappa(ratings, *coders) if len(coders) == 2 else None,
    }


def _check_json(output: str, path: Path, units: int, coders: int) -> None:
    data = json.loads(output)
    assert list(data) == JSON_KEYS
    assert (data["units"], data["coders"]) == (units, coders)
    for key, expected in _oracle_figures(path).items():
        if expected is None:
            assert data[key] is None
        else:
            # JSON floats round-trip, so this is far tighter than 3 decimals.
            assert abs(data[key] - expected) < 1e-9, key


@pytest.mark.parametrize(
    ("name", "units", "coders"),
    [("two_coders.csv", 12, 2), ("three_coders.csv", 10, 3), ("krippendorff_2011.csv", 12, 4)],
)
def test_cli_json_matches_the_oracles(name: str, units: int, coders: int) -> None:
    result = CliRunner().invoke(agreement_command, [str(DATA / name), "--json"])
    assert result.exit_code == 0, result.output
    _check_json(result.output, DATA / name, units, coders)
    if coders != 2:
        assert json.loads(result.output)["cohen_kappa"] is None


def test_cli_table_for_people() -> None:
    result = CliRunner().invoke(agreement_command, [str(DATA / "krippendorff_2011.csv")])
    assert result.exit_code == 0, result.output
    lines = {line.rsplit(maxsplit=1)[0]: line.split()[-1] for line in result.output.splitlines()}
    assert lines == {
        "units": "12",
        "coders": "4",
        "pairable units": "11",
        "percent agreement": "0.818",
        "Krippendorff's alpha": "0.743",
        "Cohen's kappa": "n/a",
    }


def test_cli_error_names_the_file_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text("unit,coder,value\nu1,a,x\nu1,a,x\n", encoding="utf-8")
    result = CliRunner().invoke(agreement_command, [str(path), "--json"])
    assert result.exit_code == 1
    assert "twice.csv, row 3" in result.output
    missing = CliRunner().invoke(agreement_command, [str(tmp_path / "gone.csv")])
    assert missing.exit_code == 1 and "gone.csv" in missing.output


def test_python_m_analysis_agreement() -> None:
    from analysis.cli import cli

    if "agreement" not in cli.commands:
        pytest.skip("the agreement command is not registered in analysis/cli.py yet")
    path = DATA / "three_coders.csv"
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "agreement", str(path), "--json"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    _check_json(done.stdout, path, 10, 3)
    assert json.loads(done.stdout)["cohen_kappa"] is None
