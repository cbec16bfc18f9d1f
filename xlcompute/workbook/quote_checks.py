"""A new quote's date, number and customer, and the warnings ``xlcompute check`` gives about them.

``xlcompute new`` dates a quote today, numbers it :func:`new_quote_number` and addresses it to
:data:`PLACEHOLDER_CUSTOMER`. The shipped samples (``workbooks/*.xlsx``) keep the fixed date,
numbers and example customers of :mod:`~xlcompute.workbook.generate`, so that their PDFs are
byte-for-byte reproducible; ``check`` therefore warns about them too.

:func:`quote_warnings` lists what is worth a look before a quote is sent but does not make
the workbook wrong, so ``check`` prints them and still passes: a placeholder customer, a
quote whose validity has ended, and catalog prices dated after the quote date (the quote
cites a price that was not yet published when it was made, so it was not the price quoted).
"""

from __future__ import annotations

import datetime as _dt
import re
import secrets
from typing import Any

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
    return warnings


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
