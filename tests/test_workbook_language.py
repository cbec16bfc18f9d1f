"""`xlcompute new --lang zh-CN`: a workbook whose labels, units and notes are in Chinese, from the
same message catalog as the proposal, and that computes exactly what the English one does."""

from __future__ import annotations

import shutil
import subprocess

import openpyxl
import pytest
from click.testing import CliRunner

from xlcompute.cli import main
from xlcompute.workbook import contract as c
from xlcompute.workbook.check import check_workbook
from xlcompute.workbook.evaluate import evaluate
from xlcompute.workbook.generate import KINDS
from xlcompute.report.render import report_workbook


def _new(tmp_path, kind: str, lang: str):
    path = tmp_path / f"{kind}-{lang}.xlsx"
    result = CliRunner().invoke(main, ["new", "--kind", kind, "--lang", lang, "--customer", "华东算力有限公司",
                                       "--number", "Q-1", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_chinese_workbook_computes_what_the_english_one_does(tmp_path, kind):
    english, chinese = _new(tmp_path, kind, "en"), _new(tmp_path, kind, "zh-CN")
    ev_en, problems_en = check_workbook(english)
    ev_zh, problems_zh = check_workbook(chinese)
    assert problems_zh == problems_en == []
    for name in ("TOTAL", "SUBTOTAL", "GPU_COUNT", "DURATION_DAYS"):
        assert ev_zh.value(name) == ev_en.value(name), name
    wb = openpyxl.load_workbook(chinese)
    assert wb.sheetnames[:3] == list(c.SHEETS)  # the contract's sheet names stay
    labels = [wb[c.INPUTS_SHEET].cell(row=r, column=1).value for r in range(4, 12)]
    chinese = [label for label in labels if any("\u4e00" <= ch <= "\u9fff" for ch in str(label))]
    assert len(chinese) >= len(labels) - 2, labels  # "GPU", "PUE" read the same in Chinese
    quote = wb[c.QUOTE_SHEET]
    table = quote.tables[c.LINE_ITEMS_TABLE]
    header_row = quote[table.ref.split(":")[0]].row
    assert tuple(cell.value for cell in quote[header_row][:5]) == c.LINE_ITEM_COLUMNS  # the contract's header


def test_names_and_catalog_ids_are_never_translated(tmp_path):
    wb = openpyxl.load_workbook(_new(tmp_path, "inference", "zh-CN"))
    for name in ("SERVE_MODEL", "WEIGHT_PRECISION", "CURRENCY", "CUSTOMER"):
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        assert wb[sheet][ref.replace("$", "")].value in ("llama-3.1-70b", "h100-sxm", "fp8", "USD", "华东算力有限公司")
    # The options' catalog ids (SERVE_GPU reads the recommended one) and the table's header stay; only
    # the names a reader sees are translated.
    assert [wb["Options"][f"{col}8"].value for col in "ABCD"] == ["H100 按需（RunPod）", "h100-sxm", "runpod",
                                                                  "on_demand"]
    assert [wb["Options"][f"{col}7"].value for col in "AB"] == ["Option", "GPU"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_chinese_option_names_are_recommended_and_printed_as_the_english_ones_are(tmp_path):
    english, chinese = _new(tmp_path, "inference", "en"), _new(tmp_path, "inference", "zh-CN")
    (ev_en, problems_en), (ev_zh, problems_zh) = check_workbook(english), check_workbook(chinese)
    assert problems_en == problems_zh == []
    # RECOMMENDED is the name in the recommended row: it follows the translation, and the same option
    # (row, GPU, provider, pricing) is quoted for the same total.
    assert (ev_en.value("RECOMMENDED"), ev_zh.value("RECOMMENDED")) == ("H100 on-demand (RunPod)", "H100 按需（RunPod）")
    for name in ("RECOMMENDED_ROW", "SERVE_GPU", "SERVE_PROVIDER", "SERVE_PRICING", "TOTAL"):
        assert ev_zh.value(name) == ev_en.value(name), name
    wb = openpyxl.load_workbook(chinese)
    names = [wb["Options"][f"A{row}"].value for row in range(8, 11)]
    assert names == ["H100 按需（RunPod）", "H200 竞价实例（RunPod）", "H100 1 年承诺使用（GCP）"]  # still distinct
    pdf = report_workbook(chinese, tmp_path / "zh.pdf", lang="zh-CN").pdf
    flat = "".join(subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout.split())
    assert "推荐H100按需（RunPod）：" in flat and "H200竞价实例（RunPod）" in flat  # the recommendation says why
    assert "on-demand(RunPod)" not in flat


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_a_chinese_workbook_renders_a_chinese_proposal(tmp_path):
    path = _new(tmp_path, "training", "zh-CN")
    pdf = report_workbook(path, tmp_path / "zh.pdf", lang="zh-CN").pdf
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    flat = "".join(text.split())
    for chinese in ("华东算力有限公司", "GPU算力，最终训练", "失败运行与重启", "检查点存储", "训练中处理的token数", "总计[USD]"):
        assert chinese in flat, chinese
    assert "lambda" in flat and "目录ID" not in flat  # the provider in the scope; no unit on catalog names
    assert "xlcompute：" not in text  # the workbook's own remarks are left out of the customer's notes


def test_unknown_language_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["new", "--lang", "fr", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2 and "fr" in result.output and not (tmp_path / "x.xlsx").exists()
