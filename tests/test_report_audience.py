"""The customer's and the internal version of the proposal: what each shows and hides, sell
prices that multiply out to the cent, one value per convention, plain citations."""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlcompute.cli import main
from xlcompute.core.errors import XlcomputeError
from xlcompute.report.audience import citations, customer_price, publishers
from xlcompute.core.money import decimals
from xlcompute.report.formatting import money, price as price_text
from xlcompute.report.render import report_workbook
from xlcompute.workbook.evaluate import evaluate
from xlcompute.workbook.generate import SHIPPED

REPO = Path(__file__).resolve().parents[1]
WORKBOOKS = REPO / "workbooks"
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> dict[tuple[str, str], tuple[Path, str]]:
    """(workbook name, audience) -> (workbook copy, PDF text)."""
    directory = tmp_path_factory.mktemp("audience")
    out = {}
    for name in SHIPPED:
        source = directory / name
        shutil.copy(WORKBOOKS / name, source)
        for audience in ("customer", "internal"):
            result = report_workbook(source, directory / f"{source.stem}-{audience}.pdf", audience=audience)
            out[name, audience] = source, _text(result.pdf)
    return out


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(",", "").replace("−", "-"))


#: A printed price line: description, quantity, unit, unit price, amount (pdftotext -layout).
LINE = re.compile(r"^\s*(?P<description>\S.*?)\s{2,}(?P<quantity>[\d,]+(?:\.\d+)?)\s{2,}(?P<unit>\S+)\s{2,}"
                  r"(?P<price>[\d,]+\.\d{2,})\s{2,}(?P<amount>[\d,]+\.\d{2})\s*$", re.MULTILINE)


def _total_line(text: str, label: str) -> Decimal | None:
    found = re.search(rf"^\s*{re.escape(label)}.*?\s{{2,}}([−\-]?[\d,]+\.\d{{2}})\s*$", text, re.MULTILINE)
    return _amount(found.group(1)) if found else None


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_customer_version_hides_margin_supplier_prices_and_internal_material(versions, name):
    source, text = versions[name, "customer"]
    ev = evaluate(source)
    assert "Margin" not in text and "margin" not in text
    assert money(ev.value("MARGIN_AMOUNT")) not in text
    for price_name in ("GPU_HOUR_PRICE", "SERVE_GPU_HOUR_PRICE", "STORAGE_PRICE", "ENGINEERING_RATE", "SUPPORT_RATE"):
        if price_name in ev.names:  # the supplier's list price and cost rates appear nowhere
            assert not re.search(rf"(?<![\d,.]){re.escape(money(ev.value(price_name)))}(?![\d])", text), price_name
    for internal in ("published.json", "Seed 0", "seed 0", "xlcompute.core", "`", "github.com/", "Formula breakdown",
                     "Inputs!", "Estimate!", "catalog id", "docs/"):
        assert internal not in text, internal
    workload = text.split("Your workload", 1)[1].split("What it takes", 1)[0]
    assert "Serving provider" not in workload and "Cloud provider" not in workload and "list price" not in workload
    for part in ("Scope", "Price", "Assumptions and risks", "Methodology", "References", "Terms and acceptance",
                 "Accepted for", "Signature", "This quote is valid until 2 July 2025"):
        assert part in text, part
    assert str(ev.value("CUSTOMER")) in text and str(ev.value("QUOTE_NUMBER")) in text


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_customer_lines_multiply_out_and_add_up_to_the_workbook_total(versions, name):
    source, text = versions[name, "customer"]
    ev = evaluate(source)
    price_page = text.split("Price", 1)[1].split("What the price is based on", 1)[0]
    lines = list(LINE.finditer(price_page))
    assert len(lines) == len(ev.tables) and len(lines) >= 2 or len(lines) >= 2
    for line in lines:
        quantity, price, amount = (_amount(line[k]) for k in ("quantity", "price", "amount"))
        assert (quantity * price).quantize(Decimal("0.01")) == amount, line.group(0)
    amounts = sum(_amount(line["amount"]) for line in lines)
    subtotal = _total_line(price_page, "Subtotal") or amounts
    assert subtotal == amounts
    discount = _total_line(price_page, "Discount") or Decimal(0)
    tax = _total_line(price_page, "Tax") or Decimal(0)
    total = _total_line(price_page, "Total [USD]")
    assert total == subtotal + discount + tax  # the discount is printed negative
    assert total == Decimal(str(ev.value("TOTAL"))).quantize(Decimal("0.01"))
    # The sell lines carry the whole margin: they add up to the workbook's cost subtotal plus margin.
    assert amounts == (Decimal(str(ev.value("SUBTOTAL"))) + Decimal(str(ev.value("MARGIN_AMOUNT")))).quantize(Decimal("0.01"))


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_internal_version_adds_margin_supplier_prices_and_breakdown(versions, name):
    source, text = versions[name, "internal"]
    ev = evaluate(source)
    assert "Internal version" in text and "Margin (15 %)" in text
    assert money(ev.value("MARGIN_AMOUNT")) in text
    assert "Formula breakdown" in text and "Sources of catalog data" in text


def test_serving_quote_states_one_kv_cache_precision(versions):
    _, text = versions["serving_quote.xlsx", "customer"]
    rows = re.findall(r"KV-cache\s+precision\s+(\w+)", text)
    assert rows == ["fp8"], rows


