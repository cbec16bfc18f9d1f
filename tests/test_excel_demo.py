"""The demo workbook ``workbooks/excel_functions.xlsx``: every function called, valid argument
counts, up to date with its generator, and its spills dynamic arrays exactly as big as their results."""

from __future__ import annotations

import inspect
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.worksheet.formula import ArrayFormula

from xlcompute import udfs
from xlcompute.workbook import functions_demo

F = udfs.FUNCTIONS

WORKBOOK = Path(__file__).resolve().parents[1] / "workbooks" / functions_demo.FILENAME


def _cells(wb) -> dict:
    """Every non-empty cell as text (array formulas as ref + text) and the defined names."""
    out = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, ArrayFormula):
                    value = ("array", value.ref, value.text)
                if value is not None:
                    out[(ws.title, cell.coordinate)] = value
    out["names"] = sorted((n, d.attr_text) for n, d in wb.defined_names.items())
    return out


def _formulas(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, ArrayFormula):
                    yield f"{ws.title}!{cell.coordinate}", value.text
                elif isinstance(value, str) and value.startswith("="):
                    yield f"{ws.title}!{cell.coordinate}", value


def function_calls(formula: str) -> list[tuple[str, int]]:
    """(NAME, number of arguments) of every function call in ``formula`` (openpyxl's tokenizer)."""
    calls, stack = [], []
    for token in Tokenizer(formula).items:
        if token.type == Token.FUNC and token.subtype == Token.OPEN:
            if stack:
                stack[-1][2] = True
            stack.append([token.value[:-1].upper(), 0, False])
        elif token.type == Token.FUNC and token.subtype == Token.CLOSE:
            name, commas, content = stack.pop()
            calls.append((name, commas + 1 if commas or content else 0))
        elif token.type == Token.SEP and token.subtype == Token.ARG and stack:
            stack[-1][1] += 1
        elif stack and token.type != Token.WSPACE:
            stack[-1][2] = True
    assert not stack, f"unbalanced formula {formula}"
    return calls


def test_tokenizer_counts_arguments():
    assert function_calls("=TRAIN_FLOPS(A1,B1)") == [("TRAIN_FLOPS", 2)]
    assert function_calls("=XLCOMPUTE_VERSION()") == [("XLCOMPUTE_VERSION", 0)]
    assert function_calls('=TRAIN_DAYS(TRAIN_FLOPS(P,T),8,"h100",)') == [("TRAIN_FLOPS", 2), ("TRAIN_DAYS", 4)]


def test_workbook_formulas_name_only_existing_functions_with_valid_argument_counts():
    wb = load_workbook(WORKBOOK)
    used = set()
    names = {n.upper() for n in wb.defined_names}
    for where, formula in _formulas(wb):
        for name, count in function_calls(formula):
            assert name in F, f"{where}: {formula} calls unknown function {name}"
            params = inspect.signature(F[name]).parameters.values()
            required = sum(p.default is inspect.Parameter.empty for p in params)
            assert required <= count <= len(params), f"{where}: {name} takes {required}-{len(params)}, got {count}"
            used.add(name)
        for token in Tokenizer(formula).items:
            if token.type == Token.OPERAND and token.subtype == Token.RANGE and token.value.isalpha():
                assert token.value.upper() in names, f"{where}: undefined name {token.value}"
    assert used == set(F), f"functions the workbook never uses: {set(F) - used}"


def test_shipped_workbook_is_what_the_generator_writes(tmp_path):
    fresh = functions_demo.write(tmp_path / functions_demo.FILENAME)
    assert _cells(load_workbook(WORKBOOK)) == _cells(load_workbook(fresh)), (
        "workbooks/excel_functions.xlsx is out of date: run python -m xlcompute.workbook.functions_demo")


def test_demo_formulas_evaluate_without_errors_here():
    # Each single-cell formula of the Functions sheet, called directly with the Inputs' values.
    wb = load_workbook(WORKBOOK)
    values = {name: wb["Inputs"].cell(row, 2).value for row, (name, *_) in enumerate(functions_demo.INPUTS, start=2)}
    for where, formula in _formulas(wb):
        if not where.startswith("Functions!"):
            continue
        result = eval(_python(formula), {**F, **values})  # noqa: S307 - our own generated formulas
        assert not udfs.is_error(result), f"{where}: {formula} -> {result}"


def _python(formula: str) -> str:
    """An Excel call formula as a Python expression (empty arguments -> None, TRUE -> True)."""
    text = formula[1:].replace("TRUE", "True").replace("FALSE", "False")
    while ",," in text:
        text = text.replace(",,", ",None,")
    return text


def test_demo_spills_are_dynamic_arrays_exactly_as_big_as_their_results():
    """No Ctrl+Shift+Enter blocks padded with #N/A: each spilling formula is marked as a dynamic
    array (cell metadata cm="1" -> XLDAPR, fDynamic="1") and covers exactly the cells its result
    fills; every element is a value, not an error."""
    import re
    import zipfile

    wb = load_workbook(WORKBOOK)
    values = {name: wb["Inputs"].cell(row, 2).value for row, (name, *_) in enumerate(functions_demo.INPUTS, start=2)}
    arrays = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, ArrayFormula):
                    arrays[f"{ws.title}!{cell.coordinate}"] = (ws, cell.value)
    assert len(arrays) == 12
    spilled = {}  # (sheet, cell) -> value of a spilled result computed here, for the formulas reading it
    for where, (ws, array) in arrays.items():  # in sheet order: a spill is computed before it is read
        text = array.text
        for token in Tokenizer(text).items:  # ranges of the sheet as rows of their values
            if token.type == Token.OPERAND and token.subtype == Token.RANGE and ":" in token.value:
                rows = [[spilled.get((ws.title, c.coordinate), c.value) for c in r] for r in ws[token.value]]
                text = text.replace(token.value, repr(rows), 1)
        result = eval(_python(text), {**F, **values})  # noqa: S307 - our own generated formulas
        cells = ws[array.ref]
        assert (len(result), len(result[0])) == (len(cells), len(cells[0])), where
        assert not any(udfs.is_error(c) for r in result for c in r), where
        spilled.update({(ws.title, c.coordinate): v for cr, vr in zip(cells, result) for c, v in zip(cr, vr)})
    with zipfile.ZipFile(WORKBOOK) as package:
        sheets = b"".join(package.read(n) for n in package.namelist() if n.startswith("xl/worksheets/"))
        assert sheets.count(b'<f t="array"') == len(re.findall(rb'cm="1"[^>]*><f t="array"', sheets)) == len(arrays)
        metadata = package.read("xl/metadata.xml")
        assert b'name="XLDAPR"' in metadata and b'fDynamic="1"' in metadata and b'<rc t="1" v="0"/>' in metadata
        assert b"sheetMetadata+xml" in package.read("[Content_Types].xml")
        assert b'relationships/sheetMetadata" Target="metadata.xml"' in package.read("xl/_rels/workbook.xml.rels")
