"""What each audience of the proposal sees: the customer's version and the internal one.

The customer version (the default) states the price at sell prices, the scope, the
requirement, assumptions and risks in plain words, a short methodology with citations, the
terms and an acceptance block. It never shows the margin, the supplier's list prices, internal
ids, file names or module names. The internal version adds the cost lines with the margin, the
inputs, the formula breakdown and the full sources.

Formatting and selection only: every amount printed here comes from the workbook's cells
(line items and totals); the sell prices spread the workbook's margin amount over its lines,
to the cent, so that every printed line multiplies out and the printed lines add up to the
printed subtotal.
"""

from __future__ import annotations

import functools
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..core.errors import XlcomputeError
from ..core.money import cents, exact
from ..locale import LANGUAGES, N_, translations
from ..workbook.contract import DEMAND_BASIS_INPUTS

AUDIENCES = ("customer", "internal")
DEFAULT_AUDIENCE = "customer"
CENT = Decimal("0.01")
#: Decimals a sell unit price may need so that quantity x printed price gives the printed
#: amount to the cent (a price per GPU-hour of 87,600 hours needs about seven).
MAX_UNIT_PRICE_DECIMALS = 8
#: Kinds of catalog row a customer may see cited (prices and servers are supplier prices).
CUSTOMER_SOURCE_KINDS = ("Model", "GPU", "Engine")
#: The catalog's pricing models as the cover names them (marked for translation).
PRICING_WORDS = {"on_demand": N_("on-demand"), "spot": N_("spot"), "capacity_block": N_("capacity block"),
                 "reserved_1y": N_("1-year reserved"), "reserved_3y": N_("3-year reserved"),
                 "committed_use_1y": N_("1-year committed use"), "committed_use_3y": N_("3-year committed use")}


class UnknownAudience(XlcomputeError):
    pass


def check_audience(audience: str) -> str:
    if audience not in AUDIENCES:
        raise UnknownAudience(f"unknown audience {audience!r}: expected one of {', '.join(AUDIENCES)}.")
    return audience


def to_cents(value: Any) -> Decimal | None:
    """An amount rounded to the cent as Excel's ROUND (:func:`~xlcompute.core.money.cents`), or
    None when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    return cents(value)


def _unit_price(amount: Decimal, quantity: Decimal) -> Decimal:
    """The shortest unit price (2 to :data:`MAX_UNIT_PRICE_DECIMALS` decimals) that multiplies
    out to ``amount`` at ``quantity`` (printed with its decimals by the ``price`` filter)."""
    ideal = amount / quantity
    for places in range(2, MAX_UNIT_PRICE_DECIMALS + 1):
        price = ideal.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if cents(price * quantity) == amount:
            return price
    return ideal.quantize(Decimal(1).scaleb(-MAX_UNIT_PRICE_DECIMALS), rounding=ROUND_HALF_UP)


def _same_price_alike(lines: list[dict[str, Any]], items: list[dict[str, Any]], quantities: list[Any]) -> None:
    """Lines that cost the same per unit (data and checkpoints at one storage price) show one sell
    unit price: the longest of theirs, where it multiplies out to every line's amount."""
    groups: dict[Any, list[int]] = {}
    for i, (line, item) in enumerate(zip(lines, items)):
        if line["unit_price"] is not None and isinstance(item.get("unit_price"), (int, float, Decimal)):
            groups.setdefault((str(item["unit_price"]), str(item["unit"])), []).append(i)
    for members in groups.values():
        longest = max((lines[i]["unit_price"] for i in members), key=lambda p: -p.as_tuple().exponent)
        if all(cents(longest * exact(quantities[i])) == lines[i]["amount"] for i in members):
            for i in members:
                lines[i]["unit_price"] = longest


def customer_price(items: list[dict[str, Any]], totals: dict[str, Any]) -> dict[str, Any] | None:
    """The price table at sell prices: each line's amount with its share of the workbook's
    margin, rounded to the cent, the rounding remainder on the largest line so the lines add
    up to subtotal + margin; then discount, net, tax and total as the workbook states them,
    each total recomputed from the printed parts. None when an amount is not a number."""
    amounts = [to_cents(item.get("amount")) for item in items]
    quantities = [item.get("quantity_value") for item in items]
    subtotal, margin = to_cents(totals.get("subtotal")), to_cents(totals.get("margin_amount"))
    if None in amounts or subtotal is None or margin is None or not items:
        return None
    cost = sum(amounts, Decimal("0.00"))
    factor = (cost + margin) / cost if cost else Decimal(1)
    sells = [cents(a * factor) for a in amounts]
    remainder = cost + margin - sum(sells, Decimal("0.00"))
    if remainder and sells:
        largest = max(range(len(sells)), key=lambda i: sells[i])
        sells[largest] += remainder
    lines = []
    for item, sell, quantity in zip(items, sells, quantities):
        unit_price = None
        if isinstance(quantity, (int, float, Decimal)) and not isinstance(quantity, bool) and quantity:
            unit_price = _unit_price(sell, exact(quantity))
        lines.append({"description": item["description"], "quantity": item["quantity"], "unit": item["unit"],
                      "unit_price": unit_price, "amount": sell})
    _same_price_alike(lines, items, quantities)
    sell_subtotal = sum(sells, Decimal("0.00"))
    discount = to_cents(totals.get("discount_amount")) or Decimal("0.00")
    tax = to_cents(totals.get("tax_amount")) or Decimal("0.00")
    net = sell_subtotal - discount
    total = net + tax
    return {"lines": lines, "subtotal": sell_subtotal, "discount": discount, "net": net, "tax": tax, "total": total,
            "matches_workbook": to_cents(totals.get("total")) == total}


