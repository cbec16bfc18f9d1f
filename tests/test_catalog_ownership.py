"""The rent-or-buy catalogs (servers, API prices, grid intensity, term prices) and their Excel functions.

Every expected figure below is the published one, copied from the source the catalog row cites;
the tolerance is exact (the catalog stores the source's figure) unless a conversion is stated.
"""

from __future__ import annotations

import csv
import re

import pytest
from click.testing import CliRunner

from xlcompute import catalog
from xlcompute.catalog._data import DATA_DIR
from xlcompute.cli import main
from xlcompute.core.errors import XlcomputeError
from xlcompute.functions import REGISTRY as F

ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.mark.parametrize("file", ["servers.csv", "api_prices.csv", "grid_intensity.csv", "prices.csv"])
def test_every_row_has_a_source_and_an_iso_date(file):
    with open(DATA_DIR / file, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    for row in rows:
        assert row["source"].strip(), row
        assert ISO.fullmatch(row["date"]), row


# --- servers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("server, usd, gpu, power_w", [
    # Epoch AI, data/Hardware prices.csv (5e8c5c4, 2025-06-20): per-GPU price x 8 GPUs.
    ("dgx-a100-320gb", 24_875 * 8, "a100-40gb", 6500),  # NVIDIA launch price; DGX A100 guide: 6.5 kW max
    ("dgx-h100", 375_000, "h100-sxm", 10_200),  # Viperatech '$375,000.00 / 8'; DGX H100 guide: 10.2 kW max
    ("hgx-h100", 37_080.50 * 8, "h100-sxm", 0),  # Supermicro SYS-8125GS-TNHR at Dihuni; power not published
    ("hgx-h200", 39_083.38 * 8, "h200", 0),
    ("dgx-b200", 47_409.13 * 8, "b200", 14_300),  # DGX B200 page: '~14.3 kW max'
])
def test_server_prices_are_the_published_ones(server, usd, gpu, power_w):
    found = catalog.get_server(server)
    assert found.usd_price == pytest.approx(usd, abs=0.005)
    assert found.gpu_id == gpu and found.gpus_per_server == 8
    assert found.system_power_w == power_w
    assert found.usd_per_gpu == pytest.approx(usd / 8, abs=0.001)


def test_server_names_resolve_forgivingly_and_unknown_ones_suggest():
    assert catalog.get_server("DGX H100").id == "dgx-h100"
    assert catalog.get_server("Supermicro 8125GS-TNHR").id == "hgx-h100"
    with pytest.raises(XlcomputeError) as info:
        catalog.get_server("dgx-h1000")
    assert info.value.argument == "server" and "dgx-h100" in info.value.suggestions


def test_server_price_function_fields_and_errors():
    assert F["SERVER_PRICE"]("dgx-h100") == 375_000
    assert F["SERVER_PRICE"]("dgx-h100", "gpu") == "h100-sxm"
    assert F["SERVER_PRICE"]("dgx-h100", "usd_per_gpu") == 46_875
    assert F["SERVER_PRICE"]("hgx-h100", "system_power_w").startswith("#VALUE! field: hgx-h100 has no published")
    assert F["SERVER_PRICE"]("dgx-h100", "colour").startswith("#VALUE! field: expected one of")
    assert F["SERVER_PRICE"]([["dgx-h100"], ["dgx-b200"]]) == [(375_000,), (pytest.approx(379_273.04),)]
    outcome = F["SERVER_PRICE"].run("dgx-h100")
    server = [r for r in outcome.resolved if r.name == "server"]
    assert server and server[0].date == "2025-03-03" and "epoch-research/training-cost-trends" in server[0].source


# --- API prices --------------------------------------------------------------------------------


