"""The proposal's template context, built from an evaluated scenario workbook.

Every number comes from the :class:`~xlcompute.workbook.evaluate.Evaluation`: the workbook's
own values and the records of its xlcompute calls (each with its
:class:`~xlcompute.core.formula.Step` tree and the catalog rows it used). Nothing is recomputed
here except the chart series, which call the registry's function with one argument varied.
"""

from __future__ import annotations

import json
from typing import Any

from .. import __version__
from ..locale import N_
from ..core.errors import XlcomputeError
from ..core.money import CATALOG_CURRENCY
from ..core.formula import Step
from ..functions import REGISTRY
from ..functions.excel_values import address, column_letters, parse_reference
from ..workbook import contract as c
from ..workbook.evaluate import Evaluation
from ..workbook.quote_checks import line_items
from ..workbook.range_block import ROW_NAMES as RANGE_ROWS
from . import charts
from .ownership import ownership_context
from .ranges import range_context
from .audience import (DEFAULT_AUDIENCE, check_audience, citations, customer_inputs, customer_price,
                       customer_rows, customer_sources, scope)
from .options import option_cell_labels, options_context
from .formatting import as_date, cell_value, display, excel_date, money, number, percent, quantity

#: Step inputs that carry a convention the proposal states: title, what it means, and what
#: particular values mean (texts marked for translation; the template translates them).
CONVENTIONS = {
    "flops_per_param_token": (N_("Training FLOPs per parameter per token"),
                              N_("arithmetic per parameter for each training token"), {
        6: N_("6PD: forward 2 + backward 4 FLOPs per parameter per token (Kaplan et al. 2020)"),
        8: N_("8PD: adds a second forward pass for full activation recomputation (Korthikanti et al. 2022)"),
    }),
    "mfu": (N_("Model FLOPs utilisation"), N_("achieved share of the GPU's dense peak FLOP/s"), {}),
    "precision": (N_("Precision"), N_("number format of the computation; sets the GPU's peak rate"), {}),
    "weight_precision": (N_("Weight precision"), N_("number format of the served weights; sets their memory"), {}),
    "kv_precision": (N_("KV-cache precision"), N_("number format of the attention cache; sets its memory"), {}),
    "unit": (N_("Memory unit"), N_("unit of memory results"), {
        "GB": N_("decimal gigabytes, 1 GB = 10⁹ bytes"), "GiB": N_("binary gibibytes, 1 GiB = 2³⁰ bytes")}),
    "bytes_per_param": (N_("Training state bytes per parameter"),
                        N_("weights, gradients and optimizer state per parameter"), {}),
}
MAX_SENSITIVITY_CHARTS = 2
MEMORY_CONVENTION = N_("Memory results are in decimal gigabytes (1 GB = 10⁹ bytes) unless a cell asks for GiB. "
                     "A GPU's capacity is the vendor's figure, which is binary in fact: an \"80 GB\" H100 "
                     "holds 80 × 2³⁰ bytes (nvidia-smi shows 81,559 MiB).")


def _sheet_rows(ev: Evaluation, sheet: str) -> list[dict[str, Any]]:
    """Rows of an Inputs/Estimate-style sheet: label (A), value (B), unit (C), note (D)."""
    by_cell = {where: name for name, where in ev.names.items()}
    rows = []
    cells = sorted((reference.first.row, cell) for (s, cell) in ev.values
                   if s == sheet and (reference := parse_reference(cell)) and reference.first.column == 2)
    for row, ref in cells:
        if row < 4 and (sheet, ref) not in by_cell:  # title and header rows
            continue
        key = (sheet, ref)
        value = ev.values.get(key)
        rows.append({
            "label": ev.values.get((sheet, f"A{row}")) or by_cell.get(key, ref),
            "name": by_cell.get(key, ""),
            "address": f"{sheet}!{ref}",
            "value": cell_value(value, ev.number_formats.get(key, "General")),
            "unit": ev.values.get((sheet, f"C{row}")) or "",
            "note": ev.values.get((sheet, f"D{row}")) or "",
            "formula": ev.formulas.get(key, ""),
            "raw": value,
        })
    return rows


