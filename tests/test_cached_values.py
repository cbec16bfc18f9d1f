"""Issue 12: workbooks that show numbers everywhere.

Every formula cell of a shipped or generated workbook carries its value (xlcompute computes it),
so Excel without the add-in, LibreOffice and WPS show numbers instead of #NAME?; every sheet
prints one page wide; `xlcompute recalc` writes whole spilled ranges into a user's workbook.
LibreOffice, with its default settings (no recalculation of ordinary formulas on opening),
is the outside oracle: it converts the files to CSV and PDF.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.styles import Font
from openpyxl.utils import range_boundaries
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.formula import ArrayFormula

from xlcompute.cli import main
from xlcompute.core.training import train_flops
from xlcompute.workbook import functions_demo
from xlcompute.workbook.evaluate import evaluate
from xlcompute.workbook.generate import KINDS, SHIPPED, write_workbook
from xlcompute.workbook.print_setup import CALC_ID
from xlcompute.workbook.quote_checks import expired_on

REPO = Path(__file__).resolve().parents[1]
WORKBOOKS = REPO / "workbooks"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
ALL_SHEETS_CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def _soffice(paths: list[Path], outdir: Path, target: str, profile: Path) -> None:
    """Convert ``paths`` with LibreOffice's default settings (a fresh profile of its own)."""
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--calc", "--convert-to",
                    target, "--outdir", str(outdir), *map(str, paths)], check=True, capture_output=True, timeout=240)


def _profile(tmp_path: Path) -> Path:
    return tmp_path / f"profile-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def _csv(path: Path) -> list[list[str]]:
    return list(csv.reader(path.open(encoding="utf-8")))


def _total_row(rows: list[list[str]]) -> float:
    (total,) = [row for row in rows if len(row) > 4 and row[3] == "Total"]
    return float(total[4])


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    """The shipped scenario workbooks and what `xlcompute new` writes for every kind."""
    work = tmp_path_factory.mktemp("new")
    books = {name: WORKBOOKS / name for name in SHIPPED}
    for kind in KINDS:
        result = CliRunner().invoke(main, ["new", "--kind", kind, str(work / f"new_{kind}.xlsx")])
        assert result.exit_code == 0, result.output
        books[f"new_{kind}.xlsx"] = work / f"new_{kind}.xlsx"
    return books


def test_every_formula_cell_carries_the_value_xlcompute_computes(written):
    for name, path in written.items():
        ev = evaluate(path)
        assert ev.mode == "cached" and ev.stale == [] and ev.issues == [], name
        saved = openpyxl.load_workbook(path, data_only=True)
        for (sheet, cell) in ev.formulas:
            value = saved[sheet][cell].value
            computed = ev.computed[(sheet, cell)]
            assert value is not None or computed == "", f"{name} {sheet}!{cell} has no cached value"
            value = to_excel(value) if isinstance(value, dt.datetime) else value  # a date's serial, as computed
            computed = None if computed == "" else computed  # an empty text reads back as a blank
            if isinstance(computed, float):
                assert value == pytest.approx(computed, rel=1e-15), f"{name} {sheet}!{cell}"
            else:
                assert value == computed, f"{name} {sheet}!{cell}"


def test_calculation_settings_keep_the_stored_values_on_opening(written):
    # openpyxl asks for a full recalculation on load (fullCalcOnLoad, Excel 2007's engine id):
    # Excel without the add-in would then replace every stored value by #NAME?.
    for name, path in {**written, functions_demo.FILENAME: WORKBOOKS / functions_demo.FILENAME}.items():
        with zipfile.ZipFile(path) as package:
            (calc,) = re.findall(rb"<calcPr[^>]*>", package.read("xl/workbook.xml"))
        assert b"fullCalcOnLoad" not in calc and f'calcId="{CALC_ID}"'.encode() in calc, name


