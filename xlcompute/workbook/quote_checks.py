"""A new quote's date, number and customer, the warnings ``xlcompute check`` gives about them,
and the checks that its money adds up to the cent in one currency.

``xlcompute new`` dates a quote today, numbers it :func:`new_quote_number` and addresses it to
:data:`PLACEHOLDER_CUSTOMER`. The shipped samples (``workbooks/*.xlsx``) keep the fixed date,
numbers and example customers of :mod:`~xlcompute.workbook.generate`, so that their PDFs are
byte-for-byte reproducible; ``check`` therefore warns about them too.

:func:`quote_warnings` lists what is worth a look before a quote is sent but does not make
the workbook wrong, so ``check`` prints them and still passes: a placeholder customer, a
quote whose validity has ended, and catalog prices dated after the quote date (the quote
cites a price that was not yet published when it was made, so it was not the price quoted).

:func:`money_problems` and :func:`currency_problems` are errors, not warnings: a quote whose
printed lines do not multiply out, whose totals are not the sums of their printed parts, or
whose total is built on catalog prices in another currency is refused at the cell.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..core.money import CATALOG_CURRENCY, cents, decimals, exact, is_cents
from ..functions.excel_values import address, parse_reference
from ..functions.ownership_catalog_functions import SERVER_MONEY_FIELDS
from . import contract as c
from .evaluate import CellIssue, Evaluation

#: The customer of a workbook written by ``xlcompute new``.
PLACEHOLDER_CUSTOMER = "<Customer name>"
#: Customer names that are placeholders: the one above, "<...>", and example names ("Example Retail plc").
_PLACEHOLDER = re.compile(r"\s*(<.*>|example\b.*|customer( name)?|tbd|todo|xxx+|n/?a)\s*", re.IGNORECASE)
#: Catalog items (setups' ``Resolved`` names) that are prices.
PRICE_ITEMS = frozenset({"price", "server", "api_price_input", "api_price_output"})


def new_quote_number(day: _dt.date, suffix: str | None = None) -> str:
    """``Q-YYYYMMDD-XXXX``: the quote's date, then four random hexadecimal digits.

    There is no shared counter to take the next number from (xlcompute runs offline, on each
    person's machine), so the date makes numbers sort by day and the random part keeps two
    quotes of the same day apart (a 1 in 65,536 chance that two collide). ``suffix`` fixes the
    random part (tests)."""
    part = secrets.token_hex(2).upper() if suffix is None else suffix
    return f"Q-{day:%Y%m%d}-{part}"


def is_placeholder_customer(name: Any) -> bool:
    return isinstance(name, str) and bool(_PLACEHOLDER.fullmatch(name))


def _as_date(value: Any) -> _dt.date | None:
    """A date cell's value as a date: a datetime/date, or an Excel serial (a formula's result)."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 2958466:
        from openpyxl.utils.datetime import from_excel  # noqa: PLC0415

        return from_excel(value).date()
    return None


def _where(ev: Evaluation, name: str) -> tuple[str, str]:
    return ev.names.get(name, ("-", "-"))


def expired_on(ev: Evaluation, today: _dt.date | None = None) -> _dt.date | None:
    """The date the quote's validity ended (``VALID_UNTIL``) if that is before ``today``, else None."""
    today = _dt.date.today() if today is None else today
    valid_until = _as_date(ev.value("VALID_UNTIL"))
    return valid_until if valid_until is not None and valid_until < today else None


def expiry_warning(ev: Evaluation, today: _dt.date | None = None) -> CellIssue | None:
    """The warning about an expired quote (see :func:`expired_on`), or None."""
    today = _dt.date.today() if today is None else today
    ended = expired_on(ev, today)
    if ended is None:
        return None
    return CellIssue(*_where(ev, "VALID_UNTIL"), f"the quote expired on {ended.isoformat()} (today is "
                                                 f"{today.isoformat()}): date it anew or extend VALIDITY_DAYS "
                                                 "before sending")


def quote_warnings(ev: Evaluation, today: _dt.date | None = None) -> list[CellIssue]:
    """Warnings about the quote of an evaluated workbook (``today`` defaults to the date today)."""
    today = _dt.date.today() if today is None else today
    warnings: list[CellIssue] = []
    customer = ev.value("CUSTOMER")
    if is_placeholder_customer(customer):
        warnings.append(CellIssue(*_where(ev, "CUSTOMER"), f"placeholder customer name {customer!r}: replace before "
                                                           "sending"))
    expired = expiry_warning(ev, today)
    if expired is not None:
        warnings.append(expired)
    quote_date = _as_date(ev.value("QUOTE_DATE"))
    if quote_date is not None:
        warnings.extend(_later_prices(ev, quote_date))
        warnings.extend(_rate_age(ev, quote_date))
    return warnings


