"""The audit trail: every proposal is a PDF/A-3b carrying its source workbook byte for byte, with
the workbook's SHA-256, the xlcompute version and the catalog's date printed."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from xlcompute import __version__
from xlcompute.catalog import catalog_date
from xlcompute.core.errors import XlcomputeError
from xlcompute.report.render import read_source, report_workbook

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def proposal(tmp_path_factory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("audit")
    source = directory / "serving_quote.xlsx"
    shutil.copy(REPO / "workbooks" / "serving_quote.xlsx", source)
    return source, report_workbook(source, directory / "proposal.pdf").pdf


def test_the_source_workbook_is_attached_byte_for_byte(proposal):
    source, pdf = proposal
    attachments = PdfReader(pdf).attachments
    assert list(attachments) == ["serving_quote.xlsx"]
    assert attachments["serving_quote.xlsx"][0] == source.read_bytes()
    if shutil.which("pdfdetach"):  # poppler reads it back too
        out = pdf.parent / "detached.xlsx"
        subprocess.run(["pdfdetach", "-save", "1", "-o", str(out), str(pdf)], check=True)
        assert out.read_bytes() == source.read_bytes()


def test_the_pdf_declares_pdf_a_3b(proposal):
    _, pdf = proposal
    root = PdfReader(pdf).trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfaid:part\W+3", xmp) and re.search(r"pdfaid:conformance\W+B", xmp)
    assert "/OutputIntents" in root  # the sRGB output intent PDF/A requires


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_hash_version_and_catalog_date_are_printed(proposal):
    source, pdf = proposal
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert hashlib.sha256(source.read_bytes()).hexdigest() in text
    assert f"xlcompute {__version__}" in text
    assert f"catalog of {catalog_date()}" in text and re.fullmatch(r"\d{4}-\d\d-\d\d", catalog_date())
    assert "PDF/A-3b" in text and "xlcompute report serving_quote.xlsx" in text


def test_a_workbook_changed_while_reported_is_refused(tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"first version")
    before = os.stat(path)
    path.write_bytes(b"the second, longer version")
    with pytest.raises(XlcomputeError, match="changed while it was being reported"):
        read_source(path, before)
    assert read_source(path, os.stat(path)).data == b"the second, longer version"
