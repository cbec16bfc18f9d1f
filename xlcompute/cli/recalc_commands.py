"""``xlcompute recalc``: compute every formula of a workbook and store the values in it."""

from __future__ import annotations

from pathlib import Path

import click

from . import main


@main.command()
@click.argument("workbook", type=click.Path(path_type=Path))  # a missing file: the guard's one message, exit 2
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the recalculated workbook here. Default: replace WORKBOOK (atomically).")
def recalc(workbook: Path, output: Path | None) -> None:
    """Recalculate WORKBOOK headlessly and write each formula's value as its cached value.

    Only the cached values change (of formulas, and of the cells array formulas fill), and the file
    no longer asks Excel to recalculate on opening: formulas, names, tables, formats and every other
    part of the file stay as they were. Nothing is written if a formula cannot be evaluated.
    """
    from ..workbook.recalc import recalc as run  # noqa: PLC0415

    result = run(workbook, output)
    for issue in result.errors[:8]:
        click.echo(f"{workbook}: {issue}", err=True)
    if len(result.errors) > 8:
        click.echo(f"{workbook}: and {len(result.errors) - 8} more cell(s) showing Excel errors", err=True)
    shown = f"; {len(result.errors)} show Excel errors" if result.errors else ""
    spilled = f" (and {result.spilled:,} cell(s) their arrays fill)" if result.spilled else ""
    click.echo(f"Recalculated {result.formulas:,} formula(s){spilled} of {workbook}{shown}; wrote {result.output}")
