"""Reading one named cell of a guarded workbook: a number or a text, or a clear error.

:func:`resolve_cell` finds the cell behind a defined name (following a name that points to
another name) or a ``Sheet!A1`` reference; :func:`read_number` and :func:`read_text` read it
and raise :class:`WorkbookError` naming sheet and cell when the value is missing, of the wrong
kind or out of bounds. Text from a workbook is data: :func:`unsafe_characters` finds the
control and bidirectional-override characters that could make one printed line read as
another, :func:`visible_text` shows them instead of obeying them.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
import unicodedata
from typing import Any, Iterable

from ..core.errors import closest
from ..functions.excel_values import is_cell, is_error, is_name, parse_reference, split_book, split_sheet
from .errors import WorkbookError, describe_value
from .guard import workbook_info

__all__ = ["DEFAULT_MAXIMUM", "UNSAFE_TEXT", "defined_names", "name_problems", "read_number", "read_text", "resolve_cell",
           "unsafe_characters", "visible_text", "workbook_file"]

#: Largest magnitude read_number accepts unless told otherwise: above any real token count,
#: parameter count, price or FLOP total (GPT-4-scale training is ~2e25 FLOP).
DEFAULT_MAXIMUM = 1e30


def defined_names(wb: Any) -> dict[str, Any]:
    """Workbook-level and sheet-level defined names, keyed lower-case."""
    names: dict[str, Any] = {}
    for ws in wb.worksheets:
        for key, dn in (getattr(ws, "defined_names", None) or {}).items():
            names.setdefault(key.lower(), dn)
    for key, dn in (getattr(wb, "defined_names", None) or {}).items():
        names[key.lower()] = dn
    return names


def workbook_file(wb: Any, file: str | os.PathLike | None = None) -> str | None:
    """``file`` as a string, else the file the workbook was opened from (for messages)."""
    if file is not None:
        return os.fspath(file)
    info = workbook_info(wb)
    return info.file if info else None


def resolve_cell(wb: Any, name_or_ref: str, *, file: str | os.PathLike | None = None) -> tuple[str | None, str | None, Any]:
    """(sheet title, coordinate, cell) for a defined name or a ``Sheet!A1`` reference.

    A defined name that is a constant (``=0.4``) gives ``(None, None, value)``. Raises
    :class:`WorkbookError` listing the sheets or names that exist when one is missing.
    """
    file = workbook_file(wb, file)
    names = defined_names(wb)
    label = None
    ref = name_or_ref.strip()
    if "!" not in ref and not is_cell(ref):
        label = ref
        dn = _follow_names(names, ref, file)
        if dn is None:
            known = sorted(getattr(d, "name", k) for k, d in names.items())
            hints = closest(ref, known)
            raise WorkbookError(
                file, f"the workbook has no defined name {ref!r}",
                expected=f"a named cell {ref!r}",
                found=f"{len(known)} defined name(s): {', '.join(known[:30]) or 'none'}" + (" …" if len(known) > 30 else ""),
                hint=(f"Did you mean {', '.join(repr(h) for h in hints)}? " if hints else "")
                + "Define it with Formulas > Name Manager",
                suggestions=hints)
        text = (dn.attr_text or "").strip()
        if "#REF!" in text.upper():
            raise WorkbookError(file, "the defined name points to a deleted cell", name=ref,
                                expected="a reference to one cell", found=f"the reference {text!r}",
                                hint="Fix it in Formulas > Name Manager")
        constant = _constant(text)
        if constant is not None:
            return None, None, constant
        target_sheet = split_sheet(text.lstrip("="))[0]
        if target_sheet is not None and split_book(target_sheet)[0] is not None:
            raise WorkbookError(file, "the defined name points into another workbook (an external link)", name=ref,
                                expected="a cell in this workbook", found=f"the reference {text!r}")
        ref = text.lstrip("=")
    sheet, coord = split_sheet(ref)
    coord = coord.replace("$", "")
    reference = parse_reference(ref)
    if reference is not None and reference.last is not None and reference.first.coordinate != reference.last.coordinate:
        raise WorkbookError(file, "the reference covers more than one cell", sheet=sheet, cell=coord, name=label,
                            expected="a single cell", found=f"the range {coord}")
    if reference is None or reference.first.column is None or reference.first.row is None:
        raise WorkbookError(file, "the reference is not a cell", sheet=sheet, name=label,
                            expected="a cell reference such as Inputs!B4", found=f"{ref!r}")
    coord = reference.first.coordinate
    titles = list(wb.sheetnames)
    if sheet is None:
        raise WorkbookError(file, "the reference does not name a sheet", cell=coord, name=label,
                            expected="a reference such as Inputs!B4", found=f"{ref!r}")
    if sheet not in titles:
        match = next((t for t in titles if t.lower() == sheet.lower()), None)
        if match is None:
            hints = closest(sheet, titles)
            raise WorkbookError(file, f"the workbook has no sheet {sheet!r}", cell=coord, name=label,
                                expected=f"a sheet named {sheet!r}", found=f"the sheets {', '.join(repr(t) for t in titles)}",
                                hint=f"Did you mean {hints[0]!r}?" if hints else None, suggestions=hints)
        sheet = match
    ws = wb[sheet]
    return sheet, coord, ws[coord]


#: How many defined names a name may pass through before reaching a cell (A -> B -> Sheet!A1).
MAX_NAME_CHAIN = 8


def _follow_names(names: dict[str, Any], name: str, file: str | None) -> Any:
    """The defined name ``name``, or the last one of a chain of names pointing to names."""
    seen = [name]
    dn = names.get(name.lower())
    while dn is not None:
        target = (dn.attr_text or "").strip().lstrip("=")
        if not (is_name(target) and target.lower() in names):
            return dn
        if target.lower() in (s.lower() for s in seen) or len(seen) > MAX_NAME_CHAIN:
            raise WorkbookError(file, "defined names point to each other without reaching a cell", name=name,
                                expected=f"a name that reaches a cell within {MAX_NAME_CHAIN} steps",
                                found=" -> ".join(seen + [target]), hint="Fix them in Formulas > Name Manager")
        seen.append(target)
        dn = names[target.lower()]
    return dn


def name_problems(wb: Any, *, file: str | os.PathLike | None = None) -> list[WorkbookError]:
    """Defined names whose target is not a cell, range or value of this workbook as written
    (a name pointing to another name, a reference without a sheet): openpyxl cannot list their
    cells, so formula engines that ask it fail on them. Point each at its cell directly."""
    file = workbook_file(wb, file)
    problems = []
    for key, dn in defined_names(wb).items():
        try:
            list(dn.destinations)
        except Exception:  # noqa: BLE001 - openpyxl's regex does not match: not a plain reference
            target = (dn.attr_text or "").strip()
            chained = is_name(target.lstrip("=")) and target.lstrip("=").lower() in defined_names(wb)
            problems.append(WorkbookError(
                file, "the defined name points to another defined name" if chained else
                "the defined name is not a reference to a cell of this workbook", name=getattr(dn, "name", key),
                expected="a reference such as Inputs!$B$4", found=f"{target!r}",
                hint="Point it at the cell directly in Formulas > Name Manager"))
    return problems


def _constant(text: str) -> float | None:
    try:
        value = float(text.lstrip("="))
    except ValueError:
        return None
    return value


def _cell_value(cell: Any) -> tuple[Any, str | None]:
    if cell is None or not hasattr(cell, "value"):
        return cell, None
    value = cell.value
    if getattr(cell, "data_type", None) == "e" and isinstance(value, str):
        return value, "e"
    return value, getattr(cell, "data_type", None)


def read_number(wb: Any, name_or_ref: str, *, file: str | os.PathLike | None = None, label: str | None = None,
                minimum: float | None = 0.0, strict: bool = True, maximum: float | None = DEFAULT_MAXIMUM,
                integer: bool = False) -> float | int:
    """The number in a named cell (or ``Sheet!A1``), or :class:`WorkbookError` naming sheet and cell.

    Rejects empty cells, text (including numbers stored as text), dates, booleans, Excel
    errors (#REF!, #DIV/0!, ...), formulas without a value, NaN and infinity, and numbers
    outside ``[minimum, maximum]`` (``strict`` excludes ``minimum``: by default the number
    must be positive). ``label`` says what the number is ("training tokens").
    """
    file = workbook_file(wb, file)
    sheet, coord, cell = resolve_cell(wb, name_or_ref, file=file)
    value, kind = _cell_value(cell) if coord else (cell, "n")
    name = name_or_ref if "!" not in name_or_ref else None
    what = f"a number{f' ({label})' if label else ''}"

    def fail(found: str, hint: str | None = None, expected: str = what) -> WorkbookError:
        return WorkbookError(file, sheet=sheet, cell=coord, name=name, expected=expected, found=found, hint=hint)

    if isinstance(value, bool) or kind == "b":
        raise fail(describe_value(bool(value)))
    if isinstance(value, str):
        stripped = value.strip()
        if is_error(stripped) or kind == "e":
            raise fail(describe_value(stripped), "Fix the formula or the cells it refers to")
        if stripped.startswith("="):
            raise fail(describe_value(value), "Open and save the workbook in Excel so it stores values, or let xlcompute evaluate it")
        try:
            float(stripped.replace(",", ""))
            hint = "The number is stored as text: retype it, or use Data > Text to Columns"
        except ValueError:
            hint = None
        raise fail(describe_value(value), hint)
    if value is None:
        raise fail(describe_value(None), "Fill in the cell")
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time, _dt.timedelta)):
        raise fail(describe_value(value), "Format the cell as a number (Home > Number Format > General)")
    if not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise fail(describe_value(value)) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise fail(describe_value(value) if math.isnan(value) else f"{value}", expected=f"a finite number{f' ({label})' if label else ''}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        relation = "greater than" if strict else "at least"
        raise fail(f"{value:g}", expected=f"{what} {relation} {minimum:g}")
    if maximum is not None and value > maximum:
        raise fail(f"{value:g}", "The value is implausibly large; check the units", expected=f"{what} at most {maximum:g}")
    if integer and value != int(value):
        raise fail(f"{value:g}", expected=f"a whole number{f' ({label})' if label else ''}")
    return int(value) if integer else value


#: Characters refused in text from a workbook: C0 controls but tab, LF and CR; DEL; the C1
#: controls U+0080-U+009F; the bidirectional embeddings and overrides U+202A-U+202E and
#: isolates U+2066-U+2069, which reorder what is printed so one line can read as another
#: ("Trojan Source", CVE-2021-42574). Excel text typed by hand holds none of them.
UNSAFE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def unsafe_characters(text: str) -> list[str]:
    """The :data:`UNSAFE_TEXT` characters in ``text``, each once, as ``"U+202E RIGHT-TO-LEFT OVERRIDE"``."""
    found = dict.fromkeys(UNSAFE_TEXT.findall(text))
    return [f"U+{ord(ch):04X}" + (f" {unicodedata.name(ch)}" if unicodedata.name(ch, "") else " (a control character)")
            for ch in found]


def visible_text(text: str) -> str:
    """``text`` with every :data:`UNSAFE_TEXT` character shown as ``<U+202E>`` instead of obeyed
    (for printing text that was not refused earlier)."""
    return UNSAFE_TEXT.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def read_text(wb: Any, name_or_ref: str, *, file: str | os.PathLike | None = None, label: str | None = None,
              choices: Iterable[str] | None = None, required: bool = True, allow_number: bool = True,
              max_length: int = 255) -> str | None:
    """The text in a named cell (an id, a customer name), stripped, or :class:`WorkbookError`.

    Whole numbers are accepted as text when ``allow_number`` (quote number 1042). With
    ``choices`` the text must be one of them (case-insensitive; the canonical spelling is
    returned) and the closest ones are suggested. Control characters and Excel errors are
    rejected; the text is returned as data, never interpreted.
    """
    file = workbook_file(wb, file)
    sheet, coord, cell = resolve_cell(wb, name_or_ref, file=file)
    value, kind = _cell_value(cell) if coord else (cell, "n")
    name = name_or_ref if "!" not in name_or_ref else None
    what = f"text{f' ({label})' if label else ''}"

    def fail(found: str, hint: str | None = None, expected: str = what, suggestions: Iterable[str] = ()) -> WorkbookError:
        return WorkbookError(file, sheet=sheet, cell=coord, name=name, expected=expected, found=found, hint=hint,
                             suggestions=suggestions)

    if value is None or (isinstance(value, str) and not value.strip()):
        if not required:
            return None
        raise fail(describe_value(None), "Fill in the cell")
    if isinstance(value, bool) or isinstance(value, (_dt.datetime, _dt.date, _dt.time, _dt.timedelta)):
        raise fail(describe_value(value))
    if isinstance(value, (int, float)):
        if allow_number and isinstance(value, int) or (isinstance(value, float) and value.is_integer() and allow_number):
            value = str(int(value))
        else:
            raise fail(describe_value(value))
    if not isinstance(value, str):
        raise fail(describe_value(value))
    text = value.strip()
    if is_error(text) or kind == "e":
        raise fail(describe_value(text), "Fix the formula or the cells it refers to")
    if kind == "f" or (text.startswith("=") and kind != "s"):
        raise fail(describe_value(text), "Open and save the workbook in Excel so it stores values")
    if UNSAFE_TEXT.search(text):
        raise fail(f"text with invisible control characters ({', '.join(unsafe_characters(text))}), which can make "
                   "printed text read differently", "Retype the cell")
    if len(text) > max_length:
        raise fail(f"{len(text):,} characters", expected=f"{what} of at most {max_length} characters")
    if choices is not None:
        options = list(choices)
        lowered = {str(c).lower(): str(c) for c in options}
        if text.lower() not in lowered:
            hints = closest(text, options)
            raise fail(f"{text!r}", (f"Did you mean {', '.join(repr(h) for h in hints)}?" if hints else None),
                       expected=f"one of {', '.join(repr(o) for o in options[:12])}{' …' if len(options) > 12 else ''}",
                       suggestions=hints)
        return lowered[text.lower()]
    return text
