"""Grid carbon intensity: ``data/grid_intensity.csv``, one row per region [kg CO2e/kWh], sourced and dated.

Each row is the average carbon intensity of the electricity grid that supplies a region
(today: Google Cloud's regions, from Google's published region carbon data), for the CO2E_KG
function. Regions resolve by id (``us-central1``) or location (``Iowa``), ignoring case.

User rows: ``grid_intensity.csv`` in the user catalog directory, same columns (a row with a
shipped id replaces it; others are added), e.g. a site's own utility factor. Standard library only.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import Any

from ..core.errors import XlcomputeError
from ._data import Index, build_catalog, check_required, check_row, split_list, typed_fields
from .user_dir import FileKey, user_file, user_rows

REQUIRED_COLUMNS = ("id", "location", "kg_co2e_per_kwh", "source", "date")
#: Above the dirtiest grids (lignite, about 1.1 kg/kWh): a value in g/kWh by mistake is caught.
MAX_KG_PER_KWH = 2.0


@dataclass(frozen=True)
class GridIntensity:
    """Carbon intensity of a region's grid [kg CO2e/kWh] in a data year."""

    id: str
    location: str
    kg_co2e_per_kwh: float
    source: str
    date: str
    year: int = 0
    notes: str = ""
    origin: str = "catalog"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _grid_from_row(row: dict[str, str], where: str, origin: str = "catalog") -> GridIntensity:
    check_row(row, where, ("source",))
    label = f"{where} ({row['id']})"
    check_required(row, label, REQUIRED_COLUMNS)
    values = typed_fields(GridIntensity, row, label)
    if not values["kg_co2e_per_kwh"] <= MAX_KG_PER_KWH:
        raise XlcomputeError(f"{label}, column kg_co2e_per_kwh: expected kg per kWh (at most {MAX_KG_PER_KWH:g}), "
                             f"found {row['kg_co2e_per_kwh']!r}; g/kWh divided by 1000 is kg/kWh.", argument="catalog")
    values.pop("origin", None)
    return GridIntensity(origin=origin, **values)


@functools.lru_cache(maxsize=4)
def _load(user: FileKey | None) -> tuple[dict[str, GridIntensity], Index]:
    return build_catalog("grid_intensity.csv", "region", _grid_from_row,
                         lambda grid, row: (grid.location, *split_list(row.get("aliases", ""))),
                         user_rows(user, REQUIRED_COLUMNS))


def _catalog() -> tuple[dict[str, GridIntensity], Index]:
    return _load(user_file("grid_intensity.csv"))


def list_grid_intensities() -> list[GridIntensity]:
    """Every region's row, in file order."""
    return list(_catalog()[0].values())


def get_grid_intensity(region: Any) -> GridIntensity:
    """The grid intensity of a region by id or location ("us-central1", "Iowa")."""
    if region is None or str(region).strip() == "":
        raise XlcomputeError("region: expected a region id such as 'us-central1', found nothing.", argument="region")
    rows, index = _catalog()
    return rows[index.resolve(region)]
