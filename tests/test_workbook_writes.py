"""Writing untrusted text and files: outputs atomic (whole or not at all), user strings never formulas."""

from __future__ import annotations

import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from openpyxl import Workbook

from xlcompute.atomic import atomic_write
from xlcompute.core.errors import XlcomputeError
from xlcompute.workbook.write import FORMULA_TRIGGERS, safe_cell_text, write_text


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    out = tmp_path / "quote.pdf"
    out.write_bytes(b"old quote")
    with pytest.raises(RuntimeError):
        with atomic_write(out) as tmp:
            tmp.write_bytes(b"half a new")
            raise RuntimeError("renderer crashed")
    assert out.read_bytes() == b"old quote"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quote.pdf"]
    with atomic_write(out) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".pdf"
        tmp.write_bytes(b"new quote")
    assert out.read_bytes() == b"new quote"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quote.pdf"]
    with pytest.raises(XlcomputeError, match="nothing was written"):
        with atomic_write(out):
            pass
    assert out.read_bytes() == b"new quote"
    workbook = tmp_path / "scenario.xlsx"
    workbook.write_bytes(b"input")
    with pytest.raises(XlcomputeError, match="over the input file"):
        with atomic_write(workbook, protect=[workbook]):
            pass
    with pytest.raises(XlcomputeError, match="does not exist"):
        with atomic_write(tmp_path / "no" / "such" / "quote.pdf"):
            pass


HOSTILE_TEXT = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", "=HYPERLINK(\"http://example.invalid\")",
                "\uff1d1+1", "plain text", "", "x=1"]


def test_write_text_stores_user_strings_as_text_never_formulas(tmp_path):
    wb = Workbook()
    ws = wb.active
    for row, text in enumerate(HOSTILE_TEXT, start=1):
        write_text(ws.cell(row=row, column=1), text)
    path = tmp_path / "written.xlsx"
    wb.save(path)
    sheet_xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml
    back = openpyxl.load_workbook(path)
    for row, text in enumerate(HOSTILE_TEXT, start=1):
        cell = back.active.cell(row=row, column=1)
        expected = text.replace("\r", "\n") if text.startswith("\r") else text  # XML normalises CR
        assert (cell.value or "") == expected, (row, cell.value)
        assert cell.data_type in ("s", "inlineStr"), (row, cell.data_type)
        assert bool(cell.quotePrefix) == text.startswith(FORMULA_TRIGGERS)


def test_safe_cell_text_follows_owasp():
    assert safe_cell_text("=1+1") == "'=1+1"
    assert safe_cell_text("@cmd") == "'@cmd"
    assert safe_cell_text("\t=x") == "'\t=x"
    assert safe_cell_text("Acme") == "Acme"
    assert safe_cell_text(-5) == -5  # numbers are not text: negative numbers stay numbers
    assert safe_cell_text(None) is None


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_shows_written_strings_as_text(tmp_path):
    """Outside oracle: LibreOffice recalculates the written workbook and prints the strings, not results."""
    wb = Workbook()
    for row, text in enumerate(["=1+1", "+2+2", "@SUM(1,2)"], start=1):
        write_text(wb.active.cell(row=row, column=1), text)
    wb.save(tmp_path / "written.xlsx")
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "csv",
                    "--outdir", str(tmp_path), str(tmp_path / "written.xlsx")],
                   check=True, capture_output=True, timeout=120)
    assert (tmp_path / "written.csv").read_text().split() == ["=1+1", "+2+2", "@SUM(1", "2)"] or \
        (tmp_path / "written.csv").read_text().splitlines() == ["=1+1", "+2+2", '"@SUM(1,2)"']