def _line_items(ev: Evaluation) -> list[dict[str, Any]]:
    """The line items as the proposal prints them: quantity in full, the unit price with the
    decimals it was computed with, the amount to the cent (``quote_checks.money_problems`` has
    refused any line that does not multiply out)."""
    if c.LINE_ITEMS_TABLE not in ev.tables:
        raise XlcomputeError(f"{ev.path}: no Excel table named {c.LINE_ITEMS_TABLE!r} on the Quote sheet.")
    items = []
    for item in line_items(ev):
        get = item.values.get
        fmt = ev.number_formats.get((item.sheet, item.cells["Quantity"]), "General")
        items.append({
            "description": get("Description") or "",
            "quantity": quantity(get("Quantity"), fmt),
            "quantity_value": get("Quantity"),
            "unit": get("Unit") or "",
            "unit_price": get("Unit price"),
            "amount": get("Amount"),
        })
    return items


def _exchange(ev: Evaluation, currency: str) -> dict[str, str] | None:
    """The exchange rate a quote in another currency than the catalog's converts at, as the
    price section prints it (None for a quote in the catalog's currency)."""
    value = ev.value("EXCHANGE_RATE")
    if currency == CATALOG_CURRENCY or not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return {"from": CATALOG_CURRENCY, "to": currency, "rate": number(value, 15), "date": excel_date(ev.value("RATE_DATE")),
            "source": str(ev.value("RATE_SOURCE") or ""), "address": ev.where("EXCHANGE_RATE")}


def _step_dicts(step: Step) -> list[dict[str, Any]]:
    """The core formula steps of one Excel-function call (the synthetic root dropped)."""
    if step.info.equation:
        return [step.to_dict()]
    return [child.to_dict() for child in step.children]


def _mark_repeats(tree: dict[str, Any], seen: dict[str, str], address: str) -> dict[str, Any]:
    """Mark a step already shown in full earlier (same formula, same inputs) with where it was;
    its sub-steps are dropped, so a shared sub-calculation (e.g. the parameter count) is
    printed once per report."""
    key = json.dumps([tree["function"], tree["inputs"]], sort_keys=True, default=str)
    if key in seen:
        return {**tree, "steps": [], "repeat_of": seen[key]}
    seen.setdefault(key, address)
    return {**tree, "repeat_of": "", "steps": [_mark_repeats(child, seen, address) for child in tree["steps"]]}


def _walk(tree: dict[str, Any]):
    yield tree
    for child in tree["steps"]:
        yield from _walk(child)


def _breakdowns(ev: Evaluation) -> list[dict[str, Any]]:
    labels = {(row["address"]): row for sheet in (c.INPUTS_SHEET, c.ESTIMATE_SHEET, c.QUOTE_SHEET)
              for row in _sheet_rows(ev, sheet)}
    option_labels = option_cell_labels(ev)
    out = []
    seen: dict[str, str] = {}
    for xl_cell in ev.xlcompute_cells:
        row = labels.get(xl_cell.address, {})
        fmt = ev.number_formats.get((xl_cell.sheet, xl_cell.cell), "General")
        calls = []
        for call in xl_cell.calls:
            calls.append({
                "function": call.function,
                "args": [display(a) if isinstance(a, (int, float)) else str(a) for a in call.args],
                "result": number(call.value) if isinstance(call.value, (int, float)) else str(call.value),
                "steps": [_mark_repeats(tree, seen, xl_cell.address) for tree in _step_dicts(call.step)]
                if call.step is not None else [],
            })
        out.append({
            "label": row.get("label") or option_labels.get(xl_cell.address) or xl_cell.address,
            "unit": row.get("unit", ""),
            "address": xl_cell.address,
            "formula": xl_cell.formula,
            "value": cell_value(xl_cell.value, fmt),
            "recomputed": cell_value(xl_cell.recomputed, fmt),
            "stale": xl_cell.stale,
            "error": xl_cell.error,
            "calls": calls,
        })
    return out


def _conventions(breakdowns: list[dict[str, Any]]) -> tuple[list[dict[str, str]], list[str], list[str]]:
    """Conventions, assumptions and references found in the recorded formula steps.

    One row per convention when every call used the same value; when calls used different
    values, one row per value naming the cells that used it, so a document never lists two
    values of one convention as if both applied everywhere."""
    used: dict[str, dict[str, dict[str, Any]]] = {}
    assumptions: list[str] = []
    references: list[str] = []
    for item in breakdowns:
        for call in item["calls"]:
            for tree in call["steps"]:
                for step in _walk(tree):
                    if step["assumptions"] and step["assumptions"] not in assumptions:
                        assumptions.append(step["assumptions"])
                    if step["reference"] and step["reference"] not in references:
                        references.append(step["reference"])
                    for arg in step["inputs"]:
                        if arg["name"] not in CONVENTIONS:
                            continue
                        title, meaning, meanings = CONVENTIONS[arg["name"]]
                        value = arg["value"]
                        shown = percent(value) if arg["name"] == "mfu" else number(value)
                        row = used.setdefault(title, {}).setdefault(shown, {
                            "title": title, "value": shown, "meaning": meanings.get(value, meaning),
                            "formula": step["title"], "cells": []})
                        if item["label"] not in row["cells"]:
                            row["cells"].append(item["label"])
    conventions = []
    for values in used.values():
        for row in values.values():
            row["used_by"] = row.pop("cells") if len(values) > 1 else []
            conventions.append(row)
    return conventions, assumptions, references


