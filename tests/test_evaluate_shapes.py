"""The headless engine compiles each formula shape once (xlcompute.workbook.evaluate._excel_model_class).

Copies of a formula share one compiled `formulas` pipe with their own input cells, and plain
pipes run as direct calls. The whole solution must be exactly what plain
``formulas.ExcelModel`` gives, on shapes that may and may not be shared: input order that
changes down a column (``=A1+A5``), references that collide (``=A3+$A3+A$3``), functions that
read their own position (ROW(), COLUMN()), defined names, quoted sheet names, text, errors,
unknown functions and failing xlcompute functions.
"""

from __future__ import annotations

import numpy as np
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


def _solution(model, path):
    with ev._quiet_engine():
        solution = model.loads(str(path)).finish().calculate()
    out = {}
    for key, value in solution.items():
        value = getattr(value, "value", value)
        out[str(key)] = repr(np.asarray(value).tolist()) if hasattr(value, "shape") else repr(value)
    return out


def test_shared_shapes_give_exactly_the_plain_engines_solution(tmp_path):
    path = _workbook(tmp_path / "shapes.xlsx")
    ev.register(ev.xlcompute_functions())
    formulas = pytest.importorskip("formulas")
    plain = _solution(formulas.ExcelModel(), path)
    model = ev._excel_model_class()()
    shared = _solution(model, path)
    assert shared == plain
    assert len(plain) > 330  # every cell has a value: nothing dropped by either engine
    # Sharing happened (so the comparison above tests it), and not where it must not.
    kinds = {}
    for name, cell in model.cells.items():
        pipe = getattr(getattr(cell, "func", None), "func", None)
        column = name.split("!")[-1].rstrip("0123456789")
        kinds.setdefault(column, set()).add(type(getattr(pipe, "run", pipe)).__name__)
    assert kinds["H"] == {"_Steps"} and kinds["G"] == {"_Steps"}
    assert "_Steps" not in kinds["D"] and "_Steps" not in kinds["I"]  # ROW()/COLUMN(): compiled per cell


def test_evaluate_reads_the_shared_values_and_errors(tmp_path):
    result = ev.evaluate(_workbook(tmp_path / "shapes.xlsx"))
    assert result.mode == "headless"
    assert result.values[("S", "B6")] == pytest.approx(3 + 1.5)  # A6 + A5
    assert result.values[("S", "C3")] == pytest.approx(3 * -1.5)
    assert result.values[("S", "D7")] == 7 * 2 + 4
    assert result.values[("S", "J2")] == "#NAME?"
    messages = [str(issue) for issue in result.issues]
    assert any(m.startswith("S!J1:") and "NOPE" in m for m in messages)
    assert any(m.startswith("S!H1:") and "TRAIN_FLOPS() returned #VALUE!" in m for m in messages)
