"""The serving quote's demand basis (issue 13): DEMAND_BASIS chooses what the demand is stated in,
daily users x requests a day (PEAK_REQUESTS_PER_S), users at once (REQUESTS_FROM_USERS, the interactive
response time law, Jain 1991 §33.3) or tokens a month (REQUESTS_FROM_TOKENS), and each feeds
REQUESTS_PER_S, the replicas, the GPUs, the monthly token volume and the quote.

Hand-worked from the serving sample: 1,500 prompt + 300 output tokens a request, peak-to-average 3,
730 h a month, 1,303.09 output tokens/s per 2-H100 replica at most 80% busy plus one spare, RunPod's
2.69 USD per GPU-hour (tests/test_options.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from money_helpers import name_cell, pdf_text
from xlcompute.report.render import report_workbook
from xlcompute.workbook.check import check_workbook
from xlcompute.workbook.generate import build_workbook


def _quote(tmp_path: Path, **names) -> tuple:
    wb = build_workbook("inference")
    for name, value in names.items():
        sheet, cell = name_cell(wb, name)
        wb[sheet][cell] = value
    path = tmp_path / "demand.xlsx"
    wb.save(path)
    ev, problems = check_workbook(path)
    assert problems == []
    return path, ev


def test_daily_users_and_the_same_tokens_a_month_size_the_same_quote(tmp_path):
    _, daily = _quote(tmp_path)
    # 60,000 users x 12 requests x 3 / 86,400 s = 25 requests/s at peak.
    assert daily.value("DEMAND_BASIS") == "daily_users" and daily.value("REQUESTS_PER_S") == pytest.approx(25, rel=1e-12)
    # The same volume a month: 60,000 x 12 x 1,800 tokens x 730 / 24 days = 3.942e10 tokens;
    # / (1,800 x 730 h x 3,600 s) x 3 = 25 requests/s again, hence the same replicas and total.
    _, tokens = _quote(tmp_path, DEMAND_BASIS="tokens_per_month", TOKENS_PER_MONTH=3.942e10)
    assert tokens.value("REQUESTS_PER_S") == pytest.approx(25, rel=1e-12)
    for name in ("REPLICAS", "GPU_COUNT", "TOTAL"):
        assert tokens.value(name) == daily.value(name)
    assert tokens.value("MONTHLY_INPUT_TOKENS") == pytest.approx(3.285e10, rel=1e-12)  # 25 / 3 x 3,600 x 730 x 1,500
    # A quote per user needs users: blank for a token volume.
    assert daily.value("PRICE_PER_USER") == pytest.approx(0.6709, abs=5e-5) and tokens.value("PRICE_PER_USER") == ""


def test_users_at_once_follow_the_response_time_law(tmp_path):
    path, ev = _quote(tmp_path, DEMAND_BASIS="concurrent_users", CONCURRENT_USERS=1000, THINK_TIME_S=30)
    # Response time at the targets: 150 ms + 300 tokens x 50 ms = 15.15 s; 1,000 / (30 + 15.15) = 22.148
    # requests/s x 300 tokens = 6,644.5 tokens/s; / (1,303.09 x 0.8) = 6.37 -> 7 replicas + 1 spare = 8 x 2
    # GPUs = 16; 16 x 8,760 h x 2.69 = 377,030.40 + support 18,000.00 = 395,030.40; margin 59,254.56,
    # discount 5 % of 454,284.96 = 22,714.25: total 431,570.71.
    assert ev.value("RESPONSE_TIME_S") == pytest.approx(15.15, rel=1e-12)
    assert ev.value("REQUESTS_PER_S") == pytest.approx(1000 / 45.15, rel=1e-12)
    assert (ev.value("REPLICAS"), ev.value("GPU_COUNT")) == (8, 16)
    assert ev.value("TOTAL") == pytest.approx(431_570.71, abs=0.005)
    # Per user at once: 431,570.71 / 12 months = 35,964.23 a month / 1,000 users = 35.9642.
    assert ev.value("PRICE_PER_USER") == pytest.approx(35.9642, abs=5e-5)
    text = " ".join(pdf_text(report_workbook(path, tmp_path / "users.pdf", audience="internal").pdf).split())
    assert "concurrent_users" in text and "431,570.71" in text


def test_a_basis_outside_the_three_is_refused_at_its_cell(tmp_path):
    wb = build_workbook("inference")
    sheet, cell = name_cell(wb, "DEMAND_BASIS")
    wb[sheet][cell] = "weekly_users"
    wb.save(tmp_path / "weekly.xlsx")
    _, problems = check_workbook(tmp_path / "weekly.xlsx")
    assert [(p.sheet, p.cell) for p in problems] == [(sheet, cell)]
    assert "expected one of 'daily_users', 'concurrent_users', 'tokens_per_month', found 'weekly_users'" in \
        problems[0].message


def test_the_customer_reads_only_the_chosen_basis_inputs(tmp_path):
    path, _ = _quote(tmp_path, DEMAND_BASIS="tokens_per_month")
    text = "".join(pdf_text(report_workbook(path, tmp_path / "customer.pdf").pdf).split())  # labels wrap
    assert "39.4billion" in text and "Demandbasistokenspermonth" in text  # the basis in words, not its id
    for other in ("Dailyactiveusers", "Requestsperuserperday", "Thinktime", "Responsetime", "Concurrentusers"):
        assert other not in text, other
