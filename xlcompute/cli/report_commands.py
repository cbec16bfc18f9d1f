"""``xlcompute new``, ``xlcompute check`` and ``xlcompute report``: scenario workbooks to PDF quotes."""

from __future__ import annotations

import os
from datetime import datetime, timezone
import sys
from pathlib import Path
from typing import Any

import click

from ..core.errors import XlcomputeError
from ..locale import DEFAULT_LANGUAGE, LANGUAGES
from . import main
from .bounds import DEFAULT_MEMORY_MB, DEFAULT_SECONDS, bounded
from .outputs import report_targets


@main.command()
@click.option("--kind", type=click.Choice(["training", "inference", "serving", "both", "ownership"]), default="training",
              show_default=True, help="What the quote covers (serving = inference; ownership: buy GPU servers or rent "
                                      "the GPUs).")
@click.option("--customer", help="Customer the quote is addressed to [default: a placeholder that `check` flags].")
@click.option("--number", "quote_number", help="Quote number [default: Q-YYYYMMDD-XXXX, today and 4 random hex digits].")
@click.option("--currency", default="USD", show_default=True,
              help="ISO 4217 code of the quote's currency; catalog prices (USD) are converted at --exchange-rate.")
@click.option("--exchange-rate", type=float, help="Units of --currency per USD, as of --rate-date, from --rate-source.")
@click.option("--rate-date", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date of the exchange rate (YYYY-MM-DD).")
@click.option("--rate-source", help="Where the exchange rate comes from (e.g. ECB euro reference rate).")
@click.option("--lang", type=click.Choice(list(LANGUAGES)), default=DEFAULT_LANGUAGE, show_default=True,
              help="Language of the workbook's labels, units and notes (names and formulas stay as they are).")
@click.option("--option", "options", multiple=True, metavar="GPU:PROVIDER:PRICING[:GPUS_PER_NODE]",
              help="A serving option to compare (repeat it; any number): catalog GPU, provider and pricing, and the "
                   "GPUs the provider rents together [default: the catalog instance's]. Default: three examples.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
def new(kind: str, customer: str | None, quote_number: str | None, currency: str, exchange_rate: float | None,
        rate_date: datetime | None, rate_source: str | None, lang: str, options: tuple[str, ...], force: bool,
        output: Path) -> None:
    """Write a starter scenario workbook OUTPUT.xlsx (inputs, estimate, quote), dated today."""
    import re  # noqa: PLC0415

    from ..workbook.generate import Currency, write_workbook  # noqa: PLC0415
    from ..workbook.options_sheet import parse_option  # noqa: PLC0415
    from ..workbook.quote_checks import PLACEHOLDER_CUSTOMER, new_quote_number  # noqa: PLC0415

    if output.suffix.lower() != ".xlsx":
        raise XlcomputeError(f"{output}: expected a file name ending in .xlsx.")
    if output.exists() and not force:
        raise XlcomputeError(f"{output}: exists already; pass --force to overwrite it.")
    code = currency.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise XlcomputeError(f"--currency: expected a three-letter ISO 4217 code such as EUR, found {currency!r}.",
                             argument="currency")
    if exchange_rate is not None and not exchange_rate > 0:
        raise XlcomputeError(f"--exchange-rate: expected a positive number of {code} per USD, found {exchange_rate:g}.",
                             argument="exchange_rate")
    kind = "inference" if kind == "serving" else kind
    compared = tuple(parse_option(text) for text in options) or None
    today = datetime.now().date()
    number = quote_number or new_quote_number(today)
    write_workbook(output, kind, quote_date=today, quote_number=number, customer=customer or PLACEHOLDER_CUSTOMER,
                   currency=Currency(code, exchange_rate, rate_date, rate_source), lang=lang, compared=compared)
    click.echo(f"Wrote {output} ({kind}, quote {number} dated {today.isoformat()}, in {code}). Edit the orange input "
               f"cells on the Inputs and Quote sheets, then run: xlcompute report {output}")
    if code != "USD" and None in (exchange_rate, rate_date, rate_source):
        click.echo(f"The catalog's prices are in USD: fill in the exchange rate ({code} per USD), its date and source "
                   "(Quote!E3:E5) before `xlcompute check` accepts the quote.")


@main.command()
@click.argument("workbook", type=click.Path(path_type=Path))  # a missing file: the guard's one message, exit 2
def check(workbook: Path) -> None:
    """List every problem of a scenario WORKBOOK, with its sheet and cell (exit status 2 if there are any)."""
    from ..workbook.check import check_workbook  # noqa: PLC0415
    from ..workbook.quote_checks import quote_warnings  # noqa: PLC0415

    evaluation, problems = check_workbook(workbook)
    stale = evaluation.stale if evaluation is not None else []
    for cell in stale:
        click.echo(f"stale: {cell.address}: the workbook shows {cell.value!r}, xlcompute computes "
                   f"{cell.recomputed!r} from the current inputs (recalculate in Excel)")
    for warning in quote_warnings(evaluation) if evaluation is not None and not problems else []:
        click.echo(f"warning: {warning}")  # worth a look before sending; the workbook is not wrong
    for problem in problems:
        click.echo(f"{workbook}: {problem}", err=True)
    if problems:
        click.echo(f"{workbook}: {len(problems)} problem(s).", err=True)
        raise SystemExit(2)  # bad input, as report says it
    if evaluation.recomputed_names:
        shown = ", ".join(evaluation.recomputed_names[:8]) + (" ..." if len(evaluation.recomputed_names) > 8 else "")
        click.echo(f"recomputed: {len(evaluation.recomputed_names)} cell(s) saved as #NAME? by a program without the "
                   f"xlcompute add-in ({shown}); their values here are xlcompute's")
    mode = "cached values" if evaluation.mode == "cached" else "evaluated headlessly"
    click.echo(f"{workbook}: OK ({len(evaluation.xlcompute_cells)} xlcompute cells, {mode}"
               f"{f', {len(stale)} stale' if stale else ''}).")


def _pool_context() -> Any:
    """``fork`` where there is one: workers start in milliseconds with the CLI already imported."""
    import multiprocessing  # noqa: PLC0415

    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)


def _warm_up() -> None:
    """A batch worker's start: SIGTERM becomes SystemExit in *this* process (a forked worker
    inherits the parent's handler, which acts in the parent only), Ctrl+C is left to the parent
    (which stops its workers with SIGTERM; a worker's KeyboardInterrupt printed tracebacks), then
    the imports."""
    import signal  # noqa: PLC0415

    from ..report.render import warm_up  # noqa: PLC0415
    from . import terminate_on_sigterm  # noqa: PLC0415

    terminate_on_sigterm()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        warm_up()
    except SystemExit as exc:  # SIGTERM while importing: end here (the pool would print a traceback)
        os._exit(exc.code if isinstance(exc.code, int) else 1)
    except Exception:  # noqa: BLE001 - a failing import is reported by the first task
        pass


def _render_one(source: str, output: str, html: bool, templates: str | None,
                created: str | None = None, bounds: tuple[int, int] = (DEFAULT_SECONDS, DEFAULT_MEMORY_MB),
                audience: str = "customer", lang: str = "en") -> tuple[str, str, list[str]]:
    """Worker for batches: (source, output or '', notes: stale cells, warnings); errors come back as text."""
    from ..report.render import report_workbook  # noqa: PLC0415

    try:
        with bounded(*bounds):
            result = report_workbook(source, output, html=html, templates=templates, created=created,
                                     audience=audience, lang=lang)
    except SystemExit as exc:  # SIGTERM: the temporary files are gone (atomic_write); the worker ends here
        os._exit(exc.code if isinstance(exc.code, int) else 1)
    except XlcomputeError as exc:  # the batch prints the source before each note: not twice
        return source, "", [f"error: {str(exc).removeprefix(f'{source}: ')}"]
    except Exception as exc:  # noqa: BLE001 - one bad workbook must not stop the batch
        return source, "", [f"error: unexpected {type(exc).__name__}: {exc}"]
    return source, str(result.pdf), [f"stale: {line}" for line in result.stale] + (
        [f"warning: {result.expired} (the cover says so)"] if result.expired else [])


@main.command()
@click.argument("workbooks", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=str),  # str: a Path would drop the trailing "/"
              help="Output PDF (one workbook) or directory ending in / (several). Default: beside each workbook.")
