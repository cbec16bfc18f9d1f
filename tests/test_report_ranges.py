"""Issue 13, honest ranges in the proposal: the range beside the total, how the band was derived
and its held-out coverage, the tornado chart and a serving quote's monthly schedule.

Figures: TOTAL_LOW/TOTAL_HIGH hand-worked in tests/test_ranges.py; the bands and coverage are the
validation's (TensorRT-LLM x0.738-x1.251, 82.4% of 516 held-out measurements from 5 sources;
H100 bf16 dense cluster MFU 23.9%-49.8% over 7 runs, 81.5% of 54 runs held out by source group).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from xlcompute.report import charts
from xlcompute.report.ranges import monthly_schedule, range_context, split_cents, tornado_bars
from xlcompute.report.render import report_workbook
from xlcompute.validation.coverage import coverage_csv_text, held_out_coverage, stored_coverage, COVERAGE_CSV
from xlcompute.workbook.evaluate import evaluate

WORKBOOKS = Path(__file__).resolve().parents[1] / "workbooks"
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")


@pytest.fixture(scope="module")
def evaluations():
    return {name: evaluate(WORKBOOKS / f"{name}.xlsx") for name in ("training_quote", "serving_quote")}


def test_stored_coverage_is_up_to_date_with_the_validation():
    assert COVERAGE_CSV.read_text(encoding="utf-8") == coverage_csv_text(held_out_coverage()), (
        "run `python -c 'from xlcompute.validation.coverage import write_coverage; write_coverage()'`")
    stored = stored_coverage()
    assert (stored["serving", "tensorrt-llm"].rows, stored["serving", "tensorrt-llm"].inside) == (516, 0.824)
    assert (stored["training", "all"].rows, stored["training", "all"].inside) == (63, 0.857)


@pytest.mark.parametrize("name", ["training_quote", "serving_quote"])
def test_validated_bar_ends_are_the_workbook_low_and_high_totals(evaluations, name):
    """The MFU (training) or serving-speed bar, recomputed by calling the registry functions with one
    argument varied, lands on the workbook's TOTAL_HIGH and TOTAL_LOW to the cent: two code paths,
    one answer."""
    ev = evaluations[name]
    bars = {b["label"]: b for b in tornado_bars(ev)}
    validated = bars["MFU (validated band)" if name == "training_quote" else "Serving speed (validated band)"]
    assert round(validated["at_low"], 2) == round(ev.value("TOTAL_HIGH"), 2)  # slow end: the high total
    assert round(validated["at_high"], 2) == round(ev.value("TOTAL_LOW"), 2)
    assert len(bars) == 4  # speed/MFU, tokens/demand, utilisation, price
    for bar in bars.values():  # every bar moves the total; none is drawn from a failed call
        assert bar["at_low"] != bar["at_high"]


def test_tornado_hand_worked_training_tokens_bar(evaluations):
    """Training tokens +20%: 2.4e12 tokens -> GPU-hours x1.2 = 713,023.8 -> /1024/24 = 29.01 -> 30
    reserved days = 737,280 GPU-hours; the program's lines: experiments x0.25 = 184,320, evaluation
    x0.05 = 36,864, restarts 958,464 x 0.1/0.9 = 106,496, contingency 5% of 958,464/0.9 = 53,248: 1,118,208
    GPU-hours x 3.99 = 4,461,649.92; storage one month 3,725.26 + checkpoints 63.14, engineering 18,000;
    subtotal 4,483,438.32, margin 672,515.75, discount 257,797.70 -> 4,898,156.37."""
    bars = {b["label"]: b for b in tornado_bars(evaluations["training_quote"])}
    assert round(bars["Training tokens (±20%)"]["at_high"], 2) == 4898156.37


def test_customer_tornado_has_no_supplier_price_bar(evaluations):
    """The customer's unit prices are fixed by the quote: the catalog's price span is an internal
    consideration (which supplier), shown with the supplier's prices in the internal version only."""
    ev = evaluations["serving_quote"]
    customer = {b["label"] for b in tornado_bars(ev, "customer")}
    internal = {b["label"]: b for b in tornado_bars(ev, "internal")}
    assert "GPU price (catalog range)" not in customer and "GPU price (catalog range)" in internal
    assert customer == set(internal) - {"GPU price (catalog range)"}
    assert "2.69" in internal["GPU price (catalog range)"]["low_text"] + internal["GPU price (catalog range)"]["high_text"]


def test_split_cents_adds_up_exactly():
    parts = split_cents(Decimal("100.00"), 3)
    assert parts == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert sum(split_cents(Decimal("277106.07"), 12)) == Decimal("277106.07")


def test_monthly_schedule_adds_up_to_the_total_and_the_gpu_line(evaluations):
    ev = evaluations["serving_quote"]
    rows = monthly_schedule(ev, Decimal("483058.93"), Decimal("424159.20"))
    assert len(rows) == 12
    assert sum(r["amount"] for r in rows) == rows[-1]["cumulative"] == Decimal("483058.93")
    assert sum(r["gpu_amount"] for r in rows) == Decimal("424159.20")  # the Serving GPUs line, to the cent
    assert all(r["gpu_hours"] == 18 * 730 for r in rows)  # 18 GPUs x 730 h
    assert monthly_schedule(evaluations["training_quote"], Decimal("1.00"), None) == []  # training: no schedule


