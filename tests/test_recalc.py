"""`xlcompute recalc`: fresh cached values written into a workbook, nothing else in it changed.

Workbooks are written with openpyxl (no cached values, as a script leaves them); the recalculated
file is read back with openpyxl (values and everything else) and compared part by part with the
original; LibreOffice, which knows no xlcompute function, opens it and shows the numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table

from xlcompute.cli import main
from xlcompute.core.training import train_flops
from xlcompute.workbook.evaluate import evaluate

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _workbook(path: Path) -> Path:
    """Two sheets of inputs and formulas, with names, formats, a table, validation, a chart..."""
    wb = openpyxl.Workbook()
    inputs = wb.active
    inputs.title = "Inputs"
    inputs["A1"], inputs["B1"] = "Parameters", 7e9
    inputs["A2"], inputs["B2"] = "Tokens", 2e12
    inputs["A3"], inputs["B3"] = "Start", dt.date(2025, 6, 2)
    inputs["B1"].number_format = "#,##0"
    inputs["B1"].font = Font(bold=True)
    inputs["B2"].fill = PatternFill("solid", fgColor="FFF2CC")
    inputs["B1"].comment = Comment("from the model card", "xlcompute")
    inputs.column_dimensions["A"].width = 24
    wb.defined_names["PARAMS"] = DefinedName("PARAMS", attr_text="Inputs!$B$1")
    wb.defined_names["TOKENS"] = DefinedName("TOKENS", attr_text="Inputs!$B$2")
    validation = DataValidation(type="decimal", operator="greaterThan", formula1="0")
    inputs.add_data_validation(validation)
    validation.add("B1:B2")

    est = wb.create_sheet("Estimate")
    est.append(["Item", "Amount"])
    est["A2"], est["B2"] = "FLOPs", "=TRAIN_FLOPS(PARAMS,TOKENS)"
    est["A3"], est["B3"] = "PF-days", "=B2/(1E+15*86400)"
    est["A4"], est["B4"] = "Cost", "=ROUND(B3*100,2)"
    est["B2"].number_format = "0.00E+00"
    est.add_table(Table(displayName="Costs", ref="A1:B4"))
    est["D1"] = "=SUM(Costs[Amount])"
    est["D2"] = '=IF(B4>1000,"large","small")'
    est["D3"] = "=B4>0"
    est["D4"] = "=1/0"
    est["D5"] = "=Inputs!B3+30"
    est["D6"] = "=TRAIN_FLOPS(-1,TOKENS)"
    est["D7"] = "=ISERROR(D6)"
    est.merge_cells("F1:G1")
    est["F1"] = "merged"
    est.conditional_formatting.add("B2:B4", CellIsRule(operator="greaterThan", formula=["0"], font=Font(color="9C0006")))
    chart = BarChart()
    chart.add_data(Reference(est, min_col=2, min_row=1, max_row=4), titles_from_data=True)
    est.add_chart(chart, "I2")
    wb.save(path)
    return path


def _run(*args: str):
    return CliRunner().invoke(main, ["recalc", *args])


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def _without_values(xml: bytes) -> bytes:
    """A sheet's XML without cached values and their types (what recalc may change)."""
    xml = re.sub(rb"<v>[^<]*</v>|<v\s*/>", b"", xml)
    return re.sub(rb'(<c [^>]*?) t="(?:str|b|e|n)"', rb"\1", xml)


