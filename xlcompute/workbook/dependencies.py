"""What a workbook's numbers depend on beyond its own cells: other files, and themselves.

:func:`find_external_links` lists links to other workbooks (external-link parts),
:func:`find_foreign_references` the formulas that reach outside the workbook without one
(``'[other.xlsx]Prices'!B1``, paths, ``INDIRECT``, ``WEBSERVICE``, DDE ...) and those with
volatile functions (``RAND``, ``NOW`` ...), :func:`find_circular_references` the groups of
formula cells that depend on themselves. :func:`safety_problems` gives them all as
:class:`WorkbookError` for ``xlcompute check``; :func:`refuse_foreign_references` raises the
first that would make a formula engine read or run anything outside the workbook, and is
what an evaluator calls before its engine loads the file.
"""

from __future__ import annotations

import io
import os
import re
from typing import Any

from ..functions.excel_values import address, parse_reference, split_union
from .cells import defined_names, workbook_file
from .errors import WorkbookError, shorten
from .formula_text import FormulaFinding, LocatedFormula, formula_findings, scan_formula
from .guard import package_external_links, workbook_info

__all__ = ["find_circular_references", "find_external_links", "find_foreign_references", "refuse_foreign_references",
           "safety_problems"]


def find_external_links(wb: Any) -> list[str]:
    """Targets of the workbook's links to other files, from its ``xl/externalLinks/`` parts as the
    guard's XML scan read them. A workbook not opened by :func:`~.guard.open_workbook` is saved
    to memory (openpyxl writes the links it read back as those parts) and that package scanned."""
    info = workbook_info(wb)
    if info is not None:
        return list(info.external_links)
    buffer = io.BytesIO()
    try:
        wb.save(buffer)
    except Exception:  # noqa: BLE001 - e.g. a read-only workbook: it has no package of its own to scan
        return []
    return package_external_links(buffer.getvalue(), workbook_file(wb) or "workbook")


def _formula_text(cell: Any) -> str | None:
    value = getattr(cell, "value", None)
    text = value if isinstance(value, str) else getattr(value, "text", None)
    if isinstance(text, str) and text.startswith("=") and getattr(cell, "data_type", "f") != "s":
        return text
    return None


def find_foreign_references(wb: Any, *, volatile: bool = True) -> list[tuple[LocatedFormula, FormulaFinding]]:
    """Formulas (cells and defined names) that refer to other workbooks or paths, call another
    program (DDE) or a function that reaches outside (:data:`~.formula_text.FORBIDDEN_FUNCTIONS`)
    and, with ``volatile``, those calling a volatile function; each with where it is.

    A workbook from :func:`~.guard.open_workbook` was scanned from its XML before openpyxl read
    it; any other openpyxl workbook is scanned here, from its cells and defined names.
    """
    info = workbook_info(wb)
    if info is not None:
        found = info.formula_findings
    else:
        sheets = list(wb.sheetnames)
        located = [LocatedFormula("=" + (dn.attr_text or "").lstrip("="), name=getattr(dn, "name", key))
                   for key, dn in defined_names(wb).items() if dn.attr_text]
        located += [LocatedFormula(text, ws.title, cell.coordinate) for ws in wb.worksheets
                    for row in ws.iter_rows() for cell in row if (text := _formula_text(cell))]
        found = [(f, finding) for f in located for finding in formula_findings(f.text, sheets, scan_formula(f.text))]
    return [(f, finding) for f, finding in found if volatile or finding.foreign]


def _foreign_error(file: str | None, formula: LocatedFormula, finding: FormulaFinding, more: int = 0) -> WorkbookError:
    others = f" ({more} more formula(s) like it)" if more else ""
    return WorkbookError(file, finding.message + others, sheet=formula.sheet, cell=formula.cell, name=formula.name,
                         found=f"the formula {shorten(formula.text, 120)}", expected="a formula that uses only this "
                         "workbook's own cells" if finding.foreign else "a value that stays the same", hint=finding.hint)


def refuse_foreign_references(wb: Any, *, file: str | os.PathLike | None = None) -> None:
    """Raise :class:`WorkbookError` if evaluating ``wb`` could make a formula engine read or run
    anything outside it: an external-link part, or a formula naming another workbook, a path, a
    DDE program or a function such as INDIRECT or WEBSERVICE. Call it before any engine loads
    the file. (Volatile functions are not refused here: ``xlcompute check`` lists them.)"""
    file = workbook_file(wb, file)
    links = find_external_links(wb)
    if links:
        raise WorkbookError(file, "the workbook links to other files, which xlcompute never opens",
                            expected="a self-contained workbook", found=f"external links to {', '.join(links)}",
                            hint="Break the links in Excel (Data > Edit Links > Break Link) and save")
    found = find_foreign_references(wb, volatile=False)
    if found:
        raise _foreign_error(file, *found[0], more=len(found) - 1)


