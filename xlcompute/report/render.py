"""Render a scenario workbook to a PDF proposal (jinja2 + WeasyPrint), atomically.

``report_workbook("scenario.xlsx")`` checks the workbook against the contract, evaluates
it, builds the context, renders ``proposal.html`` and writes ``scenario.pdf`` beside it
(or to ``output``). The input workbook is never modified; outputs appear whole or not at
all. Two renders of the same workbook are byte-identical: the PDF's dates are the quote
date, and the charts and document identifier are deterministic.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import atomic_write
from ..core.errors import XlcomputeError
from ..locale import DEFAULT_LANGUAGE, check_language
from .audience import DEFAULT_AUDIENCE, check_audience
from .templates import MAIN_TEMPLATE, environment, template_dirs, url_fetcher

if TYPE_CHECKING:  # the workbook stack (openpyxl, the formula engine) is imported where it is used
    from ..workbook.evaluate import CellIssue


#: When this module was imported (the CLI imports it first thing): the origin of :func:`_mark`.
_START = time.perf_counter()

#: Archival PDF that may carry attachments: the source workbook travels inside the proposal.
PDF_VARIANT = "pdf/a-3b"

#: Address space the PDF phase takes on top of the evaluation [MB]: about 210 MB for the serving
#: sample (VmSize 344 -> 550 MB), rounded up. Pango aborts the whole process (SIGTRAP) when it
#: cannot start a thread under an address-space limit, so the room is checked before it starts.
PDF_ADDRESS_SPACE_MB = 256
#: Address space the charts take (matplotlib's import and drawing) [MB]: about 62 MB for the serving
#: sample (VmSize 345 -> 407 MB), with room to spare. At the limit, glibc's malloc can spin in its
#: arena search instead of failing, where no time limit can interrupt it: the room is checked first.
CHARTS_ADDRESS_SPACE_MB = 96

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
    recomputed: list[str] = field(default_factory=list)  # cells saved as #NAME? without the add-in, computed here
    attached: SourceFile | None = None  # the workbook, attached to the PDF
    expired: str = ""  # "Quote!B7: the quote expired on ..." where its validity has ended (the cover says so)


def render_html(context: dict[str, Any], dirs: list[Path], lang: str = DEFAULT_LANGUAGE) -> str:
    """The proposal's HTML from ``context`` with the templates in ``dirs``, in ``lang``."""
    from jinja2 import TemplateError  # noqa: PLC0415

    try:
        return _template(dirs, lang).render(**context)
    except TemplateError as exc:
        where = f" ({exc.filename}, line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise XlcomputeError(f"template error{where}: {exc.message or exc}") from exc


@functools.lru_cache(maxsize=8)
def _environment(dirs: tuple[Path, ...], lang: str) -> Any:
    """One Jinja environment per template path and language: a batch worker compiles the
    templates once (Jinja still reloads a template whose file changed)."""
    return environment(list(dirs), lang)


def _template(dirs: list[Path], lang: str) -> Any:
    return _environment(tuple(dirs), lang).get_template(MAIN_TEMPLATE)


@dataclass(frozen=True)
class SourceFile:
    """The workbook a proposal was rendered from, byte for byte: attached to the PDF."""

    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def read_source(source: Path, before: os.stat_result) -> SourceFile:
    """The bytes of ``source`` after its evaluation, refused if the file changed since ``before``
    (its state when the evaluation began): the attachment is the file the numbers came from."""
    data = source.read_bytes()
    after = os.stat(source)
    if (len(data), after.st_size, after.st_mtime_ns) != (before.st_size, before.st_size, before.st_mtime_ns):
        raise XlcomputeError(f"{source}: the file changed while it was being reported; nothing was written. "
                             "Run the report again once it is saved.")
    return SourceFile(source.name, data)