#: How the sources appendix names what a call resolved (``Resolved.name``).
SOURCE_KINDS = {"gpu": N_("GPU"), "model": N_("Model"), "price": N_("Price"), "mfu": N_("MFU"), "engine": N_("Engine"),
                "grid_intensity": N_("Grid intensity"), "kv_precision": N_("KV precision"), "server": N_("Server")}


def _sources(ev: Evaluation, skip_sheet: str | None = None) -> list[dict[str, str]]:
    """The catalog rows the workbook's xlcompute calls used (as recorded), with source and date."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    for xl_cell in ev.xlcompute_cells:
        if xl_cell.sheet == skip_sheet:
            continue
        for call in xl_cell.calls:
            for used in call.resolved:
                if used.name == "exchange_rate":
                    continue  # the workbook's own input, printed with the price table
                kind = SOURCE_KINDS.get(used.name, used.name.replace("_", " ").capitalize())
                found.setdefault((kind, str(used.value)), {"kind": kind, "id": str(used.value), "name": used.label,
                                                           "source": used.source, "date": used.date})
    return sorted(found.values(), key=lambda r: (r["kind"], r["id"]))


def _engine_bands(sources: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The serving engines the quote's speed estimates assumed, with the 80% error band of
    each (published measurements fall between ``low`` and ``high`` times the estimate)."""
    from ..catalog import get_gpu  # noqa: PLC0415
    from ..core.serving_engines import get_engine  # noqa: PLC0415

    vendors = [get_gpu(s["id"]).vendor for s in sources if s["kind"] == "GPU"] or [""]
    bands = []
    for s in sources:
        if s["kind"] == "Engine":
            engine = get_engine(s["id"], vendors[0])
            bands.append({"name": engine.name, "low": engine.band_low, "high": engine.band_high})
    return bands


