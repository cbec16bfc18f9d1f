"""Issue 13, honest ranges: TOTAL_LOW <= TOTAL <= TOTAL_HIGH in the generated workbooks.

The low and high totals are hand-worked below from the shipped workbooks' own inputs and the
validation's bands (TYPICAL_MFU of H100 bf16 dense at 1,024 GPUs: 0.239 / 0.345 / 0.498; the
TensorRT-LLM serving band x0.738 - x1.251, docs/validation.md), each amount rounded to the cent
as the quote rounds it. Tolerance: none (amounts are cents).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest

from xlcompute.functions.spec import REGISTRY
from xlcompute.workbook.check import check_workbook
from xlcompute.workbook.evaluate import evaluate
from xlcompute.workbook.generate import write_workbook

WORKBOOKS = Path(__file__).resolve().parents[1] / "workbooks"


def _cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _total(subtotal: Decimal, margin=Decimal("0.15"), discount=Decimal("0.05")) -> Decimal:
    m = _cents(subtotal * margin)
    d = _cents((subtotal + m) * discount)
    return subtotal + m - d  # tax rate 0 in the samples


def test_the_bands_the_hand_worked_figures_use():
    mfu = [REGISTRY["TYPICAL_MFU"].run("h100-sxm", "bf16", "llama-3.1-70b", 1024, case).value
           for case in ("low", "base", "high")]
    assert mfu == [0.314, 0.4, 0.508]
    assert [REGISTRY["SPEED_BAND"].run("h100-sxm", None, case).value for case in ("low", "high")] == [0.738, 1.251]


def test_training_quote_low_and_high_totals_hand_worked():
    ev = evaluate(WORKBOOKS / "training_quote.xlsx")
    # GPU-hours at MFU 0.40: 594,186.5 -> /1024/24 = 24.18 -> 25 reserved days; at 0.314: x0.40/0.314 =
    # 756,925 -> 30.80 -> 31 days; at 0.508: 467,863 -> 19.04 -> 20 days.
    assert ev.value("GPU_HOURS") == pytest.approx(594186.5, abs=0.1)
    assert (ev.value("RESERVED_DAYS_LOW"), ev.value("RESERVED_DAYS"), ev.value("RESERVED_DAYS_HIGH")) == (20, 25, 31)
    price = Decimal("3.99")  # Lambda on-demand H100 SXM, the catalog row the sample prices at
    storage = Decimal("18.6263")  # Google Cloud Storage Standard per TB-month (storage_prices.csv)
    assert ev.value("GPU_HOUR_PRICE") == 3.99 and ev.value("STORAGE_PRICE") == 18.6263
    fixed = Decimal(15 * 1200)  # engineering

    def whole(x: Decimal) -> Decimal:
        return x.quantize(Decimal(1), rounding=ROUND_HALF_UP)

    def total(days: int) -> Decimal:
        # The program's lines (experiments 0.25, evaluation 0.05, goodput 0.9, contingency 5%), each in whole
        # GPU-hours; data (200 TB) and three 70B checkpoints (3.3866 TB) for the whole storage months.
        billed = Decimal(1024 * days * 24)
        work = billed * Decimal("1.3")
        hours = [billed, whole(billed * Decimal("0.25")), whole(billed * Decimal("0.05")),
                 whole(work * Decimal("0.1") / Decimal("0.9")), whole(Decimal("0.05") * work / Decimal("0.9"))]
        months = max(1, -(-days // 30))
        checkpoints = _cents(Decimal(str(ev.value("CHECKPOINT_STORAGE_TB"))) * months)
        return _total(sum(_cents(h * price) for h in hours) + _cents(200 * months * storage)
                      + _cents(checkpoints * storage) + fixed)

    assert total(25) == Decimal("4085764.27") == _cents(Decimal(str(ev.value("TOTAL"))))
    assert total(20) == Decimal("3273372.18") == _cents(Decimal(str(ev.value("TOTAL_LOW"))))
    assert total(31) == Decimal("5064775.16") == _cents(Decimal(str(ev.value("TOTAL_HIGH"))))


def test_serving_quote_low_and_high_totals_hand_worked():
    ev = evaluate(WORKBOOKS / "serving_quote.xlsx")
    # 7,500 tokens/s needed at peak (60,000 daily users x 12 requests x 3 / 86,400 s x 300 tokens),
    # 1,310.7 per 2-GPU replica at most 80% busy: 7.15 -> 8 replicas + 1 spare = 9; at x0.738: 9.69
    # -> 10 + 1 = 11; at x1.251: 5.72 -> 6 + 1 = 7. GPU-hours: replicas x 2 GPUs x 12 months x 730 h at
    # 2.69 (RunPod rents single GPUs: no rounding to nodes).
    assert ev.value("REPLICA_TOKENS_PER_S") == pytest.approx(1310.72, abs=0.01)
    assert (ev.value("REPLICAS_LOW"), ev.value("REPLICAS"), ev.value("REPLICAS_HIGH")) == (7, 9, 11)

    def total(replicas: int) -> Decimal:
        return _total(_cents(replicas * 2 * 12 * 730 * Decimal("2.69")) + Decimal(12 * 1500))

    assert total(9) == Decimal("483058.93") == _cents(Decimal(str(ev.value("TOTAL"))))
    assert total(7) == Decimal("380082.50") == _cents(Decimal(str(ev.value("TOTAL_LOW"))))
    assert total(11) == Decimal("586035.35") == _cents(Decimal(str(ev.value("TOTAL_HIGH"))))


@pytest.mark.parametrize("name", ["training_quote.xlsx", "serving_quote.xlsx"])
def test_shipped_range_shows_without_the_add_in(name):
    """The cached values (what Excel without the add-in shows) hold the range, to the cent."""
    wb = openpyxl.load_workbook(WORKBOOKS / name, data_only=True)
    values = {}
    for key in ("TOTAL_LOW", "TOTAL", "TOTAL_HIGH"):
        ((sheet, cell),) = wb.defined_names[key].destinations
        values[key] = wb[sheet][cell.replace("$", "")].value
        assert isinstance(values[key], float) and values[key] == pytest.approx(round(values[key], 2), abs=1e-6)
    assert values["TOTAL_LOW"] < values["TOTAL"] < values["TOTAL_HIGH"]


def test_both_kind_has_an_ordered_range_and_passes_check(tmp_path):
    path = write_workbook(tmp_path / "both.xlsx", "both")
    ev, problems = check_workbook(path)
    assert problems == []
    assert ev.value("TOTAL_LOW") < ev.value("TOTAL") < ev.value("TOTAL_HIGH")


def test_check_flags_a_range_that_does_not_hold_the_total_at_its_cell(tmp_path):
    path = write_workbook(tmp_path / "t.xlsx", "training")
    wb = openpyxl.load_workbook(path)
    ((sheet, cell),) = wb.defined_names["TOTAL_HIGH"].destinations
    wb[sheet][cell.replace("$", "")] = 1000.0
    wb.save(path)
    _, problems = check_workbook(path)
    flagged = [p for p in problems if "TOTAL_HIGH" in p.message]
    assert len(flagged) == 1
    assert (flagged[0].sheet, flagged[0].cell) == (sheet, cell.replace("$", ""))
    assert "below TOTAL" in flagged[0].message


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_shows_the_range_without_the_add_in(tmp_path):
    """Outside oracle: LibreOffice (no add-in, default settings) shows the range row's stored values."""
    profile = tmp_path / f"profile-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    target = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    names = ("training_quote.xlsx", "serving_quote.xlsx")
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--calc", "--convert-to",
                    target, "--outdir", str(tmp_path), *(str(WORKBOOKS / n) for n in names)],
                   check=True, capture_output=True, timeout=240)
    for name in names:
        rows = list(csv.reader((tmp_path / f"{Path(name).stem}-Quote.csv").open(encoding="utf-8")))
        (band,) = [row for row in rows if len(row) > 5 and row[3] == "Total in the band"]
        ev = evaluate(WORKBOOKS / name)
        assert float(band[4]) == pytest.approx(ev.value("TOTAL_LOW"), abs=0.005), name
        assert float(band[5]) == pytest.approx(ev.value("TOTAL_HIGH"), abs=0.005), name
        assert float(band[4]) < ev.value("TOTAL") < float(band[5])