@pytest.mark.libreoffice
@needs_soffice
def test_libreoffice_shows_every_number_and_the_total_without_the_add_in(written, tmp_path):
    _soffice(list(written.values()), tmp_path / "csv", ALL_SHEETS_CSV, _profile(tmp_path))
    for name, path in written.items():
        sheets = sorted((tmp_path / "csv").glob(f"{path.stem}-*.csv"))
        assert len(sheets) >= 4, name  # Inputs, Estimate, Quote, Lists (and ownership's schedule)
        for sheet in sheets:
            text = sheet.read_text(encoding="utf-8")
            assert "#NAME?" not in text and "#N/A" not in text and "#VALUE!" not in text, sheet.name
        quote = _csv(tmp_path / "csv" / f"{path.stem}-Quote.csv")
        ours = evaluate(path).value("TOTAL")
        assert _total_row(quote) == pytest.approx(ours, abs=0.005), name  # to the cent
        assert ours > 1000, name  # a real quote, not an empty cell read as 0


@pytest.mark.libreoffice
@needs_soffice
def test_libreoffice_prints_each_sheet_one_page_wide(tmp_path):
    # Without a print setup the training quote printed on 8 pages (its sheets split over 2-3 pages
    # each); now each visible sheet is one page (the hidden Lists sheet is not printed): Inputs,
    # Estimate and Quote, and the serving quote's Options.
    _soffice([WORKBOOKS / name for name in SHIPPED], tmp_path / "pdf", "pdf", _profile(tmp_path))
    for name in SHIPPED:
        pages = 4 if name == "serving_quote.xlsx" else 3
        pdf = tmp_path / "pdf" / Path(name).with_suffix(".pdf").name
        info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
        assert re.search(rf"Pages:\s+{pages}\n", info), (name, info)
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                              text=True).stdout
        assert "#NAME?" not in text and f"Page {pages} of {pages}" in text
        total = evaluate(WORKBOOKS / name).value("TOTAL")
        assert f"{total:,.2f}" in text  # the total, as the Quote sheet's number format shows it


def test_every_visible_sheet_prints_one_page_wide_with_a_print_area(written):
    for name, path in {**written, functions_demo.FILENAME: WORKBOOKS / functions_demo.FILENAME}.items():
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            if ws.sheet_state != "visible":
                continue
            setup = ws.page_setup
            assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), f"{name} {ws.title}"
            assert ws.sheet_properties.pageSetUpPr.fitToPage, f"{name} {ws.title}"
            sheet, area = ws.print_area.rsplit("!", 1)
            low_col, low_row, high_col, high_row = range_boundaries(area.replace("$", ""))
            used = range_boundaries(ws.dimensions)
            assert sheet == f"'{ws.title}'" and (low_col, low_row) == (1, 1), f"{name} {ws.title}"
            assert high_col >= used[2] and high_row >= used[3], f"{name} {ws.title}: prints all it holds"
        if "Inputs" in wb.sheetnames and name != functions_demo.FILENAME:
            assert wb["Inputs"].print_title_rows == "$3:$3"  # the header row repeats on each page


def test_new_writes_a_quote_dated_today_for_a_customer_still_to_be_named(written):
    ev = evaluate(written["new_training.xlsx"])
    today = dt.date.today()
    assert ev.value("QUOTE_DATE").date() == today
    assert re.fullmatch(rf"Q-{today:%Y%m%d}-[0-9A-F]{{4}}", ev.value("QUOTE_NUMBER"))
    assert ev.value("CUSTOMER") == "<Customer name>"
    assert expired_on(ev) is None and expired_on(ev, today + dt.timedelta(days=31)) == today + dt.timedelta(days=30)
    result = CliRunner().invoke(main, ["check", str(written["new_training.xlsx"])])
    assert result.exit_code == 0 and "placeholder customer" in result.output and "expired" not in result.output


