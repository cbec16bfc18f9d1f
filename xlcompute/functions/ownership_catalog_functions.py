"""Excel functions that read the rent-or-buy catalogs: server purchase prices, API list prices, grid intensity.

Each resolves through a setup (:mod:`xlcompute.scenario.setups`), which records the catalog row
used (its source and date) for the breakdown and the report's sources; no arithmetic here.
"""

from __future__ import annotations

from ..core.errors import XlcomputeError, check_choice
from ..scenario.setups import api_price_per_mtok, grid_intensity, in_currency, resolve_server
from .arguments import CURRENCY, EXCHANGE_RATE
from .spec import Argument, excel_function

#: SERVER_PRICE fields: what each returns.
SERVER_FIELDS = ("usd_price", "usd_per_gpu", "gpus_per_server", "system_power_w", "gpu", "name", "vendor", "source",
                 "date", "notes")
#: SERVER_PRICE fields that are prices (converted when a currency is given).
SERVER_MONEY_FIELDS = ("usd_price", "usd_per_gpu")


@excel_function("SERVER_PRICE", [
    Argument("server", "Server: catalog id, e.g. dgx-h100, hgx-h100, hgx-h200, dgx-b200. Cell or range."),
    Argument("field", 'usd_price, usd_per_gpu, gpus_per_server, system_power_w (W, maximum), gpu (catalog id), name, '
                      'vendor, source, date or notes [optional, default "usd_price"].'),
    CURRENCY, EXCHANGE_RATE,
])
def server_price(server, field="usd_price", currency=None, exchange_rate=None):
    """Purchase price of a GPU server from the server catalog, in USD or converted at the exchange rate
    given (or another of its catalog fields, not converted)."""
    found = resolve_server(server)
    key = str(field).strip().lower()
    values = {"usd_price": found.usd_price, "usd_per_gpu": found.usd_per_gpu, "gpus_per_server": found.gpus_per_server,
              "system_power_w": found.system_power_w or None, "gpu": found.gpu_id, "name": found.name,
              "vendor": found.vendor, "source": found.source, "date": found.date, "notes": found.notes}
    check_choice("field", key, SERVER_FIELDS)
    if values[key] in (None, ""):
        raise XlcomputeError(f"field: {found.id} has no published {key}.", argument="field")
    return in_currency(values[key], currency, exchange_rate) if key in SERVER_MONEY_FIELDS else values[key]


@excel_function("API_PRICE", [
    Argument("model", "Model: e.g. llama-3.1-70b, llama-3.1-405b, deepseek-v3, gpt-4o, claude-3.5-sonnet (models-catalog "
                      "ids and Hugging Face names work). Cell or range."),
    Argument("provider", "API provider, e.g. together, fireworks, deepinfra, aws-bedrock [optional, default: the median "
                         "output price over the model's providers]."),
    Argument("direction", 'Price of input (prompt) or output (generated) tokens [optional, default "output"].'),
    CURRENCY, EXCHANGE_RATE,
])
def api_price(model, provider=None, direction="output", currency=None, exchange_rate=None):
    """API list price per million tokens of a model at a provider, from the API price catalog, in USD or
    converted at the exchange rate given."""
    return in_currency(api_price_per_mtok(model, provider, direction), currency, exchange_rate)


@excel_function("GRID_INTENSITY", [
    Argument("region", "Region: catalog id or location, e.g. us-central1, Iowa, europe-west4, Frankfurt. Cell or range."),
])
def grid_intensity_kg(region):
    """Carbon intensity of a region's electricity grid [kg CO2e/kWh] from the grid catalog, for CO2E_KG."""
    return grid_intensity(region)
