"""Currency (issue 12): catalog prices keep their currency (USD); a quote in another currency states
its exchange rate (EXCHANGE_RATE with RATE_DATE and RATE_SOURCE) and every catalog price is
converted at it, visibly; a missing rate or an unconverted price is refused naming the cell.

Rates are example figures (7.1234 CNY and 0.8765 EUR per USD); conversions are hand-worked.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.money_helpers import name_cell, pdf_text
from tests.test_oracle_libreoffice import SOFFICE, libreoffice_recalculate
from xlcompute.cli import main
from xlcompute.core.money import CATALOG_CURRENCY, convert_price
from xlcompute.functions import REGISTRY
from xlcompute.report.render import report_workbook
from xlcompute.workbook.check import check_workbook
from xlcompute.workbook.generate import Currency, build_workbook

CNY = Currency("CNY", 7.1234, dt.datetime(2025, 6, 2), "Bank of China central parity rate, 2025-06-02")
EUR = Currency("EUR", 0.8765, dt.datetime(2025, 6, 2), "ECB euro foreign exchange reference rate, 2025-06-02")


def _save(wb, path: Path) -> Path:
    wb.save(path)
    return path


def _problems(path: Path) -> dict[str, str]:
    _, problems = check_workbook(path)
    return {f"{p.sheet}!{p.cell}": p.message for p in problems}


# --------------------------------------------------------------------------------------------
# GPU_PRICE converts at the rate it is given, with the conversion in its breakdown
# --------------------------------------------------------------------------------------------


def test_catalog_prices_are_usd_and_gpu_price_converts_them_at_the_rate_given():
    assert CATALOG_CURRENCY == "USD"
    gpu_price = REGISTRY["GPU_PRICE"]
    usd = gpu_price.run("h100-sxm", "coreweave")
    assert usd.value == 6.155 and not usd.error  # prices.csv: CoreWeave H100 6.155 USD per GPU-hour
    eur = gpu_price.run("h100-sxm", "coreweave", "on_demand", "EUR", 0.8765)
    assert eur.value == pytest.approx(5.3948575, abs=1e-12)  # 6.155 x 0.8765 = 5.3948575 EUR
    (step,) = [s for s in eur.step.walk() if s.info.name == "convert_price"]
    assert step.inputs == {"price": 6.155, "exchange_rate": 0.8765}
    assert [(r.name, r.value, r.label) for r in eur.resolved if r.name == "exchange_rate"] == [("exchange_rate", 0.8765,
                                                                                                 "EUR")]
    assert convert_price(10.0, 7.1234) == pytest.approx(71.234)


@pytest.mark.parametrize(("args", "expected"), [
    (("CNY",), "exchange_rate: the catalog's prices are in USD; a price in CNY needs the rate the quote uses "
               "(CNY per USD), found none."),
    (("USD", 7.1), "exchange_rate: the catalog's prices are in USD and so is this price: expected no rate (or 1), "
                   "found 7.1."),
    (("yuan", 7.1), "currency: expected a three-letter ISO 4217 code such as USD, found 'yuan'."),
    (("CNY", -7.1), "exchange_rate"),
])
def test_gpu_price_refuses_a_conversion_without_a_valid_rate(args, expected):
    outcome = REGISTRY["GPU_PRICE"].run("h100-sxm", "coreweave", "on_demand", *args)
    assert outcome.error and str(outcome.value).startswith("#VALUE!")
    assert expected in outcome.error


# --------------------------------------------------------------------------------------------
# Workbooks in another currency
# --------------------------------------------------------------------------------------------


def test_a_cny_quote_without_its_rate_is_refused_naming_the_rate_cell(tmp_path):
    path = _save(build_workbook("training", currency=Currency("CNY")), tmp_path / "cny.xlsx")
    _, problems = check_workbook(path)
    first = problems[0]
    # The root cause first: the rate, at its cell (Quote!E3), then its date and source.
    assert (first.sheet, first.cell) == ("Quote", "E3")
    assert "the quote is in CNY but the catalog prices it uses (first in Inputs!B13) are in USD" in first.message
    messages = {f"{p.sheet}!{p.cell}": p.message for p in problems}
    assert "RATE_DATE" in messages["Quote!E4"] and "RATE_SOURCE" in messages["Quote!E5"]

    out = tmp_path / "cny.pdf"
    result = CliRunner().invoke(main, ["report", str(path), "-o", str(out)])
    assert result.exit_code == 2 and "Quote!E3: the quote is in CNY" in result.output and not out.exists()
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code != 0 and "Quote!E3" in result.output


def test_an_unconverted_catalog_price_in_a_cny_quote_is_refused_at_its_cell(tmp_path):
    # The issue: CURRENCY set to CNY, the rate stated, but GPU_PRICE left in USD: 'CNY 485,547.12'
    # built on USD prices. Now refused at the price's cell.
    wb = build_workbook("training", currency=CNY)
    sheet, cell = name_cell(wb, "GPU_HOUR_PRICE")
    wb[sheet][cell] = "=GPU_PRICE(GPU,PROVIDER,PRICING)"
    messages = _problems(_save(wb, tmp_path / "unconverted.xlsx"))
    assert messages == {f"{sheet}!{cell}": "GPU_PRICE gives a catalog price in USD but the quote is in CNY: convert "
                                           "it at the quote's rate, e.g. GPU_PRICE(...,CURRENCY,EXCHANGE_RATE)"}


def test_a_price_converted_at_another_rate_than_the_quotes_is_refused(tmp_path):
    wb = build_workbook("training", currency=CNY)
    sheet, cell = name_cell(wb, "GPU_HOUR_PRICE")
    wb[sheet][cell] = "=ROUND(GPU_PRICE(GPU,PROVIDER,PRICING,CURRENCY,7),4)"
    messages = _problems(_save(wb, tmp_path / "other_rate.xlsx"))
    assert "converts at 7 CNY per USD, but the quote's EXCHANGE_RATE is 7.1234" in messages[f"{sheet}!{cell}"]


def test_a_usd_quote_with_a_rate_other_than_one_is_refused(tmp_path):
    wb = build_workbook("training", currency=Currency("USD", 7.1234))
    _, problems = check_workbook(_save(wb, tmp_path / "usd.xlsx"))
    assert (problems[0].sheet, problems[0].cell) == ("Quote", "E3")
    assert "EXCHANGE_RATE is 7.1234 but the quote is in USD, the catalog's currency" in problems[0].message


def test_a_cny_quote_with_its_rate_converts_every_line_and_prints_the_rate(tmp_path):
    path = _save(build_workbook("training", currency=CNY), tmp_path / "cny.xlsx")
    ev, problems = check_workbook(path)
    assert problems == []
    # Lambda's H100 on-demand list price 3.99 USD x 7.1234 = 28.422366 CNY, rounded to 4 decimals
    # in the workbook: 28.4224; the final run's 614,400 GPU-hours x 28.4224 = 17,462,722.56. The storage
    # price 18.6263 USD x 7.1234 = 132.682585 -> 132.6826 CNY per TB-month: 200 TB = 26,536.52.
    assert ev.value("GPU_HOUR_PRICE") == 28.4224 and ev.value("STORAGE_PRICE") == 132.6826
    text = pdf_text(report_workbook(path, audience="internal").pdf)
    assert "Unit price [CNY]" in text and "Total [CNY]" in text and "USD 2" not in text
    assert any(line.split()[-3:] == ["GPU-hour", "28.4224", "17,462,722.56"] for line in text.splitlines())
    assert any(line.split()[-3:] == ["TB-month", "132.6826", "26,536.52"] for line in text.splitlines())
    # Subtotal: GPU-hours 614,400 + 153,600 + 30,720 + 88,747 + 44,373 = 931,840 x 28.4224 line by line
    # (17,462,722.56 + 4,365,680.64 + 873,136.13 + 2,522,402.73 + 1,261,187.16) + storage 26,536.52 +
    # checkpoints 3.39 x 132.6826 = 449.79 + engineering 18,000.00 = 26,530,115.53; margin 15 % =
    # 3,979,517.33; discount 5 % of 30,509,632.86 = 1,525,481.64; total 28,984,151.22.
    assert "CNY 28,984,151.22" in text and "26,530,115.53" in text and "1,525,481.64" in text
    flat = " ".join(text.split())
    assert ("Catalog prices are in USD; they are converted to CNY at 7.1234 CNY per USD (rate of 2025-06-02; "
            "source: Bank of China central parity rate, 2025-06-02; the workbook's Quote!E3)") in flat
    assert "p_q = p_c · x" in flat  # the conversion in the GPU price's breakdown, at the rate in full
    assert "GPU_PRICE(h100-sxm, lambda, on_demand, CNY, 7.1234)" in flat


def test_a_eur_serving_quote_converts_its_price(tmp_path):
    path = _save(build_workbook("inference", currency=EUR), tmp_path / "eur.xlsx")
    ev, problems = check_workbook(path)
    assert problems == []
    # RunPod's H100 price 2.69 USD (the serving sample's recommended option) x 0.8765 = 2.357785
    # -> 2.3578 EUR; 18 GPUs x 12 months x 730 h = 157,680 GPU-hours x 2.3578 = 371,777.90 EUR.
    assert ev.value("SERVE_GPU_HOUR_PRICE") == 2.3578
    lines = pdf_text(report_workbook(path, audience="internal").pdf).splitlines()
    assert any(line.split()[-3:] == ["GPU-hour", "2.3578", "371,777.90"] for line in lines)
    assert Decimal("157680") * Decimal("2.3578") == Decimal("371777.9040")


@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_totals_of_a_cny_quote_equal_the_printed_ones(tmp_path):
    """LibreOffice as outside oracle: given the xlcompute cells' values (it knows no xlcompute
    function), it recalculates the CNY quote's ROUNDed amounts and totals; they equal the PDF's."""
    path = _save(build_workbook("training", currency=CNY), tmp_path / "cny.xlsx")
    ev, problems = check_workbook(path)
    assert problems == []
    wb = openpyxl.load_workbook(path)
    for xl_cell in ev.xlcompute_cells:
        wb[xl_cell.sheet][xl_cell.cell] = xl_cell.value
    wb.save(tmp_path / "values.xlsx")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (saved,) = libreoffice_recalculate([tmp_path / "values.xlsx"], tmp_path / "out", tmp_path / f"profile-{worker}")
    lo = openpyxl.load_workbook(saved, data_only=True)
    text = pdf_text(report_workbook(path, audience="internal").pdf)
    for name in ("SUBTOTAL", "MARGIN_AMOUNT", "DISCOUNT_AMOUNT", "NET_AMOUNT", "TOTAL"):
        sheet, cell = name_cell(wb, name)
        assert f"{lo[sheet][cell].value:,.2f}" in text, name
    sheet, cell = name_cell(wb, "TOTAL")
    assert round(lo[sheet][cell].value, 2) == 28984151.22  # hand-worked in test_a_cny_quote_with_its_rate_converts_every_line_and_prints_the_rate


def test_server_and_api_prices_convert_too_and_only_prices_need_converting(tmp_path):
    server, api = REGISTRY["SERVER_PRICE"], REGISTRY["API_PRICE"]
    usd = server.run("dgx-h100").value
    assert server.run("dgx-h100", "usd_price", "EUR", 0.8765).value == pytest.approx(usd * 0.8765)
    assert server.run("dgx-h100", "gpu", "EUR", 0.8765).value == "h100-sxm"  # not a price: as it is
    per_mtok = api.run("llama-3.1-70b").value
    assert api.run("llama-3.1-70b", None, "output", "EUR", 0.8765).value == pytest.approx(per_mtok * 0.8765)
    # The rent-or-buy workbook in CNY: its server price and rent are USD catalog prices, refused at their
    # cells; SERVER_PRICE(SERVER,"gpu") (an id) and the GPUs per server are no money and pass.
    wb = build_workbook("ownership", currency=CNY)
    messages = _problems(_save(wb, tmp_path / "own.xlsx"))
    refused = {name_cell(wb, name) for name in ("SERVER_UNIT_PRICE", "RENT_GPU_HOUR_PRICE")}
    assert {tuple(where.split("!")) for where in messages} == refused
    assert all("gives a catalog price in USD but the quote is in CNY" in m for m in messages.values())


def test_new_writes_a_quote_in_another_currency_and_check_warns_of_an_old_rate(tmp_path):
    out = tmp_path / "eur.xlsx"
    result = CliRunner().invoke(main, ["new", "--currency", "eur", "--exchange-rate", "0.8765", "--rate-date",
                                       "2025-05-01", "--rate-source", "ECB euro reference rate", str(out)])
    assert result.exit_code == 0 and "in EUR" in result.output
    ev, problems = check_workbook(out)
    assert problems == [] and ev.value("CURRENCY") == "EUR" and ev.value("EXCHANGE_RATE") == 0.8765
    from xlcompute.workbook.quote_checks import quote_warnings
    today = dt.date.today()
    warnings = [str(w) for w in quote_warnings(ev, today)]
    age = (today - dt.date(2025, 5, 1)).days
    assert f"Quote!E4: the exchange rate is {age} days older than the quote" in "\n".join(warnings)

    result = CliRunner().invoke(main, ["new", "--currency", "CNY", str(tmp_path / "cny.xlsx")])
    assert result.exit_code == 0 and "fill in the exchange rate (CNY per USD)" in result.output
    result = CliRunner().invoke(main, ["new", "--currency", "dollars", str(tmp_path / "bad.xlsx")])
    assert result.exit_code == 2 and "--currency: expected a three-letter ISO 4217 code" in result.output
    assert not (tmp_path / "bad.xlsx").exists()


def test_the_rate_source_is_bounded_and_the_rate_may_not_hide(tmp_path):
    wb = build_workbook("training", currency=Currency(CNY.code, CNY.exchange_rate, CNY.rate_date, "x" * 300))
    assert "RATE_SOURCE expected at most 255 characters, found 300" in _problems(_save(wb, tmp_path / "long.xlsx"))[
        "Quote!E5"]
    wb = build_workbook("training", currency=CNY)
    hidden = wb.create_sheet("Rates")
    hidden.sheet_state = "hidden"
    hidden["A1"] = 7.1234
    wb.defined_names["EXCHANGE_RATE"].attr_text = "'Rates'!$A$1"
    messages = _problems(_save(wb, tmp_path / "hidden.xlsx"))
    assert "EXCHANGE_RATE" in messages["Rates!A1"] and "hidden sheet" in messages["Rates!A1"]


def test_the_customers_cny_quote_prints_sell_prices_in_cny_and_the_rate(tmp_path):
    path = _save(build_workbook("training", currency=CNY), tmp_path / "cny.xlsx")
    text = pdf_text(report_workbook(path).pdf)  # the customer's version
    flat = " ".join(text.split())
    # The same total as the internal version (28,984,151.22 CNY), no margin line, and the rate stated.
    assert "CNY 28,984,151.22" in flat and "Margin" not in flat
    assert "converted to CNY at 7.1234 CNY per USD" in flat and "Quote!E3" not in flat
    # Sell lines (cost x (subtotal + margin) / subtotal) multiply out to the cent and add up.
    price_page = text.split("Description", 1)[1].split("Subtotal", 1)[0]
    rows = [line.split() for line in price_page.splitlines() if line.strip()]
    amounts = []
    for row in rows:
        if len(row) >= 4 and re.fullmatch(r"[\d,]+\.\d{2}", row[-1]):
            quantity, unit_price, amount = (Decimal(v.replace(",", "")) for v in (row[-4], row[-2], row[-1]))
            assert (quantity * unit_price).quantize(Decimal("0.01")) == amount, row
            amounts.append(amount)
    assert len(amounts) == 8
    # 26,530,115.53 cost + 3,979,517.33 margin = 30,509,632.86 at sell prices.
    assert sum(amounts) == Decimal("30509632.86")