def test_check_warns_and_report_marks_the_cover_of_an_expired_quote(tmp_path):
    # The shipped samples are dated 2025-06-02 and valid 30 days: examples, long expired.
    sample = WORKBOOKS / "training_quote.xlsx"
    checked = CliRunner().invoke(main, ["check", str(sample)])
    assert checked.exit_code == 0
    assert "warning: Quote!B7: the quote expired on 2025-07-02" in checked.output
    pdf = tmp_path / "sample.pdf"
    reported = CliRunner().invoke(main, ["report", str(sample), "-o", str(pdf)])
    assert reported.exit_code == 0, reported.output
    assert "warning: Quote!B7: the quote expired on 2025-07-02" in reported.output
    cover = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "This quote expired on 2 July 2025 and is no longer an offer" in cover and "EXPIRED" in cover
    fresh = write_workbook(tmp_path / "fresh.xlsx", "training", quote_date=dt.date.today(), customer="Acme Ltd")
    reported = CliRunner().invoke(main, ["report", str(fresh), "-o", str(tmp_path / "fresh.pdf")])
    assert reported.exit_code == 0 and "expired" not in reported.output
    cover = subprocess.run(["pdftotext", "-l", "1", str(tmp_path / "fresh.pdf"), "-"], check=True,
                           capture_output=True, text=True).stdout
    assert "expired" not in cover.lower()


# --------------------------------------------------------------------------------------------
# The demo's spilled ranges, and recalc of a user's array formulas
# --------------------------------------------------------------------------------------------


def test_the_demo_stores_every_spilled_value():
    path = WORKBOOKS / functions_demo.FILENAME
    ev = evaluate(path)
    assert ev.issues == [] and len(ev.spilled) > 100
    saved = openpyxl.load_workbook(path, data_only=True)
    for (sheet, cell), value in ev.spilled.items():
        expected = pytest.approx(value, rel=1e-15) if isinstance(value, float) else value
        assert saved[sheet][cell].value == expected, f"{sheet}!{cell}"
    # The PLAN table's first row, as the Tables sheet shows it without the add-in.
    assert [saved["Tables"].cell(2, c).value for c in (1, 2, 3)] == ["gpu", "precision", "tp"]


