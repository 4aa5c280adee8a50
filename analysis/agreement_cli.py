"""`python -m analysis agreement`: inter-coder agreement of a `unit,coder,value` CSV.

A click command for the main group in `analysis/cli.py`, registered there with
`cli.add_command(agreement_command)`. It needs no study database: it reads the file,
calls `analysis.agreement` and prints. `--json` prints `Agreement.as_json()` only, so the
output can be piped.
"""

from __future__ import annotations

import json

import click

from analysis.agreement import Agreement, measure_agreement, read_agreement_csv
from analysis.errors import StudyError


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _summary(result: Agreement) -> str:
    rows = [
        ("units", str(result.units)),
        ("coders", str(result.coders)),
        ("pairable units", str(result.pairable_units)),
        ("percent agreement", _figure(result.percent_agreement)),
        ("Krippendorff's alpha", _figure(result.krippendorff_alpha)),
        ("Cohen's kappa", _figure(result.cohen_kappa)),
    ]
    return "\n".join(f"{label:<22}{value:>8}" for label, value in rows)


@click.command("agreement")
@click.argument("csv_file", metavar="CSV", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def agreement_command(csv_file: str, as_json: bool) -> None:
    """Inter-coder agreement (percent agreement, Krippendorff's alpha, and Cohen's kappa
    for exactly two coders) of a CSV with columns unit,coder,value, one row per coder per
    unit; a blank value means the coder gave none. Figures are for nominal values; n/a
    (null in JSON) means the figure is undefined for this table."""
    try:
        result = measure_agreement(read_agreement_csv(csv_file))
    except StudyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(result.as_json()) if as_json else _summary(result))
