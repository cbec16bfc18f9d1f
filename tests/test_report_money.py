"""Money to the cent (issue 12): every printed line multiplies out, every total is the sum of its
printed parts, unit prices print with the decimals they were computed with, no negative zero.

Figures are hand-worked in the comments; amounts are compared exactly (Decimal), to the cent.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.money_helpers import name_cell, pdf_text
from xlcompute.cli import main
from xlcompute.core.money import cents, exact, is_cents
from xlcompute.report.formatting import money, price, quantity, rate
from xlcompute.report.render import report_workbook
from xlcompute.workbook.check import check_workbook
from xlcompute.workbook.evaluate import evaluate
from xlcompute.workbook.generate import build_workbook

SHIPPED = Path(__file__).resolve().parents[1] / "workbooks"

MINUS = "\u2212"


def _set(wb, name: str, value) -> None:
    sheet, cell = name_cell(wb, name)
    wb[sheet][cell] = value


def _issue_line():
    """The serving sample at CoreWeave's H100 price and the demand of the issue's line."""
    wb = build_workbook("inference")
    _set(wb, "SERVE_PROVIDER", "coreweave")
    for name, value in {"DAILY_ACTIVE_USERS": 57_600, "REQUESTS_PER_USER_PER_DAY": 10, "PEAK_TO_AVERAGE": 3,
                        "HEADROOM": 0, "SPARE_REPLICAS": 0}.items():
        _set(wb, name, value)
    return wb


def _serving_coreweave(tmp_path: Path, **names) -> Path:
    """The serving sample priced at CoreWeave's H100 list price, 6.155 USD per GPU-hour
    (xlcompute/catalog/data/prices.csv: the price the issue's line was built on), at the demand
    that line was built on: 20 requests/s at peak (57,600 daily users x 10 requests x 3 / 86,400 s),
    no headroom and no spare replica, so 5 replicas of 2 GPUs."""
    wb = _issue_line()
    for name, value in names.items():
        _set(wb, name, value)
    path = tmp_path / "serving.xlsx"
    wb.save(path)
    return path


def _price_lines(text: str) -> dict[str, list[Decimal]]:
    """The price table as printed: description -> the numbers on its line."""
    section = text[text.index("1  Price") if "1  Price" in text else text.index("Price"):text.index("Cost by line item")]
    lines = {}
    for line in section.splitlines():
        parts = re.split(r"\s{2,}", line.strip())
        numbers = [Decimal(p.replace(",", "").replace(MINUS, "-")) for p in parts if re.fullmatch(rf"{MINUS}?[\d,]+(\.\d+)?", p)]
        if parts and numbers:
            lines[parts[0]] = numbers
    return lines


# --------------------------------------------------------------------------------------------
# Formatting and rounding
# --------------------------------------------------------------------------------------------


def test_cents_round_halves_away_from_zero_on_the_printed_decimal_as_excel_round():
    # Excel: ROUND(2.675,2) = 2.68 and ROUND(-2.675,2) = -2.68; Python's round(2.675, 2) = 2.67
    # because the binary double is 2.67499999...; cents() works on the decimal the number shows.
    assert cents(2.675) == Decimal("2.68") and cents(-2.675) == Decimal("-2.68")
    assert round(2.675, 2) == 2.67
    assert cents(151240.1225) == Decimal("151240.12")  # 3,024,802.45 x 5 % (the issue's sample)
    assert str(cents(-0.001)) == "0.00"  # never a negative zero


def test_amounts_print_to_the_cent_without_negative_zero():
    assert money(549739.445) == "549,739.45"  # half a cent goes up, as ROUND(x,2)
    assert money(-0.004) == "0.00" and money(0, negate=True) == "0.00"  # the issue's 'Discount (0 %) -0.00'
    assert money(32037.74, negate=True) == f"{MINUS}32,037.74"
    assert money(-12.5) == f"{MINUS}12.50"


def test_unit_prices_quantities_and_rates_print_as_computed():
    assert price(6.155) == "6.155" and price(3.99) == "3.99" and price(1200.0) == "1,200.00"
    assert quantity(87600.0, "#,##0") == "87,600" and quantity(87600.5, "#,##0") == "87,600.5"
    assert quantity(1.1 * 3) == "3.3" and price(0.1 + 0.2) == "0.30"  # binary noise beyond Excel's 15 digits
    assert rate(0.15) == "15 %" and rate(0.05) == "5 %" and rate(0.0) == "0 %" and rate(0.075) == "7.5 %"


def test_float_noise_is_not_a_fraction_of_a_cent():
    assert 3 * 0.1 == 0.30000000000000004  # binary noise, not a fraction of a cent
    assert is_cents(3 * 0.1) and is_cents(0.1 + 0.2) and is_cents(2608263.0000000005)
    assert not is_cents(151240.1225) and not is_cents(exact(0.005))


# --------------------------------------------------------------------------------------------
# The issue's H100 line, in a real PDF
# --------------------------------------------------------------------------------------------


def test_the_h100_line_multiplies_out_and_every_total_is_the_sum_of_its_printed_parts(tmp_path):
    path = _serving_coreweave(tmp_path)
    ev, problems = check_workbook(path)
    assert problems == []
    # Hand-worked: 10 GPUs x 12 months x 730 h = 87,600 GPU-hours at 6.155 = 539,178.00 (printed
    # before as 87,600 x 6.16, which is 539,616.00); support 12 x 1,500.00 = 18,000.00.
    assert ev.value("GPU_COUNT") == 10
    pdf = report_workbook(path, audience="internal").pdf
    text = pdf_text(pdf)
    lines = _price_lines(text)
    assert lines["Serving GPUs"] == [Decimal("87600"), Decimal("6.155"), Decimal("539178.00")]
    assert lines["Support and monitoring"] == [Decimal("12"), Decimal("1500.00"), Decimal("18000.00")]
    # Subtotal 557,178.00; margin 15 % = 83,576.70; discount 5 % of 640,754.70 = 32,037.735 -> 32,037.74;
    # net 640,754.70 - 32,037.74 = 608,716.96; tax 0 % = 0.00; total 608,716.96.
    assert lines["Subtotal"] == [Decimal("557178.00")]
    assert lines["Margin (15 %)"] == [Decimal("83576.70")]
    assert lines["Discount (5 %)"] == [Decimal("-32037.74")]
    assert lines["Net amount"] == [Decimal("608716.96")]
    assert lines["Tax (0 %)"] == [Decimal("0.00")]
    assert "608,716.96" in text.split("Price")[0]  # the cover's total is the table's
    # The same, generally: each printed line multiplies out, each total adds up.
    items = [v for k, v in lines.items() if len(v) == 3]
    assert all(cents(q * p) == a for q, p, a in items)
    assert sum(a for _, _, a in items) == lines["Subtotal"][0]
    # Excel's own totals (ROUND in the generated workbook) equal the printed ones.
    assert exact(ev.value("TOTAL")) == Decimal("608716.96")


def test_a_zero_discount_prints_no_negative_zero(tmp_path):
    pdf = report_workbook(_serving_coreweave(tmp_path, DISCOUNT=0), audience="internal").pdf
    text = pdf_text(pdf)
    assert "Discount (0 %)" in text and f"{MINUS}0.00" not in text and "-0.00" not in text
    assert not re.search(rf"(-|{MINUS})0\b", text)  # nor in the price build-up chart's labels


def test_training_quote_bills_the_reservation_the_cover_states(tmp_path):
    path = tmp_path / "training.xlsx"
    build_workbook("training").save(path)
    ev = evaluate(path)
    # 1,024 GPUs reserved for 25 days (the cover: 24.18 days of the final run in whole days) = 1,024 x 25 x
    # 24 = 614,400 GPU-hours billed (the issue: fewer billed than the reservation the cover states).
    assert (ev.value("GPU_COUNT"), ev.value("DURATION_DAYS")) == (1024, 25)
    assert ev.value("BILLED_GPU_HOURS") == 1024 * 25 * 24 == 614_400
    assert ev.value("BILLED_GPU_HOURS") >= ev.value("GPU_HOURS")
    lines = _price_lines(pdf_text(report_workbook(path, audience="internal").pdf))
    # 614,400 x 3.99 (Lambda's H100 on-demand list price) = 2,451,456.00
    assert lines["GPU compute, final run"] == [Decimal("614400"), Decimal("3.99"), Decimal("2451456.00")]


# --------------------------------------------------------------------------------------------
# Workbooks whose money does not add up: refused at the cell
# --------------------------------------------------------------------------------------------


def _edited(tmp_path: Path, edit) -> Path:
    wb = _issue_line()
    edit(wb)
    path = tmp_path / "edited.xlsx"
    wb.save(path)
    return path


def _messages(path: Path) -> dict[str, str]:
    _, problems = check_workbook(path)
    return {f"{p.sheet}!{p.cell}": p.message for p in problems}


def test_an_amount_with_fractions_of_a_cent_is_refused_at_its_cell(tmp_path):
    # Support 12.5 months x 1,500.333 = 18,754.1625: Excel would sum the fractions, the PDF the cents.
    def edit(wb):
        _set(wb, "SUPPORT_RATE", 1500.333)
        wb["Quote"]["B16"] = 12.5
        wb["Quote"]["E16"] = "=B16*D16"
    messages = _messages(_edited(tmp_path, edit))
    assert "fractions of a cent" in messages["Quote!E16"] and "18,754.16" in messages["Quote!E16"]
    assert "=ROUND(B16*D16,2)" in messages["Quote!E16"]


def test_an_amount_that_is_not_quantity_times_unit_price_is_refused(tmp_path):
    # The issue's line: 87,600 x 6.16 printed, 539,178.00 (= 87,600 x 6.155) charged.
    def edit(wb):
        _set(wb, "SERVE_GPU_HOUR_PRICE", 6.16)
        wb["Quote"]["E15"] = 539178
    message = _messages(_edited(tmp_path, edit))["Quote!E15"]
    assert "is not Quantity × Unit price = 87,600 × 6.16 = 539,616.00" in message


def test_unrounded_and_unbalanced_totals_are_refused_at_their_cells(tmp_path):
    def edit(wb):
        _set(wb, "DISCOUNT_AMOUNT", "=(SUBTOTAL+MARGIN_AMOUNT)*DISCOUNT")  # 32,037.735: half a cent
    messages = _messages(_edited(tmp_path, edit))
    sheet, cell = name_cell(build_workbook("inference"), "DISCOUNT_AMOUNT")
    assert "DISCOUNT_AMOUNT 32037.735" in messages[f"{sheet}!{cell}"].replace(",", "")
    assert "fractions of a cent" in messages[f"{sheet}!{cell}"]

    def edit_total(wb):
        _set(wb, "TOTAL", "=NET_AMOUNT+TAX_AMOUNT+0.01")
    messages = _messages(_edited(tmp_path, edit_total))
    sheet, cell = name_cell(build_workbook("inference"), "TOTAL")
    assert "TOTAL 608,716.97 is not NET_AMOUNT 608,716.96 + TAX_AMOUNT 0.00 = 608,716.96" in messages[f"{sheet}!{cell}"]

    def edit_margin(wb):
        _set(wb, "MARGIN_AMOUNT", 83576.71)
    messages = _messages(_edited(tmp_path, edit_margin))
    sheet, cell = name_cell(build_workbook("inference"), "MARGIN_AMOUNT")
    assert "MARGIN_AMOUNT 83,576.71 is not MARGIN 0.15 × 557,178.00 = 83,576.70" in messages[f"{sheet}!{cell}"]


def test_report_refuses_a_quote_that_does_not_add_up_and_writes_nothing(tmp_path):
    def edit(wb):
        _set(wb, "SUBTOTAL", 557178.01)
    path = _edited(tmp_path, edit)
    out = tmp_path / "out.pdf"
    result = CliRunner().invoke(main, ["report", str(path), "-o", str(out)])
    assert result.exit_code == 2
    assert "SUBTOTAL 557,178.01 is not the sum of the printed line-item amounts, 557,178.00" in result.output
    assert not out.exists()


def test_a_unit_price_with_too_many_decimals_is_refused(tmp_path):
    def edit(wb):
        _set(wb, "SERVE_GPU_HOUR_PRICE", 6.15512345)
    message = _messages(_edited(tmp_path, edit))["Quote!D15"]
    assert "has 8 decimals" in message and "=ROUND(" in message


def test_shipped_workbooks_round_every_amount_in_excel():
    wb = openpyxl.load_workbook(Path(__file__).resolve().parents[1] / "workbooks" / "training_quote.xlsx")
    quote = wb["Quote"]
    assert quote["E15"].value == "=ROUND(B15*D15,2)"
    for name in ("MARGIN_AMOUNT", "DISCOUNT_AMOUNT", "TAX_AMOUNT"):
        sheet, cell = name_cell(wb, name)
        assert str(wb[sheet][cell].value).startswith("=ROUND("), name


def test_lines_that_cost_the_same_per_unit_show_one_sell_unit_price():
    """Data (200 TB-months) and checkpoints (3.39 TB-months) are stored at one catalog price, 18.6263 a
    TB-month (storage_prices.csv); with the 15 % margin it sells at 18.6263 x 1.15 = 21.420245, so
    21.42025 makes both lines multiply out (200 x 21.42025 = 4,284.05; 3.39 x 21.42025 = 72.61): one price,
    not 21.42025 on one line and 21.42 on the other."""
    from xlcompute.report.context import build_context

    lines = {line["description"]: line for line in build_context(evaluate(SHIPPED / "training_quote.xlsx"))["price"]["lines"]}
    data, checkpoints = lines["Storage for data"], lines["Checkpoint storage"]
    assert data["unit_price"] == checkpoints["unit_price"] == Decimal("21.42025")
    for line, quantity in ((data, Decimal(200)), (checkpoints, Decimal("3.39"))):
        assert cents(line["unit_price"] * quantity) == line["amount"]
