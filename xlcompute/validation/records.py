"""One row of a validation table, and the reader of the validation CSV files."""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..core.errors import XlcomputeError


@dataclass(frozen=True)
class Comparison:
    """One validation row: what was measured, what the model predicts, and where it comes from."""

    id: str
    kind: str  # "serving" or "training"
    case: str
    metric: str
    measured: float
    predicted: float
    source: str
    setup: str = ""
    inside_band: bool | None = None  # training: published MFU inside the regime's 80% band

    @property
    def error(self) -> float:
        """Relative error, predicted / measured − 1."""
        return self.predicted / self.measured - 1.0

    @property
    def ratio(self) -> float:
        """max(predicted/measured, measured/predicted): 1 is exact, 2 is a factor of two."""
        r = self.predicted / self.measured
        return max(r, 1 / r)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "error": self.error, "ratio": self.ratio}


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a validation CSV as dicts of strings."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except OSError as exc:
        raise XlcomputeError(f"validation data: cannot read {path} ({exc.strerror or exc}).") from exc
