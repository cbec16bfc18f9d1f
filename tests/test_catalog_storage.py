"""The object storage catalog (data/storage_prices.csv) and STORAGE_TB_PRICE: checkpoint storage priced at a
sourced, dated list price per TB-month (10^12 bytes, as CHECKPOINT_TB counts).

Published figure: Google Cloud Storage, Standard storage in a region such as us-central1, "$0.000027397 / 1
gibibyte hour" (https://cloud.google.com/storage/pricing, as transcribed verbatim on 2026-09-20 in
api-evangelist/gcp-cloud-storage). Per TB-month: x 730 h x 10^12 / 2^30 GiB per TB.
"""

from __future__ import annotations

import pytest

from xlcompute.catalog import get_storage_price, list_storage_prices, use_catalog_dir
from xlcompute.core.errors import XlcomputeError
from xlcompute.functions import REGISTRY


def test_gcs_standard_is_the_published_price_per_gib_hour_per_tb_month():
    price = get_storage_price("gcp")
    assert price.id == "gcs-standard-us-central1" and price.date == "2026-09-20"
    assert "cloud.google.com/storage/pricing" in price.source and "0.000027397" in price.source
    # 0.000027397 x 730 x 931.3226 = 18.6263 (to the 4 decimals stored); tolerance: that rounding.
    assert price.usd_per_tb_month == pytest.approx(0.000027397 * 730 * 1e12 / 2**30, abs=5e-5)


def test_storage_tb_price_converts_and_names_an_unknown_id():
    assert REGISTRY["STORAGE_TB_PRICE"].run("gcs-standard-us-central1").value == 18.6263
    # In euros at 0.9 per USD: 16.76367.
    assert REGISTRY["STORAGE_TB_PRICE"].run("gcp", "EUR", 0.9).value == pytest.approx(16.76367, abs=1e-9)
    assert "unknown storage 's3x'" in REGISTRY["STORAGE_TB_PRICE"].run("s3x").value
    with pytest.raises(XlcomputeError, match="found nothing"):
        get_storage_price("")


def test_a_user_row_replaces_the_catalog_price(tmp_path):
    (tmp_path / "storage_prices.csv").write_text(
        "id,provider,usd_per_tb_month,source,date\ngcs-standard-us-central1,gcp,15.5,contract 42,2026-11-01\n",
        encoding="utf-8")
    previous = use_catalog_dir(tmp_path)
    try:
        (price,) = list_storage_prices()
        assert (price.usd_per_tb_month, price.origin.endswith("storage_prices.csv")) == (15.5, True)
    finally:
        use_catalog_dir(previous)
    (tmp_path / "storage_prices.csv").write_text(
        "id,provider,usd_per_tb_month,source,date\nbig,x,20000,typo,2026-11-01\n", encoding="utf-8")
    with pytest.raises(XlcomputeError, match="usd_per_tb_month"):
        use_catalog_dir(tmp_path)  # checked at once; the previous setting stays
    assert get_storage_price("gcp").usd_per_tb_month == 18.6263
