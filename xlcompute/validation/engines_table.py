"""Rewrite ``core/serving_engines.csv`` from the per-engine fits: the shipped settings are the fit.

Documented rows (name, memory settings with their citations) are kept as they are; every fitted
setting and the 80% band of every engine come from :func:`xlcompute.validation.serving.refit_engines`.
``python -c 'from xlcompute.validation.engines_table import write_engines; write_engines()'``
rewrites the file (about a minute); ``tests/test_validation.py`` fails when it is not the fit.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ..core.serving_engines import ENGINES_CSV
from .serving import refit_engines

HEADER = ("engine", "setting", "value", "basis", "source")
BAND_BASIS = {"band_low": "10th percentile of out-of-source measured/predicted speed (sources weighted equally)",
              "band_high": "90th percentile of out-of-source measured/predicted speed (sources weighted equally)"}


def _number(value: float) -> str:
    return f"{value:.6g}"


def engines_csv_text(fits: dict[str, dict[str, Any]], path: Path = ENGINES_CSV) -> str:
    """The CSV with the documented rows of ``path`` and the fitted rows and bands of ``fits``."""
    with path.open(encoding="utf-8", newline="") as handle:
        old = list(csv.DictReader(handle))
    out = io.StringIO()
    writer = csv.writer(out)  # CRLF, as csv writes by default and the shipped file has
    writer.writerow(HEADER)
    engines = list(dict.fromkeys([row["engine"] for row in old] + list(fits)))
    for engine in engines:
        fit = fits.get(engine)
        fitted_names = set(fit["settings"]) if fit else set()
        kept = [row for row in old if row["engine"] == engine and row["setting"] not in BAND_BASIS
                and not (fit and (row["setting"] in fitted_names or row["basis"].startswith("fitted")))]
        for row in kept:
            writer.writerow([row[c] for c in HEADER])
        if not fit:
            continue
        source = "; ".join(key.split(" | ", 1)[-1] for key in fit["sources"])
        for name, value in fit["settings"].items():
            writer.writerow([engine, name, _number(value), f"fitted on {fit['rows']} rows", source])
        for name, value in zip(BAND_BASIS, fit["band"]):
            writer.writerow([engine, name, f"{value:.3f}", BAND_BASIS[name], source])
    return out.getvalue()


def write_engines(path: Path = ENGINES_CSV) -> dict[str, dict[str, Any]]:
    """Refit every engine and rewrite ``path``; returns the fits."""
    fits = refit_engines()
    text = engines_csv_text(fits, path)  # read the documented rows before the file is truncated
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    return fits


__all__ = ["engines_csv_text", "write_engines"]
