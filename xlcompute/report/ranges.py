"""The proposal's honest range: low, base and high total, how the band was derived, what drives it.

The totals are the workbook's own ``TOTAL_LOW``, ``TOTAL`` and ``TOTAL_HIGH`` (sell prices: they
include the margin). The band's derivation is read from the records it came from: the training
MFU regime (:func:`~xlcompute.scenario.setups.training_mfu_range`) or the serving engine
(:func:`~xlcompute.scenario.setups.engine_for`), and the held-out coverage the validation
stored (:func:`~xlcompute.validation.coverage.stored_coverage`).

The tornado moves one driver at a time to its low and high value and reprices the quote: each
quantity by calling the registry's Excel function the workbook called, with that one argument
changed (as :func:`~xlcompute.report.charts.sensitivity_series` does), then the workbook's own
arithmetic of a generated quote (whole reserved days or replicas, line amounts to the cent,
margin, discount and tax to the cent). The base case must reproduce the workbook's TOTAL to the
cent, or no tornado is drawn (a workbook whose arithmetic differs from the generated one).

The monthly schedule splits a serving quote's total and its GPU line over the term, to the cent,
the remainder cents on the first months, so the months add up exactly.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

from ..core import program
from ..core.money import CENT, cents, exact
from ..functions import REGISTRY
from ..locale import N_
from ..workbook.evaluate import Evaluation
from ..workbook.program_lines import TRAINING_QUANTITIES
from ..workbook.quote_checks import line_items
from .formatting import number

#: What-if spans of the drivers that validation does not measure (the customer's own inputs).
WHAT_IF = 0.2  # training tokens and serving demand: ±20%
UTILISATION = (0.5, 2.0)  # contingency (training) and concurrent requests per replica (serving): half, double
MAX_MONTHS = 36  # longer terms are scheduled by year


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _call(ev: Evaluation, function: str, name: str | None = None) -> Any:
    """The first recorded call of ``function`` (in the cell named ``name`` when given)."""
    where = ev.names.get(name) if name else None
    for cell in ev.xlcompute_cells:
        if where and (cell.sheet, cell.cell) != where:
            continue
        for call in cell.calls:
            if call.function == function and not call.error:
                return call
    return None


class NoBar(Exception):
    """A recomputation gave no number (an Excel error from a varied call): no tornado."""


def vary(call: Any, **changes: Any) -> Any:
    """``call``'s registry function called again with the named arguments changed; :class:`NoBar`
    when it gives no number."""
    function = REGISTRY[call.function]
    names = [argument.name for argument in function.arguments]
    args = list(call.args)
    for name, value in changes.items():
        index = names.index(name)
        args += [None] * (index + 1 - len(args))
        args[index] = value
    value = function(*args)
    if not _number(value) or value <= 0:
        raise NoBar(f"{call.function} gave {value!r}")
    return value


def _whole(value: float) -> int:
    """Excel's ROUNDUP(value, 0) of a positive value, binary noise dropped."""
    return math.ceil(round(value, 9))


def _total(ev: Evaluation, subtotal: Decimal) -> Decimal:
    """The quote's total from a subtotal: margin, discount and tax each to the cent, as the workbook."""
    rate = {name: exact(ev.value(name) or 0) for name in ("MARGIN", "DISCOUNT", "TAX_RATE")}
    margin = cents(subtotal * rate["MARGIN"])
    discount = cents((subtotal + margin) * rate["DISCOUNT"])
    net = subtotal + margin - discount
    return net + cents(net * rate["TAX_RATE"])


def _line_amount(ev: Evaluation, refers_to: str) -> Decimal | None:
    """The printed amount of the line whose quantity formula uses ``refers_to``."""
    for item in line_items(ev):
        formula = ev.formulas.get((item.sheet, item.cells["Quantity"]), "").upper()
        if refers_to in formula and _number(item.values.get("Amount")):
            return cents(item.values["Amount"])
    return None


def _price_span(ev: Evaluation, price_name: str) -> tuple[float, float] | None:
    """The cheapest and dearest catalog list price of the quote's GPU and pricing over providers,
    each from GPU_PRICE with only the provider changed (in the quote's currency, to 4 decimals
    as the workbook rounds it)."""
    from ..catalog import list_prices  # noqa: PLC0415

    call = _call(ev, "GPU_PRICE", price_name)
    if call is None:
        return None
    gpu, pricing = str(call.args[0]), str(call.args[2]) if len(call.args) > 2 and call.args[2] else "on_demand"
    providers = sorted({p.provider for p in list_prices() if p.gpu_id == gpu and p.pricing == pricing})
    prices = []
    for provider in providers:
        try:
            prices.append(round(vary(call, provider=provider), 4))
        except NoBar:
            continue  # a provider without a price in the quote's currency
    return (min(prices), max(prices)) if len(prices) >= 2 else None