def test_two_values_of_one_convention_are_each_attributed_to_their_cells(tmp_path):
    wb = openpyxl.load_workbook(WORKBOOKS / "serving_quote.xlsx")
    sheet, cell = list(wb.defined_names["KV_PRECISION"].destinations)[0]
    wb[sheet][cell.replace("$", "")] = "bf16"  # the KV cache at bf16 while the speed model follows fp8 weights
    source = tmp_path / "mixed.xlsx"
    wb.save(source)
    result = report_workbook(source, tmp_path / "mixed.pdf", html=True)
    html = result.html.read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td>KV-cache precision</td><td[^>]*>(\w+)</td>\s*<td>([^<]*)</td>", html)
    # GPUS_NEEDED and KV_CACHE_GB take the workbook's bf16; TOKENS_PER_S, TTFT_MS and TPOT_MS follow
    # the fp8 weights. The Options sheet's calls repeat these and are not listed again.
    assert [(value, meaning.split("used by ")[1].strip()) for value, meaning in rows] == [
        ("bf16", "KV cache per replica, GPUs per replica"),
        ("fp8", "Output throughput per replica, Time to first token, Time per output token")]


def test_sell_prices_spread_the_margin_to_the_cent():
    # Hand-worked: 87,600 GPU-hours x 2.69 = 235,644.00 and 12 months x 1,500 = 18,000.00; 15% margin
    # = 38,046.60; sell lines 235,644 x 1.15 = 270,990.60 (3.0935 per GPU-hour) and 20,700.00 (1,725.00).
    items = [{"description": "GPUs", "quantity": "87,600", "quantity_value": 87600, "unit": "GPU-hour",
              "amount": 235644.0},
             {"description": "Support", "quantity": "12", "quantity_value": 12, "unit": "month", "amount": 18000.0}]
    price = customer_price(items, {"subtotal": 253644.0, "margin_amount": 38046.6, "discount_amount": 14584.53,
                                   "tax_amount": 0.0, "total": 277106.07})
    assert [line["amount"] for line in price["lines"]] == [Decimal("270990.60"), Decimal("20700.00")]
    assert [line["unit_price"] for line in price["lines"]] == [Decimal("3.0935"), Decimal("1725.00")]
    assert price_text(price["lines"][0]["unit_price"]) == "3.0935"
    assert price["subtotal"] == Decimal("291690.60") and price["total"] == Decimal("277106.07")
    assert price["matches_workbook"]


def test_rounding_remainder_goes_to_the_largest_line_so_lines_add_up():
    # Three lines of 0.10 with a 0.05 margin: each sells at 0.1167 -> 0.12, 0.36 in all; the lines must add
    # to 0.35, so the largest (the first) takes the -0.01 and prints 0.11.
    items = [{"description": str(i), "quantity": "1", "quantity_value": 1, "unit": "x", "amount": 0.10} for i in range(3)]
    price = customer_price(items, {"subtotal": 0.30, "margin_amount": 0.05, "discount_amount": 0, "tax_amount": 0,
                                   "total": 0.35})
    assert [line["amount"] for line in price["lines"]] == [Decimal("0.11"), Decimal("0.12"), Decimal("0.12")]
    assert price["total"] == Decimal("0.35")


def test_unit_price_gets_the_decimals_it_needs_to_multiply_out():
    # 3 units for 1.00: 0.33 x 3 = 0.99, 0.333 x 3 = 0.999 -> 1.00 to the cent.
    items = [{"description": "x", "quantity": "3", "quantity_value": 3, "unit": "u", "amount": 1.00}]
    price = customer_price(items, {"subtotal": 1.00, "margin_amount": 0, "discount_amount": 0, "tax_amount": 0,
                                   "total": 1.00})
    line = price["lines"][0]
    assert line["unit_price"] == Decimal("0.333") and decimals(line["unit_price"]) == 3


def test_no_negative_zero():
    assert money(-0.0) == "0.00" and money(Decimal("-0.00")) == "0.00" and money(-0.001) == "0.00"
    assert price_text(Decimal("-0.000")) == "0.00"


def test_citations_keep_published_works_and_drop_internal_notes():
    refs = ["Seed 003 §01 (KV = 2·b·s·L·h·B); Kwon et al. 2023 (vLLM, arXiv:2309.06180) §3",
            "See kv_elements_per_token_gqa and kv_elements_per_token_mla",
            "Component formulas below; HF transformers module layouts (see xlcompute.core.params)",
            "Kwon et al. 2023 (vLLM, arXiv:2309.06180) §3"]
    assert citations(refs) == ["Kwon et al. 2023 (vLLM, arXiv:2309.06180) §3"]


def test_publishers_are_sites_never_paths():
    source = ("nvidia.com/en-us/data-center/h100/ product specifications; https://github.com/stas00/ml-engineering/"
              "blob/744d01e/compute/accelerator/README.md (published.json note)")
    assert publishers(source) == "nvidia.com, github.com"


def test_cli_audience_and_language_options(tmp_path):
    source = tmp_path / "serving_quote.xlsx"
    shutil.copy(WORKBOOKS / "serving_quote.xlsx", source)
    runner = CliRunner()
    internal = runner.invoke(main, ["report", str(source), "-o", str(tmp_path / "i.pdf"), "--audience", "internal"])
    assert internal.exit_code == 0, internal.output
    assert "Formula breakdown" in _text(tmp_path / "i.pdf")
    bad = runner.invoke(main, ["report", str(source), "--audience", "board"])
    assert bad.exit_code == 2 and "board" in bad.output and "Traceback" not in bad.output
    with pytest.raises(XlcomputeError, match="audience"):
        report_workbook(source, tmp_path / "x.pdf", audience="board")
    assert not (tmp_path / "x.pdf").exists()
