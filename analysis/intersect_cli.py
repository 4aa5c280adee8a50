"""`python -m analysis matrix`: the intersectional view from the command line."""

from __future__ import annotations

import click

from analysis.cli_common import Context, emit
from analysis.intersect import ROW_KINDS, Matrix, intersection_matrix


def _matrix_text(matrix: Matrix) -> str:
    """A plain table: a group-size line, then one line per code or theme."""
    hidden = f"suppressed (<{matrix.k})"
    header = [matrix.rows_kind[:-1], *(column.label for column in matrix.columns)]
    sizes = ["group size", *(hidden if c.suppressed else str(c.group_size) for c in matrix.columns)]
    lines = [header, sizes] + [
        [row.name, *(hidden if cell.suppressed else str(cell.participants) for cell in row.cells)]
        for row in matrix.rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    table = [
        " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in lines
    ]
    table.insert(1, "-+-".join("-" * w for w in widths))
    note = (
        f"participants in whom each {matrix.rows_kind[:-1]} occurs; "
        f"groups of fewer than {matrix.k} participants are suppressed"
    )
    return "\n".join([note, "", *(line.rstrip() for line in table)])


@click.command("matrix")
@click.option(
    "--rows",
    type=click.Choice(ROW_KINDS),
    required=True,
    help="Count codes (the current codebook) or themes.",
)
@click.option(
    "--by",
    required=True,
    help="One to three participant attributes, comma-separated (e.g. disability,fee_status).",
)
@click.option(
    "--k",
    "k",
    type=int,
    help="Suppress groups smaller than this (default: the project's setting, 5 unless changed).",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def matrix_command(obj: Context, rows: str, by: str, k: int | None, as_json: bool) -> None:
    """Participants in whom each code or theme occurs, by attribute combination;
    small groups suppressed."""
    attributes = [name.strip() for name in by.split(",") if name.strip()]
    with obj.study() as (store, project):
        matrix = intersection_matrix(
            store, project.id, rows=rows, by=attributes, actor=obj.user, k=k
        )
    emit(matrix.as_json(), as_json, _matrix_text(matrix))


COMMANDS = [matrix_command]
