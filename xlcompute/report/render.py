"""Render a scenario workbook to a PDF proposal (jinja2 + WeasyPrint), atomically.

``report_workbook("scenario.xlsx")`` checks the workbook against the contract, evaluates
it, builds the context, renders ``proposal.html`` and writes ``scenario.pdf`` beside it
(or to ``output``). The input workbook is never modified; outputs appear whole or not at
all. Two renders of the same workbook are byte-identical: the PDF's dates are the quote
date, and the charts and document identifier are deterministic.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import atomic_write
from ..gc_tuning import fewer_collections
from ..core.errors import XlcomputeError
from .templates import MAIN_TEMPLATE, environment, template_dirs, url_fetcher

if TYPE_CHECKING:  # the workbook stack (openpyxl, formulas) is imported where it is used
    from ..workbook.evaluate import CellIssue


#: When this module was imported (the CLI imports it first thing): the origin of :func:`_mark`.
_START = time.perf_counter()

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
        return _template(dirs).render(**context)
    except TemplateError as exc:
        where = f" ({exc.filename}, line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise XlcomputeError(f"template error{where}: {exc.message or exc}") from exc


@functools.lru_cache(maxsize=8)
def _environment(dirs: tuple[Path, ...]) -> Any:
    """One Jinja environment per template path: a batch worker compiles the templates once
    (Jinja still reloads a template whose file changed)."""
    return environment(list(dirs))


def _template(dirs: list[Path]) -> Any:
    return _environment(tuple(dirs)).get_template(MAIN_TEMPLATE)


@fewer_collections()  # layout and drawing allocate boxes by the hundred thousand
def write_pdf(html: str, dirs: list[Path], target: str | os.PathLike, *, created: str | None = None) -> int:
    """Write ``html`` as a PDF to ``target``; returns the number of pages.

    The PDF's creation and modification dates are the quote date from the template's metadata,
    so the same workbook always gives the same bytes; ``created`` (an ISO 8601 timestamp)
    replaces both when a user asks for the render time instead.
    """
    import logging  # noqa: PLC0415

    from weasyprint import HTML  # noqa: PLC0415

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = HTML(string=html, base_url=dirs[0].as_uri() + "/",
                    url_fetcher=url_fetcher(dirs)).render(font_config=_font_config(tuple(dirs)))
    if created:
        document.metadata.created = document.metadata.modified = created
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


@functools.lru_cache(maxsize=8)
def _font_config(dirs: tuple[Path, ...]) -> Any:
    """One WeasyPrint font configuration per template path, shared by the documents a
    process renders: fontconfig's set-up is paid once per batch worker, not per workbook
    (about 0.1 s each). Keyed by the templates, whose ``@font-face`` rules it collects."""
    from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415

    return FontConfiguration()


def default_output(source: Path) -> Path:
    return source.with_suffix(".pdf")


def report_workbook(source: str | os.PathLike, output: str | os.PathLike | None = None, *,
                    html: bool = False, templates: str | os.PathLike | None = None,
                    overlap: bool = False, created: str | None = None) -> ReportResult:
    """Render ``source`` to ``output`` (default: the .pdf beside it); ``html`` also writes the HTML;
    ``created`` stamps the PDF's dates (see :func:`write_pdf`).

    ``overlap`` (the CLI's one-workbook run) evaluates the workbook and draws the charts in a
    forked child process while this one imports WeasyPrint: a cold run uses two cores (see
    :func:`_prepare_overlapped` and bench/README.md).
    """
    source = Path(source)
    pdf_path = Path(output) if output is not None else default_output(source)
    dirs = template_dirs(templates)
    prepared = _prepare_overlapped(source, pdf_path, dirs) if overlap and _can_overlap() else None
    text, result = prepared or prepare(source, pdf_path, dirs)
    if html:
        result.html = pdf_path.with_suffix(".html")
        with atomic_write(result.html, protect=[source]) as tmp:
            Path(tmp).write_text(text, encoding="utf-8")
    _mark("html rendered")
    with atomic_write(pdf_path, protect=[source]) as tmp:
        result.pages = write_pdf(text, dirs, tmp, created=created)
    _mark("pdf written")
    return result


def prepare(source: Path, pdf_path: Path, dirs: list[Path]) -> tuple[str, ReportResult]:
    """Check and evaluate ``source`` and render its HTML (nothing is written)."""
    from . import charts  # noqa: PLC0415

    charts.import_matplotlib()  # before the evaluator imports it (through xlwings), the quick way
    context, result = prepare_context(source, pdf_path)
    return render_html(charts.draw_charts(context), dirs), result


def prepare_context(source: Path, pdf_path: Path) -> tuple[dict[str, Any], ReportResult]:
    """Check and evaluate ``source``: the template context (charts as data) and the result."""
    from ..workbook.check import check_workbook  # noqa: PLC0415
    from .context import build_context  # noqa: PLC0415

    evaluation, problems = check_workbook(source)
    if problems:
        raise ReportProblems(source, problems)
    result = ReportResult(source, pdf_path, mode=evaluation.mode,
                          stale=[f"{c.address}: workbook shows {c.value!r}, xlcompute computes {c.recomputed!r}"
                                 for c in evaluation.stale])
    return build_context(evaluation), result


def _can_overlap() -> bool:
    """Two cores, ``fork`` available, and WeasyPrint not imported yet (else nothing to gain)."""
    import multiprocessing  # noqa: PLC0415

    return ((os.cpu_count() or 1) > 1 and "weasyprint" not in sys.modules
            and "fork" in multiprocessing.get_all_start_methods())


def _prepare_overlapped(source: Path, pdf_path: Path, dirs: list[Path]) -> tuple[str, ReportResult] | None:
    """:func:`prepare` over three processes: a forked child evaluates the workbook while a
    second one imports matplotlib, then draws the charts from the data the first sends it;
    meanwhile this process imports WeasyPrint and compiles the templates. The HTML is then
    rendered here. (Warming WeasyPrint up on a small page while waiting was measured and
    gained nothing: the proposal's first render still pays its own one-time costs.)

    matplotlib's import (about 0.3 s) and the evaluation (0.4-0.5 s) would otherwise follow
    each other and outlast WeasyPrint's import (about 0.5 s): see bench/README.md.

    None when a child did not succeed: the caller then prepares here, so that a bad
    workbook raises exactly the error (and message) a plain run gives.
    """
    import multiprocessing  # noqa: PLC0415

    fork = multiprocessing.get_context("fork")
    context_reader, context_writer = fork.Pipe(duplex=False)
    charts_in, charts_out = fork.Pipe(duplex=False)  # evaluating child -> drawing child
    svg_reader, svg_writer = fork.Pipe(duplex=False)
    # Each process closes the pipe ends it does not use, so that a child that dies without
    # a word ends the reads waiting on it (EOFError) instead of leaving them blocked.
    drawer = fork.Process(target=_draw_child, daemon=True, args=(
        charts_in, svg_writer, [context_reader, context_writer, charts_out, svg_reader]))
    drawer.start()
    evaluator = fork.Process(target=_evaluate_child, daemon=True, args=(
        context_writer, charts_out, source, pdf_path, [context_reader, charts_in, svg_reader, svg_writer]))
    evaluator.start()
    for end in (context_writer, charts_out, charts_in, svg_writer):
        end.close()
    _mark("forked")
    try:
        import weasyprint  # noqa: F401,PLC0415 - the point: imported while the children work
        _mark("weasyprint imported")
        try:
            _template(dirs)  # compiled once and cached for render_html
        except Exception:  # noqa: BLE001 - a broken template is reported by render_html, as in a plain run
            pass
        outcome = context_reader.recv()
        svgs = svg_reader.recv() if outcome is not None else None
        _mark("context and charts received")
    except EOFError:
        outcome = svgs = None
    finally:
        context_reader.close()
        svg_reader.close()
        evaluator.join()
        drawer.join()
    if outcome is None or svgs is None:
        return None
    from markupsafe import Markup  # noqa: PLC0415

    page_context, result = outcome
    for chart, svg in zip(page_context["charts"], svgs):
        chart["svg"] = Markup(svg)
    return render_html(page_context, dirs), result


def _evaluate_child(writer: Any, charts_writer: Any, source: Path, pdf_path: Path, others: list[Any]) -> None:
    """Evaluate the workbook; send the charts' data to the drawing child, the context here."""
    for end in others:
        end.close()
    try:
        context, result = prepare_context(source, pdf_path)
        outcome: Any = context, result
        charts_writer.send([{"id": c["id"], "data": c["data"]} for c in context["charts"]])
        _mark("evaluated")
    except BaseException:  # noqa: BLE001 - reported by the parent's own run
        outcome = None
        charts_writer.send(None)
    _send(writer, outcome)


def _draw_child(reader: Any, writer: Any, others: list[Any]) -> None:
    """Import matplotlib, then draw the charts whose data the evaluating child sends."""
    from . import charts  # noqa: PLC0415

    for end in others:
        end.close()
    try:
        charts.import_matplotlib()
        charts._pyplot()
        _mark("matplotlib imported")
        specs = reader.recv()
        outcome = None if specs is None else [str(charts.draw(spec)) for spec in specs]
        _mark("charts drawn")
    except BaseException:  # noqa: BLE001 - the parent prepares again and reports
        outcome = None
    _send(writer, outcome)


def _send(writer: Any, outcome: Any) -> None:
    try:
        writer.send(outcome)
    except Exception:  # noqa: BLE001 - e.g. not picklable: the parent prepares again
        writer.send(None)
    writer.close()


def _mark(event: str) -> None:
    """With XLCOMPUTE_TIMINGS set, print when ``event`` happened (seconds since this module
    was imported) and the CPU time of the process that saw it (a forked child's starts at 0);
    bench/README.md's breakdown of a run comes from these lines."""
    if os.environ.get("XLCOMPUTE_TIMINGS"):
        print(f"xlcompute timing: {time.perf_counter() - _START:.3f} s {event} (pid {os.getpid()}, "
              f"cpu {time.process_time():.3f} s)", file=sys.stderr)


def warm_up() -> None:
    """Import everything a render needs (batch workers call this once, before their first task)."""
    import weasyprint  # noqa: F401,PLC0415

    from . import charts  # noqa: PLC0415

    charts.import_matplotlib()
    from ..workbook.check import check_workbook  # noqa: F401,PLC0415
    from .context import build_context  # noqa: F401,PLC0415

    charts._pyplot()


class ReportProblems(XlcomputeError):
    """The workbook breaks the contract or has cells that cannot be evaluated."""

    def __init__(self, source: Path, problems: list[CellIssue]):
        self.problems = problems
        listing = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s); nothing was written:\n{listing}")

