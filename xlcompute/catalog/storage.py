"""Object storage list prices: ``data/storage_prices.csv``, one row per service and region [USD per TB-month], sourced and dated.

A training program keeps its checkpoints (``CHECKPOINT_TB``) in object storage for the months
it runs; STORAGE_TB_PRICE prices them from this catalog. A price is per decimal terabyte
(10^12 bytes) a month; providers quote binary gigabytes (GiB) an hour or a month, and each
row's notes show the conversion. Rows resolve by id (``gcs-standard-us-central1``) or an alias
(``gcp``), ignoring case.

User rows: ``storage_prices.csv`` in the user catalog directory, same columns (a row with a
shipped id replaces it; others are added), e.g. a contracted price. Standard library only.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import Any

from ..core.errors import XlcomputeError
from ._data import Index, build_catalog, check_required, check_row, split_list, typed_fields
from .user_dir import FileKey, user_file, user_rows

REQUIRED_COLUMNS = ("id", "provider", "usd_per_tb_month", "source", "date")
#: Far above any object storage list price (about 20 USD per TB-month): a price per GB by
#: mistake (x1000 too small) passes, a price per PB is caught.
MAX_USD_PER_TB_MONTH = 10_000.0


@dataclass(frozen=True)
class StoragePrice:
    """A storage service's list price in a region [USD per TB-month]."""

    id: str
    provider: str
    usd_per_tb_month: float
    source: str
    date: str
    service: str = ""
    region: str = ""
    notes: str = ""
    origin: str = "catalog"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _storage_from_row(row: dict[str, str], where: str, origin: str = "catalog") -> StoragePrice:
    check_row(row, where, ("source",))
    label = f"{where} ({row['id']})"
    check_required(row, label, REQUIRED_COLUMNS)
    values = typed_fields(StoragePrice, row, label)
    if not 0 <= values["usd_per_tb_month"] <= MAX_USD_PER_TB_MONTH:
        raise XlcomputeError(f"{label}, column usd_per_tb_month: expected USD per TB-month between 0 and "
                             f"{MAX_USD_PER_TB_MONTH:g}, found {row['usd_per_tb_month']!r}.", argument="catalog")
    values.pop("origin", None)
    return StoragePrice(origin=origin, **values)


@functools.lru_cache(maxsize=4)
def _load(user: FileKey | None) -> tuple[dict[str, StoragePrice], Index]:
    return build_catalog("storage_prices.csv", "storage", _storage_from_row,
                         lambda price, row: split_list(row.get("aliases", "")), user_rows(user, REQUIRED_COLUMNS))


def _catalog() -> tuple[dict[str, StoragePrice], Index]:
    return _load(user_file("storage_prices.csv"))


def list_storage_prices() -> list[StoragePrice]:
    """Every storage price row, in file order."""
    return list(_catalog()[0].values())


def get_storage_price(storage: Any) -> StoragePrice:
    """A storage price by id or alias ("gcs-standard-us-central1", "gcp")."""
    if storage is None or str(storage).strip() == "":
        raise XlcomputeError("storage: expected a storage id such as 'gcs-standard-us-central1', found nothing.",
                             argument="storage")
    rows, index = _catalog()
    return rows[index.resolve(storage)]
