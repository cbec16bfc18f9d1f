"""Self-host or API (issue 13): the serving quote against the model's API list prices, worked by
hand from the sample's inputs and the catalog's dated API prices."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlcompute.catalog import get_api_price, list_api_prices
from xlcompute.workbook.evaluate import evaluate

WORKBOOKS = Path(__file__).resolve().parents[1] / "workbooks"


def test_serving_quote_compares_itself_with_the_api():
    ev = evaluate(WORKBOOKS / "serving_quote.xlsx")
    # The average day's volume (the peak sizes the GPUs, not the bill of an API): 60,000 daily users x
    # 12 requests x 1,500 prompt tokens x 730 h / 24 h = 32.85 billion input tokens a month; x 300
    # output tokens = 6.57 billion.
    assert ev.value("MONTHLY_INPUT_TOKENS") == pytest.approx(32.85e9)
    assert ev.value("MONTHLY_OUTPUT_TOKENS") == pytest.approx(6.57e9)
    # The quote per month: its total over 12 months; per million tokens: over 39,420 Mtok.
    monthly = round(ev.value("TOTAL") / 12, 2)
    assert ev.value("QUOTE_MONTHLY_COST") == monthly
    assert ev.value("QUOTE_COST_PER_MTOK") == pytest.approx(monthly / 39_420)
    # API prices: the provider with the median output price among the catalog's five for the model
    # (Together, 0.88 in and out per Mtok, dated 2025-09-01), rounded to 4 decimals.
    outputs = sorted(p.usd_per_mtok("output") for p in list_api_prices("llama-3.1-70b"))
    median = get_api_price("llama-3.1-70b")
    assert median.usd_per_mtok("output") == outputs[(len(outputs) - 1) // 2]
    assert ev.value("API_PRICE_IN") == round(median.usd_per_mtok("input"), 4)
    api = (32.85e3 * ev.value("API_PRICE_IN") + 6.57e3 * ev.value("API_PRICE_OUT"))
    assert ev.value("API_MONTHLY_COST") == pytest.approx(round(api, 2))
    # Break-even: the monthly volume whose API bill equals the quote's monthly cost.
    share = 32.85 / (32.85 + 6.57)
    per_token = (share * ev.value("API_PRICE_IN") + (1 - share) * ev.value("API_PRICE_OUT")) / 1e6
    assert ev.value("API_BREAK_EVEN_TOKENS_MONTH") == pytest.approx(monthly / per_token, rel=1e-9)