@click.option("--html", is_flag=True, help="Also write the HTML the PDF is rendered from.")
@click.option("--templates", type=click.Path(path_type=Path),  # a missing folder: one message, exit 2
              help="Directory of templates that override the packaged ones (proposal.html, proposal.css, ...).")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, show_default=True,
              help="Parallel processes for several workbooks; 0 = one per CPU.")
@click.option("--stamp-time", is_flag=True,
              help="Record the render time as the PDF's creation date. By default the PDF carries the quote "
                   "date, so rendering the same workbook twice gives byte-identical files.")
@click.option("--audience", default="customer", show_default=True,  # checked by report_workbook (exit 2)
              help="customer: the version to send (sell prices, scope, terms; no margin, supplier prices or "
                   "formulas). internal: adds the cost lines with the margin, the inputs and every formula.")
@click.option("--lang", type=click.Choice(list(LANGUAGES)), default=DEFAULT_LANGUAGE, show_default=True,
              help="Language of the proposal: texts, numbers, dates and currency formats.")
def report(workbooks: tuple[Path, ...], output: str | None, html: bool, templates: Path | None, jobs: int,
           stamp_time: bool, audience: str, lang: str) -> None:
    """Render scenario WORKBOOKS to PDF cost proposals (the customer's version unless --audience internal)."""
    from ..report.render import report_workbook  # noqa: PLC0415
    from ..report.templates import template_dirs  # noqa: PLC0415
    from ..workbook.guard import check_file  # noqa: PLC0415

    for workbook in workbooks:  # every file first: one message and exit 2 before any work starts
        check_file(workbook)
    template_dirs(templates)
    targets, folder = report_targets(workbooks, output)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)

    created = datetime.now(timezone.utc).isoformat(timespec="seconds") if stamp_time else None
    bounds = click.get_current_context().obj["bounds"]
    if len(workbooks) == 1:
        with bounded(*bounds):
            result = report_workbook(workbooks[0], targets[0], html=html, templates=templates, created=created,
                                     audience=audience, lang=lang)
        for line in result.stale:
            click.echo(f"stale: {line}", err=True)
        if result.expired:
            click.echo(f"warning: {result.expired} (the cover says so)", err=True)
        if result.recomputed:
            click.echo(f"recomputed: {len(result.recomputed)} cell(s) saved as #NAME? by a program without the "
                       "xlcompute add-in; the PDF shows xlcompute's values for them", err=True)
        click.echo(f"Wrote {result.pdf} ({result.pages} pages)")
        return

    import multiprocessing  # noqa: PLC0415 - batches only
    from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: PLC0415
    from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

    failures = 0
    workers = jobs or min(len(workbooks), os.cpu_count() or 1)
    tasks = [(str(s), str(t), html, str(templates) if templates else None, created, bounds, audience, lang)
             for s, t in zip(workbooks, targets)]
    # Workers import everything once (initializer), then render many workbooks each.
    with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(), initializer=_warm_up) as pool, \
            click.progressbar(length=len(tasks), label="Rendering", file=sys.stderr) as bar:
        futures = [pool.submit(_render_one, *task) for task in tasks]
        try:
            for future in as_completed(futures):
                source, written, notes = future.result()
                bar.update(1)
                if not written:
                    failures += 1
                for note in notes:
                    click.echo(f"\n{source}: {note}", err=True)
        except BaseException as exc:  # SIGTERM or Ctrl+C here, or a worker stopped from outside
            pool.shutdown(wait=False, cancel_futures=True)
            for worker in multiprocessing.active_children():
                worker.terminate()  # SIGTERM: each worker removes its temporary file and ends
            if isinstance(exc, BrokenProcessPool):
                raise XlcomputeError("a report worker process was stopped from outside (killed, or out of memory) "
                                     "before the batch ended; no half-written file was left. Run the batch again "
                                     "for the PDFs not listed above.") from None
            raise
    click.echo(f"Wrote {len(tasks) - failures} of {len(tasks)} PDF(s) to {output or 'beside the workbooks'}.")
    if failures:
        raise SystemExit(1)