#: Days an exchange rate may be older than the quote before ``check`` says so.
RATE_MAX_AGE_DAYS = 7


def _rate_age(ev: Evaluation, quote_date: _dt.date) -> list[CellIssue]:
    """A warning when the quote's exchange rate is dated after the quote or more than
    :data:`RATE_MAX_AGE_DAYS` before it (rates move: a month can shift one by a few percent)."""
    rate_date = _as_date(ev.value("RATE_DATE"))
    currency = ev.value("CURRENCY")
    if rate_date is None or currency == CATALOG_CURRENCY or not is_number(ev.value("EXCHANGE_RATE")):
        return []
    age = (quote_date - rate_date).days
    if age < 0:
        why = f"is dated {rate_date.isoformat()}, after the quote date {quote_date.isoformat()}"
    elif age > RATE_MAX_AGE_DAYS:
        why = f"is {age} days older than the quote ({rate_date.isoformat()} against {quote_date.isoformat()})"
    else:
        return []
    return [CellIssue(*_where(ev, "RATE_DATE"), f"the exchange rate {why}: check it is the rate to quote at")]


def _later_prices(ev: Evaluation, quote_date: _dt.date) -> list[CellIssue]:
    """One warning per catalog price the workbook's xlcompute calls resolved that is dated after the quote."""
    found: list[CellIssue] = []
    seen: set[tuple[str, Any, str]] = set()
    for cell in ev.xlcompute_cells:
        for call in cell.calls:  # each call's record: the catalog rows it resolved, not computed again
            for item in call.resolved:
                key = (item.name, item.value, item.date)
                if item.name not in PRICE_ITEMS or not item.date or item.date <= quote_date.isoformat() or key in seen:
                    continue
                seen.add(key)
                found.append(CellIssue(cell.sheet, cell.cell, f"cites a catalog {item.name.replace('_', ' ')} "
                                                              f"({item.value}) dated {item.date}, after the quote date "
                                                              f"{quote_date.isoformat()}: check that it was the price "
                                                              "when quoting, or date the quote later"))
    return found


# --------------------------------------------------------------------------------------------
# Money: every printed line multiplies out, every total is the sum of its printed parts
# --------------------------------------------------------------------------------------------

#: Most decimals a quantity or unit price may have: the proposal prints them as computed, in
#: full, so that quantity × unit price multiplies out to the printed amount.
MAX_PRINTED_DECIMALS = 6


@dataclass(frozen=True)
class LineItem:
    """One row of the LineItems table: its cells (column title -> cell) and their values."""

    sheet: str
    row: int
    cells: dict[str, str]
    values: dict[str, Any]

    def number(self, title: str) -> Decimal | None:
        value = self.values.get(title)
        return exact(value) if is_number(value) else None


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and math.isfinite(value)


def line_items(ev: Evaluation) -> list[LineItem]:
    """The rows of the LineItems table that hold a description or an amount (none when the
    table or one of its columns is missing: :mod:`~xlcompute.workbook.check` reports that)."""
    if c.LINE_ITEMS_TABLE not in ev.tables:
        return []
    sheet, ref = ev.tables[c.LINE_ITEMS_TABLE]
    min_col, min_row, max_col, max_row = parse_reference(ref).bounds()
    header = {str(ev.values.get((sheet, address(col, min_row))) or "").strip().lower(): col
              for col in range(min_col, max_col + 1)}
    if any(title.lower() not in header for title in c.LINE_ITEM_COLUMNS):
        return []
    items = []
    for row in range(min_row + 1, max_row + 1):
        cells = {title: address(header[title.lower()], row) for title in c.LINE_ITEM_COLUMNS}
        values = {title: ev.values.get((sheet, cell)) for title, cell in cells.items()}
        if values["Description"] is None and values["Amount"] is None:
            continue
        items.append(LineItem(sheet, row, cells, values))
    return items


def _shown(value: Decimal) -> str:
    return f"{value.normalize():,f}"


def _not_cents(where: tuple[str, str], what: str, value: Any, fix: str) -> CellIssue:
    return CellIssue(*where, f"{what} {exact(value):,f} has fractions of a cent; the proposal prints it as "
                             f"{cents(value):,.2f}, so sums of the workbook's figures would not equal the printed "
                             f"ones: round it to the cent in the workbook ({fix})")