def find_circular_references(wb: Any, *, max_formulas: int = 200_000) -> list[list[str]]:
    """Groups of formula cells that depend on themselves (``Sheet!A1`` each), from the formulas.

    Needs a workbook opened with ``data_only=False``. Each group is a strongly connected
    component of :func:`formula_graph`, or one cell referring to itself.
    """
    graph = formula_graph(wb, max_formulas=max_formulas)
    return [[address(col, row, sheet) for sheet, row, col in group] for group in _cycles(graph)]


def formula_graph(wb: Any, *, max_formulas: int = 200_000) -> dict[tuple[str, int, int], set[tuple[str, int, int]]]:
    """Each formula cell ``(sheet, row, column)`` -> the formula cells it refers to (its precedents).

    References are found with openpyxl's formula Tokenizer (cells, ranges, whole rows/columns
    and defined names, unions included); references into other workbooks and structured
    references to tables are not followed. Empty past ``max_formulas`` formula cells.
    """
    from openpyxl.formula.tokenizer import Token, Tokenizer

    formulas: dict[tuple[str, int, int], str] = {}
    by_sheet: dict[str, list[tuple[int, int]]] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                text = _formula_text(cell)
                if text is not None:
                    formulas[(ws.title, cell.row, cell.column)] = text
                    by_sheet.setdefault(ws.title, []).append((cell.row, cell.column))
                    if len(formulas) > max_formulas:
                        return {}
    if not formulas:
        return {}
    names = defined_names(wb)
    extent = {ws.title: (ws.max_row or 1, ws.max_column or 1) for ws in wb.worksheets}
    titles = {t.lower(): t for t in wb.sheetnames}

    def targets(sheet: str, operand: str, depth: int = 0) -> list[tuple[str, int, int]]:
        reference = parse_reference(operand)
        dn = names.get(operand.lower()) if "!" not in operand else None
        if dn is not None and depth < 5:
            out = []
            for part in split_union(dn.attr_text or ""):
                out += targets(sheet, part.strip().lstrip("="), depth + 1)
            return out
        if reference is None or reference.book is not None:
            return []  # not a reference, or one into another workbook
        ref_sheet = sheet if reference.sheet is None else titles.get(reference.sheet.lower())
        if ref_sheet is None:
            return []
        max_row, max_col = extent.get(ref_sheet, (1, 1))
        c1, r1, c2, r2 = reference.bounds(max_row, max_col)
        if (c2 - c1 + 1) * (r2 - r1 + 1) <= 10_000:
            return [(ref_sheet, r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)
                    if (ref_sheet, r, c) in formulas]
        return [(ref_sheet, r, c) for r, c in by_sheet.get(ref_sheet, []) if r1 <= r <= r2 and c1 <= c <= c2]

    graph: dict[tuple[str, int, int], set[tuple[str, int, int]]] = {}
    for key, text in formulas.items():
        edges: set[tuple[str, int, int]] = set()
        try:
            items = Tokenizer(text).items
        except Exception:
            items = []
        for token in items:
            if token.type == Token.OPERAND and token.subtype == Token.RANGE:
                edges.update(targets(key[0], token.value))
        graph[key] = edges
    return graph


def _cycles(graph: dict[Any, set[Any]]) -> list[list[Any]]:
    """Strongly connected components with a cycle (Tarjan, iterative), each sorted."""
    index: dict[Any, int] = {}
    low: dict[Any, int] = {}
    on_stack: set[Any] = set()
    stack: list[Any] = []
    out: list[list[Any]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1 or node in graph.get(node, ()):
                    out.append(sorted(group))
    return sorted(out)


def safety_problems(wb: Any, *, file: str | os.PathLike | None = None) -> list[WorkbookError]:
    """Problems that do not stop a workbook from opening but make its numbers untrustworthy:
    links to other workbooks, formulas reaching outside the workbook or calling volatile
    functions, and circular references (for ``xlcompute check`` to list, each with its cell)."""
    file = workbook_file(wb, file)
    problems = []
    links = find_external_links(wb)
    for link in links:
        problems.append(WorkbookError(
            file, "the workbook links to another file, whose values xlcompute cannot see",
            expected="a self-contained workbook", found=f"an external link to {shorten(link, 120)!r}",
            hint="Break the link in Excel (Data > Edit Links > Break Link) and save"))
    for formula, finding in find_foreign_references(wb):
        if links and re.match(r"\[\d+\]", finding.what):
            continue  # [1]Prices!A1 names the external link listed above
        problems.append(_foreign_error(file, formula, finding))
    for group in find_circular_references(wb):
        sheet, _, cell = group[0].rpartition("!")
        problems.append(WorkbookError(
            file, "circular reference: these cells depend on themselves", sheet=sheet.strip("'"), cell=cell,
            expected="formulas without cycles",
            found=", ".join(group[:10]) + (f" and {len(group) - 10} more" if len(group) > 10 else ""),
            hint="Excel cannot compute them without iteration; remove the cycle"))
    return problems
