"""Any number of options (issue 13): the Options table holds one row or many, and a customer adds
or deletes rows in Excel; the recommendation, the Inputs that price it, ``check`` and the proposal
read every row the table's ref spans (structured references such as ``Options[GPU]``).

Figures are hand-worked from the serving quote's demand (9 replicas of 2 H100s or 11 of one H200,
tests/test_options.py) and the catalog's list prices (xlcompute/catalog/data/prices.csv): RunPod
H100 SXM on-demand 2.69, RunPod H200 spot 3.59, GCP H100 1-year committed 7.673 (a3-highgpu-8g, 8
GPUs), CoreWeave H200 on-demand 6.305 (8 GPUs), Lambda H100 SXM on-demand 3.99 (8 GPUs) USD per
GPU-hour, 730 hours a month.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from money_helpers import pdf_text
from xlcompute.cli import main
from xlcompute.core.errors import XlcomputeError
from xlcompute.report.context import build_context
from xlcompute.report.render import report_workbook
from xlcompute.workbook.check import check_workbook
from xlcompute.workbook.generate import build_workbook
from xlcompute.workbook.options_sheet import DEFAULT_OPTIONS, FIRST_ROW, HEADERS, Option, parse_option, row_formulas

H100 = DEFAULT_OPTIONS[0]
LAMBDA = Option("H100 on-demand (Lambda)", "h100-sxm", "lambda", "on_demand", 8)
COREWEAVE = Option("H200 on-demand (CoreWeave)", "h200", "coreweave", "on_demand", 8)


def _monthly(ev) -> dict[str, float]:
    return {row["name"]: float(row["monthly"]) for row in build_context(ev, "internal")["options"]["rows"]}


def _check(tmp_path: Path, options: tuple[Option, ...]):
    path = tmp_path / f"options-{len(options)}.xlsx"
    build_workbook("inference", compared=options).save(path)
    ev, problems = check_workbook(path)
    assert problems == []
    return path, ev


def test_one_option_is_compared_with_itself_and_quoted(tmp_path):
    _, ev = _check(tmp_path, (H100,))
    # 18 H100s x 2.69 x 730 h = 35,346.60 a month; the quote: 424,159.20 + support 18,000.00, margin 15 %,
    # discount 5 % = 483,058.93 (tests/test_options.py works it out).
    assert _monthly(ev) == {H100.name: 35_346.60}
    assert ev.value("RECOMMENDED") == H100.name and ev.value("TOTAL") == pytest.approx(483_058.93, abs=0.005)


def test_two_options_recommend_the_cheaper_that_meets_the_targets(tmp_path):
    _, ev = _check(tmp_path, (LAMBDA, H100))
    # Lambda rents 8-GPU nodes: 18 GPUs -> 24 x 3.99 x 730 = 69,904.80, dearer than RunPod's 35,346.60.
    assert _monthly(ev) == {LAMBDA.name: 69_904.80, H100.name: 35_346.60}
    assert ev.value("RECOMMENDED_ROW") == 2 and ev.value("SERVE_PROVIDER") == "runpod"


def test_five_options_from_the_command_line_are_checked_and_printed(tmp_path):
    path = tmp_path / "five.xlsx"
    args = ["new", "--kind", "serving", "--customer", "Example Retail plc", str(path)]
    for text in ("h100-sxm:runpod:on_demand", "h200:runpod:spot", "h100-sxm:gcp:committed_use_1y",
                 "h200:coreweave:on_demand", "h100-sxm:lambda:on_demand:8"):
        args[1:1] = ["--option", text]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    ev, problems = check_workbook(path)
    assert problems == []
    # GPUs per node default to the catalog instance's: a3-highgpu-8g and CoreWeave's HGX nodes hold 8.
    assert _monthly(ev) == {"h100-sxm on_demand (lambda)": 69_904.80, "h200 on_demand (coreweave)": 73_642.40,
                            "h100-sxm committed_use_1y (gcp)": 134_430.96, "h200 spot (runpod)": 29_132.85,
                            "h100-sxm on_demand (runpod)": 35_346.60}
    assert ev.value("RECOMMENDED") == "h100-sxm on_demand (runpod)"
    text = " ".join(pdf_text(report_workbook(path, tmp_path / "five.pdf").pdf).split())
    # Each row at the customer's sell price a month, cost x (1 + 15 %) x (1 - 5 %) to the cent.
    for sell in ("76,370.99", "80,454.32", "146,865.82", "31,827.64", "38,616.16"):
        assert sell in text
    assert "h100-sxm on_demand (runpod) is recommended" in text


def test_an_option_the_catalog_does_not_price_is_refused_with_its_text():
    with pytest.raises(XlcomputeError, match=r"--option h100-sxm:runpod:sp: pricing: .*Did you mean 'spot'"):
        parse_option("h100-sxm:runpod:sp")
    with pytest.raises(XlcomputeError, match=r"expected GPU:PROVIDER:PRICING\[:GPUS_PER_NODE\]"):
        parse_option("h100-sxm:runpod")
    with pytest.raises(XlcomputeError, match="a training quote compares no serving options"):
        build_workbook("training", compared=(H100,))
    assert parse_option(" h100-sxm : gcp : committed_use_1y ").gpus_per_node == 8


def _grow_or_shrink(ws, rows: list[tuple]) -> None:
    """The table with these option rows, as Excel leaves it when the customer adds or deletes rows:
    each row's formulas are those of the row above, moved down, and the table's ref spans them."""
    table = ws.tables["Options"]
    first, last = table.ref.split(":")
    old_last = int("".join(ch for ch in last if ch.isdigit()))
    for r in range(FIRST_ROW, max(old_last, FIRST_ROW + len(rows) - 1) + 1):
        for col in range(1, len(HEADERS) + 1):
            ws.cell(row=r, column=col).value = None
    for r, values in enumerate(rows, start=FIRST_ROW):
        formulas = row_formulas(r)
        for col, header in enumerate(HEADERS, start=1):
            ws.cell(row=r, column=col, value=values[col - 1] if col <= len(values) else formulas[header])
    table.ref = f"{first}:{''.join(ch for ch in last if ch.isalpha())}{FIRST_ROW + len(rows) - 1}"


def test_a_row_the_customer_adds_in_excel_is_compared(tmp_path):
    wb = build_workbook("inference")
    shipped = [tuple(option.__dict__.values()) for option in DEFAULT_OPTIONS]
    _grow_or_shrink(wb["Options"], shipped + [tuple(LAMBDA.__dict__.values())])
    wb.save(tmp_path / "added.xlsx")
    ev, problems = check_workbook(tmp_path / "added.xlsx")
    assert problems == [] and len(_monthly(ev)) == 4
    assert _monthly(ev)[LAMBDA.name] == 69_904.80 and ev.value("RECOMMENDED") == H100.name


def test_a_row_the_customer_deletes_in_excel_is_no_longer_compared_and_the_quote_follows(tmp_path):
    wb = build_workbook("inference")
    _grow_or_shrink(wb["Options"], [tuple(option.__dict__.values()) for option in DEFAULT_OPTIONS[1:]])
    wb.save(tmp_path / "deleted.xlsx")
    ev, problems = check_workbook(tmp_path / "deleted.xlsx")
    assert problems == [] and H100.name not in _monthly(ev)
    # The spot H200 misses TTFT, so GCP's committed H100s are quoted: 24 GPUs x 730 h x 12 months x 7.673
    # = 1,613,171.52 + support 18,000.00 = 1,631,171.52; margin 15 % = 244,675.73; discount 5 % of
    # 1,875,847.25 = 93,792.36; total 1,782,054.89.
    assert ev.value("RECOMMENDED") == "H100 1-year committed (GCP)" and ev.value("SERVE_PROVIDER") == "gcp"
    assert ev.value("TOTAL") == pytest.approx(1_782_054.89, abs=0.005)
    assert openpyxl.load_workbook(tmp_path / "deleted.xlsx")["Inputs"]["B5"].value == "=INDEX(Options[GPU],RECOMMENDED_ROW)"