def _line_problems(item: LineItem) -> list[CellIssue]:
    problems = []
    where = {title: (item.sheet, cell) for title, cell in item.cells.items()}
    for title in ("Quantity", "Unit price"):
        number = item.number(title)
        if number is not None and decimals(number) > MAX_PRINTED_DECIMALS:
            problems.append(CellIssue(*where[title], f"{title} {number:f} has {decimals(number)} decimals; the proposal "
                                                     f"prints it in full (at most {MAX_PRINTED_DECIMALS}), so that the "
                                                     "line multiplies out: round it where it is computed, e.g. "
                                                     "=ROUND(...,4)"))
    amount = item.number("Amount")
    if amount is None or problems:
        return problems
    quantity, price = item.number("Quantity"), item.number("Unit price")
    fix = f"=ROUND({item.cells['Quantity']}*{item.cells['Unit price']},2)"
    if not is_cents(amount):
        return [_not_cents(where["Amount"], "Amount", amount, fix)]
    if quantity is not None and price is not None and cents(quantity * price) != cents(amount):
        problems.append(CellIssue(*where["Amount"], f"Amount {cents(amount):,.2f} is not Quantity × Unit price = "
                                                    f"{_shown(quantity)} × {_shown(price)} = "
                                                    f"{cents(quantity * price):,.2f} (to the cent), as the proposal "
                                                    f"prints the line: make it {fix}"))
    return problems


#: Each total of the quote: its name, how the proposal prints it from the parts above it
#: (name, sign) and the rate that multiplies it (None: a sum), and the formula to fix it with.
TOTALS = (
    ("MARGIN_AMOUNT", (("SUBTOTAL", 1),), "MARGIN", "=ROUND(SUBTOTAL*MARGIN,2)"),
    ("DISCOUNT_AMOUNT", (("SUBTOTAL", 1), ("MARGIN_AMOUNT", 1)), "DISCOUNT",
     "=ROUND((SUBTOTAL+MARGIN_AMOUNT)*DISCOUNT,2)"),
    ("NET_AMOUNT", (("SUBTOTAL", 1), ("MARGIN_AMOUNT", 1), ("DISCOUNT_AMOUNT", -1)), None,
     "=SUBTOTAL+MARGIN_AMOUNT-DISCOUNT_AMOUNT"),
    ("TAX_AMOUNT", (("NET_AMOUNT", 1),), "TAX_RATE", "=ROUND(NET_AMOUNT*TAX_RATE,2)"),
    ("TOTAL", (("NET_AMOUNT", 1), ("TAX_AMOUNT", 1)), None, "=NET_AMOUNT+TAX_AMOUNT"),
)


def money_problems(ev: Evaluation) -> list[CellIssue]:
    """Where the printed quote would not add up to the cent: a line item whose quantity × unit
    price (as printed) does not round to its amount, an amount or total with fractions of a
    cent, a subtotal that is not the sum of the printed amounts, a margin, discount or tax that
    is not its printed rate times its printed base, and a net amount or total that is not the
    sum of its printed parts. Cells with Excel errors or the wrong kind of value are left to
    :mod:`~xlcompute.workbook.check`."""
    problems: list[CellIssue] = []
    items = line_items(ev)
    for item in items:
        problems.extend(_line_problems(item))
    if problems:
        return problems  # the totals are sums of these lines: fix the lines first
    printed: dict[str, Decimal] = {}
    for name in ("SUBTOTAL",) + tuple(t[0] for t in TOTALS):
        value = ev.value(name)
        if name not in ev.names or not is_number(value):
            return problems
        if not is_cents(value):
            fix = next((t[3] for t in TOTALS if t[0] == name), "=SUM(...) of the rounded amounts")
            return problems + [_not_cents(_where(ev, name), name, value, fix)]
        printed[name] = cents(value)
    amounts = [item.number("Amount") for item in items]
    expected = sum((cents(a) for a in amounts if a is not None), Decimal("0.00"))
    if printed["SUBTOTAL"] != expected:
        problems.append(CellIssue(*_where(ev, "SUBTOTAL"), f"SUBTOTAL {printed['SUBTOTAL']:,.2f} is not the sum of the "
                                                           f"printed line-item amounts, {expected:,.2f}"))
    for name, parts, rate_name, fix in TOTALS:
        base = sum((sign * printed[part] for part, sign in parts), Decimal("0.00"))
        rate = ev.value(rate_name) if rate_name else None
        if rate_name and not is_number(rate):
            continue
        should = cents(base * exact(rate)) if rate_name else base
        if printed[name] != should:
            how = (f"{rate_name} {exact(rate):f} × {base:,.2f}" if rate_name
                   else " ".join(f"{'−' if sign < 0 else '+'} {part} {printed[part]:,.2f}" for part, sign in parts)[2:])
            problems.append(CellIssue(*_where(ev, name), f"{name} {printed[name]:,.2f} is not {how} = {should:,.2f} "
                                                         f"(to the cent), as the proposal prints it: make it {fix}"))
    return problems