def test_recalc_writes_the_values_and_keeps_everything_else(tmp_path):
    source = _workbook(tmp_path / "book.xlsx")
    out = tmp_path / "out.xlsx"
    result = _run(str(source), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Recalculated 10 formula(s)" in result.output
    assert "Estimate!D4" in result.output and "Estimate!D6" in result.output  # errors, listed

    values = openpyxl.load_workbook(out, data_only=True)["Estimate"]
    flops = train_flops(7e9, 2e12)
    assert values["B2"].value == flops
    assert values["B3"].value == pytest.approx(flops / 8.64e19)
    assert values["B4"].value == round(flops / 8.64e19 * 100, 2)
    assert values["D1"].value == pytest.approx(flops + flops / 8.64e19 + round(flops / 8.64e19 * 100, 2))
    assert values["D2"].value == "large" and values["D3"].value is True
    assert values["D4"].value == "#DIV/0!" and values["D6"].value == "#VALUE!" and values["D7"].value is True
    assert values["D5"].value == 45810 + 30  # 2025-06-02 is serial 45810

    # Formulas, names, formats, tables, validation, merged cells, comments, the chart: unchanged.
    before, after = _parts(source), _parts(out)
    assert before.keys() == after.keys()
    for name in before:
        if name.startswith("xl/worksheets/sheet"):
            assert _without_values(after[name]) == _without_values(before[name]), name
        elif name == "xl/workbook.xml":  # only the calculation settings: keep the values on opening
            calc = re.compile(rb"<calcPr[^>]*>")
            assert calc.findall(before[name]) == [b'<calcPr calcId="124519" fullCalcOnLoad="1" />']
            assert re.fullmatch(rb'<calcPr\s+calcId="191029"\s*/>', calc.findall(after[name])[0])
            assert calc.sub(b"", after[name]) == calc.sub(b"", before[name])
        else:
            assert after[name] == before[name], name
    wb = openpyxl.load_workbook(out)
    assert wb["Estimate"]["B2"].value == "=TRAIN_FLOPS(PARAMS,TOKENS)"
    assert set(wb.defined_names) == {"PARAMS", "TOKENS"}
    assert wb["Inputs"]["B1"].number_format == "#,##0" and wb["Inputs"]["B1"].font.b
    assert list(wb["Estimate"].tables) == ["Costs"]
    assert str(wb["Inputs"].data_validations.dataValidation[0].sqref) == "B1:B2"
    assert [str(r) for r in wb["Estimate"].merged_cells.ranges] == ["F1:G1"]
    assert any(name.startswith("xl/charts/") for name in after)


def test_recalc_in_place_then_evaluate_reads_fresh_cached_values(tmp_path):
    source = _workbook(tmp_path / "book.xlsx")
    assert evaluate(source).mode == "headless"
    result = _run(str(source))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]  # no temporary file left
    ev = evaluate(source)
    assert ev.mode == "cached" and ev.stale == []
    assert ev.values[("Estimate", "B2")] == train_flops(7e9, 2e12)
    twice = tmp_path / "twice.xlsx"
    assert _run(str(source), "-o", str(twice)).exit_code == 0
    assert twice.read_bytes() == source.read_bytes()  # recalculating fresh values changes nothing


