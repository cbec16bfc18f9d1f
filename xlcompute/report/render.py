"""Render a scenario workbook to a PDF proposal (jinja2 + WeasyPrint), atomically.

``report_workbook("scenario.xlsx")`` checks the workbook against the contract, evaluates
it, builds the context, renders ``proposal.html`` and writes ``scenario.pdf`` beside it
(or to ``output``). The input workbook is never modified; outputs appear whole or not at
all. Two renders of the same workbook are byte-identical: the PDF's dates are the quote
date, and the charts and document identifier are deterministic.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import XlcomputeError
from ..workbook.check import check_workbook
from ..workbook.evaluate import CellIssue
from ..workbook.safe import atomic_write
from .context import build_context
from .templates import MAIN_TEMPLATE, environment, template_dirs, url_fetcher


#: Timestamp written into embedded font subsets (2025-01-01T00:00:00Z), for reproducible PDFs.
FONT_TIMESTAMP = "1735689600"


@dataclass
class ReportResult:
    """What one report run wrote and found."""

    source: Path
    pdf: Path | None
    html: Path | None = None
    stale: list[str] = field(default_factory=list)  # "Estimate!B5: cached 1.2, xlcompute 1.3"
    mode: str = ""
    pages: int = 0


def render_html(context: dict[str, Any], dirs: list[Path]) -> str:
    """The proposal's HTML from ``context`` with the templates in ``dirs``."""
    from jinja2 import TemplateError  # noqa: PLC0415

    try:
        return environment(dirs).get_template(MAIN_TEMPLATE).render(**context)
    except TemplateError as exc:
        where = f" ({exc.filename}, line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise XlcomputeError(f"template error{where}: {exc.message or exc}") from exc


def write_pdf(html: str, dirs: list[Path], target: str | os.PathLike) -> int:
    """Write ``html`` as a PDF to ``target``; returns the number of pages."""
    import logging  # noqa: PLC0415

    from weasyprint import HTML  # noqa: PLC0415

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = HTML(string=html, base_url=dirs[0].as_uri() + "/", url_fetcher=url_fetcher(dirs)).render()
    # A document id from the content, and a fixed timestamp in the embedded font subsets
    # (fontTools honours SOURCE_DATE_EPOCH), so the same HTML always gives the same bytes.
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = FONT_TIMESTAMP
    try:
        document.write_pdf(target, pdf_identifier=identifier)
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    return len(document.pages)


def default_output(source: Path) -> Path:
    return source.with_suffix(".pdf")


def report_workbook(source: str | os.PathLike, output: str | os.PathLike | None = None, *,
                    html: bool = False, templates: str | os.PathLike | None = None) -> ReportResult:
    """Render ``source`` to ``output`` (default: the .pdf beside it); ``html`` also writes the HTML."""
    source = Path(source)
    pdf_path = Path(output) if output is not None else default_output(source)
    dirs = template_dirs(templates)
    evaluation, problems = check_workbook(source)
    if problems:
        raise ReportProblems(source, problems)
    context = build_context(evaluation)
    text = render_html(context, dirs)
    result = ReportResult(source, pdf_path, mode=evaluation.mode,
                          stale=[f"{c.address}: workbook shows {c.value!r}, xlcompute computes {c.recomputed!r}"
                                 for c in evaluation.stale])
    if html:
        result.html = pdf_path.with_suffix(".html")
        with atomic_write(result.html, protect=[source]) as tmp:
            Path(tmp).write_text(text, encoding="utf-8")
    with atomic_write(pdf_path, protect=[source]) as tmp:
        result.pages = write_pdf(text, dirs, tmp)
    return result


class ReportProblems(XlcomputeError):
    """The workbook breaks the contract or has cells that cannot be evaluated."""

    def __init__(self, source: Path, problems: list[CellIssue]):
        self.problems = problems
        listing = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s); nothing was written:\n{listing}")

