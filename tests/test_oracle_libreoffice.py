"""LibreOffice as an outside oracle for the native formulas of the shipped workbooks.

xlcompute evaluates each shipped workbook headlessly (the `formulas` engine with the
xlcompute functions registered). The xlcompute cells are then replaced by those values,
LibreOffice recalculates the copy (dedicated profile with ``OOXMLRecalcMode=0``, "always
recalculate"; the xlsx default, 1, keeps stale cached values), and every native formula cell
must equal xlcompute's evaluation. LibreOffice knows nothing of xlcompute, so this checks our engine's
native Excel arithmetic (ROUNDUP, MAX, SUM, date arithmetic, defined names) independently.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import to_excel

from xlcompute.workbook.evaluate import evaluate
from xlcompute.workbook.generate import SHIPPED

REPO = Path(__file__).resolve().parents[1]
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; "
                                              "apt-get install libreoffice-calc-nogui (.ci/run does)"),
]

RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def libreoffice_recalculate(paths: list[Path], outdir: Path, profile: Path) -> list[Path]:
    """Recalculate ``paths`` with LibreOffice into ``outdir`` (one soffice call, own profile)."""
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--calc",
                    "--convert-to", "xlsx", "--outdir", str(outdir), *map(str, paths)],
                   check=True, capture_output=True, timeout=180)
    return [outdir / p.name for p in paths]


def _as_number(value):
    if isinstance(value, (_dt.datetime, _dt.date)):
        return to_excel(value)
    return value


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    """name -> (xlcompute evaluation, LibreOffice's recalculated workbook with values)."""
    work = tmp_path_factory.mktemp("oracle")
    copies, evaluations = [], {}
    for name in SHIPPED:
        ev = evaluate(REPO / "workbooks" / name)
        assert ev.issues == []
        wb = openpyxl.load_workbook(REPO / "workbooks" / name)
        for cell in ev.xlcompute_cells:
            wb[cell.sheet][cell.cell] = cell.value
        copy = work / name
        wb.save(copy)
        copies.append(copy)
        evaluations[name] = ev
    outdir = work / "out"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    recalculated = libreoffice_recalculate(copies, outdir, work / f"profile-{worker}")
    return {p.name: (evaluations[p.name], openpyxl.load_workbook(p, data_only=True)) for p in recalculated}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_native_formula_cell_equals_libreoffice(oracle, name):
    ev, lo = oracle[name]
    xl_cells = {(c.sheet, c.cell) for c in ev.xlcompute_cells}
    native = [key for key in ev.formulas if key not in xl_cells]
    assert len(native) >= 15, "the shipped workbook exercises native Excel arithmetic"
    mismatches = []
    for sheet, cell in native:
        ours = ev.values[(sheet, cell)]
        theirs = _as_number(lo[sheet][cell].value)
        if isinstance(ours, (int, float)) and isinstance(theirs, (int, float)):
            if not math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-9):
                mismatches.append(f"{sheet}!{cell}: xlcompute {ours!r}, LibreOffice {theirs!r}")
        elif ours != theirs and not (ours == "" and theirs is None):  # openpyxl reads a saved "" as None
            mismatches.append(f"{sheet}!{cell}: xlcompute {ours!r}, LibreOffice {theirs!r}")
    assert mismatches == []


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_a_workbook_saved_by_libreoffice_without_the_add_in_reports_the_same_total(name, tmp_path):
    """Issue 12: LibreOffice, knowing no xlcompute function, saves those cells (and every cell that
    depends on them) as #NAME?. The evaluation recomputes them, says which, and the total is the
    original's to the cent."""
    original = evaluate(REPO / "workbooks" / name)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (saved,) = libreoffice_recalculate([REPO / "workbooks" / name], tmp_path / "out", tmp_path / f"profile-{worker}")
    cached = openpyxl.load_workbook(saved, data_only=True)
    names = [c for c in original.xlcompute_cells]
    assert any(cached[c.sheet][c.cell].value == "#NAME?" for c in names), "LibreOffice computed an xlcompute cell?"
    ev = evaluate(saved)
    assert ev.mode == "cached" and ev.issues == []
    assert ev.recomputed_names and all("!" in where for where in ev.recomputed_names)
    assert round(ev.value("TOTAL"), 2) == round(original.value("TOTAL"), 2)


