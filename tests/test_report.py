"""PDF proposals: text, pages, metadata, determinism, templates, safety and the `report` command."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from xlcompute.cli import main
from xlcompute.core.errors import XlcomputeError
from xlcompute.report.formatting import money
from xlcompute.report.render import report_workbook
from xlcompute.report.templates import template_dirs, url_fetcher
from xlcompute.workbook.evaluate import evaluate
from xlcompute.workbook.generate import SHIPPED

REPO = Path(__file__).resolve().parents[1]
WORKBOOKS = REPO / "workbooks"


def _text(pdf: Path) -> str:
    """The PDF's text: poppler's pdftotext where installed (CI), else pypdf."""
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                              text=True).stdout
    return "\n".join(page.extract_text().replace("\x00", "") for page in PdfReader(pdf).pages)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """Each shipped workbook copied and rendered once, internal version: name -> (workbook, pdf)."""
    out = {}
    directory = tmp_path_factory.mktemp("report")
    for name in SHIPPED:
        source = directory / name
        shutil.copy(WORKBOOKS / name, source)
        result = report_workbook(source, html=True, audience="internal")
        assert result.pdf == source.with_suffix(".pdf")
        out[name] = (source, result.pdf)
    return out


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_pdf_shows_quote_totals_inputs_and_formulas(rendered, name):
    source, pdf = rendered[name]
    ev = evaluate(source)
    text = _text(pdf)
    for key in ("CUSTOMER", "QUOTE_NUMBER", "PREPARED_BY", "CURRENCY"):
        assert str(ev.value(key)) in text
    for key in ("TOTAL", "SUBTOTAL", "MARGIN_AMOUNT", "NET_AMOUNT"):
        assert money(ev.value(key)) in text, key
    assert "2 June 2025" in text and "2 July 2025" in text  # quote date and validity, in words
    # Every xlcompute cell is broken down: its formula, its address and the core equations.
    for cell in ev.xlcompute_cells:
        assert cell.address in text
        for call in cell.calls:
            for sub in call.step.walk():
                if sub.info.equation:
                    assert sub.info.title in text
    assert "Formula breakdown" in text and "Assumptions and conventions" in text
    assert "1 GB = 10⁹ bytes" in text or "1 GB = 10" in text
    assert "Sources of catalog data" in text


def test_training_pdf_states_the_6pd_convention_and_the_equation(rendered):
    _, pdf = rendered["training_quote.xlsx"]
    text = _text(pdf)
    assert "6PD" in text
    assert "C=k·P·T" in text.replace(" ", "")
    assert "Kaplan et al. 2020" in text
    assert "h100-sxm" in text  # the catalog GPU in the sources appendix, with its date
    assert "Model FLOPs utilisation" in text


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_page_renders_to_a_non_blank_png(rendered, tmp_path, name):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    from PIL import Image, ImageStat

    _, pdf = rendered[name]
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(PdfReader(pdf).pages) >= 5
    for number, page in enumerate(pages, 1):
        stat = ImageStat.Stat(Image.open(page).convert("L"))
        # A page may hold one chart or the short audit block; a page with only the running header and
        # footer is brighter than 254 on average (measured at 40 dpi).
        assert stat.mean[0] < 254 and stat.stddev[0] > 8, f"{page.name} looks blank"


def test_pdf_metadata_and_page_furniture(rendered):
    source, pdf = rendered["training_quote.xlsx"]
    ev = evaluate(source)
    reader = PdfReader(pdf)
    meta = reader.metadata
    assert meta.title == f"Quote {ev.value('QUOTE_NUMBER')} for {ev.value('CUSTOMER')}"
    assert meta.author == ev.value("PREPARED_BY")
    assert meta.subject.startswith("Compute cost proposal")
    pages = len(reader.pages)
    second = _text(pdf).split("\f")[1] if shutil.which("pdftotext") else reader.pages[1].extract_text()
    assert f"Page 2 of {pages}" in second
    assert meta.title in second  # running header


def test_two_renders_are_byte_identical(rendered, tmp_path):
    source, pdf = rendered["serving_quote.xlsx"]
    again = report_workbook(source, tmp_path / "again.pdf", audience="internal")
    assert again.pdf.read_bytes() == pdf.read_bytes()
    customer = [report_workbook(source, tmp_path / f"c{i}.pdf").pdf.read_bytes() for i in range(2)]
    assert customer[0] == customer[1]


def test_pdf_dates_are_the_quote_date_unless_the_render_time_is_asked_for(rendered, tmp_path):
    # The training quote's QUOTE_DATE is 2025-06-02 (xlcompute/workbook/generate.py).
    source, pdf = rendered["training_quote.xlsx"]
    assert PdfReader(pdf).metadata["/CreationDate"].startswith("D:20250602")
    stamped = tmp_path / "stamped.pdf"
    result = CliRunner().invoke(main, ["report", str(source), "-o", str(stamped), "--stamp-time"])
    assert result.exit_code == 0, result.output
    created = PdfReader(stamped).metadata["/CreationDate"]
    assert not created.startswith("D:20250602") and created[2:6] >= "2025"


def test_input_workbook_is_never_modified_and_html_is_written(rendered):
    for name, (source, pdf) in rendered.items():
        assert source.read_bytes() == (WORKBOOKS / name).read_bytes()
        html = pdf.with_suffix(".html").read_text(encoding="utf-8")
        assert "<svg" in html and html.count("<figure") >= 2  # vector charts inlined


def test_user_templates_override_packaged_ones(tmp_path):
    user = tmp_path / "tpl"
    user.mkdir()
    (user / "proposal.html").write_text(
        '<html><head><title>{{ title }}</title></head><body><h1>Custom {{ quote.customer }}</h1>'
        '<img src="assets/logo.svg"><p>{{ totals.total | money }}</p></body></html>')
    source = tmp_path / "t.xlsx"
    shutil.copy(WORKBOOKS / "training_quote.xlsx", source)
    result = report_workbook(source, tmp_path / "custom.pdf", templates=user)
    text = _text(result.pdf)
    assert "Custom Example Research Ltd" in text
    assert "Formula breakdown" not in text
    assert template_dirs(user)[0] == user.resolve()


def test_autoescape_keeps_workbook_text_as_text(tmp_path):
    wb = openpyxl.load_workbook(WORKBOOKS / "training_quote.xlsx")
    sheet, cell = list(wb.defined_names["CUSTOMER"].destinations)[0]
    wb[sheet][cell.replace("$", "")] = '<img src="file:///etc/passwd"><script>x</script>'
    source = tmp_path / "evil.xlsx"
    wb.save(source)
    result = report_workbook(source, tmp_path / "evil.pdf", html=True)
    html = result.html.read_text(encoding="utf-8")
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert '<img src="file:///etc/passwd">' not in html


def test_url_fetcher_serves_template_assets_only(tmp_path):
    fetch = url_fetcher(template_dirs())
    packaged = template_dirs()[0]
    fetch = getattr(fetch, "fetch", fetch)
    assert fetch((packaged / "assets" / "logo.svg").as_uri()) is not None
    for url in ("https://example.com/x.css", "file:///etc/passwd", (packaged / ".." / "pyproject.toml").as_uri(),
                "ftp://example.com/a.png"):
        with pytest.raises(XlcomputeError):
            fetch(url)


def test_report_command_writes_beside_the_workbook_or_to_o(tmp_path):
    source = tmp_path / "training_quote.xlsx"
    shutil.copy(WORKBOOKS / "training_quote.xlsx", source)
    runner = CliRunner()
    result = runner.invoke(main, ["report", str(source), "-o", str(tmp_path / "named.pdf")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "named.pdf").read_bytes().startswith(b"%PDF")
    bad = runner.invoke(main, ["report", str(source), "-o", str(source)])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


@pytest.mark.slow
def test_batch_renders_in_parallel_and_fails_if_any_failed(tmp_path):
    for name in SHIPPED:
        shutil.copy(WORKBOOKS / name, tmp_path / name)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", *(str(tmp_path / n) for n in SHIPPED), str(broken),
                                       "-o", f"{out}/"])
    assert result.exit_code == 1
    assert "broken.xlsx" in result.output
    assert sorted(p.name for p in out.glob("*.pdf")) == sorted(Path(n).with_suffix(".pdf").name for n in SHIPPED)
    assert not list(out.glob(".*tmp*")), "no half-written outputs"
    digest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.glob("*.pdf")}
    assert len(set(digest.values())) == len(SHIPPED)