# --------------------------------------------------------------------------------------------
# Currency: every catalog price converted into the quote's currency at the stated rate
# --------------------------------------------------------------------------------------------


def _gives_money(call: Any) -> bool:
    """Whether a call that used a catalog price gives money: not SERVER_PRICE's other fields
    (its GPU, GPUs per server, power ...)."""
    if call.function != "SERVER_PRICE":
        return True
    field = call.args[1] if len(call.args) > 1 and isinstance(call.args[1], str) and call.args[1].strip() else "usd_price"
    return field.strip().lower() in SERVER_MONEY_FIELDS


def _rate_cell(ev: Evaluation) -> tuple[str, str]:
    return ev.names.get("EXCHANGE_RATE") or _where(ev, "CURRENCY")


def currency_problems(ev: Evaluation) -> list[CellIssue]:
    """Where a quote mixes currencies: a quote in a currency other than the catalog's
    (:data:`~xlcompute.core.money.CATALOG_CURRENCY`) that uses catalog prices without stating
    its exchange rate (EXCHANGE_RATE, with RATE_DATE and RATE_SOURCE), and every xlcompute
    cell whose catalog price is not converted into the quote's currency at that rate (the
    call's own record says what it converted, and at what rate)."""
    currency = ev.value("CURRENCY")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency.strip()):
        return []  # check reports a bad or missing CURRENCY
    currency = currency.strip()
    priced = [(cell, call) for cell in ev.xlcompute_cells for call in cell.calls
              if any(item.name in PRICE_ITEMS for item in call.resolved) and _gives_money(call)]
    rate = ev.value("EXCHANGE_RATE")
    problems: list[CellIssue] = []
    if currency == CATALOG_CURRENCY:
        if is_number(rate) and rate != 1:
            problems.append(CellIssue(*_rate_cell(ev), f"EXCHANGE_RATE is {rate:g} but the quote is in {currency}, the "
                                                       "catalog's currency: leave it empty (or 1), or set CURRENCY to "
                                                       "the currency it converts to"))
        rate = 1
    elif priced:
        first = priced[0][0].address
        if "EXCHANGE_RATE" not in ev.names or rate is None or rate == "":
            problems.append(CellIssue(*_rate_cell(ev), f"the quote is in {currency} but the catalog prices it uses "
                                                       f"(first in {first}) are in {CATALOG_CURRENCY}: state the "
                                                       f"exchange rate in a cell named EXCHANGE_RATE ({currency} per "
                                                       f"{CATALOG_CURRENCY}), with RATE_DATE and RATE_SOURCE"))
            rate = None
        elif not is_number(rate) or rate <= 0:
            problems.append(CellIssue(*_rate_cell(ev), f"EXCHANGE_RATE expected a positive number ({currency} per "
                                                       f"{CATALOG_CURRENCY}), found {rate!r}"))
            rate = None
        for name, kind, what in (("RATE_DATE", "date", "the date of the exchange rate"),
                                 ("RATE_SOURCE", "text", "where the exchange rate comes from")):
            value = ev.value(name)
            ok = (_as_date(value) is not None) if kind == "date" else (isinstance(value, str) and value.strip() != "")
            if ok and kind == "text" and len(value) > c.MAX_TEXT:
                problems.append(CellIssue(*ev.names[name], f"{name} expected at most {c.MAX_TEXT} characters, found "
                                                           f"{len(value):,}"))
            elif not ok:
                where = ev.names.get(name) or _rate_cell(ev)
                problems.append(CellIssue(*where, f"{name} ({what}) expected {'a date' if kind == 'date' else 'text'}, "
                                                  f"found {'nothing' if value in (None, '') else repr(value)}: a quote "
                                                  f"in {currency} states the rate it converts {CATALOG_CURRENCY} "
                                                  "catalog prices at"))
    for cell, call in priced:
        if call.error:
            continue  # listed with its own message (e.g. no rate given for a conversion)
        converted = [item for item in call.resolved if item.name == "exchange_rate"]
        into = converted[0].label if converted else CATALOG_CURRENCY
        at = converted[0].value if converted else 1
        if into != currency:
            problems.append(CellIssue(cell.sheet, cell.cell, f"{call.function} gives a catalog price in {into} but the "
                                                             f"quote is in {currency}: convert it at the quote's rate, "
                                                             f"e.g. {call.function}(...,CURRENCY,EXCHANGE_RATE)"))
        elif is_number(rate) and is_number(at) and exact(at) != exact(rate):
            problems.append(CellIssue(cell.sheet, cell.cell, f"{call.function} converts at {at:g} {currency} per "
                                                             f"{CATALOG_CURRENCY}, but the quote's EXCHANGE_RATE is "
                                                             f"{rate:g}: use EXCHANGE_RATE"))
    return problems