def write_pdf(html: str, dirs: list[Path], target: str | os.PathLike, *, created: str | None = None,
              source: SourceFile | None = None) -> int:
    """Write ``html`` as a PDF/A-3b to ``target``, with ``source`` attached (relationship
    Source); returns the number of pages.

    The PDF's creation and modification dates are the quote date from the template's metadata,
    so the same workbook always gives the same bytes; ``created`` (an ISO 8601 timestamp)
    replaces both when a user asks for the render time instead.
    """
    import io  # noqa: PLC0415
    import logging  # noqa: PLC0415

    from weasyprint import HTML, Attachment  # noqa: PLC0415

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = HTML(string=html, base_url=dirs[0].as_uri() + "/",
                    url_fetcher=url_fetcher(dirs)).render(font_config=_font_config(tuple(dirs)))
    if created:
        document.metadata.created = document.metadata.modified = created
    attachments = []
    if source is not None:  # dated like the document, so the bytes stay reproducible
        attachments.append(Attachment(file_obj=io.BytesIO(source.data), name=source.name, relationship="Source",
                                      description=f"Source workbook, SHA-256 {source.sha256}",
                                      created=_timestamp(document.metadata.created),
                                      modified=_timestamp(document.metadata.modified)))
    # A document id from the content, and a fixed timestamp in the embedded font subsets
    # (fontTools honours SOURCE_DATE_EPOCH), so the same HTML always gives the same bytes.
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = FONT_TIMESTAMP
    try:
        document.write_pdf(target, pdf_identifier=identifier, pdf_variant=PDF_VARIANT, attachments=attachments)
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    return len(document.pages)


def _timestamp(text: str | None) -> datetime.datetime:
    """An attachment date from the document's ISO 8601 date; the fixed font timestamp when it
    has none (WeasyPrint would stamp the current time, and two renders would differ)."""
    try:
        found = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        found = datetime.datetime.fromtimestamp(int(FONT_TIMESTAMP), datetime.timezone.utc)
    return found if found.tzinfo else found.replace(tzinfo=datetime.timezone.utc)


@functools.lru_cache(maxsize=8)
def _font_config(dirs: tuple[Path, ...]) -> Any:
    """One WeasyPrint font configuration per template path, shared by the documents a
    process renders: fontconfig's set-up is paid once per batch worker, not per workbook
    (about 0.1 s each). Keyed by the templates, whose ``@font-face`` rules it collects."""
    from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415

    return FontConfiguration()


def ensure_address_space(megabytes: int) -> None:
    """Raise :class:`MemoryError` (reported as the memory limit) when the process's address-space
    limit (``--max-memory``, RLIMIT_AS) leaves less than ``megabytes`` above what it uses now."""
    try:
        import resource  # noqa: PLC0415 - POSIX only

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            used = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    except (ImportError, OSError, StopIteration, ValueError):
        return  # no limit to check against (Windows, no /proc)
    if soft != resource.RLIM_INFINITY and soft - used < megabytes * 1024 * 1024:
        raise MemoryError(f"{(soft - used) // 2**20} MB of address space left, the PDF needs about {megabytes} MB")


def default_output(source: Path) -> Path:
    return source.with_suffix(".pdf")


def report_workbook(source: str | os.PathLike, output: str | os.PathLike | None = None, *,
                    html: bool = False, templates: str | os.PathLike | None = None,
                    created: str | None = None, audience: str = DEFAULT_AUDIENCE,
                    lang: str = DEFAULT_LANGUAGE) -> ReportResult:
    """Render ``source`` to ``output`` (default: the .pdf beside it); ``html`` also writes the HTML;
    ``created`` stamps the PDF's dates (see :func:`write_pdf`); ``audience`` is ``customer``
    (sell prices only) or ``internal`` (margin, supplier prices, formulas); ``lang`` the language. One process, one pass: the
    workbook is opened, checked and evaluated once, the context formats what the evaluation
    recorded, and WeasyPrint renders the HTML."""
    source = Path(source)
    pdf_path = Path(output) if output is not None else default_output(source)
    check_audience(audience)
    check_language(lang)
    dirs = template_dirs(templates)
    text, result = prepare(source, pdf_path, dirs, audience, lang)
    if html:
        result.html = pdf_path.with_suffix(".html")
        with atomic_write(result.html, protect=[source]) as tmp:
            Path(tmp).write_text(text, encoding="utf-8")
    _mark("html rendered")
    ensure_address_space(PDF_ADDRESS_SPACE_MB)
    with atomic_write(pdf_path, protect=[source]) as tmp:
        result.pages = write_pdf(text, dirs, tmp, created=created, source=result.attached)
    _mark("pdf written")
    return result


