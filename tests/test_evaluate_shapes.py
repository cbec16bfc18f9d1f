"""Columns of copied formulas evaluate cell by cell with their own inputs: input order that
changes down a column (``=A1+A5``), references that collide (``=A3+$A3+A$3``), functions that
read their own position (ROW(), COLUMN()), defined names, quoted sheet names, text, errors,
unknown functions and failing xlcompute functions.
"""

from __future__ import annotations

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from xlcompute.workbook import evaluate as ev


def _workbook(path):
    wb = openpyxl.Workbook()
    inputs = wb.active
    inputs.title = "In puts"
    inputs["B1"], inputs["B2"] = 0.4, 3
    wb.defined_names["MFU"] = DefinedName("MFU", attr_text="'In puts'!$B$1")
    wb.defined_names["PAIR"] = DefinedName("PAIR", attr_text="'In puts'!$B$1:$B$2")
    ws = wb.create_sheet("S")
    for r in range(1, 31):
        ws[f"A{r}"] = r * 1.5 - 6 if r % 7 else "text"
        ws[f"B{r}"] = f"=A{r}+A5"  # inputs swap places at row 5, meet at row 5
        ws[f"C{r}"] = f"=A{r}+$A{r}+A$3"  # two references become one cell at row 3
        ws[f"D{r}"] = "=ROW()*2+COLUMN()"  # the formula's own position
        ws[f"E{r}"] = f'=IF(A{r}>10,"big","small")&" "&S!A{r}'
        ws[f"F{r}"] = f"=SUM($A$1:A{r})*MFU+SUM(PAIR)+'In puts'!$B$2"
        ws[f"G{r}"] = f"=IFERROR(B{r}/(A{r}-1.5),-1)+1/A{r}"  # #DIV/0!, #VALUE!
        ws[f"H{r}"] = f"=TRAIN_FLOPS(A{r}*1E+9,B{r}*1E+9)"  # errors for negative inputs
        ws[f"I{r}"] = f"=INDEX($A$1:$A$30,ROW())+a{r}"
        ws[f"J{r}"] = f"=NOPE(A{r})"  # an unknown function: #NAME?
        ws[f"K{r}"] = f"=SQRT(A{r})+Z{r}"  # #NUM! and empty cells
    wb.save(path)
    return path


def test_evaluate_reads_the_shared_values_and_errors(tmp_path):
    result = ev.evaluate(_workbook(tmp_path / "shapes.xlsx"))
    assert result.mode == "headless"
    assert result.values[("S", "B6")] == pytest.approx(3 + 1.5)  # A6 + A5
    assert result.values[("S", "C3")] == pytest.approx(3 * -1.5)
    assert result.values[("S", "D7")] == 7 * 2 + 4
    assert result.values[("S", "E2")] == "small -3"
    assert result.values[("S", "F3")] == pytest.approx((-4.5 - 3 - 1.5) * 0.4 + 3.4 + 3)
    assert result.values[("S", "G5")] == pytest.approx(-1 + 1 / 1.5)  # IFERROR of #DIV/0!
    assert result.values[("S", "I4")] == pytest.approx(0 + 0)  # INDEX at its own row, plus A4 (0)
    assert result.values[("S", "J2")] == "#NAME?"
    assert result.values[("S", "K2")] == "#NUM!"  # SQRT(-3)
    assert result.values[("S", "H9")] == pytest.approx(6 * 7.5e9 * 9e9)  # A9 = 7.5, B9 = A9 + A5 = 9
    messages = [str(issue) for issue in result.issues]
    assert any(m.startswith("S!J1:") and "NOPE()" in m for m in messages)
    assert any(m.startswith("S!H1:") and "TRAIN_FLOPS() returned #VALUE!" in m for m in messages)
