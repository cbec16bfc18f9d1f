"""Workbook labels in another language: ``xlcompute new --lang zh-CN``.

A generated workbook is built in English, then every text a reader sees (titles, labels, units,
notes, line-item descriptions) is looked up in the language's message catalog, the same gettext
catalog the proposal uses. What the contract or the formulas read stays as it is: sheet names,
defined names and the values of named cells (catalog ids, precisions, the customer), the
line-item table's header row, the hidden dropdown lists and every formula. Of the Options table
only the options' names (its first column) are translated: ``RECOMMENDED`` is the name in the
recommended row (``INDEX(Options[Option],RECOMMENDED_ROW)``), so it follows, and nothing else reads
a name; its header row and the catalog ids the formulas read stay.

:func:`extract_texts` is the Babel extractor that lists those texts (``make messages``): it builds
every kind of workbook and yields what :func:`translate_workbook` would look up, so the catalog
and the workbooks cannot drift apart.
"""

from __future__ import annotations

from typing import Any, Iterator

from openpyxl import Workbook

from ..locale import DEFAULT_LANGUAGE, translations
from .contract import OPTIONS_TABLE


def _texts(wb: Workbook) -> Iterator[Any]:
    """The cells of ``wb`` whose text a reader sees and no formula or contract reads."""
    named = {(sheet, ref.replace("$", "")) for name in wb.defined_names.values()
             for sheet, ref in name.destinations}
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue  # the dropdown lists: catalog ids
        headers = set()
        for table in ws.tables.values():
            first, _, last = table.ref.partition(":")
            row = "".join(ch for ch in first if ch.isdigit())
            headers.update(cell.coordinate for cell in ws[f"{first}:{''.join(ch for ch in last if ch.isalpha())}{row}"][0])
            if table.displayName == OPTIONS_TABLE:  # options: catalog ids the formulas read; only names shown
                headers.update(cell.coordinate for line in ws[table.ref] for cell in line[1:])
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if (isinstance(value, str) and value.strip() and not value.startswith("=")
                        and (ws.title, cell.coordinate) not in named and cell.coordinate not in headers):
                    yield cell


def translate_workbook(wb: Workbook, lang: str = DEFAULT_LANGUAGE) -> int:
    """Replace every reader-facing text of ``wb`` by its ``lang`` translation; returns how many
    cells changed. Texts without a translation stay in English."""
    if lang == DEFAULT_LANGUAGE:
        return 0
    gettext = translations(lang).gettext
    changed = 0
    for cell in _texts(wb):
        translated = gettext(cell.value)
        if translated != cell.value:
            cell.value = translated
            changed += 1
    return changed


def extract_texts(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple]:
    """Babel extraction method (babel.cfg): the reader-facing texts of every kind of generated
    workbook, as (line, function, message, comments) tuples."""
    from .generate import KINDS, build_workbook  # noqa: PLC0415 - generate imports this module

    seen: set[str] = set()
    for kind in KINDS:
        for cell in _texts(build_workbook(kind)):
            if cell.value not in seen:
                seen.add(cell.value)
                yield 0, None, cell.value, [f"workbook text ({kind}, {cell.parent.title})"]


__all__ = ["extract_texts", "translate_workbook"]
