"""GPU prices: ``data/prices.csv``, one row per (GPU, provider, pricing model, region), each
with its source and date. Instance prices are divided by the GPUs per instance.

User overrides: ``prices.csv`` in the user catalog directory (``XLCOMPUTE_CATALOG_DIR``, see
:mod:`xlcompute.catalog.user_dir`), then a CSV with the same columns passed as ``prices_file=``
or named by the ``XLCOMPUTE_PRICES`` environment variable, are read after the shipped file. A
user row replaces the earlier row with the same ``gpu_id``, ``provider``, ``pricing`` and
``region``; other user rows are added.

Default choice: ``get_price(gpu)`` without a provider returns the *median* row among the
matching pricing model's rows for that GPU (for an even count, the lower of the two middle
rows, so the answer is always a real quoted price with its source).
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..core.errors import XlcomputeError, check_choice, closest
from ._data import lookup_key, read_data_rows, read_user_csv
from .gpus import get_gpu
from .user_dir import CATALOG_DIR_ENV, FileKey, file_key, user_file, user_rows

PRICES_ENV = "XLCOMPUTE_PRICES"
REQUIRED_COLUMNS = ("gpu_id", "provider", "pricing", "region", "usd_per_gpu_hour", "source", "date")
# Every term a price row may name; shipped_pricing_models() says which the shipped rows use.
# "committed" (a commitment of unstated term) and "custom" (a negotiated quote) are kept for
# user price files.
PRICING_MODELS = ("on_demand", "spot", "capacity_block", "reserved_1y", "reserved_3y", "committed_use_1y",
                  "committed_use_3y", "savings_plan_1y", "savings_plan_3y", "committed", "custom")


@dataclass(frozen=True)
class Price:
    """One quoted price per GPU-hour [USD/(GPU·h)]."""

    gpu_id: str
    provider: str
    pricing: str
    region: str
    usd_per_gpu_hour: float
    source: str
    date: str
    instance: str = ""
    gpus_per_instance: int = 1
    usd_per_instance_hour: float = 0.0
    notes: str = ""
    origin: str = "catalog"  # "catalog" or the path of the user file it came from

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.gpu_id, self.provider.lower(), self.pricing, self.region.lower())


def _pricing_key(pricing: Any) -> str:
    return str(pricing).strip().lower().replace("-", "_").replace(" ", "_")


def _price_from_row(row: dict[str, str], label: str, origin: str) -> Price:
    for column in REQUIRED_COLUMNS:
        if not row.get(column):
            raise XlcomputeError(f"{label}, column {column}: expected a value, found nothing.", argument="prices_file")
    try:
        gpu = get_gpu(row["gpu_id"]).id  # validates the id, accepts aliases
    except XlcomputeError as exc:
        raise XlcomputeError(f"{label}, column gpu_id: {str(exc).split(': ', 1)[-1]}", argument="prices_file",
                             suggestions=exc.suggestions) from exc
    pricing = _pricing_key(row["pricing"])
    if pricing not in PRICING_MODELS:
        raise XlcomputeError(f"{label}: pricing {row['pricing']!r} is not one of {', '.join(PRICING_MODELS)}.",
                             argument="prices_file", suggestions=closest(pricing, PRICING_MODELS))
    numbers = []
    for column, default in (("usd_per_gpu_hour", ""), ("gpus_per_instance", "1"), ("usd_per_instance_hour", "0")):
        text = row.get(column) or default
        try:
            numbers.append(float(text))
        except ValueError as exc:
            raise XlcomputeError(f"{label}, column {column}: expected a number, found {text!r}.",
                                 argument="prices_file") from exc
    usd, gpus, instance_usd = numbers
    if not (0 < usd < math.inf and gpus >= 1 and gpus.is_integer() and 0 <= instance_usd < math.inf):
        raise XlcomputeError(f"{label}: usd_per_gpu_hour must be > 0, gpus_per_instance a whole number >= 1 and "
                             f"usd_per_instance_hour >= 0, found {usd:g}, {gpus:g} and {instance_usd:g}.",
                             argument="prices_file")
    return Price(gpu_id=gpu, provider=row["provider"].strip(), pricing=pricing, region=row["region"].strip(),
                 usd_per_gpu_hour=usd, source=row["source"], date=row["date"], instance=row.get("instance", ""),
                 gpus_per_instance=int(gpus), usd_per_instance_hour=instance_usd, notes=row.get("notes", ""),
                 origin=origin)


@functools.lru_cache(maxsize=1)
def _shipped() -> tuple[Price, ...]:
    return tuple(_price_from_row(row, f"prices.csv, line {line}", "catalog") for line, row in read_data_rows("prices.csv"))


def shipped_pricing_models() -> tuple[str, ...]:
    """The pricing models the shipped price rows quote, in :data:`PRICING_MODELS` order."""
    used = {p.pricing for p in _shipped()}
    return tuple(m for m in PRICING_MODELS if m in used)


@functools.lru_cache(maxsize=8)
def _user(key: FileKey, gpus: FileKey | None, in_catalog_dir: bool) -> tuple[Price, ...]:
    """The rows of one user price file (``key`` as :func:`user_file` gives); ``gpus`` (the user
    gpus.csv, which the GPU ids resolve against) is part of the cache key only."""
    path = key[0]
    if in_catalog_dir:
        _, rows = user_rows(key, REQUIRED_COLUMNS)
        what = "catalog file"
    else:
        rows = read_user_csv(path, REQUIRED_COLUMNS)
        what = "prices file"
    return tuple(_price_from_row(row, f"{what} {path!r}, line {line}", path) for line, row in rows)


def _prices_file(prices_file: str | Path | None) -> FileKey | None:
    """The key of the prices file named by ``prices_file`` or ``XLCOMPUTE_PRICES``, if any."""
    chosen = prices_file if prices_file is not None else os.environ.get(PRICES_ENV) or None
    if not chosen:
        return None
    return file_key(str(Path(chosen).expanduser()), "prices file", "prices_file")


def list_prices(gpu: Any = None, *, prices_file: str | Path | None = None) -> list[Price]:
    """All price rows: shipped, then the user catalog directory's prices.csv, then the prices
    file (``prices_file`` or ``XLCOMPUTE_PRICES``); a later row replaces an earlier one with the
    same GPU, provider, pricing and region. Optionally for one GPU only."""
    merged: dict[tuple[str, str, str, str], Price] = {p.key: p for p in _shipped()}
    gpus = user_file("gpus.csv")
    for key, in_catalog_dir in ((user_file("prices.csv"), True), (_prices_file(prices_file), False)):
        if key is not None:
            merged.update((price.key, price) for price in _user(key, gpus, in_catalog_dir))
    rows = list(merged.values())
    if gpu is not None:
        gpu_id = get_gpu(gpu).id
        rows = [p for p in rows if p.gpu_id == gpu_id]
    return rows


def get_price(gpu: Any, provider: str | None = None, pricing: str = "on_demand", *,
              region: str | None = None, prices_file: str | Path | None = None) -> Price:
    """The price of one GPU-hour of ``gpu``.

    ``provider=None`` picks the median quote among the rows of that pricing model (lower
    middle for an even count). With ``provider`` (case-insensitive) and optionally
    ``region``, the cheapest matching row is returned.
    """
    gpu_id = get_gpu(gpu).id
    pricing_key = _pricing_key(pricing)
    check_choice("pricing", pricing_key, PRICING_MODELS)
    rows = [p for p in list_prices(gpu_id, prices_file=prices_file) if p.pricing == pricing_key]
    if provider is not None:
        wanted = lookup_key(provider)
        providers = sorted({p.provider for p in rows})
        rows = [p for p in rows if lookup_key(p.provider) == wanted]
        if not rows:
            raise XlcomputeError(
                f"provider: no {pricing_key} price for {gpu_id} from {provider!r}; providers with one: "
                f"{', '.join(providers) or 'none'}.", argument="provider", suggestions=providers)
    if region is not None:
        rows = [p for p in rows if lookup_key(p.region) == lookup_key(region)]
    if not rows:
        available = sorted({p.pricing for p in list_prices(gpu_id, prices_file=prices_file)})
        raise XlcomputeError(
            f"gpu: no {pricing_key} price for {gpu_id}"
            + (f" in region {region!r}" if region else "")
            + (f"; pricing models with a price: {', '.join(available)}." if available else
               f"; the catalog has no price for it. Add one in prices.csv of ${CATALOG_DIR_ENV} or in a prices "
               f"file (${PRICES_ENV})."),
            argument="gpu")
    rows.sort(key=lambda p: (p.usd_per_gpu_hour, p.provider))
    if provider is not None:
        return rows[0]
    return rows[(len(rows) - 1) // 2]