_URL_HOST = re.compile(r"(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?=/|\b)", re.IGNORECASE)
#: Parts of a reference that are internal: seed notes, module or function names, file names.
_INTERNAL = re.compile(r"\bseed\b|xlcompute|\w+_\w+|\bsee\b|docs/|\.json|\.py\b|`", re.IGNORECASE)
_YEAR = re.compile(r"\b(19|20)\d\d\b")


def publishers(source: str) -> str:
    """The web sites a catalog source cites (``nvidia.com, huggingface.co``), never paths."""
    hosts: list[str] = []
    for host in _URL_HOST.findall(source or ""):
        host = host.lower().removeprefix("www.")
        if host not in hosts and "." in host and not host.endswith((".json", ".js", ".md", ".csv")):
            hosts.append(host)
    return ", ".join(hosts[:3])


def citations(references: list[str]) -> list[str]:
    """The published works the formula references cite, each once: the parts of each reference
    that name an author and year; internal notes (seed files, function names) are left out."""
    out: list[str] = []
    for reference in references:
        for part in re.split(r";\s*", reference):
            part = part.strip().rstrip(".")
            if not part or _INTERNAL.search(part) or not _YEAR.search(part):
                continue
            if part not in out:
                out.append(part)
    return out


def customer_sources(sources: list[dict[str, str]]) -> list[dict[str, str]]:
    """The catalog rows a customer sees cited: model and GPU specifications, the serving engine;
    by name, publisher and date (never a supplier price, an id or a file)."""
    return [{"kind": s["kind"], "name": s["name"] or s["id"], "publisher": publishers(s["source"]), "date": s["date"]}
            for s in sources if s["kind"] in CUSTOMER_SOURCE_KINDS]


#: Inputs a customer does not see: supplier prices and cost rates; the provider and pricing model are in the scope.
_COST_INPUT = re.compile(r"PRICE|RATE$|COST|MARGIN|PROVIDER|PRICING", re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def _catalog_id_units() -> frozenset[str]:
    """The unit the workbooks give catalog ids, in every language they are written in (read when
    first needed: loading a catalog imports Babel, which reads the system's time zone)."""
    return frozenset(translations(lang).gettext("catalog id") for lang in LANGUAGES)


def customer_inputs(inputs: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """The workload inputs a customer sees (cost rates and prices left out, and the inputs of the
    demand bases DEMAND_BASIS did not choose), catalog ids shown by their catalog names (``names``:
    id -> name)."""
    basis = next((str(row["value"]).strip().lower() for row in inputs if row.get("name") == "DEMAND_BASIS"), None)
    unused = {name for key, names_of in DEMAND_BASIS_INPUTS.items() if basis and key != basis for name in names_of}
    out = []
    for row in inputs:
        if _COST_INPUT.search(row.get("name") or "") or "GPU_PRICE(" in (row.get("formula") or "").upper():
            continue
        if row.get("name") in unused:
            continue
        value = row["value"]
        if str(row.get("unit") or "").strip() in _catalog_id_units():
            row = {**row, "unit": ""}
        if str(value) in names:  # a catalog id: its name says what it is, no unit
            out.append({**row, "value": names[str(value)], "unit": ""})
        else:
            out.append({**row, "value": value})
    return out


#: The workbook's own remarks (in English or as `new --lang zh-CN` writes them).
_INTERNAL_NOTE = re.compile(r"^(xlcompute[:：]\s*|(shown on the cover|显示在封面上)([:：]\s*|$))", re.IGNORECASE)


def customer_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sheet rows as a customer reads them: labelled rows only (the template shows each note
    through :func:`customer_note`, after translating it)."""
    return [row for row in rows if row.get("label")]


def customer_note(note: Any) -> str:
    """A workbook note as a customer reads it: without the workbook's own remarks
    ("xlcompute: ...", "Shown on the cover"), in English or as the catalog translates them."""
    note = str(note or "")
    while _INTERNAL_NOTE.match(note):
        note = _INTERNAL_NOTE.sub("", note, count=1)
    return note[:1].upper() + note[1:]


def scope(named: dict[str, Any], items: list[dict[str, Any]], sources: list[dict[str, str]]) -> dict[str, Any]:
    """What the quote covers, for the cover: models, GPUs, term, provider and pricing, the
    serving engine and the items included (``named``: the workbook's named values)."""
    def names_of(kind: str) -> list[str]:
        return [s["name"] or s["id"] for s in sources if s["kind"] == kind]

    provider = named.get("SERVE_PROVIDER") or named.get("PROVIDER")
    pricing = named.get("SERVE_PRICING") or named.get("PRICING") or ("on_demand" if provider else None)
    return {
        "models": names_of("Model"),
        "gpus": names_of("GPU"),
        "gpu_count": named.get("GPU_COUNT"),
        "term_months": named.get("TERM_MONTHS"),
        "duration_days": named.get("DURATION_DAYS"),
        "provider": str(provider) if provider else "",
        "pricing": PRICING_WORDS.get(str(pricing), str(pricing)) if pricing else "",
        # Only the catalog's own words are translated: workbook text never goes through gettext,
        # which would mark it as safe markup.
        "pricing_known": str(pricing) in PRICING_WORDS,
        "engines": names_of("Engine"),
        "included": [str(item["description"]) for item in items if item.get("description")],
    }
