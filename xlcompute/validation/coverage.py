"""How often held-out measurements fall inside the 80% bands a quote's range is built from.

The figures are recomputed by :func:`held_out_coverage` (serving: each engine's rows predicted by
the engine fitted without their source and checked against a band built without it,
:func:`~xlcompute.validation.serving.validation_by_engine`; training: each run's MFU against
its regime's band fitted without its source group,
:func:`~xlcompute.validation.training.out_of_source_table`) and stored in
``data/held_out_coverage.csv`` by :func:`write_coverage`, so that a report reads them in
milliseconds; a test fails when the stored file is out of date with the validation.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

COVERAGE_CSV = Path(__file__).with_name("data") / "held_out_coverage.csv"
COLUMNS = ("kind", "key", "rows", "sources", "inside")


@dataclass(frozen=True)
class Coverage:
    """Held-out rows of one engine (``kind`` serving) or of all training runs (``kind``
    training, ``key`` all), the sources they came from and the share inside the band [-]."""

    kind: str
    key: str
    rows: int
    sources: int
    inside: float


def held_out_coverage() -> list[Coverage]:
    """Recompute the coverage table from the validation data (a few seconds)."""
    from .serving import validation_by_engine  # noqa: PLC0415
    from .training import band_summary, out_of_source_table, training_rows  # noqa: PLC0415

    out = [Coverage("serving", engine, t["out_of_source"]["rows"], t["out_of_source"]["sources"],
                    round(t["out_of_source"]["band_coverage"], 3))
           for engine, t in sorted(validation_by_engine().items()) if engine != "all"]
    table = out_of_source_table()
    summary = band_summary(table)
    groups = {row["source_group"] for row in training_rows()}
    out.append(Coverage("training", "all", summary["rows"], len(groups),
                        round(summary["inside_band"], 3)))
    return out


def coverage_csv_text(table: list[Coverage]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in table:
        writer.writerow([c.kind, c.key, c.rows, c.sources, f"{c.inside:g}"])
    return buffer.getvalue()


def write_coverage(path: Path = COVERAGE_CSV) -> list[Coverage]:
    """Recompute and store the coverage table (after the validation data or fits change)."""
    table = held_out_coverage()
    path.write_text(coverage_csv_text(table), encoding="utf-8")
    return table


@lru_cache(maxsize=1)
def stored_coverage() -> dict[tuple[str, str], Coverage]:
    """The stored table, by (kind, key)."""
    with COVERAGE_CSV.open(encoding="utf-8", newline="") as handle:
        return {(r["kind"], r["key"]): Coverage(r["kind"], r["key"], int(r["rows"]), int(r["sources"]),
                                                float(r["inside"])) for r in csv.DictReader(handle)}