def _whole_round(value: Any) -> Decimal:
    """Excel's ROUND(value, 0): halves away from zero, on the decimal the number stands for."""
    return exact(value).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _quoted_line(ev: Evaluation, quantity: str) -> Decimal | None:
    """The printed amount of the line whose quantity formula is ``quantity``, None when none is."""
    for item in line_items(ev):
        formula = ev.formulas.get((item.sheet, item.cells["Quantity"]), "")
        if formula.replace(" ", "").upper() == quantity.upper() and _number(item.values.get("Amount")):
            return cents(item.values["Amount"])
    return None


def _training_model(ev: Evaluation) -> Callable[..., Decimal] | None:
    names = ("TRAIN_TOKENS", "MFU", "NUM_GPUS", "CONTINGENCY", "GPU_HOUR_PRICE", "STORAGE_TB", "STORAGE_PRICE",
             "SUBTOTAL", "EXPERIMENTS_MULTIPLE", "EVALUATION_SHARE", "GOODPUT", "CHECKPOINT_STORAGE_TB")
    flops_call, hours_call = _call(ev, "TRAIN_FLOPS", "TOTAL_FLOPS"), _call(ev, "TRAIN_GPU_HOURS", "GPU_HOURS")
    quoted = [_quoted_line(ev, q) for q in ("=BILLED_GPU_HOURS", "=STORAGE_TB*STORAGE_MONTHS", *TRAINING_QUANTITIES)]
    if None in (flops_call, hours_call, *quoted) or not all(_number(ev.value(n)) for n in names):
        return None
    v = {n: ev.value(n) for n in names}
    m, e, g = v["EXPERIMENTS_MULTIPLE"], v["EVALUATION_SHARE"], v["GOODPUT"]

    def total(tokens=v["TRAIN_TOKENS"], mfu=v["MFU"], price=v["GPU_HOUR_PRICE"], contingency=v["CONTINGENCY"]):
        # The generated quote's lines (workbook.program_lines): whole reserved days, then the program's GPU-hours.
        flops = vary(flops_call, tokens=tokens)
        hours = vary(hours_call, flops=flops, mfu=mfu)
        days = _whole(hours / v["NUM_GPUS"] / 24)
        billed = v["NUM_GPUS"] * days * 24
        months = max(1, _whole(days / 30))
        gpu_hours = (billed, _whole_round(billed * m), _whole_round(billed * e),
                     _whole_round(program.restart_gpu_hours(billed * (1 + m + e), g)),
                     _whole_round(contingency * program.program_gpu_hours(billed, m, e, g)))
        checkpoints = exact(v["CHECKPOINT_STORAGE_TB"] * months).quantize(CENT, rounding=ROUND_HALF_UP)
        amounts = [cents(exact(q) * exact(price)) for q in gpu_hours]
        amounts += [cents(exact(v["STORAGE_TB"]) * months * exact(v["STORAGE_PRICE"])),
                    cents(checkpoints * exact(v["STORAGE_PRICE"]))]
        return _total(ev, exact(v["SUBTOTAL"]) - sum(quoted) + sum(amounts))
    return total


def _serving_model(ev: Evaluation) -> Callable[..., Decimal] | None:
    names = ("REQUESTS_PER_S", "OUTPUT_TOKENS", "BATCH", "GPUS_PER_REPLICA", "TERM_MONTHS", "HOURS_PER_MONTH",
             "SERVE_GPU_HOUR_PRICE", "SUBTOTAL")
    # Demand in business terms (headroom, N+1 spares, whole rental units), where the quote has them.
    headroom, spares, unit, allowance = (
        ev.value(n) if _number(ev.value(n)) else d for n, d in (
            ("HEADROOM", 0.0), ("SPARE_REPLICAS", 0.0), ("SERVE_GPUS_PER_NODE", 1.0),
            ("SERVE_INTERRUPTION_ALLOWANCE", 0.0)))
    speed_call, gpus_call = _call(ev, "TOKENS_PER_S", "REPLICA_TOKENS_PER_S"), _call(ev, "GPUS_NEEDED", "GPUS_PER_REPLICA")
    gpu_line = _line_amount(ev, "GPU_COUNT")
    if None in (speed_call, gpus_call, gpu_line) or not all(_number(ev.value(n)) for n in names):
        return None
    v = {n: ev.value(n) for n in names}

    def total(speed=1.0, requests=v["REQUESTS_PER_S"], price=v["SERVE_GPU_HOUR_PRICE"], batch=v["BATCH"]):
        per_replica = v["GPUS_PER_REPLICA"] if batch == v["BATCH"] else vary(gpus_call, concurrent_requests=batch)
        tokens_per_s = vary(speed_call, gpus=per_replica, batch=batch)
        replicas = _whole(requests * v["OUTPUT_TOKENS"] / (tokens_per_s * speed * (1 - headroom))) + spares
        gpus = _whole(replicas * per_replica / unit) * unit
        hours = exact(_whole(gpus * v["HOURS_PER_MONTH"] * (1 + allowance)) * v["TERM_MONTHS"])  # a spot allowance
        return _total(ev, exact(v["SUBTOTAL"]) - gpu_line + cents(hours * exact(price)))
    return total


