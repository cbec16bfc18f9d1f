"""The rent-or-buy section of an ownership proposal: the workbook's net present costs, saving and
break-even month, and the cumulative-cost chart from its Schedule sheet."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from click.testing import CliRunner

from xlcompute.cli import main
from xlcompute.report.formatting import money
from xlcompute.report.ownership import cumulative_costs
from xlcompute.report.render import report_workbook
from xlcompute.workbook.evaluate import evaluate


@pytest.fixture(scope="module")
def ownership(tmp_path_factory):
    path = tmp_path_factory.mktemp("own") / "own.xlsx"
    result = CliRunner().invoke(main, ["new", "--kind", "ownership", "--customer", "Acme", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_the_schedule_series_start_at_the_purchase_and_end_at_the_term(ownership):
    ev = evaluate(ownership)
    series = cumulative_costs(ev)
    months = int(ev.value("TERM_MONTHS"))
    assert series["months"] == [float(m) for m in range(months + 1)]
    assert series["own"][0] == pytest.approx(ev.value("PURCHASE_PRICE")) and series["rent"][0] == 0
    # Month m: purchase + m x running cost, and m x rent (the Schedule sheet's plain formulas).
    assert series["own"][-1] == pytest.approx(ev.value("PURCHASE_PRICE") + months * ev.value("MONTHLY_RUNNING_COST"))
    assert series["rent"][-1] == pytest.approx(months * ev.value("MONTHLY_RENT"))


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_proposal_states_the_decision_with_the_workbooks_figures(ownership, tmp_path):
    ev = evaluate(ownership)
    result = report_workbook(ownership, tmp_path / "own.pdf", html=True)
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(result.pdf), "-"], check=True, capture_output=True,
                                   text=True).stdout.split())
    cheaper = "Buying" if ev.value("DECISION") == "buy" else "Renting"
    assert f"{cheaper} costs less over {ev.value('TERM_MONTHS')} months: USD {money(abs(ev.value('NPV_SAVING')))}" in text
    assert money(ev.value("OWN_NPV")) in text and money(ev.value("RENT_NPV")) in text
    assert "Cumulative cost of owning and renting" in result.html.read_text(encoding="utf-8")  # the chart, as SVG text
    zh = report_workbook(ownership, tmp_path / "own-zh.pdf", lang="zh-CN").pdf
    zh_text = subprocess.run(["pdftotext", "-layout", str(zh), "-"], check=True, capture_output=True, text=True).stdout
    assert "租用还是购买" in zh_text and "Rent or buy" not in zh_text


def test_a_quote_that_is_not_a_comparison_has_no_such_section(tmp_path):
    from pathlib import Path

    source = Path(__file__).resolve().parents[1] / "workbooks" / "serving_quote.xlsx"
    shutil.copy(source, tmp_path / "s.xlsx")
    html = report_workbook(tmp_path / "s.xlsx", tmp_path / "s.pdf", html=True).html.read_text(encoding="utf-8")
    assert "Rent or buy" not in html