@pytest.mark.parametrize("formula, expected", [
    ("=NOPE(B1)", "the formula engine does not know a function or name"),
    ("=A5", "circular reference"),
    ("=SUM(", "cannot parse"),
])
def test_recalc_refuses_what_it_cannot_evaluate_and_writes_nothing(tmp_path, formula, expected):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet One"
    ws["B1"] = 2
    ws["A5"] = formula if formula != "=A5" else "=A6"
    ws["A6"] = "=A5+1"
    path = tmp_path / "bad.xlsx"
    wb.save(path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = _run(str(path))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert str(path) in result.output and "sheet 'Sheet One'" in result.output and "cell A5" in result.output
    assert expected in result.output and "nothing was written" in result.output
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.xlsx"]


def test_recalc_rejects_a_file_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("not a workbook")
    result = _run(str(path))
    assert result.exit_code == 2 and "Traceback" not in result.output and "notes.xlsx" in result.output
    assert path.read_text() == "not a workbook"


def _shared(path: Path, column: str, rows: range) -> Path:
    """The workbook with ``column``'s formulas in ``rows`` stored as one shared formula, as Excel
    writes a filled-down column."""
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    name = "xl/worksheets/sheet1.xml"
    xml = parts[name].decode()
    first, last = rows[0], rows[-1]
    for row in rows:
        pattern = re.compile(rf'(<c r="{column}{row}"[^>]*>)<f>([^<]*)</f>')
        if row == first:
            xml = pattern.sub(rf'\1<f t="shared" ref="{column}{first}:{column}{last}" si="0">\2</f>', xml)
        else:
            xml = pattern.sub(r'\1<f t="shared" si="0"/>', xml)
    parts[name] = xml.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for part, data in parts.items():
            out.writestr(part, data)
    path.write_bytes(buffer.getvalue())
    return path


def test_shared_formulas_are_recorded_per_cell_and_written_per_cell(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in range(1, 5):
        ws[f"A{row}"] = row * 1e9
        ws[f"B{row}"] = f"=TRAIN_FLOPS(A{row},1E+12)"
        ws[f"C{row}"] = f"=B{row}*2"
    wb.save(tmp_path / "shared.xlsx")
    path = _shared(tmp_path / "shared.xlsx", "B", range(1, 5))
    assert b'<f t="shared" si="0"/>' in _parts(path)["xl/worksheets/sheet1.xml"]
    ev = evaluate(path)
    assert [c.address for c in ev.xlcompute_cells] == [f"Sheet!B{row}" for row in range(1, 5)]
    for row, cell in enumerate(ev.xlcompute_cells, start=1):
        (call,) = cell.calls
        assert call.args == (row * 1e9, 1e12) and cell.value == train_flops(row * 1e9, 1e12)
    assert _run(str(path)).exit_code == 0
    values = openpyxl.load_workbook(path, data_only=True).active
    assert [values[f"C{row}"].value for row in range(1, 5)] == [2 * train_flops(row * 1e9, 1e12) for row in range(1, 5)]
    assert b'<f t="shared" si="0"/>' in _parts(path)["xl/worksheets/sheet1.xml"]  # formulas as they were


@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_recalculated_workbook_with_the_numbers(tmp_path):
    source = _workbook(tmp_path / "book.xlsx")
    assert _run(str(source)).exit_code == 0
    profile = tmp_path / "profile"  # a fresh profile: LibreOffice's defaults, no forced recalculation
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--calc", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2",
                    "--outdir", str(tmp_path / "csv"), str(source)], check=True, capture_output=True, timeout=180)
    rows = list(csv.reader((tmp_path / "csv" / "book-Estimate.csv").open(encoding="utf-8")))
    flops = train_flops(7e9, 2e12)
    assert float(rows[1][1]) == pytest.approx(flops, rel=1e-6)  # TRAIN_FLOPS, unknown to LibreOffice
    assert float(rows[3][1]) == pytest.approx(round(flops / 8.64e19 * 100, 2), rel=1e-6)
    assert rows[1][3] == "large" and rows[3][3] == "#DIV/0!"


@pytest.mark.parametrize("layout", ["cells and rows without r", "indented"])
def test_sheets_written_by_other_writers_are_read_and_written_cell_by_cell(tmp_path, layout):
    # The r attribute of <c> and <row> is optional in the file format, and whitespace between
    # elements is allowed; some writers leave r out, some indent.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"], ws["A2"], ws["C2"], ws["B3"] = 2, "=A1*3", 5e9, "=TRAIN_FLOPS(A2,1E+12)", "=B1+1"
    wb.save(tmp_path / "plain.xlsx")
    parts = _parts(tmp_path / "plain.xlsx")
    xml = parts["xl/worksheets/sheet1.xml"]
    if layout == "indented":
        xml = xml.replace(b"<f>", b"\n    <f>").replace(b"<v", b"\n    <v").replace(b"</c>", b"\n  </c>")
    else:
        xml = xml.replace(b'<c r="A1"', b"<c").replace(b'<c r="B1"', b"<c").replace(b'<row r="3"', b"<row")
    parts["xl/worksheets/sheet1.xml"] = xml
    path = tmp_path / "implicit.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    ev = evaluate(path)
    assert {k: ev.values[k] for k in ev.formulas} == {("Sheet", "B1"): 6, ("Sheet", "C2"): train_flops(5e9, 1e12),
                                                     ("Sheet", "B3"): 7}
    assert _run(str(path)).exit_code == 0
    values = openpyxl.load_workbook(path, data_only=True).active
    assert (values["B1"].value, values["C2"].value, values["B3"].value) == (6, train_flops(5e9, 1e12), 7)