def _charts(ev: Evaluation, items: list[dict[str, Any]], totals: dict[str, Any], currency: str,
            estimate: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The charts' data; :func:`~xlcompute.report.charts.draw_charts` draws them."""
    out = []
    charted_items = [i for i in items if isinstance(i["amount"], (int, float))]
    if charted_items:
        out.append({"id": "cost", "caption": N_("Amount of each line item, before margin, discount and tax."),
                    "data": {"descriptions": [i["description"] for i in charted_items],
                             "amounts": [i["amount"] for i in charted_items], "currency": currency}})
    build_up = [(N_("Subtotal"), totals["subtotal"]), (N_("Margin"), totals["margin_amount"]),
                (N_("Discount"), 0.0 - totals["discount_amount"]), (N_("Tax"), totals["tax_amount"]),
                (N_("Total"), totals["total"])]
    if all(isinstance(v, (int, float)) for _, v in build_up):
        out.append({"id": "build-up", "caption": N_("From the cost subtotal to the total price."),
                    "data": {"steps": build_up, "currency": currency}})
    rows = {r["address"]: r for r in estimate}
    charted = set()
    for xl_cell in ev.xlcompute_cells:
        if len(xl_cell.calls) != 1 or xl_cell.error or len(charted) == MAX_SENSITIVITY_CHARTS:
            continue
        call = xl_cell.calls[0]
        if call.function in charted:
            continue
        row = rows.get(xl_cell.address, {})
        series = charts.sensitivity_series(REGISTRY[call.function], call.args)
        if series is not None:
            charted.add(call.function)
            out.append({"id": "sensitivity",
                        "data": {"series": series, "label": str(row.get("label") or call.function),
                                 "unit": str(row.get("unit") or ""), "current": call.value},
                        "caption": N_("%(label)s (%(cell)s) recomputed with %(function)s for other values of one "
                                      "input; the marker is this quote."),
                        "caption_args": {"label": str(row.get("label") or call.function), "cell": xl_cell.address,
                                         "function": call.function}})
    return out


def build_context(ev: Evaluation, audience: str = DEFAULT_AUDIENCE) -> dict[str, Any]:
    """Everything the proposal template shows, from one evaluated workbook (the charts as
    data: :func:`~xlcompute.report.charts.draw_charts` draws them), for ``audience``
    (``customer``: sell prices, no margin or supplier prices; ``internal``: everything)."""
    check_audience(audience)
    def named(name: str) -> Any:
        return ev.value(name)

    currency = str(named("CURRENCY") or "")
    totals = {key: named(key.upper()) for key in
              ("subtotal", "margin_amount", "discount_amount", "net_amount", "tax_amount", "total")}
    rates = {key: named(key.upper()) for key in ("margin", "discount", "tax_rate")}
    items = _line_items(ev)
    inputs = _sheet_rows(ev, c.INPUTS_SHEET)
    estimate = _sheet_rows(ev, c.ESTIMATE_SHEET)
    breakdowns = _breakdowns(ev)
    stale_addresses = {b["address"] for b in breakdowns if b["stale"]}
    for row in estimate + inputs:
        row["stale"] = row["address"] in stale_addresses
        row["xlcompute"] = any(b["address"] == row["address"] for b in breakdowns)
    # The Options sheet repeats the Estimate's calls for each option: its conventions are the Estimate's.
    conventions, assumptions, references = _conventions(
        [b for b in breakdowns if not b["address"].startswith(f"{c.OPTIONS_SHEET}!")])
    shown = {conv["title"] for conv in conventions}
    for name, (title, meaning) in c.CONVENTION_INPUTS.items():
        if name in ev.names and title not in shown and ev.value(name) is not None:
            value = ev.value(name)
            conventions.append({"title": title, "value": percent(value) if name == "MFU" else number(value),
                                "meaning": meaning, "formula": ev.where(name), "used_by": []})
    quote = {
        "customer": str(named("CUSTOMER") or ""),
        "number": str(named("QUOTE_NUMBER") or ""),
        "date": excel_date(named("QUOTE_DATE")),
        "valid_until": excel_date(named("VALID_UNTIL")),
        "issued_on": as_date(named("QUOTE_DATE")),
        "valid_until_date": as_date(named("VALID_UNTIL")),
        "prepared_by": str(named("PREPARED_BY") or ""),
        "currency": currency,
    }
    title = f"Quote {quote['number']} for {quote['customer']}"
    sources = _sources(ev)
    named_values = {name: ev.value(name) for name in ev.names}
    catalog_names = {s["id"]: s["name"] for s in sources if s["name"]}
    price = customer_price(items, totals)
    return {
        "audience": audience,
        "internal": audience == "internal",
        "price": price,
        "price_range": range_context(ev, price, audience, currency),
        "ownership": ownership_context(ev, currency),
        # The scope is what is quoted: not the GPUs that only the other options compared use.
        "scope": scope(named_values, items, _sources(ev, skip_sheet=c.OPTIONS_SHEET)),
        "requirement": customer_rows([r for r in estimate if r["name"] not in RANGE_ROWS]),  # the range has its section
        # Conventions are stated once, in the assumptions table: not among the workload inputs too.
        "workload": customer_rows([r for r in customer_inputs(inputs, catalog_names | c.DEMAND_BASIS_NAMES)
                                   if r["name"] not in c.CONVENTION_INPUTS]),
        "citations": citations(references),
        "customer_sources": customer_sources(sources),
        "engine_bands": _engine_bands(sources),
        "title": title,
        "subject": f"Compute cost proposal: {currency} {money(totals['total'])}" if isinstance(totals["total"], (int, float))
        else "Compute cost proposal",
        "generator": f"xlcompute {__version__}",
        "workbook": ev.path.name,
        "mode": ev.mode,
        "quote": quote,
        "summary": {"total": totals["total"], "gpus": named("GPU_COUNT"), "duration_days": named("DURATION_DAYS")},
        "totals": totals,
        "rates": rates,
        "line_items": items,
        "exchange": _exchange(ev, currency),
        "options": options_context(ev, audience == "internal", catalog_names),
        "inputs": inputs,
        "estimate": estimate,
        "breakdowns": breakdowns,
        "stale": [b for b in breakdowns if b["stale"]],
        "issues": [str(i) for i in ev.issues],
        "conventions": conventions,
        "memory_convention": MEMORY_CONVENTION,
        "assumptions": assumptions,
        "references": references,
        "sources": sources,
        "charts": _charts(ev, items, {**totals}, currency, estimate),
    }
