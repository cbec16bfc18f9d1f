"""Helpers of the money and currency tests: a PDF's text, and a defined name's cell."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pypdf import PdfReader


def pdf_text(pdf: Path) -> str:
    """The PDF's text: poppler's pdftotext (layout kept) where installed, else pypdf."""
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                              text=True).stdout
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


def name_cell(wb, name: str) -> tuple[str, str]:
    """(sheet, cell) of a workbook-level defined name naming one cell."""
    sheet, cell = wb.defined_names[name].attr_text.split("!")
    return sheet.strip("'"), cell.replace("$", "")
