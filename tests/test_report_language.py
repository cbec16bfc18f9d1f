"""Proposals in Chinese and English: the message catalog covers every text, and Babel's CLDR
formats give numbers, money and dates as each language writes them."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from click.testing import CliRunner
from pypdf import PdfReader

from xlcompute import locale
from xlcompute.cli import main
from xlcompute.report.formatting import money
from xlcompute.report.render import report_workbook

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "xlcompute"


def _texts_to_translate() -> set[str]:
    """Every text the code and templates mark for translation, extracted as `make messages` does."""
    method_map = [("**/workbook/generate.py", "xlcompute.workbook.translate:extract_texts"),
                  ("**/core/formula.py", "xlcompute.report.formula_texts:extract_texts"),
                  ("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
    return {message[2] for message in extract_from_dir(str(PACKAGE), method_map, options) if isinstance(message[2], str)}


def test_every_text_has_a_chinese_translation():
    po = PACKAGE / "locale" / "zh_CN" / "LC_MESSAGES" / "xlcompute.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(_texts_to_translate() - set(translated))
    assert not missing, f"run `make messages` and translate: {missing}"
    for msgid, text in translated.items():  # placeholders survive translation
        for placeholder in ("%(", "{page}", "{pages}"):
            assert msgid.count(placeholder) == text.count(placeholder), msgid


@pytest.mark.parametrize(("value", "lang", "expected"), [
    (70.6e9, "en", "70.6 billion"), (70.6e9, "zh-CN", "706亿"),      # CLDR long compact forms
    (1_234_567, "en", "1.23 million"), (1_234_567, "zh-CN", "123万"),
    (1500, "en", "1,500"), (0.4, "en", "0.4"),
    (8.47e23, "en", "8.47 × 10²³"),
])
def test_numbers_read_as_each_language_writes_them(value, lang, expected):
    assert locale.format_number(value, lang) == expected


def test_money_and_dates_by_language():
    # Amounts: the same digits in every language, the ISO code in front (the template), no negative zero.
    assert money(Decimal("-0.001")) == "0.00" and money(1234.5) == "1,234.50"
    assert locale.format_date(dt.date(2025, 6, 2), "en") == "2 June 2025"
    assert locale.format_date(dt.date(2025, 6, 2), "zh-CN") == "2025年6月2日"
    assert locale.format_percent(0.15, "zh-CN") == "15%"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_chinese_proposal_is_in_chinese_with_embedded_cjk_fonts(tmp_path):
    source = tmp_path / "serving_quote.xlsx"
    shutil.copy(REPO / "workbooks" / "serving_quote.xlsx", source)
    pdf = report_workbook(source, tmp_path / "zh.pdf", lang="zh-CN").pdf
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    for chinese in ("算力成本报价书", "报价编号", "2025年6月2日", "有效期至", "假设与风险", "方法说明", "条款与确认",
                    "总计 [USD]", "按需"):
        assert chinese in text, chinese
    assert re.search(r"第 2 页，共 \d+ 页", text)
    for english in ("Assumptions and risks", "Terms and acceptance", "Valid until", "Page 2 of"):
        assert english not in text, english
    fonts = set()
    for page in PdfReader(pdf).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("WenQuanYi" in f or "Noto" in f and "CJK" in f for f in fonts), fonts  # embedded subset (+ABCDEF+Name)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_internal_chinese_proposal_translates_breakdown_charts_and_known_workbook_texts(tmp_path):
    """The internal version in Chinese: its sections, the formula breakdown's titles and meanings (from the
    formula registry), the charts and the English shipped workbook's own labels, which the catalog knows."""
    from xlcompute.core.memory import weights_bytes
    from xlcompute.report.formula_texts import formula_texts

    source = tmp_path / "training_quote.xlsx"
    shutil.copy(REPO / "workbooks" / "training_quote.xlsx", source)
    pdf = report_workbook(source, tmp_path / "zh.pdf", audience="internal", lang="zh-CN").pdf
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    zh = locale.gettext_for("zh-CN")
    assert weights_bytes.__formula__.title in formula_texts()
    for english in ("Formula breakdown", "Sources of catalog data", "Price build-up", "Cost by line item",
                    "Training compute", "GPU-hours"):
        assert zh(english) != english, english  # the catalog has it ...
        assert zh(english) in text, english  # ... and the document shows it
    for english in ("Formula breakdown", "Sources of catalog data", "Results of the workbook's Estimate sheet",
                    "recomputed with TRAIN_GPU_HOURS"):
        assert english not in text, english


def test_translated_texts_are_plain_text_never_the_catalog_header():
    assert locale.translate_text("", "zh-CN") == "" and locale.translate_text(None, "zh-CN") is None
    assert locale.translate_text("Not a text xlcompute wrote <b>", "zh-CN") == "Not a text xlcompute wrote <b>"
    assert locale.translate_text("Subtotal", "en") == "Subtotal"
    assert type(locale.translate_text("Subtotal", "zh-CN")) is str  # never Markup: the template escapes it


def test_unknown_language_is_refused_in_one_line(tmp_path):
    source = tmp_path / "serving_quote.xlsx"
    shutil.copy(REPO / "workbooks" / "serving_quote.xlsx", source)
    result = CliRunner().invoke(main, ["report", str(source), "--lang", "fr"])
    assert result.exit_code == 2 and "fr" in result.output and "Traceback" not in result.output
    assert not source.with_suffix(".pdf").exists()