def _bar(label: str, low_text: str, high_text: str, total: Callable[..., Decimal], argument: str,
         low: Any, high: Any) -> dict[str, Any]:
    return {"label": label, "low_text": low_text, "high_text": high_text,
            "at_low": float(total(**{argument: low})), "at_high": float(total(**{argument: high}))}


def _pct(value: float) -> str:
    return f"{value:.1%}"


def tornado_bars(ev: Evaluation, audience: str = "internal") -> list[dict[str, Any]]:
    """One bar per driver (the total at its low and at its high value), widest first; [] when the
    workbook is not a generated training or serving quote (or the 'both' kind). The customer's
    version states the GPU price span relative to the quoted cost, never the supplier's prices."""
    try:
        return _tornado_bars(ev, audience)
    except NoBar:
        return []


def _tornado_bars(ev: Evaluation, audience: str) -> list[dict[str, Any]]:
    bars: list[dict[str, Any]] = []
    training = _training_model(ev) if "MFU_LOW" in ev.names and "REPLICAS" not in ev.names else None
    serving = _serving_model(ev) if "REPLICAS_LOW" in ev.names and "MFU" not in ev.names else None
    model = training or serving
    if model is None or model() != cents(ev.value("TOTAL")):
        return []
    price_name = "GPU_HOUR_PRICE" if training else "SERVE_GPU_HOUR_PRICE"
    price = ev.value(price_name)
    span = _price_span(ev, price_name)
    if training:
        low, high = ev.value("MFU_LOW"), ev.value("MFU_HIGH")
        bars.append(_bar(N_("MFU (validated band)"), _pct(low), _pct(high), training, "mfu", low, high))
        tokens = ev.value("TRAIN_TOKENS")
        bars.append(_bar(N_("Training tokens (±20%)"), number(tokens * (1 - WHAT_IF)), number(tokens * (1 + WHAT_IF)),
                         training, "tokens", tokens * (1 - WHAT_IF), tokens * (1 + WHAT_IF)))
        cont = ev.value("CONTINGENCY")
        bars.append(_bar(N_("Contingency (½×, 2×)"), _pct(cont * UTILISATION[0]),
                         _pct(cont * UTILISATION[1]), training, "contingency", cont * UTILISATION[0],
                         cont * UTILISATION[1]))
    else:
        band = _speed_call(ev)
        if band is None:
            return []
        slow, fast = vary(band, case="low"), vary(band, case="high")
        bars.append(_bar(N_("Serving speed (validated band)"), f"×{slow:.2f}", f"×{fast:.2f}", serving, "speed",
                         slow, fast))
        rps = ev.value("REQUESTS_PER_S")
        bars.append(_bar(N_("Requests per second (±20%)"), f"{rps * (1 - WHAT_IF):g}",
                         f"{rps * (1 + WHAT_IF):g}", serving, "requests", rps * (1 - WHAT_IF), rps * (1 + WHAT_IF)))
        batch = ev.value("BATCH")
        bars.append(_bar(N_("Requests per replica (½×, 2×)"), f"{batch * UTILISATION[0]:g}",
                         f"{batch * UTILISATION[1]:g}", serving, "batch", batch * UTILISATION[0],
                         batch * UTILISATION[1]))
    if span is not None and audience == "internal":  # the customer's unit prices are fixed by the quote
        low, high = min(span[0], price), max(span[1], price)
        bars.append(_bar(N_("GPU price (catalog range)"), f"{low:g}", f"{high:g}", model, "price", low, high))
    return sorted(bars, key=lambda b: -abs(b["at_high"] - b["at_low"]))


def _speed_call(ev: Evaluation) -> Any:
    return _call(ev, "SPEED_BAND")