def test_range_context_for_the_customer_uses_sell_prices(evaluations):
    from xlcompute.report.context import build_context

    context = build_context(evaluations["serving_quote"], "customer")
    band = context["price_range"]
    assert (band["low"], band["base"], band["high"]) == (Decimal("380082.50"), Decimal("483058.93"),
                                                         Decimal("586035.35"))
    sell_line = context["price"]["lines"][0]["amount"]  # Serving GPUs at the sell price
    assert sum(r["gpu_amount"] for r in band["schedule"]) == sell_line
    assert [b["kind"] for b in band["bands"]] == ["serving"]
    assert all(r["name"] not in ("REPLICAS_LOW", "REPLICAS_HIGH") for r in context["requirement"])
    assert range_context(evaluations["serving_quote"], None, "internal", "USD")["schedule"][0]["gpu_amount"] == \
        Decimal("35346.60")  # 424,159.20 / 12 at cost


def test_tornado_labels_are_text_never_tex():
    bar = {"label": "Cost $x^2$ \\frac{1}{2}", "low_text": "$1", "high_text": "$2", "at_low": 90.0, "at_high": 120.0}
    svg = str(charts.tornado([bar], 100.0, "USD"))
    assert "$x^2$" in svg and "\\frac{1}{2}" in svg  # drawn as written: no mathtext


def test_every_chart_draws_workbook_text_as_written_never_tex():
    """Line-item descriptions and cell labels come from the workbook: a malformed TeX string is text too."""
    for label in ("GPUs $\\frac{1}{2}$", "GPUs $x^{$"):  # valid TeX, and TeX that would not even parse
        svgs = [charts.cost_by_line_item([label], [1000.0], "USD"),
                charts.price_build_up([(label, 10.0), ("Total", 10.0)], "USD"),
                charts.sensitivity({"argument": "mfu", "xs": [0.3, 0.4], "ys": [2.0, 1.0], "used": 0.4}, label, "h", 1.0)]
        for svg in map(str, svgs):
            assert label in svg


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


@needs_pdftotext
@pytest.mark.parametrize("audience", ["customer", "internal"])
def test_serving_proposal_shows_range_tornado_and_schedule(tmp_path, audience):
    source = tmp_path / "serving_quote.xlsx"
    shutil.copy(WORKBOOKS / "serving_quote.xlsx", source)
    text = _pdf_text(report_workbook(source, tmp_path / "s.pdf", audience=audience).pdf)
    cover = text.split("\f")[0]
    assert "Range 380,082.50 to 586,035.35" in cover
    assert "How firm the price is" in text and "What moves the total" in text  # the tornado's title (SVG text)
    for label in ("Serving speed (validated band)", "Requests per second (±20%)", "Requests per replica"):
        assert label in text, label
    flat = " ".join(text.split())
    assert "73.8% to 125.1%" in flat and "82.4% of 516 measurements from 5 sources" in flat
    rows = re.findall(r"^\s*(\d{1,2})\s+13,140\s+([\d,]+\.\d\d)\s+([\d,]+\.\d\d)\s+([\d,]+\.\d\d)\s*$", text, re.M)
    assert [int(r[0]) for r in rows] == list(range(1, 13))
    due = [Decimal(r[2].replace(",", "")) for r in rows]
    assert sum(due) == Decimal(rows[-1][3].replace(",", "")) == Decimal("483058.93")


@needs_pdftotext
def test_training_proposal_states_the_mfu_band_and_its_coverage(tmp_path):
    source = tmp_path / "training_quote.xlsx"
    shutil.copy(WORKBOOKS / "training_quote.xlsx", source)
    text = _pdf_text(report_workbook(source, tmp_path / "t.pdf").pdf)
    flat = " ".join(text.split())
    assert "Range 3,273,372.18 to 5,064,775.16" in flat
    assert "from 31.4% to 50.8%" in flat and "14 published runs" in flat
    assert "85.7% of 63 published runs from 16 sources" in flat
    assert "MFU (validated band)" in text and "Monthly schedule" not in text


@needs_pdftotext
def test_chinese_range_section_is_translated(tmp_path):
    source = tmp_path / "serving_quote.xlsx"
    shutil.copy(WORKBOOKS / "serving_quote.xlsx", source)
    text = _pdf_text(report_workbook(source, tmp_path / "zh.pdf", lang="zh-CN").pdf)
    for chinese in ("价格的确定程度", "影响总价的因素", "按月付款计划", "区间 380,082.50 至 586,035.35", "推理速度（验证区间）"):
        assert chinese in text, chinese
    for english in ("How firm the price is", "What moves the total", "Monthly schedule", "Serving speed (validated"):
        assert english not in text, english


def test_both_kind_states_both_bands_without_tornado_or_schedule(tmp_path):
    from xlcompute.workbook.generate import write_workbook

    ev = evaluate(write_workbook(tmp_path / "both.xlsx", "both"))
    band = range_context(ev, None, "internal", "USD")
    assert [b["kind"] for b in band["bands"]] == ["training", "serving"]
    assert band["low"] < band["base"] < band["high"]
    assert band["bars"] == [] and band["chart"] is None and band["schedule"] == []


def test_no_tornado_when_the_workbook_arithmetic_differs(tmp_path):
    """A quote whose total the generated arithmetic does not reproduce gets no tornado (it would
    misstate the totals), but keeps its range."""
    import openpyxl

    from xlcompute.workbook.generate import write_workbook

    path = write_workbook(tmp_path / "t.xlsx", "training")
    wb = openpyxl.load_workbook(path)
    ((sheet, cell),) = wb.defined_names["MARGIN_AMOUNT"].destinations
    wb[sheet][cell.replace("$", "")] = "=ROUND(SUBTOTAL*MARGIN,2)+100"
    wb.save(path)
    ev = evaluate(path, cached_values=False)
    assert tornado_bars(ev) == []
    assert range_context(ev, None, "internal", "USD")["low"] == Decimal("3273372.18")
