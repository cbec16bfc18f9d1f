"""The rent-or-buy section of a proposal made from an ownership workbook (``xlcompute new --kind
ownership``): the net present cost of each option, the saving, the break-even month, energy and
emissions, and the cumulative cost of owning and renting month by month.

Formatting only: every figure is a named cell of the workbook (OWN_NPV, RENT_NPV, ...) or a cell
of its Schedule sheet, computed by the workbook's own formulas and xlcompute functions.
"""

from __future__ import annotations

from typing import Any

from ..workbook.evaluate import Evaluation
from ..workbook.ownership_scenario import SCHEDULE_SHEET

#: The named results the section needs; a workbook without them gets no section.
NAMES = ("OWN_NPV", "RENT_NPV", "NPV_SAVING", "DECISION", "BREAK_EVEN_MONTHS", "TERM_MONTHS")
#: Schedule sheet: month in A, cumulative cost of owning in C and of renting in D, from row 9.
FIRST_ROW = 9


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def cumulative_costs(ev: Evaluation) -> dict[str, list[float]]:
    """Months and the cumulative (undiscounted) cost of owning and of renting, from the Schedule sheet."""
    months, own, rent = [], [], []
    row = FIRST_ROW
    while (SCHEDULE_SHEET, f"A{row}") in ev.values:
        month, owning, renting = (ev.values.get((SCHEDULE_SHEET, f"{col}{row}")) for col in "ACD")
        if not all(_number(v) for v in (month, owning, renting)):
            break  # rows after the term are blank
        months.append(float(month))
        own.append(float(owning))
        rent.append(float(renting))
        row += 1
    return {"months": months, "own": own, "rent": rent}


def ownership_context(ev: Evaluation, currency: str) -> dict[str, Any] | None:
    """The template's ``ownership``: the decision's figures and the cumulative-cost chart's data;
    None for a workbook that is not a rent-or-buy comparison."""
    if not all(name in ev.names for name in NAMES):
        return None
    value = ev.value
    series = cumulative_costs(ev)
    return {
        "own_npv": value("OWN_NPV"), "rent_npv": value("RENT_NPV"), "saving": value("NPV_SAVING"),
        "buy": str(value("DECISION")).strip().lower() == "buy", "break_even": value("BREAK_EVEN_MONTHS"),
        "term_months": value("TERM_MONTHS"), "annual_rate": value("ANNUAL_RATE") if "ANNUAL_RATE" in ev.names else None,
        "kwh": value("TERM_KWH") if "TERM_KWH" in ev.names else None,
        "co2e_kg": value("TERM_CO2E_KG") if "TERM_CO2E_KG" in ev.names else None,
        "chart": {"data": {**series, "currency": currency}} if len(series["months"]) > 1 else None,
    }