def derivation(ev: Evaluation) -> list[dict[str, Any]]:
    """How each band was derived: the regime or engine, its ends, what it was fitted on and the
    share of held-out measurements inside it (from the stored validation figures)."""
    from ..scenario.setups import engine_for, resolve_gpu, training_mfu_range  # noqa: PLC0415
    from ..validation.coverage import stored_coverage  # noqa: PLC0415

    coverage = stored_coverage()
    out = []
    mfu = _call(ev, "TYPICAL_MFU")
    if mfu is not None:
        gpu, precision, model, gpus = (list(mfu.args) + [None] * 4)[:4]
        fitted = training_mfu_range(resolve_gpu(gpu), precision or "bf16", model or None,
                                    gpus if _number(gpus) else None)
        held = coverage.get(("training", "all"))
        out.append({"kind": "training", "regime": fitted.regime, "runs": fitted.runs, "low": fitted.low,
                    "base": fitted.base, "high": fitted.high, "inside": held.inside if held else None,
                    "held_rows": held.rows if held else 0, "held_sources": held.sources if held else 0})
    speed = _speed_call(ev)
    if speed is not None:
        engine = engine_for(resolve_gpu(speed.args[0]), speed.args[1] if len(speed.args) > 1 and speed.args[1] else None)
        held = coverage.get(("serving", engine.id))
        out.append({"kind": "serving", "engine": engine.name, "low": engine.band_low, "high": engine.band_high,
                    "inside": held.inside if held else None, "held_rows": held.rows if held else 0,
                    "held_sources": held.sources if held else 0})
    return out


def split_cents(amount: Decimal, parts: int) -> list[Decimal]:
    """``amount`` in ``parts`` amounts to the cent that add up to it exactly: equal shares, the
    remainder cents one each on the first parts."""
    whole = int((amount * 100).to_integral_value())
    share, remainder = divmod(whole, parts)
    return [Decimal(share + (1 if i < remainder else 0)) / 100 for i in range(parts)]


def monthly_schedule(ev: Evaluation, total: Decimal, gpu_line: Decimal | None) -> list[dict[str, Any]]:
    """A serving quote's schedule: per month (per year past :data:`MAX_MONTHS`) the GPU-hours, the
    GPU line's amount and the total due, with the cumulative total; [] for other quotes."""
    term, hours, gpus = ev.value("TERM_MONTHS"), ev.value("HOURS_PER_MONTH"), ev.value("GPU_COUNT")
    if "MFU" in ev.names or not all(_number(x) for x in (term, hours, gpus)) or term != int(term) or term < 1:
        return []
    months = int(term)
    step = 1 if months <= MAX_MONTHS else 12
    periods = [min(step, months - start) for start in range(0, months, step)]
    totals = split_cents(total, months)
    lines = split_cents(gpu_line, months) if gpu_line is not None else [None] * months
    rows, start, cumulative = [], 0, Decimal("0.00")
    for length in periods:
        due = sum(totals[start:start + length], Decimal("0.00"))
        cumulative += due
        line = None if gpu_line is None else sum(lines[start:start + length], Decimal("0.00"))
        rows.append({"period": start // step + 1, "months": length, "gpu_hours": gpus * hours * length,
                     "gpu_amount": line, "amount": due, "cumulative": cumulative})
        start += length
    return rows


def range_context(ev: Evaluation, price: dict[str, Any] | None, audience: str, currency: str) -> dict[str, Any] | None:
    """The template's ``price_range``: totals, derivation, tornado bars and schedule; None without
    TOTAL_LOW and TOTAL_HIGH."""
    low, base, high = (ev.value(n) for n in ("TOTAL_LOW", "TOTAL", "TOTAL_HIGH"))
    if not all(_number(x) for x in (low, base, high)):
        return None
    total = cents(base)
    serving_line = _line_amount(ev, "GPU_COUNT")
    if audience == "customer" and price:  # the GPU line at its sell price, as the customer's table prints it
        items = line_items(ev)
        index = next((i for i, item in enumerate(items)
                      if "GPU_COUNT" in ev.formulas.get((item.sheet, item.cells["Quantity"]), "").upper()), None)
        serving_line = price["lines"][index]["amount"] if index is not None else None
    bars = tornado_bars(ev, audience)
    return {"low": cents(low), "base": total, "high": cents(high), "bands": derivation(ev), "bars": bars,
            "chart": {"data": {"bars": bars, "base": float(total), "currency": currency}} if bars else None,
            "schedule": monthly_schedule(ev, total, serving_line),
            "schedule_by_year": _number(ev.value("TERM_MONTHS")) and ev.value("TERM_MONTHS") > MAX_MONTHS}
