"""API list prices per million tokens: ``data/api_prices.csv``, one row per (model, provider), sourced and dated.

Input and output tokens are priced separately [USD per million tokens]. Open models (Llama
3.1 70B/405B, DeepSeek-V3) appear once per hosting provider; closed models (GPT-4o, Claude)
once, at their vendor, for comparison. ``model`` is a models-catalog id where the model is in
that catalog, so "meta-llama/Llama-3.1-70B-Instruct" finds the ``llama-3.1-70b`` rows.

Default choice: :func:`get_api_price` without a provider returns the *median* row by output
price (the lower of the two middle rows for an even count), so it is always a real, sourced
quote, as :func:`xlcompute.catalog.prices.get_price` does for GPU-hours.

User rows: ``api_prices.csv`` in the user catalog directory, same columns; a row with the
``model`` and ``provider`` of another replaces it, others are added. Standard library only.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass
from typing import Any

from ..core.errors import XlcomputeError, closest
from ._data import check_required, check_row, lookup_key, read_data_rows
from .models import get_model
from .user_dir import FileKey, user_file, user_rows

REQUIRED_COLUMNS = ("model", "provider", "usd_per_mtok_input", "usd_per_mtok_output", "source", "date")
DIRECTIONS = ("input", "output")


@dataclass(frozen=True)
class ApiPrice:
    """One provider's list price for one model [USD per million tokens]."""

    model: str
    provider: str
    usd_per_mtok_input: float
    usd_per_mtok_output: float
    source: str
    date: str
    api_model: str = ""  # the provider's own name of the model
    notes: str = ""
    origin: str = "catalog"

    @property
    def key(self) -> tuple[str, str]:
        return self.model, lookup_key(self.provider)

    def usd_per_mtok(self, direction: str = "output") -> float:
        return self.usd_per_mtok_input if direction == "input" else self.usd_per_mtok_output

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _price_from_row(row: dict[str, str], where: str, origin: str) -> ApiPrice:
    check_row(row, where, ("source",), id_column="model")
    label = f"{where} ({row['model']})"
    check_required(row, label, REQUIRED_COLUMNS)
    numbers = {}
    for column in ("usd_per_mtok_input", "usd_per_mtok_output"):
        try:
            numbers[column] = float(row[column])
        except ValueError as exc:
            raise XlcomputeError(f"{label}, column {column}: expected a number, found {row[column]!r}.",
                                 argument="catalog") from exc
        if not (0 <= numbers[column] < math.inf):
            raise XlcomputeError(f"{label}, column {column}: expected a price of 0 or more, found {row[column]!r}.",
                                 argument="catalog")
    return ApiPrice(model=row["model"], provider=row["provider"], source=row["source"], date=row["date"],
                    api_model=row.get("api_model", ""), notes=row.get("notes", ""), origin=origin, **numbers)


def _rows(file: str, rows: list[tuple[int, dict[str, str]]], origin: str) -> dict[tuple[str, str], ApiPrice]:
    found: dict[tuple[str, str], ApiPrice] = {}
    for line, row in rows:
        price = _price_from_row(row, f"{file}, line {line}", origin)
        if price.key in found:
            raise XlcomputeError(f"{file}, line {line}: expected one row per model and provider, found "
                                 f"{price.model} / {price.provider} again.", argument="catalog")
        found[price.key] = price
    return found


@functools.lru_cache(maxsize=4)
def _load(user: FileKey | None) -> tuple[ApiPrice, ...]:
    merged = _rows("api_prices.csv", read_data_rows("api_prices.csv"), "catalog")
    loaded = user_rows(user, REQUIRED_COLUMNS)
    if loaded is not None:
        path, rows = loaded
        merged.update(_rows(f"catalog file {path!r}", rows, path))
    return tuple(merged.values())


def list_api_prices(model: Any = None) -> list[ApiPrice]:
    """Every API price row (shipped, then the user catalog directory's), optionally of one model."""
    rows = list(_load(user_file("api_prices.csv")))
    if model is None:
        return rows
    model_id = api_model_id(model)
    return [p for p in rows if p.model == model_id]


def api_model_id(model: Any) -> str:
    """The ``model`` of the price rows that ``model`` names: a row's model, or the models-catalog
    id it resolves to ("Llama 3.1 70B", "meta-llama/Llama-3.1-70B-Instruct" -> ``llama-3.1-70b``)."""
    text = "" if model is None else str(model).strip()
    if not text:
        raise XlcomputeError("model: expected a model id such as 'llama-3.1-70b' or 'gpt-4o', found nothing.",
                             argument="model")
    known = sorted({p.model for p in _load(user_file("api_prices.csv"))})
    by_key = {lookup_key(m): m for m in known}
    if lookup_key(text) in by_key:
        return by_key[lookup_key(text)]
    try:
        catalog_id = get_model(text).id
    except XlcomputeError:
        catalog_id = ""
    if catalog_id in known:
        return catalog_id
    hints = closest(text, known)
    raise XlcomputeError(f"model: no API price for {text!r}" + (f" ({catalog_id})" if catalog_id else "")
                         + f"; models with one: {', '.join(known)}.", argument="model", suggestions=hints or known[:5])


def get_api_price(model: Any, provider: Any = None) -> ApiPrice:
    """The API price row of ``model``: ``provider``'s, or the median over providers by output price."""
    model_id = api_model_id(model)
    rows = list_api_prices(model_id)
    if provider is not None and str(provider).strip():
        wanted = lookup_key(provider)
        matching = [p for p in rows if lookup_key(p.provider) == wanted]
        if not matching:
            providers = sorted(p.provider for p in rows)
            raise XlcomputeError(f"provider: no API price for {model_id} from {str(provider)!r}; providers with one: "
                                 f"{', '.join(providers)}.", argument="provider", suggestions=providers)
        return matching[0]
    rows.sort(key=lambda p: (p.usd_per_mtok_output, p.usd_per_mtok_input, p.provider))
    return rows[(len(rows) - 1) // 2]
