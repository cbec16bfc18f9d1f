"""GPU prices: ``data/prices.csv``, one row per (GPU, provider, pricing model, region), each
with its source and date. Instance prices are divided by the GPUs per instance.

User overrides: a CSV with the same columns, passed as ``prices_file=`` or named by the
``XLCOMPUTE_PRICES`` environment variable, is read after the shipped file. A user row
replaces the shipped row with the same ``gpu_id``, ``provider``, ``pricing`` and
``region``; other user rows are added.

Default choice: ``get_price(gpu)`` without a provider returns the *median* row among the
matching pricing model's rows for that GPU (for an even count, the lower of the two middle
rows, so the answer is always a real quoted price with its source).
"""

from __future__ import annotations

import functools
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..core.errors import XlcomputeError, check_choice, closest
from ._data import lookup_key, read_data_csv, read_user_csv
from .gpus import get_gpu

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
            raise XlcomputeError(f"{label}: column {column} is empty.", argument="prices_file")
    gpu = get_gpu(row["gpu_id"]).id  # validates the id, accepts aliases
    pricing = _pricing_key(row["pricing"])
    if pricing not in PRICING_MODELS:
        raise XlcomputeError(f"{label}: pricing {row['pricing']!r} is not one of {', '.join(PRICING_MODELS)}.",
                             argument="prices_file", suggestions=closest(pricing, PRICING_MODELS))
    try:
        usd = float(row["usd_per_gpu_hour"])
        gpus = int(float(row.get("gpus_per_instance") or 1))
        instance_usd = float(row.get("usd_per_instance_hour") or 0.0)
    except ValueError as exc:
        raise XlcomputeError(f"{label}: expected numbers in usd_per_gpu_hour/gpus_per_instance/"
                             f"usd_per_instance_hour ({exc}).", argument="prices_file") from exc
    if not usd > 0 or gpus < 1:
        raise XlcomputeError(f"{label}: usd_per_gpu_hour must be > 0 and gpus_per_instance >= 1, "
                             f"found {usd:g} and {gpus}.", argument="prices_file")
    return Price(gpu_id=gpu, provider=row["provider"].strip(), pricing=pricing, region=row["region"].strip(),
                 usd_per_gpu_hour=usd, source=row["source"], date=row["date"], instance=row.get("instance", ""),
                 gpus_per_instance=gpus, usd_per_instance_hour=instance_usd, notes=row.get("notes", ""),
                 origin=origin)


@functools.lru_cache(maxsize=1)
def _shipped() -> tuple[Price, ...]:
    return tuple(_price_from_row(row, f"prices.csv line {line}", "catalog")
                 for line, row in enumerate(read_data_csv("prices.csv"), start=2))


def shipped_pricing_models() -> tuple[str, ...]:
    """The pricing models the shipped price rows quote, in :data:`PRICING_MODELS` order."""
    used = {p.pricing for p in _shipped()}
    return tuple(m for m in PRICING_MODELS if m in used)


@functools.lru_cache(maxsize=8)
def _user(path: str, mtime: float) -> tuple[Price, ...]:
    rows = read_user_csv(path, REQUIRED_COLUMNS)
    return tuple(_price_from_row(row, f"prices file {path!r} line {line}", path)
                 for line, row in enumerate(rows, start=2))


def _user_file(prices_file: str | Path | None) -> str | None:
    chosen = prices_file if prices_file is not None else os.environ.get(PRICES_ENV) or None
    return str(Path(chosen).expanduser()) if chosen else None


def list_prices(gpu: Any = None, *, prices_file: str | Path | None = None) -> list[Price]:
    """All price rows (shipped, then user overrides applied), optionally for one GPU."""
    merged: dict[tuple[str, str, str, str], Price] = {p.key: p for p in _shipped()}
    user = _user_file(prices_file)
    if user:
        try:
            mtime = os.stat(user).st_mtime
        except OSError as exc:
            raise XlcomputeError(f"prices file {user!r}: cannot be read ({exc.strerror or exc}).",
                                 argument="prices_file") from exc
        for price in _user(user, mtime):
            merged[price.key] = price
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
               f"; the catalog has no price for it. Add one with a prices file ({PRICES_ENV})."),
            argument="gpu")
    rows.sort(key=lambda p: (p.usd_per_gpu_hour, p.provider))
    if provider is not None:
        return rows[0]
    return rows[(len(rows) - 1) // 2]