def test_api_prices_are_the_published_ones():
    # LiteLLM's table as synced into tokencost (2025-09-01): cost per token x 1e6.
    together = catalog.get_api_price("llama-3.1-405b", "together")
    assert (together.usd_per_mtok_input, together.usd_per_mtok_output) == (3.5, 3.5)
    deepinfra = catalog.get_api_price("llama-3.1-70b", "deepinfra")
    assert (deepinfra.usd_per_mtok_input, deepinfra.usd_per_mtok_output) == (0.23, 0.40)
    # DeepSeek's own API (llm-prices, deepseek-chat from 2025-02-08): 0.27 in / 1.10 out.
    own = catalog.get_api_price("deepseek-v3", "deepseek")
    assert (own.usd_per_mtok_input, own.usd_per_mtok_output, own.date) == (0.27, 1.10, "2025-02-08")
    # OpenAI list price of GPT-4o (llm-prices): 2.50 in / 10 out.
    assert F["API_PRICE"]("gpt-4o", None, "input") == 2.5 and F["API_PRICE"]("gpt-4o") == 10


def test_api_price_default_is_the_median_provider_by_output_price():
    rows = catalog.list_api_prices("llama-3.1-70b")
    outputs = sorted(p.usd_per_mtok_output for p in rows)
    assert len(rows) == 5 and F["API_PRICE"]("llama-3.1-70b") == outputs[2]  # 0.40 0.60 0.88 0.99 1.20 -> 0.88
    assert F["API_PRICE"]("meta-llama/Llama-3.1-70B-Instruct", "DeepInfra", "input") == 0.23  # HF name, any case


def test_api_price_errors_name_the_argument():
    assert F["API_PRICE"]("gpt-5").startswith("#VALUE! model: no API price for 'gpt-5'; models with one:")
    assert "providers with one: aws-bedrock" in F["API_PRICE"]("llama-3.1-70b", "nobody")
    assert F["API_PRICE"]("llama-3.1-70b", None, "both").startswith("#VALUE! direction: expected one of")
    outcome = F["API_PRICE"].run("deepseek-v3", "fireworks", "input")
    assert [(r.name, r.value) for r in outcome.resolved] == [("api_price_input", 0.9)]


# --- grid intensity ----------------------------------------------------------------------------


@pytest.mark.parametrize("region, grams", [
    # GoogleCloudPlatform/region-carbon-info data/yearly/2024.csv (commit 49f3f26, 2025-12-03), g CO2e/kWh.
    ("us-central1", 412.72), ("Iowa", 412.72), ("europe-west3", 275.82), ("europe-north2", 2.73),
    ("asia-south1", 678.76), ("northamerica-northeast1", 5.48),
])
def test_grid_intensity_is_googles_figure_in_kg(region, grams):
    assert F["GRID_INTENSITY"](region) == pytest.approx(grams / 1000, rel=1e-12)


def test_grid_intensity_feeds_co2e_and_records_its_source():
    kg = F["CO2E_KG"](1000, F["GRID_INTENSITY"]("us-west1"))
    assert kg == pytest.approx(79.23)  # 1,000 kWh at 79.23 g/kWh (Oregon, 2024)
    outcome = F["GRID_INTENSITY"].run("Frankfurt")
    assert outcome.resolved[0].name == "grid_intensity" and "region-carbon-info" in outcome.resolved[0].source
    assert F["GRID_INTENSITY"]("atlantis").startswith("#VALUE! region: unknown region 'atlantis'")


# --- term prices -------------------------------------------------------------------------------


@pytest.mark.parametrize("gpu, provider, pricing, per_gpu", [
    # AWS P4 page (archived 2025-03-02) via Epoch: 8-GPU instance rates / 8.
    ("a100-40gb", "aws", "reserved_1y", 19.22 / 8), ("a100-40gb", "aws", "reserved_3y", 11.57 / 8),
    ("a100-80gb", "aws", "reserved_1y", 24.01 / 8), ("a100-80gb", "aws", "reserved_3y", 14.46 / 8),
    # Azure Linux VM prices via Epoch: per GPU-hour as quoted.
    ("a100-80gb", "azure", "reserved_3y", 2.13), ("h100-nvl", "azure", "reserved_1y", 5.81),
    ("h100-nvl", "azure", "reserved_3y", 4.31),
    # GCP committed use (Cyclenerd pricing.yml, 2025-03-06): month_3y / 730 h / 8.
    ("h100-sxm", "gcp", "committed_use_3y", 28370.99821392 / 730 / 8),
])
def test_term_prices(gpu, provider, pricing, per_gpu):
    assert catalog.get_price(gpu, provider, pricing).usd_per_gpu_hour == pytest.approx(per_gpu, rel=1e-4)