def _array_book(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row, params in enumerate((1e9, 7e9, 70e9), start=1):
        ws.cell(row, 1, params)
    ws["B1"] = ArrayFormula("B1:B3", "=TRAIN_FLOPS(A1:A3,1E+12)")
    ws["B2"].font = Font(italic=True)  # a styled cell of the spill: it exists in the file, empty
    ws["C5"] = ArrayFormula("C5:D6", "=A1:A2*{1,2}")  # rows 5 and 6 do not exist in the file
    ws["F9"] = "after"
    ws["E1"] = "=SUM(B1:B3)"
    wb.save(path)
    return path


def test_recalc_writes_every_cell_a_spill_fills_and_keeps_their_styles(tmp_path):
    path = _array_book(tmp_path / "arrays.xlsx")
    result = CliRunner().invoke(main, ["recalc", str(path)])
    assert result.exit_code == 0, result.output
    values = openpyxl.load_workbook(path, data_only=True).active
    flops = [train_flops(p, 1e12) for p in (1e9, 7e9, 70e9)]
    assert [values[f"B{r}"].value for r in (1, 2, 3)] == flops
    assert [[values.cell(r, c).value for c in (3, 4)] for r in (5, 6)] == [[1e9, 2e9], [7e9, 14e9]]
    assert values["E1"].value == pytest.approx(sum(flops)) and values["F9"].value == "after"
    formulas = openpyxl.load_workbook(path).active
    assert formulas["B1"].value.ref == "B1:B3" and formulas["B2"].font.i
    assert formulas.dimensions == "A1:F9"
    twice = tmp_path / "twice.xlsx"
    assert CliRunner().invoke(main, ["recalc", str(path), "-o", str(twice)]).exit_code == 0
    assert twice.read_bytes() == path.read_bytes()  # the stored spill is not taken for a blocking constant


@pytest.mark.libreoffice
@needs_soffice
def test_a_copy_saved_by_libreoffice_keeps_the_values_and_reports_cleanly(written, tmp_path):
    # Issue 12: LibreOffice used to save #NAME? in every computed cell, and report refused the copy.
    books = [written["training_quote.xlsx"], written["new_both.xlsx"]]
    _soffice(books, tmp_path / "saved", "xlsx", _profile(tmp_path))
    for book in books:
        saved = tmp_path / "saved" / book.name
        ev = evaluate(saved)
        assert ev.mode == "cached" and ev.issues == [] and ev.stale == [], book.name
        assert ev.recomputed_names == [], book.name  # LibreOffice kept every stored value
        assert round(ev.value("TOTAL"), 2) == round(evaluate(book).value("TOTAL"), 2), book.name
    result = CliRunner().invoke(main, ["report", str(tmp_path / "saved" / "new_both.xlsx"), "-o",
                                       str(tmp_path / "both.pdf")])
    assert result.exit_code == 0, result.output


def test_new_writes_the_customer_and_number_as_text_never_as_formulas(tmp_path):
    path = tmp_path / "quote.xlsx"
    customer, number = '=HYPERLINK("http://example.invalid","x")', "@SUM(1)"
    result = CliRunner().invoke(main, ["new", "--customer", customer, "--number", number, str(path)])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(path)["Quote"]
    ev = evaluate(path)
    for name, text in (("CUSTOMER", customer), ("QUOTE_NUMBER", number)):
        sheet, cell = ev.names[name]
        assert ws[cell].value == text and ws[cell].data_type == "s" and ws[cell].quotePrefix, name
        assert (sheet, cell) not in ev.formulas and ev.value(name) == text, name


def test_regenerating_the_shipped_workbooks_gives_the_same_bytes(tmp_path):
    # Fixed dates inside and on every zip entry: regenerating changes nothing, so the stored values
    # of the files in the repository are exactly what xlcompute computes from today's catalog.
    from xlcompute.workbook.generate import write_shipped

    written = write_shipped(tmp_path) + [functions_demo.write(tmp_path / functions_demo.FILENAME)]
    for path in written:
        assert path.read_bytes() == (WORKBOOKS / path.name).read_bytes(), (
            f"workbooks/{path.name} is out of date: run "
            "`python -c 'from xlcompute.workbook.generate import write_shipped; write_shipped(\"workbooks\")'` "
            "and `python -m xlcompute.workbook.functions_demo`")


def test_recalc_refuses_a_spill_it_cannot_place_and_writes_nothing(tmp_path):
    # Rows and cells may leave out their r attribute; the cells of a spill are then not located,
    # so recalc says so and leaves the file as it was instead of storing values half-way.
    path = _array_book(tmp_path / "arrays.xlsx")
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(b'<row r="2"', b"<row")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    before = path.read_bytes()
    result = CliRunner().invoke(main, ["recalc", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "sheet 'Sheet'" in result.output and "cannot be located" in result.output
    assert "nothing was written" in result.output and path.read_bytes() == before


@pytest.mark.parametrize("calc, expected", [
    (b'<calcPr calcId="124519" fullCalcOnLoad="1"/>', b'<calcPr calcId="191029"/>'),
    (b'<calcPr fullCalcOnLoad="1" calcId="999999" calcMode="manual"/>', b'<calcPr calcId="999999" calcMode="manual"/>'),
    (b"", b'<definedNames /><calcPr calcId="191029"/>'),  # none: one is added where the format puts it
])
def test_recalc_asks_for_no_recalculation_on_opening(tmp_path, calc, expected):
    path = _array_book(tmp_path / "arrays.xlsx")
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    parts["xl/workbook.xml"] = re.sub(rb"<calcPr[^>]*>", calc, parts["xl/workbook.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    assert CliRunner().invoke(main, ["recalc", str(path)]).exit_code == 0
    with zipfile.ZipFile(path) as package:
        workbook = package.read("xl/workbook.xml")
    assert expected in workbook
    assert re.sub(rb"<calcPr[^>]*>", b"", workbook) == re.sub(rb"<calcPr[^>]*>", b"", parts["xl/workbook.xml"])
