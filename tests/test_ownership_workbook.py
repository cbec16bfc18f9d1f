"""``xlcompute new --kind ownership`` (buy versus rent) and the quote warnings of ``xlcompute check``."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlcompute.cli import main
from xlcompute.core import finance
from xlcompute.workbook.check import check_workbook
from xlcompute.workbook.evaluate import evaluate
from xlcompute.workbook.generate import build_workbook, write_workbook
from xlcompute.workbook.ownership_scenario import SCHEDULE_MONTHS
from xlcompute.workbook.quote_checks import (PLACEHOLDER_CUSTOMER, is_placeholder_customer, new_quote_number,
                                             quote_warnings)

SAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "training_quote.xlsx"


def _set(wb, values: dict) -> None:
    for name, value in values.items():
        (title, coord), = list(wb.defined_names[name].destinations)
        wb[title][coord.replace("$", "")].value = value


@pytest.fixture(scope="module")
def small_case(tmp_path_factory):
    """One 8-GPU DGX H100 against the same 8 GPUs rented at 2.00 per GPU-hour, with round inputs."""
    wb = build_workbook("ownership")
    _set(wb, {"SERVER_UNIT_PRICE": 300_000, "RENT_GPU_HOUR_PRICE": 2.0, "TARIFF": 0.10, "POWER_FRACTION": 1.0,
              "PUE": 1.5, "COLO_PER_KW_MONTH": 100, "STAFF_PER_MONTH": 1000, "ANNUAL_RATE": 0.08, "TERM_MONTHS": 36,
              "USEFUL_LIFE_YEARS": 5, "RESIDUAL_FRACTION": 0.10, "HOURS_PER_MONTH": 730})
    path = tmp_path_factory.mktemp("own") / "small.xlsx"
    wb.save(path)
    return check_workbook(path)


def test_small_case_by_hand(small_case):
    ev, problems = small_case
    assert problems == []
    v = ev.value
    # Energy: 8 GPUs x 730 h x 700 W (H100 SXM TDP, NVIDIA datasheet) x 1.0 x PUE 1.5 = 6,132 kWh a month.
    assert v("MONTHLY_KWH") == pytest.approx(6132.0)
    # Running: power 613.20 + colocation 10.2 kW (DGX H100 guide, 10.2 kW max) x 100 + staff 1,000 = 2,633.20.
    assert v("MONTHLY_RUNNING_COST") == pytest.approx(2633.20)
    assert v("MONTHLY_RENT") == pytest.approx(8 * 730 * 2.0)  # 11,680
    # Book value after 36 of 60 months, from 300,000 down to 30,000: 300,000 - 270,000 x 36/60 = 138,000.
    assert v("VALUE_AT_END") == pytest.approx(138_000)
    # Monthly rate i = 1.08^(1/12) - 1; annuity factor a = (1 - 1.08^-3) / i over 36 months.
    i = 1.08 ** (1 / 12) - 1
    annuity = (1 - 1.08 ** -3) / i
    assert annuity == pytest.approx(32.04, abs=0.01)  # annuity tables: 36 payments at 0.6434 % a month
    own = 300_000 + 2633.20 * annuity - 138_000 * 1.08 ** -3
    rent = 11_680 * annuity
    assert v("OWN_NPV") == pytest.approx(own, rel=1e-12)
    assert v("RENT_NPV") == pytest.approx(rent, rel=1e-12)
    assert v("NPV_SAVING") == pytest.approx(rent - own, rel=1e-12)
    assert v("DECISION") == "buy"
    assert v("BREAK_EVEN_MONTHS") == pytest.approx(300_000 / (11_680 - 2633.20), rel=1e-12)  # 33.16 months
    # Emissions: 6,132 kWh x 36 months x 0.41272 kg/kWh (us-central1, Google 2024 data).
    assert v("TERM_CO2E_KG") == pytest.approx(6132 * 36 * 0.41272, rel=1e-12)


def test_small_case_equals_the_core_formulas_and_the_schedule(small_case):
    ev, _ = small_case
    v = ev.value
    assert v("OWN_NPV") == pytest.approx(finance.ownership_present_cost(300_000, 2633.20, 36, 138_000, 0.08), rel=1e-12)
    assert v("RENT_NPV") == pytest.approx(finance.present_value_monthly(11_680, 36, 0.08), rel=1e-12)
    assert v("BREAK_EVEN_MONTHS") == pytest.approx(finance.break_even_month(300_000, 2633.20, 11_680), rel=1e-12)
    # The schedule's plain formulas give the same present costs, and buying has cost less from month 34.
    assert v("SCHEDULE_OWN_NPV") == pytest.approx(v("OWN_NPV"), rel=1e-9)
    assert v("SCHEDULE_RENT_NPV") == pytest.approx(v("RENT_NPV"), rel=1e-9)
    assert v("SCHEDULE_BREAK_EVEN") == math.ceil(v("BREAK_EVEN_MONTHS")) == 34


def test_default_ownership_workbook_uses_the_catalogs_and_checks_clean(tmp_path):
    path = write_workbook(tmp_path / "own.xlsx", "ownership")
    ev, problems = check_workbook(path)
    assert problems == [] and ev.mode == "cached" and ev.stale == []  # values stored by xlcompute (issue 12)
    assert ev.value("SERVER_UNIT_PRICE") == 375_000  # dgx-h100, servers.csv
    assert ev.value("RENT_GPU_HOUR_PRICE") == pytest.approx(4.8581)  # gcp committed_use_3y, prices.csv
    assert ev.value("GRID_KG_PER_KWH") == pytest.approx(0.41272)  # us-central1
    assert ev.value("GPU_COUNT") == 8 and ev.value("DURATION_DAYS") == round(36 * 730 / 24)
    assert ev.value("SCHEDULE_OWN_NPV") == pytest.approx(ev.value("OWN_NPV"), rel=1e-9)
    functions = {call.function for cell in ev.xlcompute_cells for call in cell.calls}
    assert {"SERVER_PRICE", "GRID_INTENSITY", "GPU_PRICE", "ENERGY_KWH", "BOOK_VALUE", "OWNERSHIP_COST",
            "PRESENT_VALUE", "BREAK_EVEN_MONTH", "CO2E_KG"} <= functions


def test_schedule_rows_after_the_term_are_blank_and_a_longer_term_is_flagged(tmp_path):
    wb = build_workbook("ownership")
    assert wb["Schedule"].max_row == 9 + SCHEDULE_MONTHS
    _set(wb, {"TERM_MONTHS": SCHEDULE_MONTHS + 12})
    path = tmp_path / "long.xlsx"
    wb.save(path)
    _, problems = check_workbook(path)
    assert any(p.sheet == "Schedule" for p in problems)  # INDEX past the last month: an error, listed


def test_a_server_without_published_power_needs_a_typed_figure(tmp_path):
    wb = build_workbook("ownership")
    _set(wb, {"SERVER": "hgx-h100"})
    path = tmp_path / "hgx.xlsx"
    wb.save(path)
    _, problems = check_workbook(path)
    assert any("SERVER_POWER_KW" in str(p) or "has no published system_power_w" in str(p) for p in problems)
    _set(wb, {"SERVER_POWER_KW": 8.0})
    wb.save(path)
    ev, problems = check_workbook(path)
    assert problems == [] and ev.value("SERVER_UNIT_PRICE") == pytest.approx(296_644)


# --- new quotes and check's warnings (issue 12) ------------------------------------------------


def test_quote_numbers_are_dated_and_differ():
    day = dt.date(2026, 3, 9)
    assert new_quote_number(day, "00AF") == "Q-20260309-00AF"
    numbers = {new_quote_number(day) for _ in range(20)}
    assert len(numbers) > 1 and all(re.fullmatch(r"Q-20260309-[0-9A-F]{4}", n) for n in numbers)


@pytest.mark.parametrize("name, flagged", [
    (PLACEHOLDER_CUSTOMER, True), ("Example Research Ltd", True), ("<Client>", True), ("TBD", True),
    ("Acme Robotics GmbH", False), ("Exemplary Foods Ltd", False), ("", False),
])
def test_placeholder_customers(name, flagged):
    assert is_placeholder_customer(name) is flagged


def test_new_writes_a_quote_dated_today_with_a_fresh_number_and_a_placeholder_customer(tmp_path):
    runner = CliRunner()
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert runner.invoke(main, ["new", str(first)]).exit_code == 0
    assert runner.invoke(main, ["new", "--kind", "ownership", str(second)]).exit_code == 0
    quotes = [openpyxl.load_workbook(p)["Quote"] for p in (first, second)]
    today = dt.date.today()
    for ws in quotes:
        assert ws["B5"].value.date() == today  # QUOTE_DATE
        assert ws["B3"].value == PLACEHOLDER_CUSTOMER
        assert re.fullmatch(rf"Q-{today:%Y%m%d}-[0-9A-F]{{4}}", ws["B4"].value)
    result = runner.invoke(main, ["check", str(first)])
    assert result.exit_code == 0, result.output
    assert "warning: Quote!B3: placeholder customer name '<Customer name>': replace before sending" in result.output
    assert "expired" not in result.output and "after the quote date" not in result.output
    named = tmp_path / "c.xlsx"
    assert runner.invoke(main, ["new", "--customer", "Acme Robotics GmbH", "--number", "Q-77", str(named)]).exit_code == 0
    ws = openpyxl.load_workbook(named)["Quote"]
    assert (ws["B3"].value, ws["B4"].value) == ("Acme Robotics GmbH", "Q-77")
    assert "warning" not in runner.invoke(main, ["check", str(named)]).output


def test_check_warns_about_an_expired_quote_and_later_catalog_prices_but_passes():
    # The shipped training sample is dated 2025-06-02, valid 30 days, and cites Lambda's H100 price of 2026-09-20.
    result = CliRunner().invoke(main, ["check", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "warning: Quote!B7: the quote expired on 2025-07-02" in result.output
    assert "cites a catalog price (3.99) dated 2026-09-20, after the quote date 2025-06-02" in result.output
    assert "OK (" in result.output


def test_quote_warnings_depend_on_today():
    ev = evaluate(SAMPLE)
    within = quote_warnings(ev, today=dt.date(2025, 7, 2))  # the last valid day
    assert not any("expired" in w.message for w in within)
    assert any("expired on 2025-07-02" in w.message for w in quote_warnings(ev, today=dt.date(2025, 7, 3)))