def test_a_commitment_costs_less_than_on_demand_for_the_same_instance():
    for gpu, provider in (("a100-40gb", "azure"), ("h100-nvl", "azure"), ("h100-sxm", "gcp")):
        on_demand = catalog.get_price(gpu, provider).usd_per_gpu_hour
        one = catalog.get_price(gpu, provider, "reserved_1y" if provider == "azure" else "committed_use_1y")
        three = catalog.get_price(gpu, provider, "reserved_3y" if provider == "azure" else "committed_use_3y")
        assert three.usd_per_gpu_hour < one.usd_per_gpu_hour < on_demand


# --- user catalog directory --------------------------------------------------------------------


def test_user_directory_adds_and_replaces_rows_of_the_new_catalogs(tmp_path):
    (tmp_path / "servers.csv").write_text(
        "id,name,gpu_id,gpus_per_server,usd_price,source,date\n"
        "dgx-h100,NVIDIA DGX H100,H100,8,310000,our supplier quote Q-9,2026-01-05\n"
        "my-l40s-box,Our L40S box,l40s,4,60000,our supplier quote Q-10,2026-01-06\n", encoding="utf-8")
    (tmp_path / "api_prices.csv").write_text(
        "model,provider,usd_per_mtok_input,usd_per_mtok_output,source,date\n"
        "llama-3.1-70b,together,0.5,0.5,negotiated,2026-02-01\n", encoding="utf-8")
    (tmp_path / "grid_intensity.csv").write_text(
        "id,location,kg_co2e_per_kwh,source,date\nour-site,Our site,0.2,utility bill 2025,2026-01-31\n",
        encoding="utf-8")
    previous = catalog.use_catalog_dir(tmp_path)
    try:
        assert F["SERVER_PRICE"]("dgx-h100") == 310_000
        assert catalog.get_server("my-l40s-box").origin.endswith("servers.csv")
        assert F["API_PRICE"]("llama-3.1-70b", "together") == 0.5
        assert len(catalog.list_api_prices("llama-3.1-70b")) == 5  # replaced, not added
        assert F["GRID_INTENSITY"]("Our site") == 0.2
        listing = CliRunner().invoke(main, ["servers"])
        assert "my-l40s-box" in listing.output and "user" in listing.output
    finally:
        catalog.use_catalog_dir(previous)
    assert F["SERVER_PRICE"]("dgx-h100") == 375_000


@pytest.mark.parametrize("file, text, expected", [
    ("servers.csv", "id,name,gpu_id,gpus_per_server,usd_price,source,date\nx1,X,h100,8,1000,,2026-01-01\n",
     "column source: expected where the row's figures come from"),
    ("servers.csv", "id,name,gpu_id,gpus_per_server,usd_price,source,date\nx1,X,h100,8,1000,a quote,Jan 2026\n",
     "column date: expected the ISO date"),
    ("servers.csv", "id,name,gpu_id,gpus_per_server,usd_price,source,date\nx1,X,h999,8,1000,a quote,2026-01-01\n",
     "column gpu_id: unknown gpu 'h999'"),
    ("grid_intensity.csv", "id,location,kg_co2e_per_kwh,source,date\nsite,Site,412,meter,2026-01-01\n",
     "g/kWh divided by 1000 is kg/kWh"),
    ("api_prices.csv", "model,provider,usd_per_mtok_input,usd_per_mtok_output,source,date\n"
                       "gpt-4o,openai,-1,10,page,2026-01-01\n", "expected a price of 0 or more"),
])
def test_bad_user_rows_are_refused_with_file_line_and_column(tmp_path, file, text, expected):
    (tmp_path / file).write_text(text, encoding="utf-8")
    with pytest.raises(XlcomputeError) as info:
        catalog.use_catalog_dir(tmp_path)
    assert expected in str(info.value) and "line 2" in str(info.value)
    assert catalog.catalog_dir() is None  # the previous setting stays


def test_listing_commands():
    runner = CliRunner()
    assert "dgx-b200" in runner.invoke(main, ["servers"]).output
    out = runner.invoke(main, ["api-prices", "deepseek-v3"]).output
    assert "fireworks" in out and "gpt-4o" not in out
    assert "us-central1" in runner.invoke(main, ["regions"]).output