def prepare(source: Path, pdf_path: Path, dirs: list[Path], audience: str = DEFAULT_AUDIENCE,
            lang: str = DEFAULT_LANGUAGE) -> tuple[str, ReportResult]:
    """Check and evaluate ``source`` and render its HTML (nothing is written)."""
    from . import charts  # noqa: PLC0415

    context, result = prepare_context(source, pdf_path, audience)
    _mark("evaluated")
    from ..locale import translate_text  # noqa: PLC0415

    if audience != "internal":  # the customer's version shows no cost charts, only the range's tornado
        context["charts"] = []
    ensure_address_space(CHARTS_ADDRESS_SPACE_MB)
    charts.draw_charts(context, functools.partial(translate_text, lang=lang))
    _mark("charts drawn")
    return render_html(context, dirs, lang), result


def prepare_context(source: Path, pdf_path: Path,
                    audience: str = DEFAULT_AUDIENCE) -> tuple[dict[str, Any], ReportResult]:
    """Check and evaluate ``source``: the template context (charts as data) and the result."""
    from ..catalog import workbook_text  # noqa: PLC0415
    from ..workbook.check import check_workbook  # noqa: PLC0415
    from ..workbook.quote_checks import expiry_warning  # noqa: PLC0415
    from .context import build_context  # noqa: PLC0415

    try:
        before = os.stat(source)
    except OSError:
        before = None  # check_workbook names what is wrong with the path
    with workbook_text():  # the workbook's model cells (charts call functions with them too) are never paths
        evaluation, problems = check_workbook(source)
        if problems:
            raise ReportProblems(source, problems)
        result = ReportResult(source, pdf_path, mode=evaluation.mode,
                              stale=[f"{c.address}: workbook shows {c.value!r}, xlcompute computes {c.recomputed!r}"
                                     for c in evaluation.stale], recomputed=list(evaluation.recomputed_names))
        context = build_context(evaluation, audience)
        expired = expiry_warning(evaluation)
        context["quote"]["expired"] = expired is not None  # the cover says so: it is no longer an offer
        result.expired = str(expired or "")
    if before is not None:
        result.attached = read_source(source, before)
        context["audit"] = audit_trail(result.attached, audience)
    return context, result


def audit_trail(attached: SourceFile, audience: str) -> dict[str, Any]:
    """What the document prints so that a reader can re-run it: the source workbook's name,
    size and SHA-256 (the workbook is attached), the xlcompute version, the catalog's date, the
    PDF variant and the command."""
    from .. import __version__  # noqa: PLC0415
    from ..catalog import catalog_date  # noqa: PLC0415

    return {"workbook": attached.name, "bytes": len(attached.data), "sha256": attached.sha256,
            "version": __version__, "catalog_date": catalog_date(), "variant": "PDF/A-3b",
            "audience": audience}


def _mark(event: str) -> None:
    """With XLCOMPUTE_TIMINGS set, print when ``event`` happened (seconds since this module
    was imported) and the process's CPU time; bench/README.md's breakdown of a run comes from
    these lines."""
    if os.environ.get("XLCOMPUTE_TIMINGS"):
        print(f"xlcompute timing: {time.perf_counter() - _START:.3f} s {event} (pid {os.getpid()}, "
              f"cpu {time.process_time():.3f} s)", file=sys.stderr)


def warm_up() -> None:
    """Import everything a render needs (batch workers call this once, before their first task)."""
    import weasyprint  # noqa: F401,PLC0415

    from . import charts  # noqa: PLC0415
    from ..workbook.check import check_workbook  # noqa: F401,PLC0415
    from .context import build_context  # noqa: F401,PLC0415

    charts._pyplot()


class ReportProblems(XlcomputeError):
    """The workbook breaks the contract or has cells that cannot be evaluated."""

    def __init__(self, source: Path, problems: list[CellIssue]):
        self.problems = problems
        listing = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s); nothing was written:\n{listing}")