def test_a_saved_total_its_line_items_do_not_add_up_to_is_refused(tmp_path):
    """Issue 11: the figures shown are the figures used. A total typed over in a file with saved values
    (here: the cached value of SUBTOTAL edited in the XML) is named with its cell, not printed."""
    import re
    import zipfile

    from xlcompute.workbook.check import check_workbook

    original = evaluate(REPO / "workbooks" / "training_quote.xlsx")
    wb = openpyxl.load_workbook(REPO / "workbooks" / "training_quote.xlsx")
    for xl_cell in original.xlcompute_cells:  # as the add-in's values: LibreOffice then computes the rest
        wb[xl_cell.sheet][xl_cell.cell] = xl_cell.value
    wb.save(tmp_path / "quote.xlsx")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (saved,) = libreoffice_recalculate([tmp_path / "quote.xlsx"], tmp_path / "out", tmp_path / f"profile-{worker}")
    ev = evaluate(saved)
    assert ev.issues == []
    sheet, cell = ev.names["SUBTOTAL"]
    index = ev.sheets.index(sheet) + 1
    tampered = tmp_path / "tampered.xlsx"
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(tampered, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == f"xl/worksheets/sheet{index}.xml":
                text = data.decode()
                text, count = re.subn(rf'(<c r="{cell}"[^>]*>(?:(?!</c>).)*?<v>)[^<]*(</v>)', r"\g<1>1000\g<2>", text,
                                      flags=re.S)
                assert count == 1
                data = text.encode()
            dst.writestr(item, data)
    _, problems = check_workbook(tampered)
    assert any(p.cell == cell and "saved value" in p.message and "recalculate" in p.message for p in problems)


@pytest.mark.parametrize("count", [1, 2, 5])
def test_the_options_tables_structured_references_follow_it_in_libreoffice(count, tmp_path):
    """Issue 13: the recommendation and the Inputs that price it read the Options table by structured
    reference (``Options[GPU]``); LibreOffice, knowing nothing of xlcompute, picks the same row and
    computes the same quote whether the table holds 1, 2 or 5 options."""
    from xlcompute.workbook.generate import build_workbook
    from xlcompute.workbook.options_sheet import DEFAULT_OPTIONS, Option

    extra = (Option("H200 on-demand (CoreWeave)", "h200", "coreweave", "on_demand", 8),
             Option("H100 on-demand (Lambda)", "h100-sxm", "lambda", "on_demand", 8))
    options = (DEFAULT_OPTIONS + extra)[-count:] if count < 5 else DEFAULT_OPTIONS + extra
    path = tmp_path / f"options-{count}.xlsx"
    build_workbook("inference", compared=options).save(path)
    ev = evaluate(path)
    assert ev.issues == []
    wb = openpyxl.load_workbook(path)
    for cell in ev.xlcompute_cells:
        wb[cell.sheet][cell.cell] = cell.value
    wb.save(path)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (saved,) = libreoffice_recalculate([path], tmp_path / "out", tmp_path / f"profile-{worker}")
    lo = openpyxl.load_workbook(saved, data_only=True)
    for name in ("RECOMMENDED_ROW", "RECOMMENDED", "SERVE_GPU", "SERVE_PROVIDER", "SERVE_PRICING", "GPU_COUNT", "TOTAL"):
        sheet, cell = ev.names[name]
        ours, theirs = ev.values[(sheet, cell)], _as_number(lo[sheet][cell].value)
        if isinstance(ours, float):
            assert theirs == pytest.approx(ours, abs=0.005), name
        else:
            assert theirs == ours, name
