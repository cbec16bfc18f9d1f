"""The options comparison of a serving quote, as the proposal prints it (``templates/_options.html``).

Read from the workbook's Options table (:mod:`~xlcompute.workbook.options_sheet`): each option's
GPU, provider, pricing, GPUs, replicas, speed, monthly and term cost and whether it meets the
service level, the recommended option (the named cell RECOMMENDED) and the targets it was chosen
against (TTFT_TARGET_MS, TPOT_TARGET_MS); a spot row's interruptions a day and the allowance they
add (SPOT_RESTART_MINUTES lost each), which its monthly cost includes. Every row of the table is
read, however many the customer kept or added. Nothing is recomputed here but the customer's sell
prices: each cost times the workbook's margin factor (1 + MARGIN) and (1 - DISCOUNT), to the
cent, the way its price table applies them; the customer never sees a supplier price per GPU-hour.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..functions.excel_values import address
from ..workbook import contract as c
from ..workbook.evaluate import Evaluation
from ..workbook.options_check import find_table
from .audience import CENT, PRICING_WORDS, to_cents


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _sell_factor(ev: Evaluation) -> Decimal | None:
    margin, discount = _number(ev.value("MARGIN")), _number(ev.value("DISCOUNT"))
    if margin is None:
        return None
    return (1 + Decimal(str(margin))) * (1 - Decimal(str(discount or 0.0)))


def _misses(ttft: float | None, tpot: float | None, ttft_target: float | None, tpot_target: float | None) -> list[str]:
    """Which targets an option misses: ``["TTFT"]``, ``["TPOT"]``, both or none."""
    out = []
    if ttft is not None and ttft_target is not None and ttft > ttft_target:
        out.append("TTFT")
    if tpot is not None and tpot_target is not None and tpot > tpot_target:
        out.append("TPOT")
    return out


def options_context(ev: Evaluation, internal: bool, names: dict[str, str] | None = None) -> dict[str, Any] | None:
    """The comparison table and the recommendation, or None when the workbook has no Options
    table. ``internal``: costs and the price per GPU-hour; otherwise sell prices only.
    ``names``: catalog id -> name, to show a GPU by its name."""
    table = find_table(ev)
    if table is None or any(title.lower() not in table.columns for title in c.OPTION_COLUMNS):
        return None
    factor = None if internal else _sell_factor(ev)
    if not internal and factor is None:
        return None
    ttft_target, tpot_target = _number(ev.value("TTFT_TARGET_MS")), _number(ev.value("TPOT_TARGET_MS"))
    recommended = ev.value(c.RECOMMENDED)
    recommended = recommended if isinstance(recommended, str) else None

    def get(header: str, row: int) -> Any:
        return table.value(ev, header, row) if header.lower() in table.columns else None

    def amount(value: Any) -> Decimal | None:
        cents = to_cents(value)
        if cents is None or factor is None:
            return cents
        return (cents * factor).quantize(CENT, rounding=ROUND_HALF_UP)

    rows = []
    for row in table.rows:
        name = get("Option", row)
        if name in (None, ""):
            continue
        pricing, gpu = str(get("Pricing", row) or ""), str(get("GPU", row) or "")
        ttft, tpot = _number(get("TTFT [ms]", row)), _number(get("TPOT [ms]", row))
        rows.append({
            "name": str(name), "gpu": gpu if internal else (names or {}).get(gpu, gpu),
            "provider": str(get("Provider", row) or ""),
            "pricing": PRICING_WORDS.get(pricing, pricing), "pricing_known": pricing in PRICING_WORDS,
            "gpus": _number(get("GPUs", row)), "replicas": _number(get("Replicas", row)),
            "tokens_per_s": _number(get("Tokens/s per replica", row)), "ttft_ms": ttft, "tpot_ms": tpot,
            "price_per_gpu_hour": _number(get("Price per GPU-hour", row)) if internal else None,
            "monthly": amount(get("Monthly cost", row)), "term_total": amount(get("Term total", row)),
            "interruptions_per_day": _number(get("Interruptions per day", row)),
            "allowance": _number(get("Interruption allowance", row)),
            "meets": get("Meets SLA", row) is True,
            "misses": _misses(ttft, tpot, ttft_target, tpot_target),
            "recommended": recommended is not None and str(name) == recommended,
            "address": f"{table.sheet}!{table.cell('Option', row)}",
        })
    chosen = next((r for r in rows if r["recommended"]), None)
    cheaper = [r for r in rows if chosen is not None and not r["meets"] and r["monthly"] is not None
               and chosen["monthly"] is not None and r["monthly"] < chosen["monthly"]]
    return {"rows": rows, "recommended": chosen, "cheaper_failing": cheaper, "ttft_target": ttft_target,
            "tpot_target": tpot_target, "sell": not internal,
            "interrupted": [r for r in rows if r["allowance"] and r["interruptions_per_day"]],
            "restart_minutes": _number(ev.value("SPOT_RESTART_MINUTES"))}


def option_cell_labels(ev: Evaluation) -> dict[str, str]:
    """A label for each cell of the Options table: ``"H200 spot (RunPod): TTFT [ms]"``, by address."""
    table = find_table(ev)
    if table is None or "option" not in table.columns:
        return {}
    headers = {col: str(ev.values.get((table.sheet, address(col, table.header_row))) or "")
               for col in table.columns.values()}
    out = {}
    for row in table.rows:
        name = table.value(ev, "Option", row)
        for col, header in headers.items():
            out[f"{table.sheet}!{address(col, row)}"] = f"{name}: {header}" if name else header
    return out
